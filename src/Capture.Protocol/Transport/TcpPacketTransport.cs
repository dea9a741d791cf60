using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Capture.Protocol.Transport;

/// <summary>
/// Packets over a TCP stream, each preceded by its length as a 4-byte big-endian unsigned integer.
/// Owns the stream (and its socket) and closes it on dispose.
/// </summary>
public sealed class TcpPacketTransport : IPacketTransport
{
    private const string Name = "TCP";
    private readonly Stream _stream;
    private readonly byte[] _header = new byte[4];
    private readonly byte[] _sendHeader = new byte[4];
    private readonly byte[] _discard = new byte[16 * 1024];

    public TcpPacketTransport(Stream stream, int maxPacketSize = PacketTransportDefaults.MaxPacketSize)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        MaxPacketSize = maxPacketSize;
    }

    public int MaxPacketSize { get; }

    public static async Task<TcpPacketTransport> ConnectAsync(string host, int port, int maxPacketSize = PacketTransportDefaults.MaxPacketSize, CancellationToken cancellationToken = default)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, cancellationToken);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        return new TcpPacketTransport(client.GetStream(), maxPacketSize);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        PacketTransportDefaults.CheckSend(packet, MaxPacketSize, Name);
        BinaryPrimitives.WriteUInt32BigEndian(_sendHeader, (uint)packet.Length);
        await _stream.WriteAsync(_sendHeader, cancellationToken);
        await _stream.WriteAsync(packet, cancellationToken);
        await _stream.FlushAsync(cancellationToken);
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int got = await _stream.ReadAtLeastAsync(_header, 4, throwOnEndOfStream: false, cancellationToken);
        if (got == 0)
        {
            return 0;
        }

        if (got < 4)
        {
            throw new EndOfStreamException($"TCP: connection closed inside a length prefix ({got} of 4 bytes)");
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(_header);
        if (length == 0)
        {
            throw new InvalidDataException("TCP: zero-length packet prefix; packets are never empty");
        }

        int limit = Math.Min(MaxPacketSize, buffer.Length);
        if (length > limit)
        {
            // Read past the payload so the stream stays in step and the next packet is intact.
            long left = length;
            while (left > 0)
            {
                int n = await _stream.ReadAsync(_discard.AsMemory(0, (int)Math.Min(left, _discard.Length)), cancellationToken);
                if (n == 0)
                {
                    throw new EndOfStreamException($"TCP: connection closed inside an oversize packet of {length} bytes");
                }

                left -= n;
            }

            throw new PacketTooLargeException(length, limit, Name);
        }

        int read = await _stream.ReadAtLeastAsync(buffer[..(int)length], (int)length, throwOnEndOfStream: false, cancellationToken);
        if (read < length)
        {
            throw new EndOfStreamException($"TCP: connection closed after {read} of {length} bytes of a packet");
        }

        return (int)length;
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}

/// <summary>Accepts TCP packet connections (tests and the server use 127.0.0.1 with port 0 = any free port).</summary>
public sealed class TcpPacketListener : IDisposable
{
    private readonly TcpListener _listener;
    private readonly int _maxPacketSize;

    public TcpPacketListener(IPEndPoint endpoint, int maxPacketSize = PacketTransportDefaults.MaxPacketSize)
    {
        _listener = new TcpListener(endpoint);
        _listener.Start();
        _maxPacketSize = maxPacketSize;
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async Task<TcpPacketTransport> AcceptAsync(CancellationToken cancellationToken = default)
    {
        TcpClient client = await _listener.AcceptTcpClientAsync(cancellationToken);
        client.NoDelay = true;
        return new TcpPacketTransport(client.GetStream(), _maxPacketSize);
    }

    public void Dispose() => _listener.Stop();
}
