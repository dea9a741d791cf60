using System.Buffers.Binary;
using Capture.Inference.Onnx;

namespace Capture.Inference.TfLite;

/// <summary>
/// MediaPipe's custom TFLite operators (mediapipe/util/tflite/operations), written with standard ONNX operators:
/// version 2 of the three that <c>face_landmark_with_attention</c> uses (options are FlexBuffers maps), and
/// Convolution2DTransposeBias version 1, the last layer of <c>selfie_segmentation</c> (options are TFLite's
/// plain <c>TfLiteTransposeConvParams</c> struct: padding, stride width, stride height as three int32).
/// </summary>
/// <remarks>
/// Semantics (from MediaPipe's CPU kernels, re-derived here):
/// <list type="bullet">
/// <item><b>Landmarks2TransformMatrix</b> [1,N,3] → [1,4,4]: r = target_rotation − atan2(right − left) of two
/// landmarks; the subset landmarks rotated by r give a box (size w×h, centre rotated back by −r);
/// M = Shift(centre) · Rot(−r) · Scale(scale_x·w/out_w, scale_y·h/out_h) · Shift(−out_w/2, −out_h/2).
/// M maps output-grid coordinates to input coordinates.</item>
/// <item><b>TransformTensorBilinear</b> ([1,H,W,C], M) → [1,oh,ow,C]: version 2 samples output pixel (x, y) at
/// M·(x+½, y+½) − ½ (pixel centres); a sample outside [0, W−1]×[0, H−1] is 0 as a whole (not per tap).</item>
/// <item><b>TransformLandmarks</b> ([1,N,D], M) → [1,N,D]: (x, y) ← M[0:2,0:2]·(x, y) + M[0:2,3]; z kept.</item>
/// <item><b>Convolution2DTransposeBias</b> (x [1,H,W,I], weights [O,KH,KW,I], bias [O]) → [1,OH,OW,O]: TFLite's
/// transposed convolution plus the bias: out(y·s − pad + ky) += in(y)·w(ky); the padding is TFLite's for the output
/// size, total = (H − 1)·s + KH − OH, pad = total / 2 before and the rest after (ONNX ConvTranspose's pads).</item>
/// </list>
/// The atan2 is never formed: cos and sin of r follow from the unit vector between the two landmarks, so
/// the graph needs no trigonometric operator. GridSample (opset 16) does the bilinear sampling.
/// </remarks>
public sealed partial class TfLiteToOnnxConverter
{
    private void ConvertMediaPipeCustom(TfLiteOperator op)
    {
        if (op.CustomCode == "Convolution2DTransposeBias" && op.Version == 1)
        {
            TransposeConvBias(op);
            return;
        }

        FlexValue? options = op.CustomOptions.IsEmpty ? null : FlexValue.Root(op.CustomOptions.ToArray());
        switch (op.CustomCode)
        {
            case "Landmarks2TransformMatrix" when op.Version == 2:
                Landmarks2TransformMatrix(op, options ?? throw new InvalidDataException("Landmarks2TransformMatrix without options"));
                break;
            case "TransformTensorBilinear" when op.Version == 2:
                TransformTensorBilinear(op, options);
                break;
            case "TransformLandmarks" when op.Version == 2:
                TransformLandmarks(op);
                break;
            default:
                throw new NotSupportedException($"custom operator {op.CustomCode} version {op.Version} is not supported by the converter");
        }
    }

    private void Landmarks2TransformMatrix(TfLiteOperator op, FlexValue o)
    {
        RequireArity(op, 1);
        Activation x = Act(op.Inputs[0]);
        if (x.Shape.Length != 3 || x.Shape[0] != 1 || x.Shape[2] < 2)
        {
            throw new InvalidDataException($"landmarks [{string.Join(",", x.Shape)}] are not [1, N, 2+]");
        }

        int n = x.Shape[1];
        int left = RequiredInt(o, "left_rotation_idx"), right = RequiredInt(o, "right_rotation_idx");
        int outW = RequiredInt(o, "output_width"), outH = RequiredInt(o, "output_height");
        float scaleX = (float)Required(o, "scale_x").AsDouble(), scaleY = (float)Required(o, "scale_y").AsDouble();
        float target = (float)(o.Get("target_rotation_radians")?.AsDouble() ?? 0);
        int[] subset = Required(o, "subset_idxs").AsIntArray();
        if (subset.Length == 0 || outW <= 0 || outH <= 0 || !(scaleX > 0) || !(scaleY > 0))
        {
            throw new InvalidDataException($"invalid options (subset {subset.Length}, output {outW}x{outH}, scale {scaleX}/{scaleY})");
        }

        foreach (int i in subset.Append(left).Append(right))
        {
            if (i < 0 || i >= n)
            {
                throw new InvalidDataException($"landmark index {i} outside the {n} landmarks");
            }
        }

        // Points as [N, 2] (x, y).
        string xy = Node("Slice", ToNhwc(op.Inputs[0]), I64([0L, 0, 0]), I64([1L, n, 2]));
        string pts = Node("Reshape", xy, I64([n, 2L]));

        // (dx, dy) = right − left, then (cos θ, sin θ); a zero vector counts as θ = 0 like atan2(0, 0).
        string pair = Node("Gather", [pts, I64([left, (long)right])], OnnxAttribute.Int("axis", 0));
        string delta = Node("MatMul", F([-1f, 1f], 1, 2), pair);
        string norm = Node("ReduceL2", [delta], OnnxAttribute.Ints("axes", 1), OnnxAttribute.Int("keepdims", 1));
        string unit = Node("Where", Node("Greater", norm, F([0f])), Node("Div", delta, norm), F([1f, 0f], 1, 2));

        // r = target − θ: (cos r, sin r) = (cos θ, sin θ) · [[cos t, sin t], [sin t, −cos t]].
        float ct = MathF.Cos(target), st = MathF.Sin(target);
        string cs = Node("MatMul", unit, F([ct, st, st, -ct], 2, 2));

        // Rt = [[c, s], [−s, c]] so that P · Rt rotates row points by r.
        string rt = Node("Reshape", Node("MatMul", cs, F([1f, 0, 0, 1, 0, 1, -1, 0], 2, 4)), I64([2L, 2]));
        string rotated = Node("MatMul", Node("Gather", [pts, I64([.. subset.Select(i => (long)i)])], OnnxAttribute.Int("axis", 0)), rt);
        string max = Node("ReduceMax", [rotated], OnnxAttribute.Ints("axes", 0), OnnxAttribute.Int("keepdims", 1));
        string min = Node("ReduceMin", [rotated], OnnxAttribute.Ints("axes", 0), OnnxAttribute.Int("keepdims", 1));
        string size = Node("Sub", max, min);
        string middle = Node("Mul", Node("Add", max, min), F([0.5f]));
        string centre = Node("MatMul", middle, Node("Transpose", [rt], OnnxAttribute.Ints("perm", 1, 0))); // rotate back by −r

        // A = Rot(−r) · Scale = Rt ⊙ (sx, sy) column-wise; t = centre + A · (−out_w/2, −out_h/2).
        string scale = Node("Mul", size, F([scaleX / outW, scaleY / outH], 1, 2));
        string a = Node("Mul", rt, scale);
        string t = Node("Add", Node("MatMul", a, F([-outW / 2f, -outH / 2f], 2, 1)), Node("Reshape", centre, I64([2L, 1])));
        string top = Node("Concat", [a, F([0f, 0f], 2, 1), t], OnnxAttribute.Int("axis", 1));
        string m = Node("Concat", [top, F([0f, 0, 1, 0, 0, 0, 0, 1], 2, 4)], OnnxAttribute.Int("axis", 0));
        SetPlain(op.Outputs[0], Node("Reshape", m, I64([1L, 4, 4])), [1, 4, 4]);
    }

    private void TransformTensorBilinear(TfLiteOperator op, FlexValue? o)
    {
        RequireArity(op, 2);
        Activation x = Act(op.Inputs[0]);
        int[] outShape = _graph.Tensors[op.Outputs[0]].Shape;
        if (x.Shape.Length != 4 || x.Shape[0] != 1 || outShape.Length != 4 || outShape[3] != x.Shape[3])
        {
            throw new InvalidDataException($"input [{string.Join(",", x.Shape)}] / output [{string.Join(",", outShape)}] are not [1,H,W,C] / [1,h,w,C]");
        }

        int h = x.Shape[1], w = x.Shape[2], oh = outShape[1], ow = outShape[2];
        int? optH = o is { IsMap: true } map ? map.Get("output_height")?.AsInt() : null;
        int? optW = o is { IsMap: true } map2 ? map2.Get("output_width")?.AsInt() : null;
        if ((optH is not null && optH != oh) || (optW is not null && optW != ow))
        {
            throw new InvalidDataException($"options say output {optH}x{optW}, the output tensor is {oh}x{ow}");
        }

        if (h < 2 || w < 2)
        {
            throw new NotSupportedException($"input {h}x{w}: bilinear sampling needs at least 2x2");
        }

        // Output pixel centres (x + ½, y + ½, 1), row-major over (y, x).
        var grid = new float[oh * ow * 3];
        for (int y = 0, k = 0; y < oh; y++)
        {
            for (int xx = 0; xx < ow; xx++, k += 3)
            {
                grid[k] = xx + 0.5f;
                grid[k + 1] = y + 0.5f;
                grid[k + 2] = 1f;
            }
        }

        // G = [[m00, m10], [m01, m11], [m03, m13]]: input coordinate = centre · G − ½.
        string m = Node("Reshape", Act(op.Inputs[1]).Name, I64([4L, 4]));
        string rows = Node("Slice", m, I64([0L]), I64([2L]));
        string g = Node("Transpose", [Node("Gather", [rows, I64([0L, 1, 3])], OnnxAttribute.Int("axis", 1))], OnnxAttribute.Ints("perm", 1, 0));
        string tc = Node("Sub", Node("MatMul", F(grid, oh * ow, 3), g), F([0.5f]));

        // MediaPipe zeroes a sample whose coordinate is outside the input as a whole; GridSample would blend the taps inside.
        string inside = Node("And", Node("GreaterOrEqual", tc, F([0f])), Node("LessOrEqual", tc, F([w - 1f, h - 1f], 1, 2)));
        string mask = Node("ReduceMin", [Node("Cast", [inside], OnnxAttribute.Int("to", (long)OnnxDataType.Float))],
            OnnxAttribute.Ints("axes", 1), OnnxAttribute.Int("keepdims", 0));
        mask = Node("Reshape", mask, I64([1L, 1, oh, ow]));

        // align_corners = 1: normalized −1 ↔ pixel 0, +1 ↔ pixel W−1.
        string normalized = Node("Sub", Node("Mul", tc, F([2f / (w - 1), 2f / (h - 1)], 1, 2)), F([1f]));
        string sampleGrid = Node("Reshape", normalized, I64([1L, oh, ow, 2]));
        string sampled = Node("GridSample", [ToNchw(op.Inputs[0]), sampleGrid],
            OnnxAttribute.String("mode", "bilinear"), OnnxAttribute.String("padding_mode", "zeros"), OnnxAttribute.Int("align_corners", 1));
        SetNchw(op.Outputs[0], Node("Mul", sampled, mask));
    }

    private void TransformLandmarks(TfLiteOperator op)
    {
        RequireArity(op, 2);
        Activation x = Act(op.Inputs[0]);
        int[] outShape = _graph.Tensors[op.Outputs[0]].Shape;
        if (x.Shape.Length != 3 || x.Shape[0] != 1 || !outShape.SequenceEqual(x.Shape) || x.Shape[2] is not (2 or 3))
        {
            throw new InvalidDataException($"landmarks [{string.Join(",", x.Shape)}] / output [{string.Join(",", outShape)}] are not [1, N, 2|3]");
        }

        int n = x.Shape[1], d = x.Shape[2];
        string m = Node("Reshape", Act(op.Inputs[1]).Name, I64([4L, 4]));
        string at = Node("Transpose", [Node("Slice", m, I64([0L, 0]), I64([2L, 2]))], OnnxAttribute.Ints("perm", 1, 0));
        string shift = Node("Reshape", Node("Slice", m, I64([0L, 3]), I64([2L, 4])), I64([2L]));
        string input = ToNhwc(op.Inputs[0]);
        string xy = d == 2 ? input : Node("Slice", input, I64([0L, 0, 0]), I64([1L, n, 2]));
        string y = Node("Add", Node("MatMul", xy, at), shift);
        if (d == 3)
        {
            y = Node("Concat", [y, Node("Slice", input, I64([0L, 0, 2]), I64([1L, n, 3]))], OnnxAttribute.Int("axis", 2));
        }

        SetPlain(op.Outputs[0], y, outShape);
    }

    // ---- small graph helpers --------------------------------------------------------------------

    private string Node(string opType, params string[] inputs) => _b.Node(opType, inputs, _b.UniqueName(opType.ToLowerInvariant()));

    private string Node(string opType, string[] inputs, params OnnxAttribute[] attributes) =>
        _b.Node(opType, inputs, _b.UniqueName(opType.ToLowerInvariant()), attributes);

    private string F(float[] data, params long[] shape) => _b.Initializer(_b.UniqueName("mp_c"), data, shape.Length == 0 ? [data.Length] : shape);

    private string I64(long[] data) => _b.Initializer(_b.UniqueName("mp_i"), data, data.Length);

    private void SetPlain(int tensor, string name, int[] shape)
    {
        TfLiteTensor t = _graph.Tensors[tensor];
        RequireFloat(t);
        if (!t.Shape.SequenceEqual(shape))
        {
            throw new InvalidDataException($"output '{t.Name}' is [{string.Join(",", t.Shape)}], the operator makes [{string.Join(",", shape)}]");
        }

        _acts[tensor] = new Activation(name, Nchw: false, t.Shape);
    }

    private void TransposeConvBias(TfLiteOperator op)
    {
        RequireArity(op, 3);
        ReadOnlySpan<byte> raw = op.CustomOptions.Span;
        if (raw.Length < 12)
        {
            throw new InvalidDataException($"options are {raw.Length} bytes; TfLiteTransposeConvParams is 12 (padding, stride width, stride height)");
        }

        int padding = BinaryPrimitives.ReadInt32LittleEndian(raw);
        int strideW = BinaryPrimitives.ReadInt32LittleEndian(raw[4..]);
        int strideH = BinaryPrimitives.ReadInt32LittleEndian(raw[8..]);

        // TfLitePadding: 1 same, 2 valid (0 unknown). Either way the output tensor's stored shape says the size.
        if (padding is not (1 or 2) || strideW < 1 || strideH < 1)
        {
            throw new InvalidDataException($"padding {padding}, strides {strideW}×{strideH} are not a transposed convolution");
        }

        Activation x = Act(op.Inputs[0]);
        ConstTensor w = Const(op.Inputs[1], "weights");
        int[] ws = w.Shape; // [O, KH, KW, I]
        int[] outShape = _graph.Tensors[op.Outputs[0]].Shape;
        if (ws.Length != 4 || x.Shape.Length != 4 || outShape.Length != 4 || ws[3] != x.Shape[3] || outShape[3] != ws[0])
        {
            throw new InvalidDataException(
                $"input [{string.Join(",", x.Shape)}], weights [{string.Join(",", ws)}], output [{string.Join(",", outShape)}] do not fit a transposed convolution");
        }

        int outC = ws[0], kh = ws[1], kw = ws[2], inC = ws[3];
        float[] src = w.AsFloats();
        var dst = new float[src.Length];
        for (int o = 0; o < outC; o++)
        {
            for (int y = 0; y < kh; y++)
            {
                for (int xx = 0; xx < kw; xx++)
                {
                    for (int i = 0; i < inC; i++)
                    {
                        // ONNX ConvTranspose weights are [I, O, KH, KW].
                        dst[(((((i * outC) + o) * kh) + y) * kw) + xx] = src[(((((o * kh) + y) * kw) + xx) * inC) + i];
                    }
                }
            }
        }

        long totalH = ((long)(x.Shape[1] - 1) * strideH) + kh - outShape[1];
        long totalW = ((long)(x.Shape[2] - 1) * strideW) + kw - outShape[2];
        if (totalH < 0 || totalW < 0)
        {
            throw new InvalidDataException($"output [{string.Join(",", outShape)}] is larger than input [{string.Join(",", x.Shape)}] with stride {strideH}×{strideW} can give");
        }

        string weights = _b.Initializer(_b.UniqueName($"w{op.Inputs[1]}"), dst, inC, outC, kh, kw);
        string bias = _b.Initializer(_b.UniqueName($"b{op.Inputs[2]}"), Const(op.Inputs[2], "bias").AsFloats(), outC);
        string y1 = _b.Node("ConvTranspose", [ToNchw(op.Inputs[0]), weights, bias], _b.UniqueName("convtranspose"),
            OnnxAttribute.Ints("kernel_shape", kh, kw),
            OnnxAttribute.Ints("strides", strideH, strideW),
            OnnxAttribute.Ints("pads", totalH / 2, totalW / 2, totalH - (totalH / 2), totalW - (totalW / 2)));
        SetNchw(op.Outputs[0], y1);
    }

    private static void RequireArity(TfLiteOperator op, int inputs)
    {
        if (op.Inputs.Length != inputs || op.Outputs.Length != 1 || op.Inputs.Any(i => i < 0))
        {
            throw new InvalidDataException($"{op} has {op.Inputs.Length} inputs and {op.Outputs.Length} outputs, expected {inputs} and 1");
        }
    }

    private static FlexValue Required(FlexValue options, string key) =>
        options.IsMap ? options.Get(key) ?? throw new InvalidDataException($"option '{key}' is missing")
        : throw new InvalidDataException($"options are a {options.Type}, not a map");

    private static int RequiredInt(FlexValue options, string key) => Required(options, key).AsInt();
}
