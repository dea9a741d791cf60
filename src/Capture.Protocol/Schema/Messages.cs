namespace Capture.Protocol.Schema;

/// <summary>The schema version this build writes. Readers accept any minor version of the same major.</summary>
public static class ProtocolVersion
{
    public const int Major = 1;
    /// <summary>v1.1 face iris, v1.2 RenderedFrame, v1.3 body world points, v1.4 hands, v1.5 a rendered frame's alpha, v1.6 a stepped-down rendered frame's quality (docs/protocol.md).</summary>
    public const int Minor = 6;
}

/// <summary>Message type, the second element of every envelope (docs/protocol.md).</summary>
public enum MessageKind
{
    /// <summary>A type this reader does not know (a newer minor version added it); the packet is ignored.</summary>
    Unknown = 0,
    Hello = 1,
    TrackingFrame = 2,
    AudioChunk = 3,
    Stats = 4,
    Ack = 5,
    Bye = 6,

    /// <summary>v1.2: one rendered character frame (JPEG) from the renderer to a viewer.</summary>
    RenderedFrame = 7,
}

/// <summary>How the 468 face landmarks travel. Readers accept both; the length of the bin tells which.</summary>
public enum LandmarkEncoding
{
    /// <summary>Signed 16-bit little-endian, value = q / 16384 (range ±2, step 6.1e-5): half the bytes, error ≤ 3.1e-5.</summary>
    Int16 = 0,

    /// <summary>IEEE float32 little-endian: exact, twice the bytes.</summary>
    Float32 = 1,
}

/// <summary>First message on a connection: who is sending and what they can send.</summary>
public sealed record HelloMessage(int Minor, IReadOnlyList<string> Capabilities, string PerformerId, string? AuthToken)
{
    /// <summary>Major version as it came in the envelope (always <see cref="ProtocolVersion.Major"/> once decoded).</summary>
    public int Major { get; init; } = ProtocolVersion.Major;
}

/// <summary>Header of one chunk of interleaved PCM s16le audio; the samples travel next to it.</summary>
public readonly record struct AudioChunkHeader(long Sequence, long TimestampUs, int SampleRate, int Channels);

/// <summary>
/// Header of one rendered character frame (v1.2); the JPEG bytes travel next to it.
/// <paramref name="CaptureTimestampUs"/> is the performer's capture time of the tracking frame that drove it and
/// <paramref name="RenderedTimestampUs"/> when rendering finished, both on the Unix-epoch clock in µs for live sessions.
/// </summary>
public readonly record struct RenderedFrameHeader(long Sequence, long CaptureTimestampUs, long RenderedTimestampUs, int Width, int Height);

/// <summary>
/// The colour a rendered frame's RGB was composited over where its alpha is below 1 (v1.5): a reader that shows the
/// frame on another background recovers the figure's own colour as (rgb − matte × (1 − a)) / a, so no matte fringe
/// shows at soft edges. Frames whose RGB is the character picture's own (a cut-out) carry no matte.
/// </summary>
public readonly record struct RenderedMatte(byte R, byte G, byte B);

/// <summary>Link statistics a peer reports now and then.</summary>
public readonly record struct StatsMessage(
    long TimestampUs, long FramesSent, long FramesDropped, long FramesLost, float FramesPerSecond, long LatencyUs);

/// <summary>Receipt of a message: its type and sequence number.</summary>
public readonly record struct AckMessage(MessageKind Kind, long Sequence);

/// <summary>Last message on a connection.</summary>
public sealed record ByeMessage(string? Reason);

/// <summary>A packet from a peer whose major protocol version differs from ours.</summary>
public sealed class ProtocolVersionException(int peerMajor, int? peerMinor)
    : Exception($"Protocol version mismatch: the peer speaks {peerMajor}.{(peerMinor?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "x")}, " +
        $"this build speaks {ProtocolVersion.Major}.{ProtocolVersion.Minor}; major versions must match")
{
    public int PeerMajor { get; } = peerMajor;

    public int? PeerMinor { get; } = peerMinor;
}
