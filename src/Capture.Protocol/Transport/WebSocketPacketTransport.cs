using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace Capture.Protocol.Transport;

/// <summary>
/// One packet per binary WebSocket message. Owns the socket and closes it (politely, then hard) on dispose.
/// Text messages are not packets: they are read, dropped and reported as <see cref="InvalidDataException"/>.
/// </summary>
public sealed class WebSocketPacketTransport : IPacketTransport
{
    private const string Name = "WebSocket";
    private readonly WebSocket _socket;
    private readonly IDisposable? _owned;
    private readonly byte[] _discard = new byte[16 * 1024];

    public WebSocketPacketTransport(WebSocket socket, int maxPacketSize = PacketTransportDefaults.MaxPacketSize, IDisposable? alsoOwned = null)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
        _owned = alsoOwned;
        MaxPacketSize = maxPacketSize;
    }

    public int MaxPacketSize { get; }

    public static async Task<WebSocketPacketTransport> ConnectAsync(Uri uri, int maxPacketSize = PacketTransportDefaults.MaxPacketSize, CancellationToken cancellationToken = default)
    {
        var client = new ClientWebSocket();
        try
        {
            await client.ConnectAsync(uri, cancellationToken);
        }
        catch
        {
            client.Dispose();
            throw;
        }

        return new WebSocketPacketTransport(client, maxPacketSize);
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default)
    {
        PacketTransportDefaults.CheckSend(packet, MaxPacketSize, Name);
        await _socket.SendAsync(packet, WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
    }

    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int limit = Math.Min(MaxPacketSize, buffer.Length);
        int total = 0;
        bool tooLarge = false;
        long seen = 0;
        while (true)
        {
            Memory<byte> target = tooLarge ? _discard : buffer[total..limit];
            if (!tooLarge && target.IsEmpty)
            {
                // The message is already at the limit; anything more makes it too large.
                target = _discard;
                tooLarge = true;
            }

            ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(target, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                if (_socket.State == WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, cancellationToken);
                }

                return 0;
            }

            seen += result.Count;
            if (!tooLarge)
            {
                total += result.Count;
            }

            if (!result.EndOfMessage)
            {
                continue;
            }

            if (tooLarge && seen > limit)
            {
                throw new PacketTooLargeException(seen, limit, Name);
            }

            if (result.MessageType == WebSocketMessageType.Text)
            {
                throw new InvalidDataException($"{Name}: a text message of {seen} bytes arrived; packets are binary messages. It was dropped");
            }

            if (seen == 0)
            {
                throw new InvalidDataException($"{Name}: an empty message arrived; packets are never empty. It was dropped");
            }

            return (int)seen;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The peer is gone; there is nothing left to close politely.
        }
        finally
        {
            _socket.Dispose();
            _owned?.Dispose();
        }
    }
}

/// <summary>
/// A minimal WebSocket server on a plain <see cref="TcpListener"/>: reads the HTTP upgrade request, answers
/// 101 (RFC 6455 §4.2.2) and hands the stream to <see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>.
/// Any other request gets a 4xx and is closed. Port 0 picks a free port.
/// </summary>
public sealed class WebSocketPacketListener : IDisposable
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private const int MaxRequestBytes = 8192;
    private readonly TcpListener _listener;
    private readonly string _path;
    private readonly int _maxPacketSize;

    public WebSocketPacketListener(IPEndPoint endpoint, string path = "/", int maxPacketSize = PacketTransportDefaults.MaxPacketSize)
    {
        _listener = new TcpListener(endpoint);
        _listener.Start();
        _path = path;
        _maxPacketSize = maxPacketSize;
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Waits for the next client that completes a valid upgrade; refused requests are answered and skipped.</summary>
    public async Task<WebSocketPacketTransport> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            TcpClient client = await _listener.AcceptTcpClientAsync(cancellationToken);
            client.NoDelay = true;
            NetworkStream stream = client.GetStream();
            try
            {
                string? refusal = await HandshakeAsync(stream, cancellationToken);
                if (refusal is null)
                {
                    WebSocket ws = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.FromSeconds(30) });
                    return new WebSocketPacketTransport(ws, _maxPacketSize, client);
                }

                byte[] response = Encoding.ASCII.GetBytes($"HTTP/1.1 {refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
                await stream.WriteAsync(response, cancellationToken);
            }
            catch (IOException)
            {
                // The client went away mid-handshake; wait for the next one.
            }

            client.Dispose();
        }
    }

    public void Dispose() => _listener.Stop();

    private async Task<string?> HandshakeAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        // Read byte by byte up to the blank line, so not one byte of the first WebSocket frame is consumed.
        byte[] request = new byte[MaxRequestBytes];
        int length = 0;
        while (length < 4 || !request.AsSpan(length - 4, 4).SequenceEqual("\r\n\r\n"u8))
        {
            if (length == MaxRequestBytes)
            {
                return "431 Request Header Fields Too Large";
            }

            int n = await stream.ReadAsync(request.AsMemory(length, 1), cancellationToken);
            if (n == 0)
            {
                throw new IOException("WebSocket: client closed during the handshake");
            }

            length++;
        }

        string[] lines = Encoding.ASCII.GetString(request, 0, length).Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        if (requestLine.Length < 3 || requestLine[0] != "GET")
        {
            return "405 Method Not Allowed";
        }

        string target = requestLine[1];
        int query = target.IndexOf('?', StringComparison.Ordinal);
        if ((query < 0 ? target : target[..query]) != _path)
        {
            return "404 Not Found";
        }

        string? key = null;
        bool upgrade = false;
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (name.Equals("Sec-WebSocket-Key", StringComparison.OrdinalIgnoreCase))
            {
                key = value;
            }
            else if (name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase) && value.Equals("websocket", StringComparison.OrdinalIgnoreCase))
            {
                upgrade = true;
            }
        }

        if (!upgrade || key is null)
        {
            return "426 Upgrade Required";
        }

        string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
        byte[] response = Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n");
        await stream.WriteAsync(response, cancellationToken);
        return null;
    }
}
