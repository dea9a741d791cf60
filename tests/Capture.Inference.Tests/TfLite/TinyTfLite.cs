using Capture.Inference.TfLite;

namespace Capture.Inference.Tests.TfLite;

/// <summary>Builds small single-subgraph TFLite models (schema v3) for converter tests.</summary>
internal sealed class TinyTfLite
{
    private readonly List<FbTable> _tensors = [];
    private readonly List<FbTable> _buffers = [new FbTable()];
    private readonly List<FbTable> _operators = [];
    private readonly List<(TfLiteBuiltinOperator Op, string? Custom, int Version)> _codes = [];
    private readonly List<int> _inputs = [];
    private readonly List<int> _outputs = [];

    public int Input(string name, params int[] shape)
    {
        int t = Tensor(name, TfLiteTensorType.Float32, shape, null);
        _inputs.Add(t);
        return t;
    }

    public void Output(int tensor) => _outputs.Add(tensor);

    public int Activation(string name, params int[] shape) => Tensor(name, TfLiteTensorType.Float32, shape, null);

    public int Const(string name, float[] data, params int[] shape) =>
        Tensor(name, TfLiteTensorType.Float32, shape, [.. data.SelectMany(BitConverter.GetBytes)]);

    public int ConstHalf(string name, float[] data, params int[] shape) =>
        Tensor(name, TfLiteTensorType.Float16, shape, [.. data.SelectMany(f => BitConverter.GetBytes((Half)f))]);

    public int ConstInt(string name, int[] data, params int[] shape) =>
        Tensor(name, TfLiteTensorType.Int32, shape, [.. data.SelectMany(BitConverter.GetBytes)]);

    /// <summary>A float32 constant stored sparse: dims dense except the last, which is CSR.</summary>
    public int ConstSparseLastDim(string name, float[] dense, params int[] shape)
    {
        int rows = dense.Length / shape[^1], cols = shape[^1];
        var values = new List<float>();
        var segments = new List<int> { 0 };
        var indices = new List<int>();
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                if (dense[(r * cols) + c] != 0)
                {
                    values.Add(dense[(r * cols) + c]);
                    indices.Add(c);
                }
            }

            segments.Add(values.Count);
        }

        var dims = new List<FbTable>();
        for (int d = 0; d < shape.Length - 1; d++)
        {
            dims.Add(new FbTable((0, (byte)0), (1, shape[d])));
        }

        // DimensionMetadata: format=0 (1 = SPARSE_CSR), dense_size=1, array_segments_type=2, array_segments=3,
        // array_indices_type=4, array_indices=5; Int32Vector = 1 with values=0.
        dims.Add(new FbTable((0, (byte)1), (2, (byte)1), (3, new FbTable((0, FbBytes.Ints([.. segments])))),
            (4, (byte)1), (5, new FbTable((0, FbBytes.Ints([.. indices]))))));
        var sparsity = new FbTable((0, FbBytes.Ints([.. Enumerable.Range(0, shape.Length)])), (2, new FbTables([.. dims])));
        return Tensor(name, TfLiteTensorType.Float32, shape, [.. values.SelectMany(BitConverter.GetBytes)], sparsity);
    }

    public void Op(TfLiteBuiltinOperator op, int[] inputs, int[] outputs, FbTable? options = null) =>
        AddOperator((op, null, 1), inputs, outputs, options, null);

    /// <summary>A CUSTOM operator with its code, version and raw custom options (FlexBuffers for MediaPipe's ops).</summary>
    public void Custom(string code, int version, int[] inputs, int[] outputs, byte[]? customOptions) =>
        AddOperator((TfLiteBuiltinOperator.CUSTOM, code, version), inputs, outputs, null, customOptions);

    private void AddOperator((TfLiteBuiltinOperator, string?, int) key, int[] inputs, int[] outputs, FbTable? options, byte[]? customOptions)
    {
        int code = _codes.IndexOf(key);
        if (code < 0)
        {
            _codes.Add(key);
            code = _codes.Count - 1;
        }

        var fields = new List<(int, object)> { (0, (uint)code), (1, FbBytes.Ints(inputs)), (2, FbBytes.Ints(outputs)) };
        if (options is not null)
        {
            fields.Add((4, options));
        }

        if (customOptions is not null)
        {
            fields.Add((5, new FbBytes(customOptions, 1)));
        }

        _operators.Add(new FbTable([.. fields]));
    }

    public byte[] Build()
    {
        FbTable[] codes = [.. _codes.Select(c => c.Custom is null
            ? new FbTable((0, (byte)Math.Min((int)c.Op, 127)), (2, c.Version), (3, (int)c.Op))
            : new FbTable((0, (byte)c.Op), (1, new FbString(c.Custom)), (2, c.Version), (3, (int)c.Op)))];
        var subgraph = new FbTable(
            (0, new FbTables([.. _tensors])), (1, FbBytes.Ints([.. _inputs])), (2, FbBytes.Ints([.. _outputs])),
            (3, new FbTables([.. _operators])), (4, new FbString("main")));
        var model = new FbTable((0, 3u), (1, new FbTables(codes)), (2, new FbTables(subgraph)), (3, new FbString("test")), (4, new FbTables([.. _buffers])));
        return FlatBufferWriter.Write(model, "TFL3");
    }

    public TfLiteModel Model() => TfLiteModel.Read(Build());

    private int Tensor(string name, TfLiteTensorType type, int[] shape, byte[]? data, FbTable? sparsity = null)
    {
        int buffer = 0;
        if (data is not null)
        {
            _buffers.Add(new FbTable((0, new FbBytes(data, 1))));
            buffer = _buffers.Count - 1;
        }

        var fields = new List<(int, object)> { (0, FbBytes.Ints(shape)), (1, (byte)type), (2, (uint)buffer), (3, new FbString(name)) };
        if (sparsity is not null)
        {
            fields.Add((6, sparsity));
        }

        _tensors.Add(new FbTable([.. fields]));
        return _tensors.Count - 1;
    }
}
