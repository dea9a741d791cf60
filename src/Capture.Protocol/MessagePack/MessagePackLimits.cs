using MessagePack;

namespace Capture.Protocol.MessagePack;

/// <summary>
/// The schema's own limits on top of MessagePack-CSharp's <see cref="MessagePackSecurity.UntrustedData"/>, so input
/// from the network cannot make <see cref="Schema.ProtocolReader"/> allocate, recurse or loop without bound.
/// MessagePack-CSharp's reader itself checks every length and element count against the bytes actually left,
/// so a header that lies about its length fails at once instead of waiting for data that is not there.
/// </summary>
public sealed record MessagePackLimits
{
    /// <summary>For packets from the network: sized for a face+body+hands frame or 1 s of stereo 48 kHz audio with room to spare.</summary>
    public static MessagePackLimits Untrusted { get; } = new();

    /// <summary>For local files the user chose (recordings): larger sizes, same depth rule.</summary>
    public static MessagePackLimits Trusted { get; } = new()
    {
        MaxMessageSize = 256 * 1024 * 1024,
        MaxStringLength = 64 * 1024 * 1024,
        MaxBinaryLength = 256 * 1024 * 1024,
        MaxElementCount = 16 * 1024 * 1024,
        MaxNameLength = 64 * 1024,
        MaxCapabilities = 65536,
        MaxReasonLength = 64 * 1024,
    };

    /// <summary>Deepest nesting of arrays/maps/extensions. Schema v1 needs 3; 32 leaves room for extensions.</summary>
    public int MaxDepth { get; init; } = 32;

    /// <summary>Longest str payload in bytes.</summary>
    public int MaxStringLength { get; init; } = 64 * 1024;

    /// <summary>Longest bin/ext payload in bytes (1 s of 48 kHz stereo s16 audio is 192,000).</summary>
    public int MaxBinaryLength { get; init; } = 1024 * 1024;

    /// <summary>Most elements in one array, or entries in one map.</summary>
    public int MaxElementCount { get; init; } = 65536;

    /// <summary>
    /// Longest Hello performer id, capability and auth token, in UTF-8 bytes. 256: a name, a UUID or a
    /// 128-bit token in any text form fits many times over; a 60 KB "id" is an attack on the log, not a name.
    /// </summary>
    public int MaxNameLength { get; init; } = 256;

    /// <summary>Most capabilities in one Hello. v1 defines 9; 64 leaves room for extensions, not for 20,000.</summary>
    public int MaxCapabilities { get; init; } = 64;

    /// <summary>Longest Bye reason, in UTF-8 bytes (a WebSocket close reason, where it ends up, holds 123).</summary>
    public int MaxReasonLength { get; init; } = 1024;

    /// <summary>Largest whole input the reader accepts.</summary>
    public int MaxMessageSize { get; init; } = 2 * 1024 * 1024;

    /// <summary>
    /// MessagePack-CSharp's untrusted-data settings with <see cref="MaxDepth"/> as the object-graph depth: every
    /// array or map entered (also while skipping unknown fields) steps the reader's depth through it.
    /// </summary>
    public MessagePackSecurity Security => _security ??= MessagePackSecurity.UntrustedData.WithMaximumObjectGraphDepth(MaxDepth);

    private MessagePackSecurity? _security;
}
