using Capture.Inference.TfLite;
using static Capture.Inference.Tests.TfLite.NhwcReference;

namespace Capture.Inference.Tests.TfLite;

/// <summary>
/// The ONNX lowerings of MediaPipe's custom operators against plain C# references written from the
/// operators' definitions (atan2 and explicit 4×4 products, per-pixel bilinear sampling), on small tensors.
/// </summary>
public class MediaPipeCustomOpTests
{
    private static (float[] Data, long[] Shape)[] ConvertAndRun(TinyTfLite m, params (string Name, float[] Data, long[] Shape)[] inputs) =>
        Onnx.OrtTestRunner.RunWithShapes(TfLiteToOnnxConverter.Convert(m.Model()), inputs);

    // ---- FlexBuffers ----------------------------------------------------------------------------

    [Fact]
    public void FlexValue_MediaPipeStyleMap_ReadsIntsFloatsAndVectors()
    {
        byte[] data = FlexMapWriter.Write(("output_width", 16), ("scale_x", 1.5f), ("subset_idxs", new[] { 61, 146, 291 }), ("left_rotation_idx", -3));

        FlexValue root = FlexValue.Root(data);

        Assert.True(root.IsMap);
        Assert.Equal(["left_rotation_idx", "output_width", "scale_x", "subset_idxs"], root.KeyNames());
        Assert.Equal(16, root.Get("output_width")!.Value.AsInt());
        Assert.Equal(-3, root.Get("left_rotation_idx")!.Value.AsInt());
        Assert.Equal(1.5, root.Get("scale_x")!.Value.AsDouble());
        Assert.Equal([61, 146, 291], root.Get("subset_idxs")!.Value.AsIntArray());
        Assert.Null(root.Get("missing"));
    }

    [Fact]
    public void FlexValue_EveryByteCorruptedOrTruncated_ThrowsInvalidDataOrReads()
    {
        byte[] good = FlexMapWriter.Write(("a", 1), ("subset_idxs", new[] { 1, 2, 3, 4 }), ("z", 2.5f));
        for (int i = 0; i < good.Length; i++)
        {
            foreach (byte value in new byte[] { 0x00, 0x7F, 0xFF })
            {
                byte[] bad = (byte[])good.Clone();
                bad[i] = value;
                ReadAllOrInvalidData(bad);
            }

            ReadAllOrInvalidData(good[..i]);
        }
    }

    private static void ReadAllOrInvalidData(byte[] data)
    {
        try
        {
            _ = FlexValue.Root(data).ToString();
        }
        catch (InvalidDataException)
        {
            // The only failure a malformed buffer may cause.
        }
    }

    // ---- Landmarks2TransformMatrix ---------------------------------------------------------------

    [Theory]
    [InlineData(0f, 1.5f, 1.5f, 16, 16)]
    [InlineData(0.4f, 1.2f, 1.7f, 12, 20)]
    public void Convert_Landmarks2TransformMatrix_MatchesReference(float target, float scaleX, float scaleY, int outW, int outH)
    {
        const int N = 12;
        float[] landmarks = Random(N * 3, 11, 40f);
        int[] subset = [0, 3, 4, 7, 9, 10, 11]; // odd count: MediaPipe pairs them and repeats the last
        var m = new TinyTfLite();
        int x = m.Input("landmarks", 1, N, 3);
        int y = m.Activation("matrix", 1, 4, 4);
        m.Custom("Landmarks2TransformMatrix", 2, [x], [y], FlexMapWriter.Write(
            ("left_rotation_idx", 2), ("right_rotation_idx", 5), ("subset_idxs", subset), ("target_rotation_radians", target),
            ("output_width", outW), ("output_height", outH), ("scale_x", scaleX), ("scale_y", scaleY)));
        m.Output(y);

        (float[] got, long[] shape) = ConvertAndRun(m, ("landmarks", landmarks, [1, N, 3]))[0];

        Assert.Equal([1L, 4, 4], shape);
        AssertClose(ReferenceLandmarksToMatrix(landmarks, 2, 5, subset, target, scaleX, scaleY, outW, outH), got, 1e-3f);
    }

    [Fact]
    public void Convert_Landmarks2TransformMatrixIndexOutOfRange_ThrowsNamingIt()
    {
        var m = new TinyTfLite();
        int x = m.Input("landmarks", 1, 4, 3);
        int y = m.Activation("matrix", 1, 4, 4);
        m.Custom("Landmarks2TransformMatrix", 2, [x], [y], FlexMapWriter.Write(
            ("left_rotation_idx", 0), ("right_rotation_idx", 9), ("subset_idxs", new[] { 0, 1 }),
            ("output_width", 4), ("output_height", 4), ("scale_x", 1f), ("scale_y", 1f)));
        m.Output(y);

        var ex = Assert.Throws<NotSupportedException>(() => TfLiteToOnnxConverter.Convert(m.Model()));
        Assert.Contains("landmark index 9", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_Landmarks2TransformMatrixWithoutScale_ThrowsNamingOption()
    {
        var m = new TinyTfLite();
        int x = m.Input("landmarks", 1, 4, 3);
        int y = m.Activation("matrix", 1, 4, 4);
        m.Custom("Landmarks2TransformMatrix", 2, [x], [y], FlexMapWriter.Write(
            ("left_rotation_idx", 0), ("right_rotation_idx", 1), ("subset_idxs", new[] { 0, 1 }), ("output_width", 4), ("output_height", 4)));
        m.Output(y);

        var ex = Assert.Throws<NotSupportedException>(() => TfLiteToOnnxConverter.Convert(m.Model()));
        Assert.Contains("scale_x", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Convert_UnknownCustomOperatorVersion_ThrowsNamingIt()
    {
        var m = new TinyTfLite();
        int x = m.Input("landmarks", 1, 4, 3);
        int y = m.Activation("matrix", 1, 4, 4);
        m.Custom("Landmarks2TransformMatrix", 1, [x], [y], FlexMapWriter.Write(("dimensions", 3)));
        m.Output(y);

        var ex = Assert.Throws<NotSupportedException>(() => TfLiteToOnnxConverter.Convert(m.Model()));
        Assert.Contains("Landmarks2TransformMatrix version 1", ex.Message, StringComparison.Ordinal);
    }

    // ---- TransformTensorBilinear -------------------------------------------------------------------

    [Theory]
    [InlineData(0.3f, 0.9f, 3.0f, 1.0f, false)]   // rotated and scaled, inside
    [InlineData(-0.7f, 1.6f, -2.5f, 3.0f, true)]  // partly outside: MediaPipe zeroes whole samples there
    public void Convert_TransformTensorBilinear_MatchesReference(float angle, float scale, float shiftX, float shiftY, bool reachesOutside)
    {
        const int H = 9, W = 11, C = 3, OH = 6, OW = 5;
        float[] x = Random(H * W * C, 21, 2f);
        float c = MathF.Cos(angle) * scale, s = MathF.Sin(angle) * scale;
        float[] matrix = [c, -s, 0, shiftX, s, c, 0, shiftY, 0, 0, 1, 0, 0, 0, 0, 1];
        var m = new TinyTfLite();
        int input = m.Input("x", 1, H, W, C);
        int mat = m.Input("m", 1, 4, 4);
        int y = m.Activation("y", 1, OH, OW, C);
        m.Custom("TransformTensorBilinear", 2, [input, mat], [y], FlexMapWriter.Write(("output_height", OH), ("output_width", OW)));
        m.Output(y);

        (float[] got, long[] shape) = ConvertAndRun(m, ("x", x, [1, H, W, C]), ("m", matrix, [1, 4, 4]))[0];

        Assert.Equal([1L, OH, OW, C], shape);
        float[] expected = ReferenceTransformTensor(x, H, W, C, matrix, OH, OW);
        Assert.Equal(reachesOutside, expected.Any(v => v == 0));
        AssertClose(expected, got, 1e-4f);
    }

    [Fact]
    public void Convert_TransformTensorBilinearOptionsDisagreeWithOutput_Throws()
    {
        var m = new TinyTfLite();
        int input = m.Input("x", 1, 4, 4, 1);
        int mat = m.Input("m", 1, 4, 4);
        int y = m.Activation("y", 1, 2, 2, 1);
        m.Custom("TransformTensorBilinear", 2, [input, mat], [y], FlexMapWriter.Write(("output_height", 3), ("output_width", 2)));
        m.Output(y);

        Assert.Throws<NotSupportedException>(() => TfLiteToOnnxConverter.Convert(m.Model()));
    }

    // ---- Convolution2DTransposeBias (selfie_segmentation's last layer) ---------------------------------

    [Theory]
    [InlineData(1, 4, 5, 2, 3, 2, 2, 8, 10)]   // SAME, 2×: the selfie model's case (its kernel is 2×2, stride 2)
    [InlineData(1, 3, 3, 3, 2, 4, 2, 6, 6)]    // SAME, even kernel wider than the stride: padding on both sides
    [InlineData(2, 3, 4, 2, 2, 3, 1, 5, 6)]    // VALID, stride 1: the output grows by the kernel less one
    public void Convert_Convolution2DTransposeBias_MatchesReference(int padding, int h, int w, int inC, int outC, int k, int stride, int oh, int ow)
    {
        float[] x = Random(h * w * inC, 41, 2f);
        float[] weights = Random(outC * k * k * inC, 43, 1f);   // [O, KH, KW, I]
        float[] bias = Random(outC, 47, 1f);
        var m = new TinyTfLite();
        int input = m.Input("x", 1, h, w, inC);
        int wt = m.Const("w", weights, outC, k, k, inC);
        int b = m.Const("b", bias, outC);
        int y = m.Activation("y", 1, oh, ow, outC);
        byte[] options = new byte[12];
        BitConverter.TryWriteBytes(options.AsSpan(0), padding);
        BitConverter.TryWriteBytes(options.AsSpan(4), stride);
        BitConverter.TryWriteBytes(options.AsSpan(8), stride);
        m.Custom("Convolution2DTransposeBias", 1, [input, wt, b], [y], options);
        m.Output(y);

        (float[] got, long[] shape) = ConvertAndRun(m, ("x", x, [1, h, w, inC]))[0];

        Assert.Equal([1L, oh, ow, outC], shape);

        // TFLite's definition: each input pixel spreads its kernel into the output at (y·s − pad + ky, x·s − pad + kx),
        // pad = ((h − 1)·s + k − oh) / 2; what lands outside the output is dropped; then the bias.
        int padY = (((h - 1) * stride) + k - oh) / 2, padX = (((w - 1) * stride) + k - ow) / 2;
        var expected = new float[oh * ow * outC];
        for (int i = 0; i < expected.Length; i++)
        {
            expected[i] = bias[i % outC];
        }

        for (int iy = 0; iy < h; iy++)
        {
            for (int ix = 0; ix < w; ix++)
            {
                for (int ky = 0; ky < k; ky++)
                {
                    for (int kx = 0; kx < k; kx++)
                    {
                        int oy = (iy * stride) - padY + ky, ox = (ix * stride) - padX + kx;
                        if (oy < 0 || oy >= oh || ox < 0 || ox >= ow)
                        {
                            continue;
                        }

                        for (int o = 0; o < outC; o++)
                        {
                            for (int c = 0; c < inC; c++)
                            {
                                expected[(((oy * ow) + ox) * outC) + o] += x[(((iy * w) + ix) * inC) + c] * weights[(((((o * k) + ky) * k) + kx) * inC) + c];
                            }
                        }
                    }
                }
            }
        }

        AssertClose(expected, got, 1e-4f);
    }

    [Fact]
    public void Convert_Convolution2DTransposeBiasShortOptions_ThrowsNamingTheStruct()
    {
        var m = new TinyTfLite();
        int input = m.Input("x", 1, 2, 2, 1);
        int wt = m.Const("w", [1, 1, 1, 1], 1, 2, 2, 1);
        int b = m.Const("b", [0], 1);
        int y = m.Activation("y", 1, 4, 4, 1);
        m.Custom("Convolution2DTransposeBias", 1, [input, wt, b], [y], [1, 0, 0, 0]);
        m.Output(y);

        var ex = Assert.Throws<NotSupportedException>(() => TfLiteToOnnxConverter.Convert(m.Model()));
        Assert.Contains("TfLiteTransposeConvParams", ex.Message, StringComparison.Ordinal);
    }

    // ---- TransformLandmarks ------------------------------------------------------------------------

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Convert_TransformLandmarks_MatchesReference(int dims)
    {
        const int N = 7;
        float[] points = Random(N * dims, 31, 10f);
        float[] matrix = [0.8f, -0.3f, 0.5f, 4f, 0.2f, 1.1f, -0.25f, -2f, 0, 0, 1, 0, 0, 0, 0, 1];
        var m = new TinyTfLite();
        int input = m.Input("p", 1, N, dims);
        int mat = m.Input("m", 1, 4, 4);
        int y = m.Activation("q", 1, N, dims);
        m.Custom("TransformLandmarks", 2, [input, mat], [y], null);
        m.Output(y);

        float[] got = ConvertAndRun(m, ("p", points, [1, N, dims]), ("m", matrix, [1, 4, 4]))[0].Data;

        var expected = new float[points.Length];
        for (int i = 0; i < N; i++)
        {
            float px = points[i * dims], py = points[(i * dims) + 1];
            expected[i * dims] = (matrix[0] * px) + (matrix[1] * py) + matrix[3];   // z input is taken as 0
            expected[(i * dims) + 1] = (matrix[4] * px) + (matrix[5] * py) + matrix[7];
            if (dims == 3)
            {
                expected[(i * dims) + 2] = points[(i * dims) + 2];
            }
        }

        AssertClose(expected, got, 1e-4f);
    }

    // ---- references ----------------------------------------------------------------------------------

    private static float[] ReferenceLandmarksToMatrix(float[] lm, int left, int right, int[] subset, float target,
        float scaleX, float scaleY, int outW, int outH)
    {
        double rotation = target - Math.Atan2(lm[(right * 3) + 1] - lm[(left * 3) + 1], lm[right * 3] - lm[left * 3]);
        double cos = Math.Cos(rotation), sin = Math.Sin(rotation);
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        foreach (int i in subset)
        {
            double x = lm[i * 3], y = lm[(i * 3) + 1];
            double rx = (cos * x) - (sin * y), ry = (sin * x) + (cos * y);
            minX = Math.Min(minX, rx);
            maxX = Math.Max(maxX, rx);
            minY = Math.Min(minY, ry);
            maxY = Math.Max(maxY, ry);
        }

        double midX = (minX + maxX) / 2, midY = (minY + maxY) / 2;
        double centreX = (cos * midX) + (sin * midY), centreY = (-sin * midX) + (cos * midY);
        double[] shift = Translation(centreX, centreY);
        double[] rotate = [cos, sin, 0, 0, -sin, cos, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]; // by −rotation
        double[] scale = [scaleX * (maxX - minX) / outW, 0, 0, 0, 0, scaleY * (maxY - minY) / outH, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
        double[] back = Translation(-outW / 2.0, -outH / 2.0);
        return [.. Multiply(Multiply(Multiply(shift, rotate), scale), back).Select(v => (float)v)];
    }

    private static double[] Translation(double x, double y) => [1, 0, 0, x, 0, 1, 0, y, 0, 0, 1, 0, 0, 0, 0, 1];

    private static double[] Multiply(double[] a, double[] b)
    {
        var r = new double[16];
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                for (int k = 0; k < 4; k++)
                {
                    r[(i * 4) + j] += a[(i * 4) + k] * b[(k * 4) + j];
                }
            }
        }

        return r;
    }

    private static float[] ReferenceTransformTensor(float[] x, int h, int w, int c, float[] m, int oh, int ow)
    {
        var y = new float[oh * ow * c];
        for (int oy = 0; oy < oh; oy++)
        {
            for (int ox = 0; ox < ow; ox++)
            {
                // Version 2: sample at the output pixel centre, in input pixel-centre coordinates.
                double sx = (m[0] * (ox + 0.5)) + (m[1] * (oy + 0.5)) + m[3] - 0.5;
                double sy = (m[4] * (ox + 0.5)) + (m[5] * (oy + 0.5)) + m[7] - 0.5;
                if (sx < 0 || sy < 0 || sx > w - 1 || sy > h - 1)
                {
                    continue;
                }

                int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                double fx = sx - x0, fy = sy - y0;
                for (int k = 0; k < c; k++)
                {
                    double At(int yy, int xx) => yy < h && xx < w ? x[(((yy * w) + xx) * c) + k] : 0;
                    double top = ((1 - fx) * At(y0, x0)) + (fx * At(y0, x0 + 1));
                    double bottom = ((1 - fx) * At(y0 + 1, x0)) + (fx * At(y0 + 1, x0 + 1));
                    y[(((oy * ow) + ox) * c) + k] = (float)(((1 - fy) * top) + (fy * bottom));
                }
            }
        }

        return y;
    }
}
