namespace Capture.Core.Frames;

/// <summary>
/// A still picture as packed RGBA8 (4 bytes a pixel, rows packed): decoded stills, character pictures.
/// The image owns <see cref="Pixels"/> (given to it or allocated by it).
/// </summary>
public sealed class RgbaImage
{
    public RgbaImage(int width, int height, byte[]? pixels = null, bool hasAlpha = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        long needed = (long)width * height * 4;
        if (pixels is not null && pixels.LongLength != needed)
        {
            throw new ArgumentException($"{width}x{height} RGBA needs {needed} bytes, got {pixels.LongLength}", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels ?? new byte[needed];
        HasAlpha = hasAlpha;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>RGBA8, row after row, no padding. Alpha is 255 everywhere when <see cref="HasAlpha"/> is false.</summary>
    public byte[] Pixels { get; }

    /// <summary>True when the source had an alpha channel (PNG with transparency, RGBA formats): transparent pixels may exist.</summary>
    public bool HasAlpha { get; }

    /// <summary>Alpha of one pixel.</summary>
    public byte AlphaAt(int x, int y) => Pixels[(((y * Width) + x) * 4) + 3];

    /// <summary>Halves the size with a 2×2 box filter (odd last row/column dropped).</summary>
    public RgbaImage HalfSize()
    {
        int w = Math.Max(1, Width / 2);
        int h = Math.Max(1, Height / 2);
        var result = new RgbaImage(w, h, hasAlpha: HasAlpha);
        byte[] src = Pixels;
        byte[] dst = result.Pixels;
        for (int y = 0; y < h; y++)
        {
            int r0 = Math.Min(2 * y, Height - 1) * Width * 4;
            int r1 = Math.Min((2 * y) + 1, Height - 1) * Width * 4;
            for (int x = 0; x < w; x++)
            {
                int c0 = Math.Min(2 * x, Width - 1) * 4;
                int c1 = Math.Min((2 * x) + 1, Width - 1) * 4;
                int d = ((y * w) + x) * 4;
                for (int c = 0; c < 4; c++)
                {
                    dst[d + c] = (byte)((src[r0 + c0 + c] + src[r0 + c1 + c] + src[r1 + c0 + c] + src[r1 + c1 + c] + 2) >> 2);
                }
            }
        }

        return result;
    }

    /// <summary>
    /// Samples the square [left, left+side)×[top, top+side) of this picture into a size×size RGBA
    /// float picture, planar (R plane, G, B, A) in 0..1. Outside the picture: transparent when the
    /// picture has alpha, otherwise the picture mirrored at its edge. Downscaling averages a supersampled footprint.
    /// </summary>
    public void SampleSquare(float left, float top, float side, int size, Span<float> planar) =>
        SampleRect(left, top, side, side, size, size, planar);

    /// <summary>
    /// Samples the rectangle (<paramref name="left"/>, <paramref name="top"/>, <paramref name="width"/>,
    /// <paramref name="height"/>, picture pixels) at <paramref name="outWidth"/>×<paramref name="outHeight"/>
    /// into planar RGBA floats 0..1 (R plane, G, B, A), as <see cref="SampleSquare"/> does a square:
    /// output pixel x covers picture x from left + x·step to left + (x + 1)·step, box-filtered
    /// (up to 4×4 bilinear taps); outside the picture as <see cref="SampleSquare"/>.
    /// </summary>
    public void SampleRect(float left, float top, float width, float height, int outWidth, int outHeight, Span<float> planar)
    {
        int plane = outWidth * outHeight;
        if (planar.Length < plane * 4)
        {
            throw new ArgumentException("destination too small", nameof(planar));
        }

        float stepX = width / outWidth;
        float stepY = height / outHeight;
        int taps = Math.Clamp((int)MathF.Ceiling(MathF.Max(stepX, stepY)), 1, 4);
        float inv = 1f / (taps * taps);
        Span<float> acc = stackalloc float[4];
        for (int y = 0; y < outHeight; y++)
        {
            for (int x = 0; x < outWidth; x++)
            {
                acc.Clear();
                for (int ty = 0; ty < taps; ty++)
                {
                    float sy = top + ((y + ((ty + 0.5f) / taps)) * stepY) - 0.5f;
                    for (int tx = 0; tx < taps; tx++)
                    {
                        float sx = left + ((x + ((tx + 0.5f) / taps)) * stepX) - 0.5f;
                        Bilinear(sx, sy, acc);
                    }
                }

                int i = (y * outWidth) + x;
                planar[i] = acc[0] * inv;
                planar[plane + i] = acc[1] * inv;
                planar[(2 * plane) + i] = acc[2] * inv;
                planar[(3 * plane) + i] = acc[3] * inv;
            }
        }
    }

    private void Bilinear(float x, float y, Span<float> acc)
    {
        int x0 = (int)MathF.Floor(x);
        int y0 = (int)MathF.Floor(y);
        float fx = x - x0;
        float fy = y - y0;
        AddTap(x0, y0, (1 - fx) * (1 - fy), acc);
        AddTap(x0 + 1, y0, fx * (1 - fy), acc);
        AddTap(x0, y0 + 1, (1 - fx) * fy, acc);
        AddTap(x0 + 1, y0 + 1, fx * fy, acc);
    }

    // Reflects an index into [0, n) (…2 1 0 | 0 1 2 … n-1 | n-1 n-2…): padding that continues the picture instead of smearing its edge.
    private static int Mirror(int i, int n)
    {
        if (n == 1)
        {
            return 0;
        }

        int period = 2 * n;
        i %= period;
        if (i < 0)
        {
            i += period;
        }

        return i < n ? i : period - 1 - i;
    }

    private void AddTap(int x, int y, float weight, Span<float> acc)
    {
        if (weight == 0)
        {
            return;
        }

        bool outside = x < 0 || y < 0 || x >= Width || y >= Height;
        if (outside && HasAlpha)
        {
            return;
        }

        x = Mirror(x, Width);
        y = Mirror(y, Height);
        int o = ((y * Width) + x) * 4;
        const float Scale = 1f / 255f;
        acc[0] += Pixels[o] * Scale * weight;
        acc[1] += Pixels[o + 1] * Scale * weight;
        acc[2] += Pixels[o + 2] * Scale * weight;
        acc[3] += Pixels[o + 3] * Scale * weight;
    }
}
