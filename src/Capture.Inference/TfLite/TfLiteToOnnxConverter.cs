using Capture.Inference.Onnx;

namespace Capture.Inference.TfLite;

/// <summary>
/// Converts a float TFLite model (fp16 or sparse weights allowed) into an ONNX graph with the same input
/// and output names, shapes and order. TFLite is NHWC; the ONNX body runs NCHW (weights transposed at
/// conversion) with one transpose at each 4-D input and one where an output or reshape needs NHWC order.
/// Constant-only subgraphs (DEQUANTIZE and DENSIFY of weights) are folded into float32 initializers.
/// MediaPipe's custom operators (Landmarks2TransformMatrix, TransformTensorBilinear, TransformLandmarks)
/// are lowered to standard ONNX operators (see the MediaPipe part of this class).
/// The output bytes are a deterministic function of the input model.
/// </summary>
public sealed partial class TfLiteToOnnxConverter
{
    private static readonly long[] s_toNchw = [0, 3, 1, 2];
    private static readonly long[] s_toNhwc = [0, 2, 3, 1];

    private readonly TfLiteModel _model;
    private readonly TfLiteSubgraph _graph;
    private readonly OnnxGraphBuilder _b;
    private readonly Dictionary<int, ConstTensor> _consts = [];
    private readonly Dictionary<int, Activation> _acts = [];
    private readonly Dictionary<(float, float), (string Min, string Max)> _clipBounds = [];

    private TfLiteToOnnxConverter(TfLiteModel model, string graphName, int opset)
    {
        _model = model;
        _graph = model.Subgraphs[0];
        _b = new OnnxGraphBuilder(graphName, opset);
    }

    /// <summary>Converts the first subgraph of <paramref name="model"/> to a serialized ONNX model.</summary>
    /// <exception cref="NotSupportedException">An operator or tensor type the converter does not handle (named).</exception>
    public static byte[] Convert(TfLiteModel model, string graphName = "tflite", int opsetVersion = 17)
    {
        ArgumentNullException.ThrowIfNull(model);
        var converter = new TfLiteToOnnxConverter(model, graphName, opsetVersion);
        converter.Run();
        return converter._b.ToModelBytes();
    }

    private void Run()
    {
        foreach (int o in _graph.Outputs)
        {
            _b.Reserve(_graph.Tensors[o].Name);
        }

        for (int i = 0; i < _graph.Tensors.Count; i++)
        {
            if (!_graph.Inputs.Contains(i) && TfLiteConstants.Read(_model, _graph.Tensors[i]) is { } constant)
            {
                _consts[i] = constant;
            }
        }

        foreach (int i in _graph.Inputs)
        {
            TfLiteTensor t = _graph.Tensors[i];
            RequireFloat(t);
            string name = _b.Input(t.Name, OnnxDataType.Float, [.. t.Shape.Select(d => (long)d)]);
            _acts[i] = new Activation(name, Nchw: false, t.Shape);
        }

        for (int index = 0; index < _graph.Operators.Count; index++)
        {
            TfLiteOperator op = _graph.Operators[index];
            try
            {
                Convert(op);
            }
            catch (Exception ex) when (ex is NotSupportedException or InvalidDataException)
            {
                throw new NotSupportedException($"operator {index} ({op}, output '{_graph.Tensors[op.Outputs[0]].Name}'): {ex.Message}", ex);
            }
        }

        foreach (int o in _graph.Outputs)
        {
            TfLiteTensor t = _graph.Tensors[o];
            if (!_acts.TryGetValue(o, out Activation? act))
            {
                throw new NotSupportedException($"output '{t.Name}' is a constant or never computed");
            }

            if (act.Nchw)
            {
                _b.Node("Transpose", [act.Name], t.Name, OnnxAttribute.Ints("perm", s_toNhwc));
            }
            else
            {
                _b.Node("Identity", [act.Name], t.Name);
            }

            _b.Output(t.Name, OnnxDataType.Float, [.. t.Shape.Select(d => (long)d)]);
        }
    }

    private void Convert(TfLiteOperator op)
    {
        // Constant folding: weight decoding ops whose inputs are all constants run here, not in ORT.
        if (op.Op is TfLiteBuiltinOperator.DEQUANTIZE or TfLiteBuiltinOperator.DENSIFY && _consts.ContainsKey(op.Inputs[0]))
        {
            ConstTensor value = _consts[op.Inputs[0]];
            _consts[op.Outputs[0]] = value with { Shape = _graph.Tensors[op.Outputs[0]].Shape };
            return;
        }

        FlatTable? o = op.Options;
        switch (op.Op)
        {
            case TfLiteBuiltinOperator.CONV_2D:
                Conv(op, depthwise: false, padding: o?.GetByte(0) ?? 0, strideW: o?.GetInt(1, 1) ?? 1, strideH: o?.GetInt(2, 1) ?? 1,
                    activation: o?.GetByte(3) ?? 0, dilationW: o?.GetInt(4, 1) ?? 1, dilationH: o?.GetInt(5, 1) ?? 1);
                break;
            case TfLiteBuiltinOperator.DEPTHWISE_CONV_2D:
                Conv(op, depthwise: true, padding: o?.GetByte(0) ?? 0, strideW: o?.GetInt(1, 1) ?? 1, strideH: o?.GetInt(2, 1) ?? 1,
                    activation: o?.GetByte(4) ?? 0, dilationW: o?.GetInt(5, 1) ?? 1, dilationH: o?.GetInt(6, 1) ?? 1);
                break;
            case TfLiteBuiltinOperator.MAX_POOL_2D:
            case TfLiteBuiltinOperator.AVERAGE_POOL_2D:
                Pool(op, o ?? throw new InvalidDataException("pool without options"));
                break;
            case TfLiteBuiltinOperator.ADD:
                Binary(op, "Add", o?.GetByte(0) ?? 0);
                break;
            case TfLiteBuiltinOperator.SUB:
                Binary(op, "Sub", o?.GetByte(0) ?? 0);
                break;
            case TfLiteBuiltinOperator.MUL:
                Binary(op, "Mul", o?.GetByte(0) ?? 0);
                break;
            case TfLiteBuiltinOperator.DIV:
                Binary(op, "Div", o?.GetByte(0) ?? 0);
                break;
            case TfLiteBuiltinOperator.MAXIMUM:
                Binary(op, "Max", 0);
                break;
            case TfLiteBuiltinOperator.MINIMUM:
                Binary(op, "Min", 0);
                break;
            case TfLiteBuiltinOperator.PRELU:
                Binary(op, "PRelu", 0);
                break;
            case TfLiteBuiltinOperator.RELU:
                Unary(op, x => Activate(x, 1));
                break;
            case TfLiteBuiltinOperator.RELU_N1_TO_1:
                Unary(op, x => Activate(x, 2));
                break;
            case TfLiteBuiltinOperator.RELU6:
                Unary(op, x => Activate(x, 3));
                break;
            case TfLiteBuiltinOperator.TANH:
                Unary(op, x => Activate(x, 4));
                break;
            case TfLiteBuiltinOperator.LOGISTIC:
                Unary(op, x => _b.Node("Sigmoid", [x], _b.UniqueName("sigmoid")));
                break;
            case TfLiteBuiltinOperator.HARD_SWISH:
                Unary(op, x => _b.Node("HardSwish", [x], _b.UniqueName("hardswish")));
                break;
            case TfLiteBuiltinOperator.LEAKY_RELU:
                Unary(op, x => _b.Node("LeakyRelu", [x], _b.UniqueName("leakyrelu"), OnnxAttribute.Float("alpha", o?.GetFloat(0) ?? 0.2f)));
                break;
            case TfLiteBuiltinOperator.DEQUANTIZE:
                Unary(op, x => _b.Node("Cast", [x], _b.UniqueName("cast"), OnnxAttribute.Int("to", (long)OnnxDataType.Float)));
                break;
            case TfLiteBuiltinOperator.PAD:
            case TfLiteBuiltinOperator.PADV2:
                Pad(op);
                break;
            case TfLiteBuiltinOperator.RESHAPE:
            case TfLiteBuiltinOperator.SQUEEZE:
            case TfLiteBuiltinOperator.EXPAND_DIMS:
                Reshape(op);
                break;
            case TfLiteBuiltinOperator.CONCATENATION:
                Concat(op, o?.GetInt(0) ?? 0, o?.GetByte(1) ?? 0);
                break;
            case TfLiteBuiltinOperator.RESIZE_BILINEAR:
                Resize(op, "linear", alignCorners: o?.GetBool(2) ?? false, halfPixel: o?.GetBool(3) ?? false);
                break;
            case TfLiteBuiltinOperator.RESIZE_NEAREST_NEIGHBOR:
                Resize(op, "nearest", alignCorners: o?.GetBool(0) ?? false, halfPixel: o?.GetBool(1) ?? false);
                break;
            case TfLiteBuiltinOperator.DEPTH_TO_SPACE:
                Nchw4(op, x => _b.Node("DepthToSpace", [x], _b.UniqueName("d2s"),
                    OnnxAttribute.Int("blocksize", o?.GetInt(0) ?? throw new InvalidDataException("no block size")), OnnxAttribute.String("mode", "DCR")));
                break;
            case TfLiteBuiltinOperator.SPACE_TO_DEPTH:
                Nchw4(op, x => _b.Node("SpaceToDepth", [x], _b.UniqueName("s2d"),
                    OnnxAttribute.Int("blocksize", o?.GetInt(0) ?? throw new InvalidDataException("no block size"))));
                break;
            case TfLiteBuiltinOperator.FULLY_CONNECTED:
                FullyConnected(op, o?.GetByte(0) ?? 0);
                break;
            case TfLiteBuiltinOperator.MEAN:
                Mean(op, o?.GetBool(0) ?? false);
                break;
            case TfLiteBuiltinOperator.STRIDED_SLICE:
                StridedSlice(op, o);
                break;
            case TfLiteBuiltinOperator.SLICE:
                Slice(op);
                break;
            case TfLiteBuiltinOperator.SOFTMAX:
                Softmax(op, o?.GetFloat(0, 1f) ?? 1f);
                break;
            case TfLiteBuiltinOperator.CUSTOM:
                ConvertMediaPipeCustom(op);
                break;
            default:
                throw new NotSupportedException($"TFLite operator {op} is not supported by the converter");
        }
    }

    // ---- operators ------------------------------------------------------------------------------

    private void Conv(TfLiteOperator op, bool depthwise, byte padding, int strideW, int strideH, byte activation, int dilationW, int dilationH)
    {
        Activation x = Act(op.Inputs[0]);
        ConstTensor w = Const(op.Inputs[1], "weights");
        int[] inShape = x.Shape;
        int[] ws = w.Shape; // CONV_2D [O, KH, KW, I]; DEPTHWISE [1, KH, KW, C*M]
        if (ws.Length != 4 || inShape.Length != 4)
        {
            throw new InvalidDataException($"weights [{string.Join(",", ws)}] / input [{string.Join(",", inShape)}] are not 4-D");
        }

        int kh = ws[1], kw = ws[2];
        float[] src = w.AsFloats();
        float[] dst;
        long[] onnxShape;
        int group = 1;
        if (depthwise)
        {
            int outC = ws[3];
            dst = new float[src.Length];
            for (int o = 0; o < outC; o++)
            {
                for (int y = 0; y < kh; y++)
                {
                    for (int xx = 0; xx < kw; xx++)
                    {
                        dst[(((o * kh) + y) * kw) + xx] = src[(((y * kw) + xx) * outC) + o];
                    }
                }
            }

            onnxShape = [outC, 1, kh, kw];
            group = inShape[3];
        }
        else
        {
            int outC = ws[0], inC = ws[3];
            dst = new float[src.Length];
            for (int o = 0; o < outC; o++)
            {
                for (int y = 0; y < kh; y++)
                {
                    for (int xx = 0; xx < kw; xx++)
                    {
                        for (int i = 0; i < inC; i++)
                        {
                            dst[(((((o * inC) + i) * kh) + y) * kw) + xx] = src[(((((o * kh) + y) * kw) + xx) * inC) + i];
                        }
                    }
                }
            }

            onnxShape = [outC, inC, kh, kw];
            group = inShape[3] / inC;
        }

        string weights = _b.Initializer(_b.UniqueName($"w{op.Inputs[1]}"), dst, onnxShape);
        string bias = op.Inputs.Length > 2 && op.Inputs[2] >= 0
            ? _b.Initializer(_b.UniqueName($"b{op.Inputs[2]}"), Const(op.Inputs[2], "bias").AsFloats(), onnxShape[0])
            : "";
        (long top, long bottom) = SamePads(padding, inShape[1], kh, strideH, dilationH);
        (long left, long right) = SamePads(padding, inShape[2], kw, strideW, dilationW);
        var attributes = new List<OnnxAttribute>
        {
            OnnxAttribute.Ints("kernel_shape", kh, kw),
            OnnxAttribute.Ints("strides", strideH, strideW),
            OnnxAttribute.Ints("dilations", dilationH, dilationW),
            OnnxAttribute.Ints("pads", top, left, bottom, right),
        };
        if (group != 1)
        {
            attributes.Add(OnnxAttribute.Int("group", group));
        }

        string y1 = _b.Node("Conv", bias.Length == 0 ? [ToNchw(op.Inputs[0]), weights] : [ToNchw(op.Inputs[0]), weights, bias],
            _b.UniqueName(depthwise ? "dwconv" : "conv"), [.. attributes]);
        SetNchw(op.Outputs[0], Activate(y1, activation));
    }

    private void Pool(TfLiteOperator op, FlatTable o)
    {
        byte padding = o.GetByte(0);
        int strideW = o.GetInt(1, 1), strideH = o.GetInt(2, 1), fw = o.GetInt(3), fh = o.GetInt(4);
        Activation x = Act(op.Inputs[0]);
        (long top, long bottom) = SamePads(padding, x.Shape[1], fh, strideH, 1);
        (long left, long right) = SamePads(padding, x.Shape[2], fw, strideW, 1);
        bool max = op.Op == TfLiteBuiltinOperator.MAX_POOL_2D;

        // TF average pooling over SAME padding divides by the count of real pixels: count_include_pad = 0.
        string y = _b.Node(max ? "MaxPool" : "AveragePool", [ToNchw(op.Inputs[0])], _b.UniqueName(max ? "maxpool" : "avgpool"),
            OnnxAttribute.Ints("kernel_shape", fh, fw), OnnxAttribute.Ints("strides", strideH, strideW), OnnxAttribute.Ints("pads", top, left, bottom, right));
        SetNchw(op.Outputs[0], Activate(y, o.GetByte(5)));
    }

    private void Binary(TfLiteOperator op, string onnxOp, byte activation)
    {
        int a = op.Inputs[0], c = op.Inputs[1];
        bool aConst = _consts.ContainsKey(a), cConst = _consts.ContainsKey(c);
        if (aConst && cConst)
        {
            throw new NotSupportedException($"{onnxOp} of two constants");
        }

        int[] outShape = _graph.Tensors[op.Outputs[0]].Shape;

        // Rank-4 results run NCHW unless a non-constant operand of another rank forces NHWC broadcasting.
        bool nchw = outShape.Length == 4 &&
            (aConst || _acts[a].Shape.Length == 4) && (cConst || _acts[c].Shape.Length == 4);
        string left = Operand(a, nchw), right = Operand(c, nchw);
        string y = _b.Node(onnxOp, [left, right], _b.UniqueName(onnxOp.ToLowerInvariant()));
        Set(op.Outputs[0], Activate(y, activation), nchw);
    }

    private void Unary(TfLiteOperator op, Func<string, string> emit)
    {
        Activation x = Act(op.Inputs[0]);
        Set(op.Outputs[0], emit(x.Name), x.Nchw);
    }

    private void Nchw4(TfLiteOperator op, Func<string, string> emit) => SetNchw(op.Outputs[0], emit(ToNchw(op.Inputs[0])));

    private void Pad(TfLiteOperator op)
    {
        Activation x = Act(op.Inputs[0]);
        int[] p = Const(op.Inputs[1], "paddings").AsInts();
        int rank = x.Shape.Length;
        if (p.Length != rank * 2)
        {
            throw new InvalidDataException($"paddings has {p.Length} values for a rank-{rank} input");
        }

        bool nchw = rank == 4;
        long[] pads = new long[rank * 2];
        for (int d = 0; d < rank; d++)
        {
            int src = nchw ? (int)s_toNchw[d] : d;
            pads[d] = p[src * 2];
            pads[rank + d] = p[(src * 2) + 1];
        }

        string input = nchw ? ToNchw(op.Inputs[0]) : x.Name;
        var inputs = new List<string> { input, _b.Initializer(_b.UniqueName("pads"), pads, rank * 2) };
        if (op.Inputs.Length > 2 && op.Inputs[2] >= 0)
        {
            inputs.Add(_b.Initializer(_b.UniqueName("padvalue"), [Const(op.Inputs[2], "pad value").AsFloats()[0]]));
        }

        Set(op.Outputs[0], _b.Node("Pad", inputs, _b.UniqueName("pad")), nchw);
    }

    private void Reshape(TfLiteOperator op)
    {
        int[] target = _graph.Tensors[op.Outputs[0]].Shape;
        if (target.Any(d => d < 0) && op.Inputs.Length > 1 && _consts.TryGetValue(op.Inputs[1], out ConstTensor? shape))
        {
            target = shape.AsInts();
        }

        string input = ToNhwc(op.Inputs[0]);
        string shapeName = _b.Initializer(_b.UniqueName("shape"), [.. target.Select(d => (long)d)], target.Length);
        _acts[op.Outputs[0]] = new Activation(_b.Node("Reshape", [input, shapeName], _b.UniqueName("reshape")), Nchw: false, _graph.Tensors[op.Outputs[0]].Shape);
    }

    private void Concat(TfLiteOperator op, int axis, byte activation)
    {
        int[] outShape = _graph.Tensors[op.Outputs[0]].Shape;
        int rank = outShape.Length;
        if (axis < 0)
        {
            axis += rank;
        }

        bool nchw = rank == 4;
        string[] inputs = [.. op.Inputs.Select(i => Operand(i, nchw))];
        int onnxAxis = nchw ? Array.IndexOf(s_toNchw, (long)axis) : axis;
        string y = _b.Node("Concat", inputs, _b.UniqueName("concat"), OnnxAttribute.Int("axis", onnxAxis));
        Set(op.Outputs[0], Activate(y, activation), nchw);
    }

    private void Resize(TfLiteOperator op, string mode, bool alignCorners, bool halfPixel)
    {
        int[] outShape = _graph.Tensors[op.Outputs[0]].Shape;
        string sizes = _b.Initializer(_b.UniqueName("sizes"), [(long)outShape[0], outShape[3], outShape[1], outShape[2]], 4);
        var attributes = new List<OnnxAttribute> { OnnxAttribute.String("mode", mode) };
        if (alignCorners)
        {
            attributes.Add(OnnxAttribute.String("coordinate_transformation_mode", "align_corners"));
        }
        else if (halfPixel)
        {
            // TF's half-pixel nearest rounds differently from ONNX half_pixel; ONNX names TF's variant.
            attributes.Add(OnnxAttribute.String("coordinate_transformation_mode", mode == "nearest" ? "tf_half_pixel_for_nn" : "half_pixel"));
        }
        else
        {
            attributes.Add(OnnxAttribute.String("coordinate_transformation_mode", "asymmetric"));
        }

        if (mode == "nearest")
        {
            attributes.Add(OnnxAttribute.String("nearest_mode", alignCorners ? "round_prefer_ceil" : "floor"));
        }

        SetNchw(op.Outputs[0], _b.Node("Resize", [ToNchw(op.Inputs[0]), "", "", sizes], _b.UniqueName("resize"), [.. attributes]));
    }

    private void FullyConnected(TfLiteOperator op, byte activation)
    {
        ConstTensor w = Const(op.Inputs[1], "weights"); // [O, I]
        if (w.Shape.Length != 2)
        {
            throw new InvalidDataException($"weights [{string.Join(",", w.Shape)}] are not 2-D");
        }

        string x = ToNhwc(op.Inputs[0]);
        string flat = _b.Node("Reshape", [x, _b.Initializer(_b.UniqueName("shape"), [-1L, w.Shape[1]], 2)], _b.UniqueName("flatten"));
        var inputs = new List<string> { flat, _b.Initializer(_b.UniqueName($"w{op.Inputs[1]}"), w.AsFloats(), w.Shape[0], w.Shape[1]) };
        if (op.Inputs.Length > 2 && op.Inputs[2] >= 0)
        {
            inputs.Add(_b.Initializer(_b.UniqueName($"b{op.Inputs[2]}"), Const(op.Inputs[2], "bias").AsFloats(), w.Shape[0]));
        }

        string y = Activate(_b.Node("Gemm", inputs, _b.UniqueName("gemm"), OnnxAttribute.Int("transB", 1)), activation);
        int[] outShape = _graph.Tensors[op.Outputs[0]].Shape;
        if (outShape.Length != 2)
        {
            y = _b.Node("Reshape", [y, _b.Initializer(_b.UniqueName("shape"), [.. outShape.Select(d => (long)d)], outShape.Length)], _b.UniqueName("reshape"));
        }

        _acts[op.Outputs[0]] = new Activation(y, Nchw: false, outShape);
    }

    private void Mean(TfLiteOperator op, bool keepDims)
    {
        Activation x = Act(op.Inputs[0]);
        int rank = x.Shape.Length;
        long[] axes = [.. Const(op.Inputs[1], "axes").AsInts().Select(a => (long)(a < 0 ? a + rank : a))];
        bool nchw = rank == 4 && keepDims;
        if (nchw)
        {
            axes = [.. axes.Select(a => (long)Array.IndexOf(s_toNchw, a))];
        }

        Array.Sort(axes);
        string input = nchw ? ToNchw(op.Inputs[0]) : ToNhwc(op.Inputs[0]);
        string y = _b.Node("ReduceMean", [input], _b.UniqueName("mean"), OnnxAttribute.Ints("axes", axes), OnnxAttribute.Int("keepdims", keepDims ? 1 : 0));
        Set(op.Outputs[0], y, nchw);
    }

    private void StridedSlice(TfLiteOperator op, FlatTable? o)
    {
        // StridedSliceOptions: begin_mask=0, end_mask=1, ellipsis_mask=2, new_axis_mask=3, shrink_axis_mask=4, offset=5.
        int beginMask = o?.GetInt(0) ?? 0, endMask = o?.GetInt(1) ?? 0, shrinkMask = o?.GetInt(4) ?? 0;
        if ((o?.GetInt(2) ?? 0) != 0 || (o?.GetInt(3) ?? 0) != 0 || (o?.GetBool(5) ?? false))
        {
            throw new NotSupportedException("ellipsis_mask, new_axis_mask and offset are not supported");
        }

        int[] begin = Const(op.Inputs[1], "begin").AsInts(), end = Const(op.Inputs[2], "end").AsInts();
        int[] strides = op.Inputs.Length > 3 ? Const(op.Inputs[3], "strides").AsInts() : [.. Enumerable.Repeat(1, begin.Length)];
        var starts = new long[begin.Length];
        var ends = new long[begin.Length];
        for (int d = 0; d < begin.Length; d++)
        {
            bool backwards = strides[d] < 0;
            starts[d] = (beginMask & (1 << d)) != 0 ? (backwards ? long.MaxValue : 0) : begin[d];
            ends[d] = (endMask & (1 << d)) != 0 ? (backwards ? long.MinValue : long.MaxValue)
                : (shrinkMask & (1 << d)) != 0 ? begin[d] + 1 : end[d];
            if ((shrinkMask & (1 << d)) != 0 && begin[d] == -1)
            {
                ends[d] = long.MaxValue;
            }
        }

        SliceNode(op, starts, ends, [.. strides.Select(s => (long)s)], reshapeToOutput: shrinkMask != 0);
    }

    private void Slice(TfLiteOperator op)
    {
        int[] begin = Const(op.Inputs[1], "begin").AsInts(), size = Const(op.Inputs[2], "size").AsInts();
        long[] starts = [.. begin.Select(b => (long)b)];
        long[] ends = [.. begin.Select((b, d) => size[d] < 0 ? long.MaxValue : (long)b + size[d])];
        SliceNode(op, starts, ends, [.. begin.Select(_ => 1L)], reshapeToOutput: false);
    }

    private void SliceNode(TfLiteOperator op, long[] starts, long[] ends, long[] steps, bool reshapeToOutput)
    {
        Activation x = Act(op.Inputs[0]);
        int rank = starts.Length;
        bool nchw = x.Shape.Length == 4 && rank == 4 && !reshapeToOutput;
        long[] axes = [.. Enumerable.Range(0, rank).Select(d => (long)d)];
        if (nchw)
        {
            // Slice the NCHW tensor: NHWC axis d is NCHW axis IndexOf(toNchw, d).
            axes = [.. axes.Select(a => (long)Array.IndexOf(s_toNchw, a))];
        }

        string input = nchw ? ToNchw(op.Inputs[0]) : ToNhwc(op.Inputs[0]);
        string y = _b.Node("Slice", [input,
            _b.Initializer(_b.UniqueName("starts"), starts, rank), _b.Initializer(_b.UniqueName("ends"), ends, rank),
            _b.Initializer(_b.UniqueName("axes"), axes, rank), _b.Initializer(_b.UniqueName("steps"), steps, rank)], _b.UniqueName("slice"));
        int[] outShape = _graph.Tensors[op.Outputs[0]].Shape;
        if (reshapeToOutput)
        {
            y = _b.Node("Reshape", [y, _b.Initializer(_b.UniqueName("shape"), [.. outShape.Select(d => (long)d)], outShape.Length)], _b.UniqueName("reshape"));
        }

        Set(op.Outputs[0], y, nchw);
    }

    private void Softmax(TfLiteOperator op, float beta)
    {
        Activation x = Act(op.Inputs[0]);
        string input = x.Name;
        if (beta != 1f)
        {
            input = _b.Node("Mul", [input, _b.Initializer(_b.UniqueName("beta"), [beta])], _b.UniqueName("scaled"));
        }

        // TFLite softmax runs over the last (channel) axis: axis 1 in NCHW.
        string y = _b.Node("Softmax", [input], _b.UniqueName("softmax"), OnnxAttribute.Int("axis", x.Nchw ? 1 : -1));
        Set(op.Outputs[0], y, x.Nchw);
    }

    // ---- helpers --------------------------------------------------------------------------------

    /// <summary>TF "SAME" padding (extra pixel at the end when odd) or "VALID" (none).</summary>
    private static (long Before, long After) SamePads(byte padding, int input, int kernel, int stride, int dilation)
    {
        if (padding != 0)
        {
            return (0, 0);
        }

        int effective = ((kernel - 1) * dilation) + 1;
        int output = (input + stride - 1) / stride;
        int total = Math.Max(((output - 1) * stride) + effective - input, 0);
        return (total / 2, total - (total / 2));
    }

    private string Activate(string x, byte activation) => activation switch
    {
        0 => x,
        1 => _b.Node("Relu", [x], _b.UniqueName("relu")),
        2 => Clip(x, -1, 1),
        3 => Clip(x, 0, 6),
        4 => _b.Node("Tanh", [x], _b.UniqueName("tanh")),
        _ => throw new NotSupportedException($"fused activation {activation} is not supported"),
    };

    private string Clip(string x, float min, float max)
    {
        if (!_clipBounds.TryGetValue((min, max), out (string Min, string Max) bounds))
        {
            bounds = (_b.Initializer(_b.UniqueName("clip_min"), [min]), _b.Initializer(_b.UniqueName("clip_max"), [max]));
            _clipBounds[(min, max)] = bounds;
        }

        return _b.Node("Clip", [x, bounds.Min, bounds.Max], _b.UniqueName("clip"));
    }

    /// <summary>An operand of an elementwise op: an activation in the asked layout, or a constant broadcast to it.</summary>
    private string Operand(int tensor, bool nchw)
    {
        if (!_consts.TryGetValue(tensor, out ConstTensor? c))
        {
            return nchw ? ToNchw(tensor) : ToNhwc(tensor);
        }

        float[] data = c.AsFloats();
        if (!nchw || data.Length == 1)
        {
            return _b.Initializer(_b.UniqueName($"c{tensor}"), data, [.. c.Shape.Select(d => (long)d)]);
        }

        // Right-align the NHWC shape to rank 4, then move channels to axis 1.
        int[] s4 = [.. Enumerable.Repeat(1, 4 - c.Shape.Length), .. c.Shape];
        int n = s4[0], h = s4[1], w = s4[2], ch = s4[3];
        var t = new float[data.Length];
        for (int b = 0; b < n; b++)
        {
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    for (int k = 0; k < ch; k++)
                    {
                        t[(((((b * ch) + k) * h) + y) * w) + x] = data[(((((b * h) + y) * w) + x) * ch) + k];
                    }
                }
            }
        }

        return _b.Initializer(_b.UniqueName($"c{tensor}"), t, n, ch, h, w);
    }

    private ConstTensor Const(int tensor, string what) =>
        _consts.TryGetValue(tensor, out ConstTensor? c) ? c : throw new NotSupportedException($"{what} '{_graph.Tensors[tensor].Name}' is not a constant");

    private Activation Act(int tensor)
    {
        if (_acts.TryGetValue(tensor, out Activation? a))
        {
            return a;
        }

        if (_consts.ContainsKey(tensor))
        {
            throw new NotSupportedException($"constant '{_graph.Tensors[tensor].Name}' used where an activation is expected");
        }

        throw new InvalidDataException($"tensor '{_graph.Tensors[tensor].Name}' is used before any operator computes it");
    }

    private string ToNchw(int tensor)
    {
        Activation a = Act(tensor);
        if (a.Shape.Length != 4)
        {
            throw new NotSupportedException($"'{_graph.Tensors[tensor].Name}' has rank {a.Shape.Length}, expected 4");
        }

        if (a.Nchw)
        {
            return a.Name;
        }

        a.Other ??= _b.Node("Transpose", [a.Name], _b.UniqueName("nchw"), OnnxAttribute.Ints("perm", s_toNchw));
        return a.Other;
    }

    private string ToNhwc(int tensor)
    {
        Activation a = Act(tensor);
        if (!a.Nchw)
        {
            return a.Name;
        }

        a.Other ??= _b.Node("Transpose", [a.Name], _b.UniqueName("nhwc"), OnnxAttribute.Ints("perm", s_toNhwc));
        return a.Other;
    }

    private void SetNchw(int tensor, string name) => Set(tensor, name, nchw: true);

    private void Set(int tensor, string name, bool nchw)
    {
        TfLiteTensor t = _graph.Tensors[tensor];
        RequireFloat(t);
        _acts[tensor] = new Activation(name, nchw && t.Shape.Length == 4, t.Shape);
    }

    private static void RequireFloat(TfLiteTensor t)
    {
        if (t.Type != TfLiteTensorType.Float32)
        {
            throw new NotSupportedException($"tensor '{t.Name}' is {t.Type}; only float32 activations are supported");
        }
    }

    /// <summary>An activation: its ONNX value name, its layout, its TFLite (NHWC) shape, and its other-layout copy.</summary>
    private sealed record Activation(string Name, bool Nchw, int[] Shape)
    {
        public string? Other { get; set; }
    }
}
