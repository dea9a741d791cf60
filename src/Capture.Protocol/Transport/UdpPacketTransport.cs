using System.Net;
using System.Net.Sockets;

namespace Capture.Protocol.Transport;

/// <summary>
/// One packet per UDP datagram: no reassembly, no retransmission. Lost or reordered packets are the
/// receiver's business (see <see cref="SequenceGate"/>). A bound transport answers the last peer it heard from.
/// </summary>
public sealed class UdpPacketTransport : IPacketTransport
{
    private const string Name = "UDP";
    private readonly Socket _socket;
    private readonly bool _connected;
    private readonly byte[] _receive = new byte[65_536];
    private EndPoint? _lastPeer;

    private UdpPacketTransport(Socket socket, bool connected, int maxPacketSize)
    {
        _socket = socket;
        _connected = connected;
        MaxPacketSize = Math.Min(maxPacketSize, PacketTransportDefaults.MaxUdpPacketSize);
    }

    public int MaxPacketSize { get; }

    /// <summary>The local endpoint (its port when bound to port 0).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_socket.LocalEndPoint!;

    /// <summary>The peer that sent the last datagram, if any.</summary>
    public EndPoint? LastPeer => _lastPeer;

    /// <summary>Listens on <paramref name="local"/> (port 0 = any free port).</summary>
    public static UdpPacketTransport Bind(IPEndPoint local, int maxPacketSize = PacketTransportDefaults.MaxUdpPacketSize)
    {
        var socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(local);
        return new UdpPacketTransport(socket, false, maxPacketSize);
    }

    /// <summary>Sends to (and receives only from) <paramref name="remote"/>.</summary>
    public static UdpPacketTransport Connect(IPEndPoint remote, int maxPacketSize = PacketTransportDefaults.MaxUdpPacketSize)
    {
        var socket = new Socket(remote.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        socket.Connect(remote);
        return new UdpPacketTransport(socket, true, maxPacketSize);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        PacketTransportDefaults.CheckSend(packet, MaxPacketSize, Name);
        if (_connected)
        {
            await _socket.SendAsync(packet, SocketFlags.None, cancellationToken);
        }
        else
        {
            EndPoint peer = _lastPeer ?? throw new InvalidOperationException("UDP: no peer to answer yet (nothing received on this bound socket)");
            await _socket.SendToAsync(packet, SocketFlags.None, peer, cancellationToken);
        }
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            SocketReceiveFromResult result;
            try
            {
                result = await _socket.ReceiveFromAsync(_receive, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), cancellationToken);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
                // ICMP "port unreachable" from an earlier send; UDP has no connection to lose, so keep listening.
                continue;
            }

            int length = result.ReceivedBytes;
            if (length == 0)
            {
                continue;
            }

            _lastPeer = result.RemoteEndPoint;
            int limit = Math.Min(MaxPacketSize, buffer.Length);
            if (length > limit)
            {
                throw new PacketTooLargeException(length, limit, Name);
            }

            _receive.AsSpan(0, length).CopyTo(buffer.Span);
            return length;
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Loss tolerance for UDP by sequence number: accepts a packet only if it is newer than the last one
/// accepted, and counts the gaps (lost) and the late arrivals (dropped as stale). A sequence far below
/// the last (a sender restart) starts over.
/// </summary>
public sealed class SequenceGate(long restartWindow = 1000)
{
    private long _last = -1;
    private bool _any;

    public long Accepted { get; private set; }

    /// <summary>Sequence numbers skipped over (never seen before a newer one arrived).</summary>
    public long Lost { get; private set; }

    /// <summary>Packets that arrived after a newer one and were refused.</summary>
    public long Stale { get; private set; }

    public bool Accept(long sequence)
    {
        if (!_any || sequence > _last || _last - sequence > restartWindow)
        {
            if (_any && sequence > _last)
            {
                Lost += sequence - _last - 1;
            }

            _any = true;
            _last = sequence;
            Accepted++;
            return true;
        }

        Stale++;
        return false;
    }
}
