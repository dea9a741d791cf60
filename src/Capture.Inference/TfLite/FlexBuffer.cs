using System.Buffers.Binary;
using System.Text;

namespace Capture.Inference.TfLite;

/// <summary>FlexBuffers value types (the numbering of flexbuffers.h <c>Type</c>).</summary>
public enum FlexType : byte
{
    Null = 0,
    Int = 1,
    UInt = 2,
    Float = 3,
    Key = 4,
    String = 5,
    IndirectInt = 6,
    IndirectUInt = 7,
    IndirectFloat = 8,
    Map = 9,
    Vector = 10,
    VectorInt = 11,
    VectorUInt = 12,
    VectorFloat = 13,
    VectorKey = 14,
    VectorStringDeprecated = 15,
    VectorInt2 = 16,
    VectorUInt2 = 17,
    VectorFloat2 = 18,
    VectorInt3 = 19,
    VectorUInt3 = 20,
    VectorFloat3 = 21,
    VectorInt4 = 22,
    VectorUInt4 = 23,
    VectorFloat4 = 24,
    Blob = 25,
    Bool = 26,
    VectorBool = 36,
}

/// <summary>
/// One value inside a FlexBuffers buffer (the schemaless encoding TFLite custom operators keep their
/// options in). Reads scalars, strings, vectors (typed, fixed-length and untyped) and maps; every offset
/// and length is checked against the buffer, so a malformed buffer throws <see cref="InvalidDataException"/>
/// rather than reading outside it.
/// </summary>
/// <remarks>Holds a reference to the buffer; valid as long as that buffer is not changed.</remarks>
public readonly struct FlexValue
{
    // Offsets always point backwards; a chain of nested values can only walk towards the start,
    // so malformed input terminates. Lengths are capped by the buffer size before any allocation.
    private readonly byte[] _data;
    private readonly int _position;
    private readonly int _parentWidth;
    private readonly int _byteWidth;

    private FlexValue(byte[] data, int position, int parentWidth, int byteWidth, FlexType type)
    {
        _data = data;
        _position = position;
        _parentWidth = parentWidth;
        _byteWidth = byteWidth;
        Type = type;
    }

    public FlexType Type { get; }

    /// <summary>The root value of a FlexBuffers buffer (stored at its end: value, packed type, root byte width).</summary>
    public static FlexValue Root(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length < 3)
        {
            throw new InvalidDataException($"flexbuffer: {data.Length} bytes is too short for a root");
        }

        int rootWidth = data[^1];
        if (rootWidth is not (1 or 2 or 4 or 8) || data.Length < rootWidth + 2)
        {
            throw new InvalidDataException($"flexbuffer: root byte width {rootWidth} is invalid for {data.Length} bytes");
        }

        byte packed = data[^2];
        return new FlexValue(data, data.Length - 2 - rootWidth, rootWidth, 1 << (packed & 3), (FlexType)(packed >> 2));
    }

    public bool IsMap => Type == FlexType.Map;

    public bool IsVector => Type is FlexType.Vector or (>= FlexType.VectorInt and <= FlexType.VectorFloat4) or FlexType.VectorBool or FlexType.Map;

    /// <summary>The value as a 64-bit integer (ints, uints, bools and floats convert).</summary>
    public long AsLong() => Type switch
    {
        FlexType.Int => ReadInt(_position, _parentWidth),
        FlexType.UInt or FlexType.Bool => (long)ReadUInt(_position, _parentWidth),
        FlexType.Float => (long)ReadFloat(_position, _parentWidth),
        FlexType.IndirectInt => ReadInt(Indirect(), _byteWidth),
        FlexType.IndirectUInt => (long)ReadUInt(Indirect(), _byteWidth),
        FlexType.IndirectFloat => (long)ReadFloat(Indirect(), _byteWidth),
        _ => throw new InvalidDataException($"flexbuffer: {Type} is not a number"),
    };

    /// <summary>The value as a double (ints, uints, bools and floats convert).</summary>
    public double AsDouble() => Type switch
    {
        FlexType.Float => ReadFloat(_position, _parentWidth),
        FlexType.IndirectFloat => ReadFloat(Indirect(), _byteWidth),
        _ => AsLong(),
    };

    public int AsInt()
    {
        long v = AsLong();
        return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw new InvalidDataException($"flexbuffer: {v} does not fit an int");
    }

    public bool AsBool() => AsLong() != 0;

    /// <summary>A string or key as UTF-8 text.</summary>
    public string AsString()
    {
        if (Type == FlexType.Key)
        {
            int start = Indirect();
            int end = Array.IndexOf(_data, (byte)0, start);
            if (end < 0)
            {
                throw new InvalidDataException($"flexbuffer: key at {start} has no terminator");
            }

            return Encoding.UTF8.GetString(_data, start, end - start);
        }

        if (Type != FlexType.String)
        {
            throw new InvalidDataException($"flexbuffer: {Type} is not a string");
        }

        int s = Indirect();
        int length = Length(s, _byteWidth);
        Check(s, length);
        return Encoding.UTF8.GetString(_data, s, length);
    }

    /// <summary>Number of elements of a vector or map.</summary>
    public int Count
    {
        get
        {
            int fixedLength = FixedLength(Type);
            return fixedLength > 0 ? fixedLength : IsVector ? Length(Indirect(), _byteWidth) : throw new InvalidDataException($"flexbuffer: {Type} is not a vector");
        }
    }

    /// <summary>Element <paramref name="index"/> of a vector (or the value at that position of a map).</summary>
    public FlexValue this[int index]
    {
        get
        {
            int count = Count;
            if ((uint)index >= (uint)count)
            {
                throw new InvalidDataException($"flexbuffer: index {index} outside a {Type} of {count}");
            }

            int start = Indirect();
            int element = start + (index * _byteWidth);
            Check(element, _byteWidth);
            if (Type is FlexType.Vector or FlexType.Map)
            {
                // Untyped: one packed type byte per element after the elements.
                int typeAt = start + (count * _byteWidth) + index;
                Check(typeAt, 1);
                byte packed = _data[typeAt];
                return new FlexValue(_data, element, _byteWidth, 1 << (packed & 3), (FlexType)(packed >> 2));
            }

            FlexType elementType = Type switch
            {
                FlexType.VectorBool => FlexType.Bool,
                FlexType.VectorKey => FlexType.Key,
                >= FlexType.VectorInt and <= FlexType.VectorFloat => (FlexType)((int)Type - (int)FlexType.VectorInt + (int)FlexType.Int),
                _ => (FlexType)((((int)Type - (int)FlexType.VectorInt2) % 3) + (int)FlexType.Int),
            };
            return new FlexValue(_data, element, _byteWidth, 1, elementType);
        }
    }

    /// <summary>The value stored under <paramref name="key"/> in a map, or null when absent.</summary>
    public FlexValue? Get(string key)
    {
        if (Type != FlexType.Map)
        {
            throw new InvalidDataException($"flexbuffer: {Type} is not a map");
        }

        FlexValue keys = Keys();
        int count = Count;
        if (keys.Count != count)
        {
            throw new InvalidDataException($"flexbuffer: map has {count} values but {keys.Count} keys");
        }

        for (int i = 0; i < count; i++)
        {
            if (keys[i].AsString() == key)
            {
                return this[i];
            }
        }

        return null;
    }

    /// <summary>The keys of a map, in stored (sorted) order.</summary>
    public IReadOnlyList<string> KeyNames()
    {
        FlexValue keys = Keys();
        var names = new string[keys.Count];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = keys[i].AsString();
        }

        return names;
    }

    /// <summary>A numeric vector's elements as ints.</summary>
    public int[] AsIntArray()
    {
        var values = new int[Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = this[i].AsInt();
        }

        return values;
    }

    public override string ToString()
    {
        FlexValue self = this;
        return Type switch
        {
            FlexType.Int or FlexType.UInt or FlexType.Bool or FlexType.IndirectInt or FlexType.IndirectUInt => AsLong().ToString(System.Globalization.CultureInfo.InvariantCulture),
            FlexType.Float or FlexType.IndirectFloat => AsDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
            FlexType.String or FlexType.Key => AsString(),
            FlexType.Map => "{" + string.Join(", ", KeyNames().Select((k, i) => k + ": " + self[i])) + "}",
            _ when IsVector => "[" + string.Join(", ", Enumerable.Range(0, Count).Select(i => self[i].ToString())) + "]",
            _ => Type.ToString(),
        };
    }

    private FlexValue Keys()
    {
        // A map is an untyped vector preceded by (keys offset, keys byte width, length), each of the map's width.
        int start = Indirect();
        int keysOffsetAt = start - (3 * _byteWidth);
        Check(keysOffsetAt, 3 * _byteWidth);
        ulong offset = ReadUInt(keysOffsetAt, _byteWidth);
        ulong keyWidth = ReadUInt(start - (2 * _byteWidth), _byteWidth);
        if (keyWidth is not (1 or 2 or 4 or 8) || offset == 0 || offset > (ulong)keysOffsetAt)
        {
            throw new InvalidDataException($"flexbuffer: map at {start} has keys at offset {offset} width {keyWidth}");
        }

        // Present the keys vector as a typed VectorKey value whose "indirect" is already resolved.
        return new FlexValue(_data, keysOffsetAt, _byteWidth, (int)keyWidth, FlexType.VectorKey);
    }

    private static int FixedLength(FlexType t) => t switch
    {
        >= FlexType.VectorInt2 and <= FlexType.VectorFloat2 => 2,
        >= FlexType.VectorInt3 and <= FlexType.VectorFloat3 => 3,
        >= FlexType.VectorInt4 and <= FlexType.VectorFloat4 => 4,
        _ => 0,
    };

    /// <summary>The position an offset-typed value points to (offsets are unsigned, backwards from where they are stored).</summary>
    private int Indirect()
    {
        Check(_position, _parentWidth);
        ulong offset = ReadUInt(_position, _parentWidth);
        if (offset > (ulong)_position || (offset == 0 && Type != FlexType.Null))
        {
            throw new InvalidDataException($"flexbuffer: offset {offset} at {_position} points outside the buffer");
        }

        return _position - (int)offset;
    }

    /// <summary>The element count stored just before a vector, string or blob that starts at <paramref name="start"/>.</summary>
    private int Length(int start, int width)
    {
        Check(start - width, width);
        ulong length = ReadUInt(start - width, width);
        if (length > (ulong)_data.Length)
        {
            throw new InvalidDataException($"flexbuffer: length {length} at {start - width} exceeds the buffer");
        }

        return (int)length;
    }

    private long ReadInt(int at, int width)
    {
        Check(at, width);
        ReadOnlySpan<byte> s = _data.AsSpan(at);
        return width switch
        {
            1 => (sbyte)s[0],
            2 => BinaryPrimitives.ReadInt16LittleEndian(s),
            4 => BinaryPrimitives.ReadInt32LittleEndian(s),
            8 => BinaryPrimitives.ReadInt64LittleEndian(s),
            _ => throw new InvalidDataException($"flexbuffer: byte width {width}"),
        };
    }

    private ulong ReadUInt(int at, int width)
    {
        Check(at, width);
        ReadOnlySpan<byte> s = _data.AsSpan(at);
        return width switch
        {
            1 => s[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(s),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(s),
            8 => BinaryPrimitives.ReadUInt64LittleEndian(s),
            _ => throw new InvalidDataException($"flexbuffer: byte width {width}"),
        };
    }

    private double ReadFloat(int at, int width)
    {
        Check(at, width);
        ReadOnlySpan<byte> s = _data.AsSpan(at);
        return width switch
        {
            4 => BinaryPrimitives.ReadSingleLittleEndian(s),
            8 => BinaryPrimitives.ReadDoubleLittleEndian(s),
            _ => throw new InvalidDataException($"flexbuffer: float of byte width {width}"),
        };
    }

    private void Check(int at, int length)
    {
        if (at < 0 || length < 0 || at > _data.Length - length)
        {
            throw new InvalidDataException($"flexbuffer: {length} bytes at {at} are outside the {_data.Length}-byte buffer");
        }
    }
}
