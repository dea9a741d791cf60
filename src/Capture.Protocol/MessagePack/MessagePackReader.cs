using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Capture.Protocol.MessagePack;

/// <summary>
/// Reads MessagePack values from memory, treating the input as untrusted: every length is checked
/// against the bytes left and the <see cref="MessagePackLimits"/>, nesting depth is bounded, and any
/// problem throws <see cref="MessagePackFormatException"/> naming the offset. Spans it returns
/// (<see cref="ReadStringUtf8"/>, <see cref="ReadBinary"/>) point into the input and are valid as long as it is.
/// </summary>
public ref struct MessagePackReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly MessagePackLimits _limits;
    private int _position;

    public MessagePackReader(ReadOnlySpan<byte> data, MessagePackLimits? limits = null)
    {
        _limits = limits ?? MessagePackLimits.Untrusted;
        if (data.Length > _limits.MaxMessageSize)
        {
            throw new MessagePackFormatException(
                $"Message of {data.Length} bytes is larger than the limit of {_limits.MaxMessageSize} bytes", 0);
        }

        _data = data;
        _position = 0;
    }

    /// <summary>
    /// Reads a sequence. A single-segment sequence is read in place; a multi-segment one is copied into one
    /// array first (after the size limit is checked), so prefer contiguous input on hot paths.
    /// </summary>
    public MessagePackReader(in ReadOnlySequence<byte> data, MessagePackLimits? limits = null)
        : this(Contiguous(data, limits ?? MessagePackLimits.Untrusted), limits)
    {
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    public readonly int Remaining => _data.Length - _position;

    public readonly bool End => _position >= _data.Length;

    public readonly MessagePackLimits Limits => _limits;

    /// <summary>The bytes between two positions (e.g. the raw encoding of a value read or skipped between them).</summary>
    public readonly ReadOnlySpan<byte> Slice(int start, int length) => _data.Slice(start, length);

    public readonly MessagePackType PeekType()
    {
        if (End)
        {
            throw Truncated("a value");
        }

        MessagePackType t = MessagePackCode.TypeOf(_data[_position]);
        if (t == MessagePackType.Unknown)
        {
            throw new MessagePackFormatException("Format byte 0xc1 is never used in MessagePack", _position);
        }

        return t;
    }

    public readonly bool IsNil => !End && _data[_position] == MessagePackCode.Nil;

    public void ReadNil()
    {
        if (!TryReadNil())
        {
            throw Unexpected("nil");
        }
    }

    public bool TryReadNil()
    {
        if (IsNil)
        {
            _position++;
            return true;
        }

        return false;
    }

    public bool ReadBoolean()
    {
        byte code = PeekCode("a boolean");
        if (code is MessagePackCode.True or MessagePackCode.False)
        {
            _position++;
            return code == MessagePackCode.True;
        }

        throw Unexpected("a boolean");
    }

    /// <summary>Any integer format that fits in a long.</summary>
    public long ReadInt64()
    {
        int start = _position;
        byte code = PeekCode("an integer");
        if (code <= MessagePackCode.MaxPositiveFixInt)
        {
            _position++;
            return code;
        }

        if (code >= MessagePackCode.MinNegativeFixInt)
        {
            _position++;
            return unchecked((sbyte)code);
        }

        switch (code)
        {
            case MessagePackCode.UInt8: return Take(2, "uint 8")[1];
            case MessagePackCode.UInt16: return BinaryPrimitives.ReadUInt16BigEndian(Take(3, "uint 16")[1..]);
            case MessagePackCode.UInt32: return BinaryPrimitives.ReadUInt32BigEndian(Take(5, "uint 32")[1..]);
            case MessagePackCode.UInt64:
                ulong u = BinaryPrimitives.ReadUInt64BigEndian(Take(9, "uint 64")[1..]);
                if (u > long.MaxValue)
                {
                    throw new MessagePackFormatException($"uint 64 value {u} does not fit a signed 64-bit integer", start);
                }

                return (long)u;
            case MessagePackCode.Int8: return unchecked((sbyte)Take(2, "int 8")[1]);
            case MessagePackCode.Int16: return BinaryPrimitives.ReadInt16BigEndian(Take(3, "int 16")[1..]);
            case MessagePackCode.Int32: return BinaryPrimitives.ReadInt32BigEndian(Take(5, "int 32")[1..]);
            case MessagePackCode.Int64: return BinaryPrimitives.ReadInt64BigEndian(Take(9, "int 64")[1..]);
            default: throw Unexpected("an integer");
        }
    }

    /// <summary>Any integer format holding a value 0..<see cref="ulong.MaxValue"/>.</summary>
    public ulong ReadUInt64()
    {
        if (PeekCode("an integer") == MessagePackCode.UInt64)
        {
            return BinaryPrimitives.ReadUInt64BigEndian(Take(9, "uint 64")[1..]);
        }

        int start = _position;
        long v = ReadInt64();
        if (v < 0)
        {
            throw new MessagePackFormatException($"Expected an unsigned integer, found {v}", start);
        }

        return (ulong)v;
    }

    public int ReadInt32()
    {
        int start = _position;
        long v = ReadInt64();
        if (v is < int.MinValue or > int.MaxValue)
        {
            throw new MessagePackFormatException($"Integer {v} does not fit a 32-bit integer", start);
        }

        return (int)v;
    }

    /// <summary>A float 32/64 or any integer, as a double.</summary>
    public double ReadDouble()
    {
        byte code = PeekCode("a number");
        if (code == MessagePackCode.Float64)
        {
            return BinaryPrimitives.ReadDoubleBigEndian(Take(9, "float 64")[1..]);
        }

        if (code == MessagePackCode.Float32)
        {
            return BinaryPrimitives.ReadSingleBigEndian(Take(5, "float 32")[1..]);
        }

        if (MessagePackCode.TypeOf(code) == MessagePackType.Integer)
        {
            return code == MessagePackCode.UInt64 ? ReadUInt64() : ReadInt64();
        }

        throw Unexpected("a number");
    }

    /// <summary>A float 32 (exact), float 64 or integer (rounded to float).</summary>
    public float ReadSingle()
    {
        if (PeekCode("a number") == MessagePackCode.Float32)
        {
            return BinaryPrimitives.ReadSingleBigEndian(Take(5, "float 32")[1..]);
        }

        return (float)ReadDouble();
    }

    /// <summary>A str value's UTF-8 bytes, pointing into the input.</summary>
    public ReadOnlySpan<byte> ReadStringUtf8()
    {
        int start = _position;
        byte code = PeekCode("a string");
        int headerSize;
        long length;
        if (code is >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr)
        {
            headerSize = 1;
            length = code & 0x1f;
        }
        else
        {
            (headerSize, length) = code switch
            {
                MessagePackCode.Str8 => (2, Take(2, "str 8 header")[1]),
                MessagePackCode.Str16 => (3, BinaryPrimitives.ReadUInt16BigEndian(Take(3, "str 16 header")[1..])),
                MessagePackCode.Str32 => (5, (long)BinaryPrimitives.ReadUInt32BigEndian(Take(5, "str 32 header")[1..])),
                _ => throw Unexpected("a string"),
            };
            _position = start;
        }

        if (length > _limits.MaxStringLength)
        {
            throw new MessagePackFormatException($"String of {length} bytes is longer than the limit of {_limits.MaxStringLength}", start);
        }

        _position = start + headerSize;
        return Take((int)length, "string bytes");
    }

    /// <summary>A str value as a new string (allocates), or null for nil.</summary>
    public string? ReadString()
    {
        if (TryReadNil())
        {
            return null;
        }

        int start = _position;
        ReadOnlySpan<byte> utf8 = ReadStringUtf8();
        try
        {
            return s_strictUtf8.GetString(utf8);
        }
        catch (DecoderFallbackException ex)
        {
            throw new MessagePackFormatException($"String is not valid UTF-8 ({ex.Message})", start);
        }
    }

    /// <summary>A bin value's bytes, pointing into the input.</summary>
    public ReadOnlySpan<byte> ReadBinary()
    {
        int start = _position;
        byte code = PeekCode("binary");
        (int headerSize, long length) = code switch
        {
            MessagePackCode.Bin8 => (2, Take(2, "bin 8 header")[1]),
            MessagePackCode.Bin16 => (3, BinaryPrimitives.ReadUInt16BigEndian(Take(3, "bin 16 header")[1..])),
            MessagePackCode.Bin32 => (5, (long)BinaryPrimitives.ReadUInt32BigEndian(Take(5, "bin 32 header")[1..])),
            _ => throw Unexpected("binary (bin 8/16/32)"),
        };
        if (length > _limits.MaxBinaryLength)
        {
            throw new MessagePackFormatException($"Binary of {length} bytes is longer than the limit of {_limits.MaxBinaryLength}", start);
        }

        _position = start + headerSize;
        return Take((int)length, "binary bytes");
    }

    public int ReadArrayHeader()
    {
        int start = _position;
        byte code = PeekCode("an array");
        long count;
        if (code is >= MessagePackCode.MinFixArray and <= MessagePackCode.MaxFixArray)
        {
            _position++;
            count = code & 0x0f;
        }
        else
        {
            count = code switch
            {
                MessagePackCode.Array16 => BinaryPrimitives.ReadUInt16BigEndian(Take(3, "array 16 header")[1..]),
                MessagePackCode.Array32 => BinaryPrimitives.ReadUInt32BigEndian(Take(5, "array 32 header")[1..]),
                _ => throw Unexpected("an array"),
            };
        }

        return CheckCount(count, 1, "Array", start);
    }

    public int ReadMapHeader()
    {
        int start = _position;
        byte code = PeekCode("a map");
        long count;
        if (code is >= MessagePackCode.MinFixMap and <= MessagePackCode.MaxFixMap)
        {
            _position++;
            count = code & 0x0f;
        }
        else
        {
            count = code switch
            {
                MessagePackCode.Map16 => BinaryPrimitives.ReadUInt16BigEndian(Take(3, "map 16 header")[1..]),
                MessagePackCode.Map32 => BinaryPrimitives.ReadUInt32BigEndian(Take(5, "map 32 header")[1..]),
                _ => throw Unexpected("a map"),
            };
        }

        return CheckCount(count, 2, "Map", start);
    }

    /// <summary>An extension's type and data (pointing into the input).</summary>
    public ReadOnlySpan<byte> ReadExtension(out sbyte type)
    {
        int start = _position;
        byte code = PeekCode("an extension");
        int headerSize;
        long length;
        switch (code)
        {
            case MessagePackCode.FixExt1: headerSize = 1; length = 1; break;
            case MessagePackCode.FixExt2: headerSize = 1; length = 2; break;
            case MessagePackCode.FixExt4: headerSize = 1; length = 4; break;
            case MessagePackCode.FixExt8: headerSize = 1; length = 8; break;
            case MessagePackCode.FixExt16: headerSize = 1; length = 16; break;
            case MessagePackCode.Ext8: headerSize = 2; length = Take(2, "ext 8 header")[1]; break;
            case MessagePackCode.Ext16: headerSize = 3; length = BinaryPrimitives.ReadUInt16BigEndian(Take(3, "ext 16 header")[1..]); break;
            case MessagePackCode.Ext32: headerSize = 5; length = BinaryPrimitives.ReadUInt32BigEndian(Take(5, "ext 32 header")[1..]); break;
            default: throw Unexpected("an extension");
        }

        _position = start;
        Take(headerSize, "extension header");
        type = unchecked((sbyte)Take(1, "extension type")[0]);
        if (length > _limits.MaxBinaryLength)
        {
            throw new MessagePackFormatException($"Extension of {length} bytes is longer than the limit of {_limits.MaxBinaryLength}", start);
        }

        return Take((int)length, "extension data");
    }

    /// <summary>A timestamp extension (type −1) in its 32, 64 or 96-bit form.</summary>
    public (long Seconds, uint Nanoseconds) ReadTimestamp()
    {
        int start = _position;
        ReadOnlySpan<byte> data = ReadExtension(out sbyte type);
        if (type != MessagePackCode.TimestampExtension)
        {
            _position = start;
            throw new MessagePackFormatException($"Expected a timestamp (extension type -1), found extension type {type}", start);
        }

        return DecodeTimestamp(data, start);
    }

    /// <summary>A timestamp as a UTC <see cref="DateTime"/> (nanoseconds truncated to 100 ns ticks).</summary>
    public DateTime ReadDateTime()
    {
        int start = _position;
        (long seconds, uint nanos) = ReadTimestamp();
        try
        {
            return DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(nanos / 100);
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new MessagePackFormatException($"Timestamp {seconds} s is outside the range of DateTime", start);
        }
    }

    /// <summary>Skips one value of any type, nested values included, within the depth limit.</summary>
    public void Skip() => Skip(0);

    /// <summary>
    /// Reads one value of any type into plain objects (null, bool, long/ulong, float, double, string,
    /// byte[], object?[], a list of key/value pairs for maps, <see cref="MessagePackExtension"/>,
    /// <see cref="MessagePackTimestamp"/>). Allocates: for tests, tools and dumps, not hot paths.
    /// </summary>
    public object? ReadObject() => ReadObject(0);

    internal static (long Seconds, uint Nanoseconds) DecodeTimestamp(ReadOnlySpan<byte> data, long offset)
    {
        switch (data.Length)
        {
            case 4:
                return (BinaryPrimitives.ReadUInt32BigEndian(data), 0);
            case 8:
                ulong v = BinaryPrimitives.ReadUInt64BigEndian(data);
                uint n64 = (uint)(v >> 34);
                if (n64 >= 1_000_000_000)
                {
                    throw new MessagePackFormatException($"Timestamp 64 nanoseconds {n64} is not below 1e9", offset);
                }

                return ((long)(v & 0x3_ffff_ffffUL), n64);
            case 12:
                uint n96 = BinaryPrimitives.ReadUInt32BigEndian(data);
                if (n96 >= 1_000_000_000)
                {
                    throw new MessagePackFormatException($"Timestamp 96 nanoseconds {n96} is not below 1e9", offset);
                }

                return (BinaryPrimitives.ReadInt64BigEndian(data[4..]), n96);
            default:
                throw new MessagePackFormatException($"Timestamp extension has {data.Length} bytes; expected 4, 8 or 12", offset);
        }
    }

    private static readonly UTF8Encoding s_strictUtf8 = new(false, true);

    private object? ReadObject(int depth)
    {
        int start = _position;
        switch (PeekType())
        {
            case MessagePackType.Nil:
                _position++;
                return null;
            case MessagePackType.Boolean:
                return ReadBoolean();
            case MessagePackType.Integer:
                return _data[_position] == MessagePackCode.UInt64 ? ReadUInt64() : ReadInt64();
            case MessagePackType.Float:
                return _data[_position] == MessagePackCode.Float32 ? ReadSingle() : ReadDouble();
            case MessagePackType.String:
                return ReadString();
            case MessagePackType.Binary:
                return ReadBinary().ToArray();
            case MessagePackType.Array:
                {
                    EnterContainer(depth, start);
                    int n = ReadArrayHeader();
                    object?[] items = new object?[n];
                    for (int i = 0; i < n; i++)
                    {
                        items[i] = ReadObject(depth + 1);
                    }

                    return items;
                }

            case MessagePackType.Map:
                {
                    EnterContainer(depth, start);
                    int n = ReadMapHeader();
                    var entries = new List<KeyValuePair<object?, object?>>(n);
                    for (int i = 0; i < n; i++)
                    {
                        object? key = ReadObject(depth + 1);
                        object? value = ReadObject(depth + 1);
                        entries.Add(new(key, value));
                    }

                    return entries;
                }

            default:
                {
                    ReadOnlySpan<byte> data = ReadExtension(out sbyte type);
                    if (type == MessagePackCode.TimestampExtension)
                    {
                        (long s, uint ns) = DecodeTimestamp(data, start);
                        return new MessagePackTimestamp(s, ns);
                    }

                    return new MessagePackExtension(type, data.ToArray());
                }
        }
    }

    private void Skip(int depth)
    {
        int start = _position;
        byte code = PeekCode("a value");
        switch (MessagePackCode.TypeOf(code))
        {
            case MessagePackType.Nil:
            case MessagePackType.Boolean:
                _position++;
                return;
            case MessagePackType.Integer:
            case MessagePackType.Float:
                if (code is <= MessagePackCode.MaxPositiveFixInt or >= MessagePackCode.MinNegativeFixInt)
                {
                    _position++;
                    return;
                }

                int size = code switch
                {
                    MessagePackCode.UInt8 or MessagePackCode.Int8 => 2,
                    MessagePackCode.UInt16 or MessagePackCode.Int16 => 3,
                    MessagePackCode.UInt32 or MessagePackCode.Int32 or MessagePackCode.Float32 => 5,
                    _ => 9,
                };
                Take(size, "a number");
                return;
            case MessagePackType.String:
                ReadStringUtf8();
                return;
            case MessagePackType.Binary:
                ReadBinary();
                return;
            case MessagePackType.Extension:
                ReadExtension(out _);
                return;
            case MessagePackType.Array:
                {
                    EnterContainer(depth, start);
                    int n = ReadArrayHeader();
                    for (int i = 0; i < n; i++)
                    {
                        Skip(depth + 1);
                    }

                    return;
                }

            case MessagePackType.Map:
                {
                    EnterContainer(depth, start);
                    int n = ReadMapHeader();
                    for (int i = 0; i < n; i++)
                    {
                        Skip(depth + 1);
                        Skip(depth + 1);
                    }

                    return;
                }

            default:
                throw new MessagePackFormatException("Format byte 0xc1 is never used in MessagePack", start);
        }
    }

    private readonly void EnterContainer(int depth, int start)
    {
        if (depth >= _limits.MaxDepth)
        {
            throw new MessagePackFormatException($"Nesting deeper than the limit of {_limits.MaxDepth}", start);
        }
    }

    private int CheckCount(long count, int minBytesPerElement, string what, int start)
    {
        if (count > _limits.MaxElementCount)
        {
            throw new MessagePackFormatException($"{what} of {count} elements is larger than the limit of {_limits.MaxElementCount}", start);
        }

        // Each element takes at least one byte, so a count the remaining bytes cannot hold is a lie or a truncation.
        if (count * minBytesPerElement > Remaining)
        {
            throw new MessagePackFormatException(
                $"{what} header says {count} elements but only {Remaining} bytes are left", start, isTruncated: true);
        }

        return (int)count;
    }

    private readonly byte PeekCode(string expected)
    {
        if (End)
        {
            throw Truncated(expected);
        }

        return _data[_position];
    }

    private ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count > Remaining)
        {
            throw new MessagePackFormatException(
                $"Input ends inside {what}: needed {count} bytes, {Remaining} left", _position, isTruncated: true);
        }

        ReadOnlySpan<byte> s = _data.Slice(_position, count);
        _position += count;
        return s;
    }

    private readonly MessagePackFormatException Truncated(string expected) =>
        new($"Input ends where {expected} was expected", _position, isTruncated: true);

    private readonly MessagePackFormatException Unexpected(string expected)
    {
        byte code = _data[_position];
        return new MessagePackFormatException(
            $"Expected {expected}, found {MessagePackCode.TypeOf(code)} (format byte 0x{code:x2})", _position);
    }

    private static ReadOnlySpan<byte> Contiguous(in ReadOnlySequence<byte> data, MessagePackLimits limits)
    {
        if (data.IsSingleSegment)
        {
            return data.FirstSpan;
        }

        if (data.Length > limits.MaxMessageSize)
        {
            throw new MessagePackFormatException(
                $"Message of {data.Length} bytes is larger than the limit of {limits.MaxMessageSize} bytes", 0);
        }

        return data.ToArray();
    }
}

/// <summary>An extension value other than a timestamp, as <see cref="MessagePackReader.ReadObject"/> returns it.</summary>
public sealed record MessagePackExtension(sbyte Type, byte[] Data);

/// <summary>A timestamp extension value, seconds since the Unix epoch plus nanoseconds.</summary>
public readonly record struct MessagePackTimestamp(long Seconds, uint Nanoseconds);
