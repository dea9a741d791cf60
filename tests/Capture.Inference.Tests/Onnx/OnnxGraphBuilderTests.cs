using Capture.Inference.Onnx;

namespace Capture.Inference.Tests.Onnx;

public class OnnxGraphBuilderTests
{
    [Fact]
    public void ToModelBytes_AddGraph_RunsInOrtAndMatchesCSharp()
    {
        var b = new OnnxGraphBuilder("add");
        b.Input("x", OnnxDataType.Float, 2, 3);
        string bias = b.Initializer("bias", [1f, -2f, 0.5f], 3);
        b.Output(b.Node("Add", ["x", bias], "y"), OnnxDataType.Float, 2, 3);

        float[] x = [1, 2, 3, 4, 5, 6];
        float[] y = OrtTestRunner.Run(b.ToModelBytes(), ("x", x, [2, 3]))[0];

        float[] expected = [.. x.Select((v, i) => v + (new[] { 1f, -2f, 0.5f })[i % 3])];
        Assert.Equal(expected, y);
    }

    [Fact]
    public void ToModelBytes_ConvWithPadsAndStride_MatchesDirectConvolution()
    {
        // 1x2x5x4 input, 3 output channels, 3x2 kernel, stride 2x1, asymmetric pads.
        const int C = 2, H = 5, W = 4, M = 3, KH = 3, KW = 2, SH = 2, SW = 1;
        long[] pads = [1, 0, 0, 1]; // top, left, bottom, right
        var rng = new Random(7);
        float[] x = [.. Enumerable.Range(0, C * H * W).Select(_ => (float)rng.NextDouble() - 0.5f)];
        float[] w = [.. Enumerable.Range(0, M * C * KH * KW).Select(_ => (float)rng.NextDouble() - 0.5f)];
        float[] bias = [0.1f, -0.2f, 0.3f];

        var b = new OnnxGraphBuilder("conv");
        b.Input("x", OnnxDataType.Float, 1, C, H, W);
        string y = b.Node("Conv", ["x", b.Initializer("w", w, M, C, KH, KW), b.Initializer("b", bias, M)], "y",
            OnnxAttribute.Ints("kernel_shape", KH, KW), OnnxAttribute.Ints("strides", SH, SW), OnnxAttribute.Ints("pads", pads));
        int oh = (int)((H + pads[0] + pads[2] - KH) / SH) + 1, ow = (int)((W + pads[1] + pads[3] - KW) / SW) + 1;
        b.Output(y, OnnxDataType.Float, 1, M, oh, ow);

        (float[] got, long[] shape) = OrtTestRunner.RunWithShapes(b.ToModelBytes(), ("x", x, [1, C, H, W]))[0];

        Assert.Equal([1L, M, oh, ow], shape);
        for (int m = 0; m < M; m++)
        {
            for (int oy = 0; oy < oh; oy++)
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    float sum = bias[m];
                    for (int c = 0; c < C; c++)
                    {
                        for (int ky = 0; ky < KH; ky++)
                        {
                            for (int kx = 0; kx < KW; kx++)
                            {
                                int iy = (oy * SH) + ky - (int)pads[0], ix = (ox * SW) + kx - (int)pads[1];
                                if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                                {
                                    sum += x[(((c * H) + iy) * W) + ix] * w[(((((m * C) + c) * KH) + ky) * KW) + kx];
                                }
                            }
                        }
                    }

                    Assert.Equal(sum, got[(((m * oh) + oy) * ow) + ox], 5);
                }
            }
        }
    }

    [Fact]
    public void ToModelBytes_GridSampleOpset16_SamplesBilinearly()
    {
        var b = new OnnxGraphBuilder("grid", opsetVersion: 16);
        b.Input("x", OnnxDataType.Float, 1, 1, 2, 2);
        b.Input("grid", OnnxDataType.Float, 1, 1, 2, 2);
        string y = b.Node("GridSample", ["x", "grid"], "y",
            OnnxAttribute.String("mode", "bilinear"), OnnxAttribute.String("padding_mode", "border"), OnnxAttribute.Int("align_corners", 1));
        b.Output(y, OnnxDataType.Float, 1, 1, 1, 2);

        // align_corners=1: -1/+1 are the corner pixel centres; (0,0) is the mean of the four pixels.
        float[] got = OrtTestRunner.Run(b.ToModelBytes(), ("x", [1, 2, 3, 4], [1, 1, 2, 2]), ("grid", [0, 0, 1, -1], [1, 1, 2, 2]))[0];

        Assert.Equal(2.5f, got[0], 5);
        Assert.Equal(2f, got[1], 5);
    }

    [Fact]
    public void ToModelBytes_ResizeLinearHalfPixel_MatchesCSharpInterpolation()
    {
        var b = new OnnxGraphBuilder("resize");
        b.Input("x", OnnxDataType.Float, 1, 1, 1, 3);
        string scales = b.Initializer("scales", [1f, 1f, 1f, 2f], 4);
        string y = b.Node("Resize", ["x", "", scales], "y",
            OnnxAttribute.String("mode", "linear"), OnnxAttribute.String("coordinate_transformation_mode", "half_pixel"));
        b.Output(y, OnnxDataType.Float, 1, 1, 1, 6);

        float[] x = [0, 10, 40];
        float[] got = OrtTestRunner.Run(b.ToModelBytes(), ("x", x, [1, 1, 1, 3]))[0];

        for (int i = 0; i < 6; i++)
        {
            float src = Math.Clamp(((i + 0.5f) / 2f) - 0.5f, 0, 2);
            int i0 = (int)MathF.Floor(src), i1 = Math.Min(i0 + 1, 2);
            float expected = x[i0] + ((x[i1] - x[i0]) * (src - i0));
            Assert.Equal(expected, got[i], 4);
        }
    }

    [Fact]
    public void ToModelBytes_MultiOutputNodeAndDynamicBatch_RunsWithAnyBatch()
    {
        var b = new OnnxGraphBuilder("split");
        b.Input("x", OnnxDataType.Float, -1, 4);
        string split = b.Initializer("split", [1L, 3L], 2);
        IReadOnlyList<string> parts = b.Node("Split", ["x", split], ["a", "c"], OnnxAttribute.Int("axis", 1));
        b.Output(parts[0], OnnxDataType.Float, -1, 1);
        b.Output(parts[1], OnnxDataType.Float, -1, 3);

        float[][] got = OrtTestRunner.Run(b.ToModelBytes(), ("x", [1, 2, 3, 4, 5, 6, 7, 8], [2, 4]));

        Assert.Equal([1f, 5f], got[0]);
        Assert.Equal([2f, 3f, 4f, 6f, 7f, 8f], got[1]);
    }

    [Fact]
    public void ToModelBytes_SameCallsTwice_GivesIdenticalBytes()
    {
        static byte[] Build()
        {
            var b = new OnnxGraphBuilder("det");
            b.Input("x", OnnxDataType.Float, 1, 3);
            string s = b.Node("Mul", ["x", b.Initializer("k", [2f, 3f, 4f], 3)], b.UniqueName("mul"));
            b.Output(b.Node("Relu", [s], "y"), OnnxDataType.Float, 1, 3);
            return b.ToModelBytes();
        }

        Assert.Equal(Build(), Build());
    }

    [Fact]
    public void Node_UndefinedInput_Throws()
    {
        var b = new OnnxGraphBuilder("bad");
        b.Input("x", OnnxDataType.Float, 1);

        var ex = Assert.Throws<InvalidOperationException>(() => b.Node("Add", ["x", "nope"], "y"));
        Assert.Contains("nope", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Node_DuplicateOutputName_Throws()
    {
        var b = new OnnxGraphBuilder("bad");
        b.Input("x", OnnxDataType.Float, 1);

        Assert.Throws<InvalidOperationException>(() => b.Node("Relu", ["x"], "x"));
    }

    [Fact]
    public void Initializer_ShapeDataMismatch_Throws()
    {
        var b = new OnnxGraphBuilder("bad");

        Assert.Throws<ArgumentException>(() => b.Initializer("w", [1f, 2f, 3f], 2, 2));
    }

    [Fact]
    public void UniqueName_RepeatedPrefix_NeverCollides()
    {
        var b = new OnnxGraphBuilder("names");
        b.Input("t_0", OnnxDataType.Float, 1);

        string a = b.UniqueName("t"), c = b.UniqueName("t");

        Assert.NotEqual("t_0", a);
        Assert.NotEqual(a, c);
    }

    [PythonOnnxFact]
    public void ToModelBytes_AllAttributeKinds_PassesOnnxChecker()
    {
        var b = new OnnxGraphBuilder("checked", opsetVersion: 17);
        b.Input("x", OnnxDataType.Float, 1, 2, 4, 4);
        string w = b.Initializer("w", new float[2 * 1 * 3 * 3], 2, 1, 3, 3);
        string conv = b.Node("Conv", ["x", w, ""], "conv",
            OnnxAttribute.Int("group", 2), OnnxAttribute.Ints("pads", 1, 1, 1, 1), OnnxAttribute.Ints("kernel_shape", 3, 3));
        string lrelu = b.Node("LeakyRelu", [conv], "lrelu", OnnxAttribute.Float("alpha", 0.2f));
        string shape = b.Initializer("shape", [1L, -1L], 2);
        string flat = b.Node("Reshape", [lrelu, shape], "flat");
        string idx = b.Initializer("idx", [0, 3], 2);
        string g = b.Node("Gather", [flat, idx], "g", OnnxAttribute.Int("axis", 1));
        b.Output(g, OnnxDataType.Float, 1, 2);
        b.Output(b.Node("Resize", [lrelu, "", b.Initializer("sc", [1f, 1f, 2f, 2f], 4)], "r",
            OnnxAttribute.String("mode", "nearest")), OnnxDataType.Float, 1, 2, 8, 8);
        byte[] model = b.ToModelBytes();

        (int code, string output) = PythonOnnx.CheckModel(model);

        Assert.True(code == 0, output);
        Assert.Contains("8 capture", output, StringComparison.Ordinal);
    }
}
