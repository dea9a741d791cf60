using Capture.Inference.Tests.Onnx;
using Capture.Inference.TfLite;
using static Capture.Inference.Tests.TfLite.NhwcReference;

namespace Capture.Inference.Tests.TfLite;

public class TfLiteToOnnxConverterTests
{
    private static (float[] Data, long[] Shape)[] ConvertAndRun(TinyTfLite m, params (string Name, float[] Data, long[] Shape)[] inputs) =>
        OrtTestRunner.RunWithShapes(TfLiteToOnnxConverter.Convert(m.Model()), inputs);

    // Conv2DOptions: padding=0 (SAME=0, VALID=1), stride_w=1, stride_h=2, fused_activation_function=3 (RELU=1, RELU6=3).
    private static FbTable ConvOptions(byte padding, int stride, byte activation) =>
        new((0, padding), (1, stride), (2, stride), (3, activation));

    [Fact]
    public void Convert_Conv2dSameStride2Fp16WeightsRelu6_MatchesNhwcReference()
    {
        const int H = 5, W = 6, C = 2, O = 3, K = 3;
        float[] x = Random(H * W * C, 1, 3f), filter = Random(O * K * K * C, 2), bias = [0.5f, -0.25f, 1f];
        filter = [.. filter.Select(f => (float)(Half)f)]; // what fp16 storage keeps
        var m = new TinyTfLite();
        int input = m.Input("image", 1, H, W, C);
        int w16 = m.ConstHalf("w16", filter, O, K, K, C);
        int w = m.Activation("w", O, K, K, C);
        m.Op(TfLiteBuiltinOperator.DEQUANTIZE, [w16], [w]);
        int b = m.Const("b", bias, O);
        int y = m.Activation("y", 1, 3, 3, O);
        m.Op(TfLiteBuiltinOperator.CONV_2D, [input, w, b], [y], ConvOptions(0, 2, 3));
        m.Output(y);

        (float[] got, long[] shape) = ConvertAndRun(m, ("image", x, [1, H, W, C]))[0];

        float[] expected = [.. Conv(x, H, W, C, filter, K, K, O, bias, 2, same: true, depthwise: false, out int oh, out int ow).Select(v => Math.Clamp(v, 0, 6))];
        Assert.Equal([1L, oh, ow, O], shape);
        AssertClose(expected, got);
    }

    [Fact]
    public void Convert_DepthwiseValidMultiplier2Relu_MatchesNhwcReference()
    {
        const int H = 4, W = 5, C = 2, M = 2, K = 3;
        float[] x = Random(H * W * C, 3), filter = Random(K * K * C * M, 4), bias = Random(C * M, 5);
        var m = new TinyTfLite();
        int input = m.Input("x", 1, H, W, C);
        int y = m.Activation("y", 1, 2, 3, C * M);

        // DepthwiseConv2DOptions: padding=0, stride_w=1, stride_h=2, depth_multiplier=3, fused_activation_function=4.
        m.Op(TfLiteBuiltinOperator.DEPTHWISE_CONV_2D, [input, m.Const("w", filter, 1, K, K, C * M), m.Const("b", bias, C * M)], [y],
            new FbTable((0, (byte)1), (1, 1), (2, 1), (3, M), (4, (byte)1)));
        m.Output(y);

        float[] got = ConvertAndRun(m, ("x", x, [1, H, W, C]))[0].Data;

        float[] expected = [.. Conv(x, H, W, C, filter, K, K, C * M, bias, 1, same: false, depthwise: true, out _, out _).Select(v => Math.Max(v, 0))];
        AssertClose(expected, got);
    }

    [Theory]
    [InlineData(TfLiteBuiltinOperator.MAX_POOL_2D)]
    [InlineData(TfLiteBuiltinOperator.AVERAGE_POOL_2D)]
    public void Convert_PoolSameOddSize_MatchesNhwcReference(TfLiteBuiltinOperator op)
    {
        const int H = 5, W = 5, C = 2;
        float[] x = Random(H * W * C, 6);
        var m = new TinyTfLite();
        int input = m.Input("x", 1, H, W, C);
        int y = m.Activation("y", 1, 3, 3, C);

        // Pool2DOptions: padding=0, stride_w=1, stride_h=2, filter_width=3, filter_height=4, fused_activation_function=5.
        m.Op(op, [input], [y], new FbTable((0, (byte)0), (1, 2), (2, 2), (3, 3), (4, 3)));
        m.Output(y);

        float[] got = ConvertAndRun(m, ("x", x, [1, H, W, C]))[0].Data;

        AssertClose(Pool(x, H, W, C, 3, 2, op == TfLiteBuiltinOperator.MAX_POOL_2D, out _, out _), got);
    }

    [Fact]
    public void Convert_PadThenReshape_KeepsNhwcElementOrder()
    {
        const int H = 2, W = 2, C = 3;
        float[] x = [.. Enumerable.Range(1, H * W * C).Select(i => (float)i)];
        var m = new TinyTfLite();
        int input = m.Input("x", 1, H, W, C);
        int padded = m.Activation("padded", 1, 3, 4, C);
        m.Op(TfLiteBuiltinOperator.PAD, [input, m.ConstInt("paddings", [0, 0, 1, 0, 0, 2, 0, 0], 4, 2)], [padded]);
        int relu = m.Activation("relu", 1, 3, 4, C);
        m.Op(TfLiteBuiltinOperator.RELU, [padded], [relu]);
        int flat = m.Activation("flat", 1, 3 * 4 * C);
        m.Op(TfLiteBuiltinOperator.RESHAPE, [relu, m.ConstInt("shape", [1, 36], 2)], [flat]);
        m.Output(flat);

        (float[] got, long[] shape) = ConvertAndRun(m, ("x", x, [1, H, W, C]))[0];

        var expected = new float[36];
        for (int y = 0; y < H; y++)
        {
            for (int xx = 0; xx < W; xx++)
            {
                for (int c = 0; c < C; c++)
                {
                    expected[((((y + 1) * 4) + xx) * C) + c] = x[(((y * W) + xx) * C) + c];
                }
            }
        }

        Assert.Equal([1L, 36L], shape);
        Assert.Equal(expected, got);
    }

    [Fact]
    public void Convert_ConcatChannelsPreluAddConst_MatchesNhwcReference()
    {
        const int H = 2, W = 3;
        float[] a = Random(H * W * 2, 7), b = Random(H * W * 1, 8);
        float[] alpha = [0.1f, 0.2f, 0.3f], offset = [1f, 2f, 3f];
        var m = new TinyTfLite();
        int ia = m.Input("a", 1, H, W, 2);
        int ib = m.Input("b", 1, H, W, 1);
        int cat = m.Activation("cat", 1, H, W, 3);
        m.Op(TfLiteBuiltinOperator.CONCATENATION, [ia, ib], [cat], new FbTable((0, 3)));
        int pr = m.Activation("prelu", 1, H, W, 3);
        m.Op(TfLiteBuiltinOperator.PRELU, [cat, m.Const("alpha", alpha, 1, 1, 3)], [pr]);
        int sum = m.Activation("sum", 1, H, W, 3);
        m.Op(TfLiteBuiltinOperator.ADD, [pr, m.Const("offset", offset, 3)], [sum]);
        m.Output(sum);

        float[] got = ConvertAndRun(m, ("a", a, [1, H, W, 2]), ("b", b, [1, H, W, 1]))[0].Data;

        var expected = new float[H * W * 3];
        for (int p = 0; p < H * W; p++)
        {
            for (int c = 0; c < 3; c++)
            {
                float v = c < 2 ? a[(p * 2) + c] : b[p];
                expected[(p * 3) + c] = (v < 0 ? v * alpha[c] : v) + offset[c];
            }
        }

        AssertClose(expected, got);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(false, false)]
    public void Convert_ResizeBilinear_MatchesTfSemantics(bool alignCorners, bool halfPixel)
    {
        const int H = 3, W = 4, C = 2, OH = 5, OW = 8;
        float[] x = Random(H * W * C, 9);
        var m = new TinyTfLite();
        int input = m.Input("x", 1, H, W, C);
        int y = m.Activation("y", 1, OH, OW, C);

        // ResizeBilinearOptions: align_corners=2, half_pixel_centers=3.
        m.Op(TfLiteBuiltinOperator.RESIZE_BILINEAR, [input, m.ConstInt("size", [OH, OW], 2)], [y], new FbTable((2, alignCorners), (3, halfPixel)));
        m.Output(y);

        float[] got = ConvertAndRun(m, ("x", x, [1, H, W, C]))[0].Data;

        AssertClose(ResizeBilinear(x, H, W, C, OH, OW, alignCorners, halfPixel), got);
    }

    [Fact]
    public void Convert_DepthToSpace_MatchesTfLayout()
    {
        const int H = 2, W = 3, Bs = 2, OutC = 2, C = Bs * Bs * OutC;
        float[] x = [.. Enumerable.Range(0, H * W * C).Select(i => (float)i)];
        var m = new TinyTfLite();
        int input = m.Input("x", 1, H, W, C);
        int y = m.Activation("y", 1, H * Bs, W * Bs, OutC);
        m.Op(TfLiteBuiltinOperator.DEPTH_TO_SPACE, [input], [y], new FbTable((0, Bs)));
        m.Output(y);

        float[] got = ConvertAndRun(m, ("x", x, [1, H, W, C]))[0].Data;

        // TF: out[h*bs + i, w*bs + j, c] = in[h, w, (i*bs + j)*outC + c].
        var expected = new float[got.Length];
        for (int h = 0; h < H; h++)
        {
            for (int w = 0; w < W; w++)
            {
                for (int i = 0; i < Bs; i++)
                {
                    for (int j = 0; j < Bs; j++)
                    {
                        for (int c = 0; c < OutC; c++)
                        {
                            expected[(((((h * Bs) + i) * W * Bs) + (w * Bs) + j) * OutC) + c] = x[(((h * W) + w) * C) + (((i * Bs) + j) * OutC) + c];
                        }
                    }
                }
            }
        }

        Assert.Equal(expected, got);
    }

    [Fact]
    public void Convert_DensifiedSparseWeights_EqualDenseConvolution()
    {
        const int H = 3, W = 3, C = 4, O = 5;
        float[] x = Random(H * W * C, 10);
        float[] filter = [.. Random(O * C, 11).Select((v, i) => i % 3 == 0 ? 0 : v)]; // a third zero
        float[] bias = new float[O];
        var m = new TinyTfLite();
        int input = m.Input("x", 1, H, W, C);
        int sparse = m.ConstSparseLastDim("w_sparse", filter, O, 1, 1, C);
        int w = m.Activation("w", O, 1, 1, C);
        m.Op(TfLiteBuiltinOperator.DENSIFY, [sparse], [w]);
        int y = m.Activation("y", 1, H, W, O);
        m.Op(TfLiteBuiltinOperator.CONV_2D, [input, w, m.Const("b", bias, O)], [y], ConvOptions(1, 1, 0));
        m.Output(y);

        float[] got = ConvertAndRun(m, ("x", x, [1, H, W, C]))[0].Data;

        AssertClose(Conv(x, H, W, C, filter, 1, 1, O, bias, 1, same: false, depthwise: false, out _, out _), got);
    }

    [Fact]
    public void Convert_MeanFullyConnectedLogistic_MatchesReference()
    {
        const int H = 2, W = 2, C = 3, O = 2;
        float[] x = Random(H * W * C, 12), weights = Random(O * C, 13), bias = [0.1f, -0.1f];
        var m = new TinyTfLite();
        int input = m.Input("x", 1, H, W, C);
        int mean = m.Activation("mean", 1, C);
        m.Op(TfLiteBuiltinOperator.MEAN, [input, m.ConstInt("axes", [1, 2], 2)], [mean], new FbTable((0, false)));
        int fc = m.Activation("fc", 1, O);
        m.Op(TfLiteBuiltinOperator.FULLY_CONNECTED, [mean, m.Const("w", weights, O, C), m.Const("b", bias, O)], [fc]);
        int sig = m.Activation("sig", 1, O);
        m.Op(TfLiteBuiltinOperator.LOGISTIC, [fc], [sig]);
        m.Output(sig);

        float[] got = ConvertAndRun(m, ("x", x, [1, H, W, C]))[0].Data;

        float[] avg = [.. Enumerable.Range(0, C).Select(c => Enumerable.Range(0, H * W).Average(p => x[(p * C) + c]))];
        float[] expected = [.. Enumerable.Range(0, O).Select(o =>
            1f / (1f + MathF.Exp(-(bias[o] + Enumerable.Range(0, C).Sum(c => weights[(o * C) + c] * avg[c])))))];
        AssertClose(expected, got);
    }

    [Fact]
    public void Convert_StridedSliceChannelsAndShrink_MatchesTfSemantics()
    {
        const int H = 3, W = 4, C = 6;
        float[] x = [.. Enumerable.Range(0, H * W * C).Select(i => (float)i)];
        var m = new TinyTfLite();
        int input = m.Input("x", 1, H, W, C);
        int relu = m.Activation("relu", 1, H, W, C);
        m.Op(TfLiteBuiltinOperator.RELU, [input], [relu]); // so the slice sees an NCHW activation

        // Channels 1, 3, 5 of rows 1.. (begin_mask on batch and width, end_mask on all but channels).
        int sliced = m.Activation("sliced", 1, 2, W, 3);
        m.Op(TfLiteBuiltinOperator.STRIDED_SLICE, [relu, m.ConstInt("b", [0, 1, 0, 1], 4), m.ConstInt("e", [0, 0, 0, 6], 4), m.ConstInt("s", [1, 1, 1, 2], 4)],
            [sliced], new FbTable((0, 0b0101), (1, 0b0111)));
        m.Output(sliced);

        // Row 2, all columns, channel 0, with the row and channel axes shrunk: shape [1, W].
        int row = m.Activation("row", 1, W);
        m.Op(TfLiteBuiltinOperator.STRIDED_SLICE, [relu, m.ConstInt("b2", [0, 2, 0, 0], 4), m.ConstInt("e2", [1, 3, W, 1], 4), m.ConstInt("s2", [1, 1, 1, 1], 4)],
            [row], new FbTable((4, 0b1010)));
        m.Output(row);

        (float[] Data, long[] Shape)[] got = ConvertAndRun(m, ("x", x, [1, H, W, C]));

        float[] expected = [.. from y in Enumerable.Range(1, 2) from xx in Enumerable.Range(0, W) from c in new[] { 1, 3, 5 } select x[(((y * W) + xx) * C) + c]];
        Assert.Equal([1L, 2, W, 3], got[0].Shape);
        Assert.Equal(expected, got[0].Data);
        Assert.Equal([1L, W], got[1].Shape);
        Assert.Equal([.. Enumerable.Range(0, W).Select(xx => x[(((2 * W) + xx) * C) + 0])], got[1].Data);
    }

    [Fact]
    public void Convert_SameModelTwice_IdenticalBytes()
    {
        static byte[] Build()
        {
            var m = new TinyTfLite();
            int input = m.Input("x", 1, 4, 4, 1);
            int y = m.Activation("y", 1, 4, 4, 2);
            m.Op(TfLiteBuiltinOperator.CONV_2D, [input, m.Const("w", Random(18, 1), 2, 3, 3, 1), m.Const("b", [0, 0], 2)], [y], ConvOptions(0, 1, 1));
            m.Output(y);
            return TfLiteToOnnxConverter.Convert(m.Model());
        }

        Assert.Equal(Build(), Build());
    }

    [Fact]
    public void Convert_UnsupportedOperator_NamesIt()
    {
        var m = new TinyTfLite();
        int input = m.Input("x", 1, 4);
        int y = m.Activation("y", 1, 4);
        m.Op(TfLiteBuiltinOperator.LSTM, [input], [y]);
        m.Output(y);

        var ex = Assert.Throws<NotSupportedException>(() => TfLiteToOnnxConverter.Convert(m.Model()));
        Assert.Contains("LSTM", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NotTfLite_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => TfLiteModel.Read([.. "PK\x03\x04 this is a zip"u8]));
    }

    [Fact]
    public void Read_TruncatedModel_ThrowsInvalidData()
    {
        var m = new TinyTfLite();
        int input = m.Input("x", 1, 4);
        m.Output(input);
        byte[] bytes = m.Build();

        Assert.Throws<InvalidDataException>(() => TfLiteModel.Read(bytes[..(bytes.Length / 2)]));
    }
}
