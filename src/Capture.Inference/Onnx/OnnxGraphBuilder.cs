using System.Runtime.InteropServices;

namespace Capture.Inference.Onnx;

/// <summary>
/// Builds one ONNX graph (default domain, one opset) and serializes it as a <c>ModelProto</c> with a
/// hand-written protobuf encoder. Names are checked for uniqueness as they are added; the bytes are a
/// deterministic function of the calls made, so converting the same input twice gives the same file.
/// </summary>
/// <remarks>Not thread-safe. Initializer data is copied when added.</remarks>
public sealed class OnnxGraphBuilder
{
    /// <summary>ONNX IR version written (IR 8 = ONNX 1.10+, accepted by every ORT Capture uses).</summary>
    public const long IrVersion = 8;

    /// <summary><c>producer_name</c> written into the model.</summary>
    public const string ProducerName = "capture";

    private readonly string _graphName;
    private readonly int _opsetVersion;
    private readonly List<ValueInfo> _inputs = [];
    private readonly List<ValueInfo> _outputs = [];
    private readonly List<TensorData> _initializers = [];
    private readonly List<NodeData> _nodes = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reserved = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);

    public OnnxGraphBuilder(string graphName, int opsetVersion = 17)
    {
        ArgumentException.ThrowIfNullOrEmpty(graphName);
        ArgumentOutOfRangeException.ThrowIfLessThan(opsetVersion, 7);
        _graphName = graphName;
        _opsetVersion = opsetVersion;
    }

    /// <summary>The opset this graph is written for.</summary>
    public int OpsetVersion => _opsetVersion;

    /// <summary>Number of nodes added so far.</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Declares a graph input. A shape entry of -1 is a dynamic dimension. Returns <paramref name="name"/>.</summary>
    public string Input(string name, OnnxDataType type, params long[] shape)
    {
        Claim(name);
        _inputs.Add(new ValueInfo(name, type, [.. shape]));
        return name;
    }

    /// <summary>Declares a graph output (a value some node produces, or an input). -1 = dynamic dimension.</summary>
    public void Output(string name, OnnxDataType type, params long[] shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!_names.Contains(name))
        {
            throw new InvalidOperationException($"output '{name}' is not produced by any node, input or initializer");
        }

        _outputs.Add(new ValueInfo(name, type, [.. shape]));
    }

    public string Initializer(string name, ReadOnlySpan<float> data, params long[] shape) =>
        AddInitializer(name, OnnxDataType.Float, MemoryMarshal.AsBytes(data), data.Length, shape);

    public string Initializer(string name, ReadOnlySpan<long> data, params long[] shape) =>
        AddInitializer(name, OnnxDataType.Int64, MemoryMarshal.AsBytes(data), data.Length, shape);

    public string Initializer(string name, ReadOnlySpan<int> data, params long[] shape) =>
        AddInitializer(name, OnnxDataType.Int32, MemoryMarshal.AsBytes(data), data.Length, shape);

    /// <summary>
    /// Adds a node with one output and returns that output's name. An empty string in
    /// <paramref name="inputs"/> marks an omitted optional input.
    /// </summary>
    public string Node(string opType, IReadOnlyList<string> inputs, string output, params OnnxAttribute[] attributes)
    {
        Node(opType, inputs, [output], attributes);
        return output;
    }

    /// <summary>Adds a node with several outputs and returns them.</summary>
    public IReadOnlyList<string> Node(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, params OnnxAttribute[] attributes)
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        foreach (string input in inputs)
        {
            if (input.Length != 0 && !_names.Contains(input))
            {
                throw new InvalidOperationException($"{opType} node: input '{input}' is not defined yet");
            }
        }

        foreach (string output in outputs)
        {
            if (output.Length != 0)
            {
                Claim(output);
            }
        }

        // Node names live apart from value names; the index keeps them unique and deterministic.
        string nodeName = $"{opType}_{_nodes.Count}";
        _nodes.Add(new NodeData(nodeName, opType, [.. inputs], [.. outputs], [.. attributes]));
        return [.. outputs];
    }

    /// <summary>
    /// A value name not used or handed out so far in this graph, of the form <c>prefix_N</c>, for the
    /// caller to use once as an input, initializer or node output name.
    /// </summary>
    public string UniqueName(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        _counters.TryGetValue(prefix, out int n);
        string name;
        do
        {
            name = $"{prefix}_{n++}";
        }
        while (_names.Contains(name) || _reserved.Contains(name));

        _counters[prefix] = n;
        _reserved.Add(name);
        return name;
    }

    /// <summary>Keeps <paramref name="name"/> out of <see cref="UniqueName"/>'s answers (for names the caller will define later).</summary>
    internal void Reserve(string name) => _reserved.Add(name);

    /// <summary>Serializes the graph as an ONNX <c>ModelProto</c> (ir_version 8, producer "capture").</summary>
    public byte[] ToModelBytes()
    {
        // GraphProto: node=1, name=2, initializer=5, input=11, output=12.
        var graph = new ProtoWriter(1024 + _initializers.Sum(t => t.Raw.Length + 64));
        foreach (NodeData node in _nodes)
        {
            graph.WriteMessageField(1, node.Serialize());
        }

        graph.WriteStringField(2, _graphName);
        foreach (TensorData tensor in _initializers)
        {
            graph.WriteMessageField(5, tensor.Serialize());
        }

        foreach (ValueInfo input in _inputs)
        {
            graph.WriteMessageField(11, input.Serialize());
        }

        foreach (ValueInfo output in _outputs)
        {
            graph.WriteMessageField(12, output.Serialize());
        }

        // ModelProto: ir_version=1, producer_name=2, producer_version=3, graph=7, opset_import=8.
        var model = new ProtoWriter(graph.Length + 128);
        model.WriteVarintField(1, IrVersion);
        model.WriteStringField(2, ProducerName);
        model.WriteStringField(3, "1");
        model.WriteMessageField(7, graph);
        var opset = new ProtoWriter(16);
        opset.WriteStringField(1, "");
        opset.WriteVarintField(2, _opsetVersion);
        model.WriteMessageField(8, opset);
        return model.ToArray();
    }

    private string AddInitializer(string name, OnnxDataType type, ReadOnlySpan<byte> raw, int count, long[] shape)
    {
        long expected = 1;
        foreach (long d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"initializer '{name}': dimension {d} is negative", nameof(shape));
            }

            expected *= d;
        }

        if (expected != count)
        {
            throw new ArgumentException($"initializer '{name}': shape [{string.Join(",", shape)}] holds {expected} values, data has {count}", nameof(shape));
        }

        Claim(name);
        _initializers.Add(new TensorData(name, type, [.. shape], raw.ToArray()));
        return name;
    }

    private void Claim(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!_names.Add(name))
        {
            throw new InvalidOperationException($"name '{name}' is already defined in graph '{_graphName}'");
        }
    }

    private sealed record ValueInfo(string Name, OnnxDataType Type, long[] Shape)
    {
        public ProtoWriter Serialize()
        {
            // TensorShapeProto.dim=1 { dim_value=1 }; TypeProto.Tensor { elem_type=1, shape=2 }; TypeProto.tensor_type=1;
            // ValueInfoProto { name=1, type=2 }.
            var shape = new ProtoWriter(16 + (Shape.Length * 12));
            foreach (long d in Shape)
            {
                var dim = new ProtoWriter(12);
                if (d >= 0)
                {
                    dim.WriteVarintField(1, d);
                }

                shape.WriteMessageField(1, dim);
            }

            var tensorType = new ProtoWriter(shape.Length + 8);
            tensorType.WriteVarintField(1, (long)Type);
            tensorType.WriteMessageField(2, shape);
            var type = new ProtoWriter(tensorType.Length + 8);
            type.WriteMessageField(1, tensorType);
            var info = new ProtoWriter(type.Length + Name.Length + 8);
            info.WriteStringField(1, Name);
            info.WriteMessageField(2, type);
            return info;
        }
    }

    private sealed record TensorData(string Name, OnnxDataType Type, long[] Shape, byte[] Raw)
    {
        public ProtoWriter Serialize()
        {
            // TensorProto: dims=1, data_type=2, name=8, raw_data=9 (little-endian, as this machine stores it).
            var t = new ProtoWriter(Raw.Length + Name.Length + 64);
            foreach (long d in Shape)
            {
                t.WriteVarintField(1, d);
            }

            t.WriteVarintField(2, (long)Type);
            t.WriteStringField(8, Name);
            t.WriteBytesField(9, Raw);
            return t;
        }
    }

    private sealed record NodeData(string Name, string OpType, string[] Inputs, string[] Outputs, OnnxAttribute[] Attributes)
    {
        public ProtoWriter Serialize()
        {
            // NodeProto: input=1, output=2, name=3, op_type=4, attribute=5.
            var n = new ProtoWriter(128);
            foreach (string input in Inputs)
            {
                n.WriteStringField(1, input);
            }

            foreach (string output in Outputs)
            {
                n.WriteStringField(2, output);
            }

            n.WriteStringField(3, Name);
            n.WriteStringField(4, OpType);
            foreach (OnnxAttribute attribute in Attributes)
            {
                var a = new ProtoWriter(64);
                attribute.WriteTo(a);
                n.WriteMessageField(5, a);
            }

            return n;
        }
    }
}
