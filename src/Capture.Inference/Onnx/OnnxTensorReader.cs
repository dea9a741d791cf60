using System.Buffers.Binary;

namespace Capture.Inference.Onnx;

/// <summary>
/// A tensor read from a serialized ONNX <c>TensorProto</c>. <see cref="Data"/> is a new array the
/// caller owns: <c>float[]</c> (Float), <c>double[]</c>, <c>byte[]</c> (UInt8), <c>sbyte[]</c> (Int8),
/// <c>int[]</c> (Int32), <c>long[]</c> (Int64), <c>bool[]</c> (Bool) or <c>Half[]</c> (Float16).
/// </summary>
public sealed record OnnxTensor(string Name, OnnxDataType DataType, long[] Shape, Array Data)
{
    /// <summary>The data as float32, converting from any numeric element type.</summary>
    public float[] ToFloatArray() => Data switch
    {
        float[] f => f,
        double[] d => Array.ConvertAll(d, x => (float)x),
        byte[] b => Array.ConvertAll(b, x => (float)x),
        sbyte[] s => Array.ConvertAll(s, x => (float)x),
        int[] i => Array.ConvertAll(i, x => (float)x),
        long[] l => Array.ConvertAll(l, x => (float)x),
        bool[] b => Array.ConvertAll(b, x => x ? 1f : 0f),
        Half[] h => Array.ConvertAll(h, x => (float)x),
        _ => throw new InvalidOperationException($"tensor '{Name}': unsupported data {Data.GetType().Name}"),
    };

    /// <summary>Number of elements the shape holds.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>Reads serialized ONNX <c>TensorProto</c> messages (e.g. onnx test data <c>input_0.pb</c>).</summary>
public static class OnnxTensorReader
{
    /// <summary>Reads a TensorProto file; errors name the file.</summary>
    public static OnnxTensor ReadFile(string path)
    {
        try
        {
            return Read(File.ReadAllBytes(path));
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }

    /// <summary>Parses one TensorProto. Throws <see cref="InvalidDataException"/> on malformed or unsupported data.</summary>
    public static OnnxTensor Read(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        var dims = new List<long>();
        int dataType = 0;
        string name = "";
        ReadOnlySpan<byte> raw = default;
        bool hasRaw = false;
        var floats = new List<float>();
        var doubles = new List<double>();
        var int32s = new List<long>();
        var int64s = new List<long>();
        while (!reader.End)
        {
            (int field, int wire) = reader.ReadTag();
            switch (field)
            {
                case 1: ReadRepeatedVarint(ref reader, wire, dims); break;
                case 2: dataType = (int)reader.ReadInt64(); break;
                case 4: ReadRepeatedFixed32(ref reader, wire, floats); break;
                case 5: ReadRepeatedVarint(ref reader, wire, int32s); break;
                case 7: ReadRepeatedVarint(ref reader, wire, int64s); break;
                case 8 when wire == 2: name = reader.ReadString(); break;
                case 9 when wire == 2: raw = reader.ReadBytes(); hasRaw = true; break;
                case 10: ReadRepeatedFixed64(ref reader, wire, doubles); break;
                case 14 when wire == 0:
                    if (reader.ReadInt64() != 0)
                    {
                        throw new InvalidDataException($"tensor '{name}': external data is not supported");
                    }

                    break;
                default: reader.Skip(wire); break;
            }
        }

        if (!Enum.IsDefined((OnnxDataType)dataType))
        {
            throw new InvalidDataException($"tensor '{name}': unsupported data_type {dataType}");
        }

        var type = (OnnxDataType)dataType;
        long[] shape = [.. dims];
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0)
            {
                throw new InvalidDataException($"tensor '{name}': negative dimension {d}");
            }

            count = checked(count * d);
        }

        if (count > Array.MaxLength)
        {
            throw new InvalidDataException($"tensor '{name}': {count} elements is too many");
        }

        Array data = hasRaw ? FromRaw(type, raw, (int)count, name) : FromTyped(type, floats, doubles, int32s, int64s);
        if (data.Length != count)
        {
            throw new InvalidDataException($"tensor '{name}': shape [{string.Join(",", shape)}] holds {count} values, data has {data.Length}");
        }

        return new OnnxTensor(name, type, shape, data);
    }

    private static Array FromRaw(OnnxDataType type, ReadOnlySpan<byte> raw, int count, string name)
    {
        int size = type switch
        {
            OnnxDataType.Float or OnnxDataType.Int32 => 4,
            OnnxDataType.Double or OnnxDataType.Int64 => 8,
            OnnxDataType.Float16 => 2,
            _ => 1,
        };
        if ((long)count * size != raw.Length)
        {
            throw new InvalidDataException($"tensor '{name}': raw_data has {raw.Length} bytes, expected {(long)count * size}");
        }

        switch (type)
        {
            case OnnxDataType.Float:
                var f = new float[count];
                for (int i = 0; i < count; i++)
                {
                    f[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
                }

                return f;
            case OnnxDataType.Double:
                var d = new double[count];
                for (int i = 0; i < count; i++)
                {
                    d[i] = BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]);
                }

                return d;
            case OnnxDataType.Int32:
                var i32 = new int[count];
                for (int i = 0; i < count; i++)
                {
                    i32[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]);
                }

                return i32;
            case OnnxDataType.Int64:
                var i64 = new long[count];
                for (int i = 0; i < count; i++)
                {
                    i64[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]);
                }

                return i64;
            case OnnxDataType.Float16:
                var h = new Half[count];
                for (int i = 0; i < count; i++)
                {
                    h[i] = BinaryPrimitives.ReadHalfLittleEndian(raw[(i * 2)..]);
                }

                return h;
            case OnnxDataType.UInt8:
                return raw.ToArray();
            case OnnxDataType.Int8:
                var s = new sbyte[count];
                for (int i = 0; i < count; i++)
                {
                    s[i] = unchecked((sbyte)raw[i]);
                }

                return s;
            case OnnxDataType.Bool:
                var b = new bool[count];
                for (int i = 0; i < count; i++)
                {
                    b[i] = raw[i] != 0;
                }

                return b;
            default:
                throw new InvalidDataException($"tensor '{name}': unsupported data_type {type}");
        }
    }

    private static Array FromTyped(OnnxDataType type, List<float> floats, List<double> doubles, List<long> int32s, List<long> int64s) => type switch
    {
        OnnxDataType.Float => floats.ToArray(),
        OnnxDataType.Double => doubles.ToArray(),
        OnnxDataType.Int64 => int64s.ToArray(),
        OnnxDataType.Int32 => int32s.Select(x => (int)x).ToArray(),
        OnnxDataType.UInt8 => int32s.Select(x => (byte)x).ToArray(),
        OnnxDataType.Int8 => int32s.Select(x => (sbyte)x).ToArray(),
        OnnxDataType.Bool => int32s.Select(x => x != 0).ToArray(),
        // float16 values travel in int32_data as their 16 bits.
        OnnxDataType.Float16 => int32s.Select(x => BitConverter.UInt16BitsToHalf((ushort)x)).ToArray(),
        _ => throw new InvalidDataException($"unsupported data_type {type}"),
    };

    private static void ReadRepeatedVarint(ref ProtoReader reader, int wire, List<long> into)
    {
        if (wire == 2)
        {
            var packed = new ProtoReader(reader.ReadBytes());
            while (!packed.End)
            {
                into.Add(packed.ReadInt64());
            }
        }
        else if (wire == 0)
        {
            into.Add(reader.ReadInt64());
        }
        else
        {
            throw new InvalidDataException($"protobuf: wire type {wire} for a varint field");
        }
    }

    private static void ReadRepeatedFixed32(ref ProtoReader reader, int wire, List<float> into)
    {
        if (wire == 2)
        {
            var packed = new ProtoReader(reader.ReadBytes());
            while (!packed.End)
            {
                into.Add(packed.ReadFixed32Float());
            }
        }
        else if (wire == 5)
        {
            into.Add(reader.ReadFixed32Float());
        }
        else
        {
            throw new InvalidDataException($"protobuf: wire type {wire} for a float field");
        }
    }

    private static void ReadRepeatedFixed64(ref ProtoReader reader, int wire, List<double> into)
    {
        if (wire == 2)
        {
            var packed = new ProtoReader(reader.ReadBytes());
            while (!packed.End)
            {
                into.Add(packed.ReadFixed64Double());
            }
        }
        else if (wire == 1)
        {
            into.Add(reader.ReadFixed64Double());
        }
        else
        {
            throw new InvalidDataException($"protobuf: wire type {wire} for a double field");
        }
    }
}
