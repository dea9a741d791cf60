namespace Capture.Inference.Tests.TfLite;

/// <summary>Straightforward NHWC reference implementations (TF semantics) to check converted graphs against.</summary>
internal static class NhwcReference
{
    /// <summary>TF SAME padding before the first pixel.</summary>
    public static int SamePadBefore(int input, int kernel, int stride)
    {
        int output = (input + stride - 1) / stride;
        return Math.Max(((output - 1) * stride) + kernel - input, 0) / 2;
    }

    /// <summary>Conv (groups=1: filter [O,KH,KW,I]) or depthwise (filter [1,KH,KW,C*M]) over NHWC, batch 1.</summary>
    public static float[] Conv(float[] x, int h, int w, int c, float[] filter, int kh, int kw, int outC, float[] bias,
        int stride, bool same, bool depthwise, out int oh, out int ow)
    {
        oh = same ? (h + stride - 1) / stride : ((h - kh) / stride) + 1;
        ow = same ? (w + stride - 1) / stride : ((w - kw) / stride) + 1;
        int pt = same ? SamePadBefore(h, kh, stride) : 0, pl = same ? SamePadBefore(w, kw, stride) : 0;
        int multiplier = outC / c;
        var y = new float[oh * ow * outC];
        for (int oy = 0; oy < oh; oy++)
        {
            for (int ox = 0; ox < ow; ox++)
            {
                for (int o = 0; o < outC; o++)
                {
                    float sum = bias[o];
                    for (int ky = 0; ky < kh; ky++)
                    {
                        for (int kx = 0; kx < kw; kx++)
                        {
                            int iy = (oy * stride) + ky - pt, ix = (ox * stride) + kx - pl;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                            {
                                continue;
                            }

                            if (depthwise)
                            {
                                sum += x[(((iy * w) + ix) * c) + (o / multiplier)] * filter[(((ky * kw) + kx) * outC) + o];
                            }
                            else
                            {
                                for (int i = 0; i < c; i++)
                                {
                                    sum += x[(((iy * w) + ix) * c) + i] * filter[(((((o * kh) + ky) * kw) + kx) * c) + i];
                                }
                            }
                        }
                    }

                    y[(((oy * ow) + ox) * outC) + o] = sum;
                }
            }
        }

        return y;
    }

    public static float[] Pool(float[] x, int h, int w, int c, int k, int stride, bool max, out int oh, out int ow)
    {
        oh = (h + stride - 1) / stride;
        ow = (w + stride - 1) / stride;
        int pt = SamePadBefore(h, k, stride), pl = SamePadBefore(w, k, stride);
        var y = new float[oh * ow * c];
        for (int oy = 0; oy < oh; oy++)
        {
            for (int ox = 0; ox < ow; ox++)
            {
                for (int ch = 0; ch < c; ch++)
                {
                    float acc = max ? float.NegativeInfinity : 0;
                    int n = 0;
                    for (int ky = 0; ky < k; ky++)
                    {
                        for (int kx = 0; kx < k; kx++)
                        {
                            int iy = (oy * stride) + ky - pt, ix = (ox * stride) + kx - pl;
                            if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                            {
                                float v = x[(((iy * w) + ix) * c) + ch];
                                acc = max ? Math.Max(acc, v) : acc + v;
                                n++;
                            }
                        }
                    }

                    y[(((oy * ow) + ox) * c) + ch] = max ? acc : acc / n;
                }
            }
        }

        return y;
    }

    /// <summary>TF bilinear resize (legacy kernel): align_corners or half_pixel_centers, edge-clamped.</summary>
    public static float[] ResizeBilinear(float[] x, int h, int w, int c, int oh, int ow, bool alignCorners, bool halfPixel)
    {
        float sy = alignCorners && oh > 1 ? (h - 1f) / (oh - 1) : (float)h / oh;
        float sx = alignCorners && ow > 1 ? (w - 1f) / (ow - 1) : (float)w / ow;
        var y = new float[oh * ow * c];
        for (int oy = 0; oy < oh; oy++)
        {
            float fy = halfPixel ? Math.Max(0, ((oy + 0.5f) * sy) - 0.5f) : oy * sy;
            int y0 = Math.Min((int)MathF.Floor(fy), h - 1), y1 = Math.Min(y0 + 1, h - 1);
            float dy = fy - y0;
            for (int ox = 0; ox < ow; ox++)
            {
                float fx = halfPixel ? Math.Max(0, ((ox + 0.5f) * sx) - 0.5f) : ox * sx;
                int x0 = Math.Min((int)MathF.Floor(fx), w - 1), x1 = Math.Min(x0 + 1, w - 1);
                float dx = fx - x0;
                for (int ch = 0; ch < c; ch++)
                {
                    float top = x[(((y0 * w) + x0) * c) + ch] + ((x[(((y0 * w) + x1) * c) + ch] - x[(((y0 * w) + x0) * c) + ch]) * dx);
                    float bottom = x[(((y1 * w) + x0) * c) + ch] + ((x[(((y1 * w) + x1) * c) + ch] - x[(((y1 * w) + x0) * c) + ch]) * dx);
                    y[(((oy * ow) + ox) * c) + ch] = top + ((bottom - top) * dy);
                }
            }
        }

        return y;
    }

    public static float[] Random(int count, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => ((float)rng.NextDouble() - 0.5f) * 2 * scale)];
    }

    public static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
