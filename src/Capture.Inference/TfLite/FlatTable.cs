using System.Buffers.Binary;
using System.Text;

namespace Capture.Inference.TfLite;

/// <summary>
/// A FlatBuffers table inside a byte buffer: reads fields by their index in the schema (slot 4 + 2 × index
/// in the vtable). Every offset is bounds-checked; a malformed buffer throws <see cref="InvalidDataException"/>.
/// </summary>
/// <remarks>Holds a reference to the whole file buffer; valid as long as that buffer is not changed.</remarks>
internal readonly struct FlatTable
{
    private readonly byte[] _data;
    private readonly int _position;
    private readonly int _vtable;
    private readonly int _vtableSize;

    public FlatTable(byte[] data, int position)
    {
        _data = data;
        _position = position;
        Check(data, position, 4);
        long vtable = position - (long)BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(position));
        if (vtable < 0 || vtable > data.Length - 4)
        {
            throw new InvalidDataException($"flatbuffer: vtable of table at {position} is outside the buffer");
        }

        _vtable = (int)vtable;
        _vtableSize = BinaryPrimitives.ReadUInt16LittleEndian(data.AsSpan(_vtable));
        Check(data, _vtable, _vtableSize);
    }

    /// <summary>The root table of a FlatBuffers file.</summary>
    public static FlatTable Root(byte[] data)
    {
        Check(data, 0, 8);
        return new FlatTable(data, (int)ReadUOffset(data, 0));
    }

    public byte[] Data => _data;

    public bool Has(int field) => FieldPosition(field) != 0;

    public int GetInt(int field, int defaultValue = 0) => FieldPosition(field) is var p and not 0 ? ReadAt<int>(p, 4) : defaultValue;

    public uint GetUInt(int field, uint defaultValue = 0) => FieldPosition(field) is var p and not 0 ? (uint)ReadAt<int>(p, 4) : defaultValue;

    public long GetLong(int field, long defaultValue = 0) => FieldPosition(field) is var p and not 0 ? ReadAt<long>(p, 8) : defaultValue;

    public byte GetByte(int field, byte defaultValue = 0) => FieldPosition(field) is var p and not 0 ? _data[Checked(p, 1)] : defaultValue;

    public bool GetBool(int field, bool defaultValue = false) => FieldPosition(field) is var p and not 0 ? _data[Checked(p, 1)] != 0 : defaultValue;

    public float GetFloat(int field, float defaultValue = 0) =>
        FieldPosition(field) is var p and not 0 ? BinaryPrimitives.ReadSingleLittleEndian(_data.AsSpan(Checked(p, 4))) : defaultValue;

    public string? GetString(int field)
    {
        if (!TryVector(field, 1, out int start, out int length))
        {
            return null;
        }

        return Encoding.UTF8.GetString(_data, start, length);
    }

    public FlatTable? GetTable(int field)
    {
        int p = FieldPosition(field);
        return p == 0 ? null : new FlatTable(_data, (int)ReadUOffset(_data, Checked(p, 4)));
    }

    /// <summary>A vector of scalars as a span of its bytes (element size <paramref name="elementSize"/>).</summary>
    public ReadOnlyMemory<byte> GetVectorBytes(int field, int elementSize) =>
        TryVector(field, elementSize, out int start, out int length) ? _data.AsMemory(start, length * elementSize) : ReadOnlyMemory<byte>.Empty;

    public int[]? GetIntVector(int field)
    {
        if (!TryVector(field, 4, out int start, out int length))
        {
            return null;
        }

        var result = new int[length];
        for (int i = 0; i < length; i++)
        {
            result[i] = BinaryPrimitives.ReadInt32LittleEndian(_data.AsSpan(start + (4 * i)));
        }

        return result;
    }

    public float[]? GetFloatVector(int field)
    {
        if (!TryVector(field, 4, out int start, out int length))
        {
            return null;
        }

        var result = new float[length];
        for (int i = 0; i < length; i++)
        {
            result[i] = BinaryPrimitives.ReadSingleLittleEndian(_data.AsSpan(start + (4 * i)));
        }

        return result;
    }

    public long[]? GetLongVector(int field)
    {
        if (!TryVector(field, 8, out int start, out int length))
        {
            return null;
        }

        var result = new long[length];
        for (int i = 0; i < length; i++)
        {
            result[i] = BinaryPrimitives.ReadInt64LittleEndian(_data.AsSpan(start + (8 * i)));
        }

        return result;
    }

    public FlatTable[] GetTableVector(int field)
    {
        if (!TryVector(field, 4, out int start, out int length))
        {
            return [];
        }

        var result = new FlatTable[length];
        for (int i = 0; i < length; i++)
        {
            int at = start + (4 * i);
            result[i] = new FlatTable(_data, (int)ReadUOffset(_data, at));
        }

        return result;
    }

    private bool TryVector(int field, int elementSize, out int start, out int length)
    {
        start = 0;
        length = 0;
        int p = FieldPosition(field);
        if (p == 0)
        {
            return false;
        }

        long vector = ReadUOffset(_data, Checked(p, 4));
        Check(_data, vector, 4);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(_data.AsSpan((int)vector));
        Check(_data, vector + 4, (long)count * elementSize);
        start = (int)vector + 4;
        length = (int)count;
        return true;
    }

    private int FieldPosition(int field)
    {
        int slot = 4 + (2 * field);
        if (slot + 2 > _vtableSize)
        {
            return 0;
        }

        ushort offset = BinaryPrimitives.ReadUInt16LittleEndian(_data.AsSpan(_vtable + slot));
        return offset == 0 ? 0 : _position + offset;
    }

    private T ReadAt<T>(int position, int size)
        where T : struct
    {
        Checked(position, size);
        return size == 8 ? (T)(object)BinaryPrimitives.ReadInt64LittleEndian(_data.AsSpan(position)) : (T)(object)BinaryPrimitives.ReadInt32LittleEndian(_data.AsSpan(position));
    }

    private int Checked(int position, int size)
    {
        Check(_data, position, size);
        return position;
    }

    private static long ReadUOffset(byte[] data, int at)
    {
        Check(data, at, 4);
        long target = at + (long)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(at));
        Check(data, target, 0);
        return target;
    }

    private static void Check(byte[] data, long position, long size)
    {
        if (position < 0 || size < 0 || position + size > data.Length)
        {
            throw new InvalidDataException($"flatbuffer: offset {position} (+{size}) is outside the {data.Length}-byte buffer");
        }
    }
}
