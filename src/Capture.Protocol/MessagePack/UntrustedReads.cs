using System.Buffers;
using System.Text;
using MessagePack;

namespace Capture.Protocol.MessagePack;

/// <summary>
/// Reads on MessagePack-CSharp's <see cref="MessagePackReader"/> with the schema's <see cref="MessagePackLimits"/>
/// applied, and the one translation of its exceptions into <see cref="MessagePackFormatException"/>.
/// </summary>
internal static class UntrustedReads
{
    private static readonly UTF8Encoding s_strictUtf8 = new(false, true);

    /// <summary>
    /// Turns what MessagePack-CSharp (or a strict UTF-8 decode) throws on bad input into a
    /// <see cref="MessagePackFormatException"/> at <paramref name="offset"/>; null for anything else (a bug, not bad input).
    /// </summary>
    public static MessagePackFormatException? Translate(Exception ex, long offset) => ex switch
    {
        MessagePackFormatException => null,
        EndOfStreamException => new MessagePackFormatException($"Input ends inside a value ({ex.Message})", offset, true, ex),
        MessagePackSerializationException => new MessagePackFormatException(ex.Message, offset, false, ex),
        OverflowException => new MessagePackFormatException($"Number out of range: {ex.Message}", offset, false, ex),
        InsufficientExecutionStackException => new MessagePackFormatException($"Nesting too deep: {ex.Message}", offset, false, ex),
        DecoderFallbackException => new MessagePackFormatException($"String is not valid UTF-8 ({ex.Message})", offset, false, ex),
        _ => null,
    };

    /// <summary>Throws when <paramref name="length"/> is over <see cref="MessagePackLimits.MaxMessageSize"/>.</summary>
    public static void CheckMessageSize(long length, MessagePackLimits limits)
    {
        if (length > limits.MaxMessageSize)
        {
            throw new MessagePackFormatException($"Message of {length} bytes is larger than the limit of {limits.MaxMessageSize} bytes", 0);
        }
    }

    public static int ReadArrayHeader(ref MessagePackReader r, MessagePackLimits limits)
    {
        long at = r.Consumed;
        int count = r.ReadArrayHeader();
        if (count > limits.MaxElementCount)
        {
            throw new MessagePackFormatException($"Array of {count} elements is larger than the limit of {limits.MaxElementCount}", at);
        }

        return count;
    }

    /// <summary>A bin value (nothing else: a str or nil is an error), pointing into the input.</summary>
    public static ReadOnlySpan<byte> ReadBinary(ref MessagePackReader r, MessagePackLimits limits)
    {
        long at = r.Consumed;
        if (r.NextMessagePackType != MessagePackType.Binary)
        {
            throw new MessagePackFormatException($"Expected binary (bin 8/16/32), found {r.NextMessagePackType} (format byte 0x{r.NextCode:x2})", at);
        }

        ReadOnlySequence<byte> bin = r.ReadBytes()!.Value;
        if (bin.Length > limits.MaxBinaryLength)
        {
            throw new MessagePackFormatException($"Binary of {bin.Length} bytes is longer than the limit of {limits.MaxBinaryLength}", at);
        }

        return bin.IsSingleSegment ? bin.FirstSpan : bin.ToArray();
    }

    /// <summary>A str as a new string (strict UTF-8, allocates), or null for nil.</summary>
    public static string? ReadString(ref MessagePackReader r, MessagePackLimits limits) =>
        ReadString(ref r, limits.MaxStringLength, "String");

    /// <summary>
    /// A str no longer than <paramref name="maxBytes"/> UTF-8 bytes (a schema field with a limit of its own, such as
    /// the performer id; <paramref name="what"/> names it in the error), checked before it is decoded; null for nil.
    /// </summary>
    public static string? ReadString(ref MessagePackReader r, int maxBytes, string what)
    {
        if (r.TryReadNil())
        {
            return null;
        }

        long at = r.Consumed;
        ReadOnlySequence<byte> utf8 = r.ReadStringSequence()!.Value;
        if (utf8.Length > maxBytes)
        {
            throw new MessagePackFormatException($"{what} of {utf8.Length} bytes is longer than the limit of {maxBytes}", at);
        }

        return utf8.IsSingleSegment ? s_strictUtf8.GetString(utf8.FirstSpan) : s_strictUtf8.GetString(utf8.ToArray());
    }

    /// <summary>A float 32 (exact), float 64 (rounded: JavaScript writers send Numbers as float 64) or any integer.</summary>
    public static float ReadSingle(ref MessagePackReader r) =>
        r.NextCode == MessagePackCode.Float64 ? (float)r.ReadDouble() : r.ReadSingle();

    /// <summary>
    /// Skips one value of any type, nested values included: arrays and maps step the depth through
    /// <see cref="MessagePackLimits.Security"/>, lengths and counts are held to the limits.
    /// </summary>
    public static void Skip(ref MessagePackReader r, MessagePackLimits limits)
    {
        long at = r.Consumed;
        switch (r.NextMessagePackType)
        {
            case MessagePackType.Array:
                {
                    int n = ReadArrayHeader(ref r, limits);
                    limits.Security.DepthStep(ref r);
                    for (int i = 0; i < n; i++)
                    {
                        Skip(ref r, limits);
                    }

                    r.Depth--;
                    return;
                }

            case MessagePackType.Map:
                {
                    int n = r.ReadMapHeader();
                    if (n > limits.MaxElementCount)
                    {
                        throw new MessagePackFormatException($"Map of {n} entries is larger than the limit of {limits.MaxElementCount}", at);
                    }

                    limits.Security.DepthStep(ref r);
                    for (int i = 0; i < n; i++)
                    {
                        Skip(ref r, limits);
                        Skip(ref r, limits);
                    }

                    r.Depth--;
                    return;
                }

            case MessagePackType.String:
                {
                    long length = r.ReadStringSequence()!.Value.Length;
                    if (length > limits.MaxStringLength)
                    {
                        throw new MessagePackFormatException($"String of {length} bytes is longer than the limit of {limits.MaxStringLength}", at);
                    }

                    return;
                }

            case MessagePackType.Binary:
                ReadBinary(ref r, limits);
                return;
            case MessagePackType.Extension:
                {
                    ExtensionHeader header = r.ReadExtensionFormatHeader();
                    if (header.Length > limits.MaxBinaryLength)
                    {
                        throw new MessagePackFormatException($"Extension of {header.Length} bytes is longer than the limit of {limits.MaxBinaryLength}", at);
                    }

                    r.ReadRaw(header.Length);
                    return;
                }

            case MessagePackType.Unknown:
                throw new MessagePackFormatException($"Format byte 0x{r.NextCode:x2} is never used in MessagePack", at);
            default:
                // nil, boolean, integer, float: fixed size, nothing to bound.
                r.Skip();
                return;
        }
    }
}
