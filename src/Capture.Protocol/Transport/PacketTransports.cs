using System.Net;

namespace Capture.Protocol.Transport;

/// <summary>Opens a client transport from a URL: <c>ws://host:port/path</c>, <c>tcp://host:port</c> or <c>udp://host:port</c>.</summary>
public static class PacketTransports
{
    public static async Task<IPacketTransport> ConnectAsync(Uri uri, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        switch (uri.Scheme)
        {
            case "ws":
            case "wss":
                return await WebSocketPacketTransport.ConnectAsync(uri, cancellationToken: cancellationToken);
            case "tcp":
                RequirePort(uri);
                return await TcpPacketTransport.ConnectAsync(uri.Host, uri.Port, cancellationToken: cancellationToken);
            case "udp":
                RequirePort(uri);
                IPAddress[] addresses = await Dns.GetHostAddressesAsync(uri.Host, cancellationToken);
                IPAddress address = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                    ?? addresses.FirstOrDefault()
                    ?? throw new ArgumentException($"Cannot resolve host '{uri.Host}'", nameof(uri));
                return UdpPacketTransport.Connect(new IPEndPoint(address, uri.Port));
            default:
                throw new ArgumentException($"Unsupported transport '{uri.Scheme}' in {uri}; use ws://host:port/path, tcp://host:port or udp://host:port", nameof(uri));
        }
    }

    private static void RequirePort(Uri uri)
    {
        if (uri.IsDefaultPort || uri.Port <= 0)
        {
            throw new ArgumentException($"{uri} names no port; write {uri.Scheme}://host:port", nameof(uri));
        }
    }
}
