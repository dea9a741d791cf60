namespace Capture.Protocol.Transport;

/// <summary>
/// Moves whole packets (one schema message each) between two peers. Packets are never split or merged.
/// One sender and one receiver may use a transport at the same time; two concurrent sends (or two
/// concurrent receives) are not supported.
/// </summary>
public interface IPacketTransport : IAsyncDisposable
{
    /// <summary>Largest packet this transport sends or accepts, in bytes.</summary>
    int MaxPacketSize { get; }

    /// <summary>
    /// Sends one packet. The transport reads <paramref name="packet"/> only until the returned task completes.
    /// Throws <see cref="PacketTooLargeException"/> (nothing sent) when it exceeds <see cref="MaxPacketSize"/>.
    /// </summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> packet, CancellationToken cancellationToken = default);

    /// <summary>
    /// Receives the next packet into <paramref name="buffer"/> and returns its length, or 0 once the peer
    /// has closed the connection (packets are never empty). A packet larger than <see cref="MaxPacketSize"/>
    /// or than <paramref name="buffer"/> is read and discarded, and <see cref="PacketTooLargeException"/> is
    /// thrown; the transport stays usable and the next call returns the next packet.
    /// </summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);
}

/// <summary>A packet over the size limit. The connection is still usable; only this packet was dropped.</summary>
public sealed class PacketTooLargeException(long size, int limit, string transport)
    : IOException($"{transport}: packet of {size} bytes exceeds the limit of {limit} bytes; it was dropped")
{
    public long Size { get; } = size;

    public int Limit { get; } = limit;
}

/// <summary>Defaults shared by the transports.</summary>
public static class PacketTransportDefaults
{
    /// <summary>1 MiB: a face+body frame is ~3.5 KB, one second of 48 kHz stereo PCM is 188 KiB.</summary>
    public const int MaxPacketSize = 1024 * 1024;

    /// <summary>Largest UDP payload over IPv4 (65,535 − 8 UDP header − 20 IP header).</summary>
    public const int MaxUdpPacketSize = 65_507;

    internal static void CheckSend(ReadOnlyMemory<byte> packet, int max, string transport)
    {
        if (packet.IsEmpty)
        {
            throw new ArgumentException("Packets are never empty (a zero length means 'closed')", nameof(packet));
        }

        if (packet.Length > max)
        {
            throw new PacketTooLargeException(packet.Length, max, transport);
        }
    }
}
