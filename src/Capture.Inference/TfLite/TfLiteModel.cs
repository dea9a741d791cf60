namespace Capture.Inference.TfLite;

/// <summary>TFLite <c>TensorType</c> (schema.fbs numbering).</summary>
public enum TfLiteTensorType : byte
{
    Float32 = 0,
    Float16 = 1,
    Int32 = 2,
    UInt8 = 3,
    Int64 = 4,
    String = 5,
    Bool = 6,
    Int16 = 7,
    Complex64 = 8,
    Int8 = 9,
    Float64 = 10,
}

/// <summary>One tensor of a subgraph.</summary>
/// <param name="Buffer">Index into the model's buffers (<see cref="TfLiteModel.BufferCount"/> of them); buffer 0 is the empty sentinel.</param>
/// <param name="Sparsity">Sparse encoding of a constant tensor (for DENSIFY), or null.</param>
public sealed record TfLiteTensor(
    int Index,
    string Name,
    TfLiteTensorType Type,
    int[] Shape,
    int Buffer,
    float[]? QuantScale,
    long[]? QuantZeroPoint,
    TfLiteSparsity? Sparsity);

/// <summary>One dimension of a sparse tensor's encoding.</summary>
/// <param name="IsSparse">False: dense dimension of <paramref name="DenseSize"/>; true: CSR segments + indices.</param>
public sealed record TfLiteDimensionMetadata(bool IsSparse, int DenseSize, int[] Segments, int[] Indices);

/// <summary>TFLite <c>SparsityParameters</c>.</summary>
public sealed record TfLiteSparsity(int[] TraversalOrder, int[] BlockMap, TfLiteDimensionMetadata[] DimMetadata);

/// <summary>One operator: its builtin code, tensor indices (-1 = omitted optional) and options table.</summary>
public sealed class TfLiteOperator
{
    internal TfLiteOperator(TfLiteBuiltinOperator op, string? customCode, int version, int[] inputs, int[] outputs, FlatTable? options,
        ReadOnlyMemory<byte> customOptions = default)
    {
        CustomOptions = customOptions;
        Op = op;
        CustomCode = customCode;
        Version = version;
        Inputs = inputs;
        Outputs = outputs;
        Options = options;
    }

    public TfLiteBuiltinOperator Op { get; }

    public string? CustomCode { get; }

    public int Version { get; }

    public int[] Inputs { get; }

    public int[] Outputs { get; }

    internal FlatTable? Options { get; }

    /// <summary>A custom operator's options (FlexBuffers for MediaPipe's ops; see <see cref="FlexValue"/>); empty if none.
    /// A slice of the model's file bytes, valid as long as the model is.</summary>
    public ReadOnlyMemory<byte> CustomOptions { get; }

    public override string ToString() => CustomCode is null ? Op.ToString() : $"CUSTOM:{CustomCode}";
}

/// <summary>A subgraph: tensors, operators in execution order, inputs and outputs.</summary>
public sealed record TfLiteSubgraph(string Name, IReadOnlyList<TfLiteTensor> Tensors, IReadOnlyList<TfLiteOperator> Operators, int[] Inputs, int[] Outputs);

/// <summary>
/// A TFLite model read from its FlatBuffers file (schema v3). Buffer contents are slices of the file
/// bytes the model was read from, valid as long as the model is.
/// </summary>
public sealed class TfLiteModel
{
    private readonly ReadOnlyMemory<byte>[] _buffers;

    private TfLiteModel(uint version, string? description, IReadOnlyList<TfLiteSubgraph> subgraphs, ReadOnlyMemory<byte>[] buffers)
    {
        Version = version;
        Description = description;
        Subgraphs = subgraphs;
        _buffers = buffers;
    }

    public uint Version { get; }

    public string? Description { get; }

    public IReadOnlyList<TfLiteSubgraph> Subgraphs { get; }

    public int BufferCount => _buffers.Length;

    /// <summary>The bytes of buffer <paramref name="index"/> (empty for activations).</summary>
    public ReadOnlyMemory<byte> Buffer(int index) =>
        (uint)index < (uint)_buffers.Length ? _buffers[index] : throw new InvalidDataException($"tflite: buffer index {index} out of range ({_buffers.Length} buffers)");

    /// <summary>Reads a .tflite file; errors name the file.</summary>
    public static TfLiteModel Load(string path)
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

    /// <summary>Parses a TFLite FlatBuffers model. The model keeps a reference to <paramref name="data"/>.</summary>
    public static TfLiteModel Read(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length < 8 || data[4] != (byte)'T' || data[5] != (byte)'F' || data[6] != (byte)'L' || data[7] != (byte)'3')
        {
            throw new InvalidDataException("not a TFLite model (file identifier 'TFL3' missing)");
        }

        // Model: version=0, operator_codes=1, subgraphs=2, description=3, buffers=4.
        FlatTable model = FlatTable.Root(data);
        uint version = model.GetUInt(0);
        if (version != 3)
        {
            throw new InvalidDataException($"tflite: schema version {version}, expected 3");
        }

        var codes = model.GetTableVector(1).Select(ReadOperatorCode).ToArray();
        ReadOnlyMemory<byte>[] buffers = [.. model.GetTableVector(4).Select(b => ReadBuffer(data, b))];
        var subgraphs = model.GetTableVector(2).Select(s => ReadSubgraph(s, codes, buffers.Length)).ToArray();
        if (subgraphs.Length == 0)
        {
            throw new InvalidDataException("tflite: model has no subgraph");
        }

        return new TfLiteModel(version, model.GetString(3), subgraphs, buffers);
    }

    /// <summary>Operator counts of the first subgraph, most frequent first (ties by name).</summary>
    public IReadOnlyList<(string Op, int Count)> OpHistogram() =>
        [.. Subgraphs[0].Operators.GroupBy(o => o.ToString()).Select(g => (g.Key, g.Count())).OrderByDescending(p => p.Item2).ThenBy(p => p.Key, StringComparer.Ordinal)];

    private static (TfLiteBuiltinOperator Op, string? Custom, int Version) ReadOperatorCode(FlatTable t)
    {
        // OperatorCode: deprecated_builtin_code=0 (int8), custom_code=1, version=2, builtin_code=3 (int32).
        // Writers since TF 2.4 fill both; codes above 127 only fit builtin_code, so the larger one is the truth.
        int deprecated = (sbyte)t.GetByte(0);
        int builtin = t.GetInt(3);
        return ((TfLiteBuiltinOperator)Math.Max(deprecated, builtin), t.GetString(1), t.GetInt(2, 1));
    }

    private static ReadOnlyMemory<byte> ReadBuffer(byte[] file, FlatTable b)
    {
        // Buffer: data=0 ([ubyte]), offset=1, size=2 (data stored after the flatbuffer for models over 2 GB).
        ReadOnlyMemory<byte> inline = b.GetVectorBytes(0, 1);
        if (!inline.IsEmpty)
        {
            return inline;
        }

        long offset = b.GetLong(1), size = b.GetLong(2);
        if (offset > 1 && size > 0)
        {
            if (offset + size > file.Length)
            {
                throw new InvalidDataException($"tflite: external buffer at {offset} (+{size}) is outside the file");
            }

            return file.AsMemory((int)offset, (int)size);
        }

        return ReadOnlyMemory<byte>.Empty;
    }

    private static TfLiteSubgraph ReadSubgraph(FlatTable s, (TfLiteBuiltinOperator Op, string? Custom, int Version)[] codes, int bufferCount)
    {
        // SubGraph: tensors=0, inputs=1, outputs=2, operators=3, name=4.
        FlatTable[] tensorTables = s.GetTableVector(0);
        var tensors = new TfLiteTensor[tensorTables.Length];
        for (int i = 0; i < tensors.Length; i++)
        {
            tensors[i] = ReadTensor(i, tensorTables[i], bufferCount);
        }

        int[] inputs = s.GetIntVector(1) ?? [];
        int[] outputs = s.GetIntVector(2) ?? [];
        var operators = new List<TfLiteOperator>();
        foreach (FlatTable o in s.GetTableVector(3))
        {
            // Operator: opcode_index=0, inputs=1, outputs=2, builtin_options_type=3, builtin_options=4, custom_options=5.
            uint code = o.GetUInt(0);
            if (code >= codes.Length)
            {
                throw new InvalidDataException($"tflite: opcode_index {code} out of range ({codes.Length} codes)");
            }

            int[] opInputs = o.GetIntVector(1) ?? [];
            int[] opOutputs = o.GetIntVector(2) ?? [];
            foreach (int t in opInputs.Concat(opOutputs))
            {
                if (t < -1 || t >= tensors.Length)
                {
                    throw new InvalidDataException($"tflite: {codes[code].Op} refers to tensor {t} of {tensors.Length}");
                }
            }

            operators.Add(new TfLiteOperator(codes[code].Op, codes[code].Custom, codes[code].Version, opInputs, opOutputs, o.GetTable(4),
                o.GetVectorBytes(5, 1)));
        }

        foreach (int t in inputs.Concat(outputs))
        {
            if (t < 0 || t >= tensors.Length)
            {
                throw new InvalidDataException($"tflite: subgraph input/output tensor {t} out of range");
            }
        }

        return new TfLiteSubgraph(s.GetString(4) ?? "", tensors, operators, inputs, outputs);
    }

    private static TfLiteTensor ReadTensor(int index, FlatTable t, int bufferCount)
    {
        // Tensor: shape=0, type=1, buffer=2, name=3, quantization=4, is_variable=5, sparsity=6.
        int buffer = (int)t.GetUInt(2);
        if (buffer >= bufferCount)
        {
            throw new InvalidDataException($"tflite: tensor {index} uses buffer {buffer} of {bufferCount}");
        }

        float[]? scale = null;
        long[]? zeroPoint = null;
        if (t.GetTable(4) is FlatTable q)
        {
            // QuantizationParameters: min=0, max=1, scale=2, zero_point=3.
            scale = q.GetFloatVector(2);
            zeroPoint = q.GetLongVector(3);
        }

        TfLiteSparsity? sparsity = t.GetTable(6) is FlatTable sp ? ReadSparsity(sp) : null;
        return new TfLiteTensor(index, t.GetString(3) ?? $"tensor_{index}", (TfLiteTensorType)t.GetByte(1), t.GetIntVector(0) ?? [], buffer, scale, zeroPoint, sparsity);
    }

    private static TfLiteSparsity ReadSparsity(FlatTable sp)
    {
        // SparsityParameters: traversal_order=0, block_map=1, dim_metadata=2.
        // DimensionMetadata: format=0 (DENSE=0, SPARSE_CSR=1), dense_size=1, array_segments_type=2,
        // array_segments=3, array_indices_type=4, array_indices=5; SparseIndexVector: Int32Vector=1,
        // Uint16Vector=2, Uint8Vector=3, each a table with values=0.
        TfLiteDimensionMetadata[] dims = [.. sp.GetTableVector(2).Select(d => new TfLiteDimensionMetadata(
            d.GetByte(0) == 1, d.GetInt(1), ReadIndexVector(d, 2, 3), ReadIndexVector(d, 4, 5)))];
        return new TfLiteSparsity(sp.GetIntVector(0) ?? [], sp.GetIntVector(1) ?? [], dims);
    }

    private static int[] ReadIndexVector(FlatTable d, int typeField, int valueField)
    {
        byte type = d.GetByte(typeField);
        if (type == 0 || d.GetTable(valueField) is not FlatTable v)
        {
            return [];
        }

        return type switch
        {
            1 => v.GetIntVector(0) ?? [],
            2 => [.. System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(v.GetVectorBytes(0, 2).Span).ToArray().Select(x => (int)x)],
            3 => [.. v.GetVectorBytes(0, 1).ToArray().Select(x => (int)x)],
            _ => throw new InvalidDataException($"tflite: unknown sparse index vector type {type}"),
        };
    }
}
