using System.Runtime.CompilerServices;

namespace Capture.Tracking.Geometry;

/// <summary>How pixels outside the image are filled when a crop reaches past the border.</summary>
public enum CropBorder
{
    /// <summary>Repeat the nearest edge pixel (MediaPipe's default for landmark crops).</summary>
    Replicate,

    /// <summary>Black (MediaPipe's BORDER_ZERO for detector letterboxing).</summary>
    Zero,
}

/// <summary>
/// Samples a rotated rect of an RGB24 image straight into an NHWC float tensor (1×N×N×3), bilinear,
/// mapping byte 0..255 linearly onto [<c>min</c>, <c>max</c>]. No allocation: the caller owns both spans.
/// This is the affine warp MediaPipe's ImageToTensor does, in one pass and without an intermediate image.
/// </summary>
public static class ImageCropper
{
    /// <param name="rgb">RGB24 pixels, rows packed (<c>width * 3</c> bytes a row).</param>
    /// <param name="destination">At least <c>size * size * 3</c> floats, written in row order.</param>
    public static void CropToTensor(
        ReadOnlySpan<byte> rgb, int width, int height, in RotatedRect rect,
        Span<float> destination, int size, float min, float max, CropBorder border)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, size * size * 3);
        ArgumentOutOfRangeException.ThrowIfLessThan(rgb.Length, width * height * 3);
        float valueScale = (max - min) / 255f;
        (float sin, float cos) = MathF.SinCos(rect.Rotation);

        // Per output pixel step in source pixels along the tensor's x and y axes.
        float stepXx = cos * rect.Width / size;
        float stepXy = sin * rect.Width / size;
        float stepYx = -sin * rect.Height / size;
        float stepYy = cos * rect.Height / size;

        // Source position of output pixel (0, 0)'s centre, in pixel-index space (centre of pixel i is i).
        float a0 = ((0.5f / size) - 0.5f) * rect.Width;
        float b0 = ((0.5f / size) - 0.5f) * rect.Height;
        float originX = rect.CenterX + (a0 * cos) - (b0 * sin) - 0.5f;
        float originY = rect.CenterY + (a0 * sin) + (b0 * cos) - 0.5f;
        int stride = width * 3;
        int o = 0;
        for (int v = 0; v < size; v++)
        {
            float sx = originX + (v * stepYx);
            float sy = originY + (v * stepYy);
            for (int u = 0; u < size; u++, sx += stepXx, sy += stepXy, o += 3)
            {
                int x0 = (int)MathF.Floor(sx);
                int y0 = (int)MathF.Floor(sy);
                float fx = sx - x0;
                float fy = sy - y0;
                if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height)
                {
                    int p = (y0 * stride) + (x0 * 3);
                    for (int c = 0; c < 3; c++)
                    {
                        float top = rgb[p + c] + (fx * (rgb[p + 3 + c] - rgb[p + c]));
                        float bottom = rgb[p + stride + c] + (fx * (rgb[p + stride + 3 + c] - rgb[p + stride + c]));
                        destination[o + c] = min + ((top + (fy * (bottom - top))) * valueScale);
                    }
                }
                else
                {
                    for (int c = 0; c < 3; c++)
                    {
                        float p00 = Sample(rgb, width, height, stride, x0, y0, c, border);
                        float p10 = Sample(rgb, width, height, stride, x0 + 1, y0, c, border);
                        float p01 = Sample(rgb, width, height, stride, x0, y0 + 1, c, border);
                        float p11 = Sample(rgb, width, height, stride, x0 + 1, y0 + 1, c, border);
                        float top = p00 + (fx * (p10 - p00));
                        float bottom = p01 + (fx * (p11 - p01));
                        destination[o + c] = min + ((top + (fy * (bottom - top))) * valueScale);
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sample(ReadOnlySpan<byte> rgb, int width, int height, int stride, int x, int y, int c, CropBorder border)
    {
        if (x < 0 || y < 0 || x >= width || y >= height)
        {
            if (border == CropBorder.Zero)
            {
                return 0;
            }

            x = Math.Clamp(x, 0, width - 1);
            y = Math.Clamp(y, 0, height - 1);
        }

        return rgb[(y * stride) + (x * 3) + c];
    }
}
