using Capture.Core.Frames;

namespace Capture.Pipeline.Rendering;

/// <summary>Small RGB24 picture operations the render and eval loops need, allocation-free.</summary>
public static class FrameOps
{
    /// <summary>
    /// Samples the square [left, left+side)² of <paramref name="source"/> (bilinear, edges repeated)
    /// into a size×size block of <paramref name="destination"/> at (dx, dy).
    /// </summary>
    public static void SampleSquare(VideoFrame source, float left, float top, float side, VideoFrame destination, int dx, int dy, int size) =>
        SampleRect(source, left, top, side, side, destination, dx, dy, size, size);

    /// <summary>
    /// Samples the rectangle (<paramref name="left"/>, <paramref name="top"/>, <paramref name="width"/>,
    /// <paramref name="height"/>) of <paramref name="source"/> (bilinear, edges repeated) into an
    /// <paramref name="outWidth"/>×<paramref name="outHeight"/> block of <paramref name="destination"/> at (dx, dy).
    /// </summary>
    public static void SampleRect(VideoFrame source, float left, float top, float width, float height, VideoFrame destination, int dx, int dy, int outWidth, int outHeight)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        float stepX = width / outWidth;
        float stepY = height / outHeight;
        ReadOnlySpan<byte> src = source.ReadOnlyPixels;
        int w = source.Width;
        int h = source.Height;
        for (int y = 0; y < outHeight; y++)
        {
            float sy = top + ((y + 0.5f) * stepY) - 0.5f;
            int y0 = (int)MathF.Floor(sy);
            float fy = sy - y0;
            int r0 = Math.Clamp(y0, 0, h - 1) * w * 3;
            int r1 = Math.Clamp(y0 + 1, 0, h - 1) * w * 3;
            Span<byte> row = destination.Row(dy + y).Slice(dx * 3, outWidth * 3);
            for (int x = 0; x < outWidth; x++)
            {
                float sx = left + ((x + 0.5f) * stepX) - 0.5f;
                int x0 = (int)MathF.Floor(sx);
                float fx = sx - x0;
                int c0 = Math.Clamp(x0, 0, w - 1) * 3;
                int c1 = Math.Clamp(x0 + 1, 0, w - 1) * 3;
                for (int c = 0; c < 3; c++)
                {
                    float top0 = src[r0 + c0 + c] + (fx * (src[r0 + c1 + c] - src[r0 + c0 + c]));
                    float bottom = src[r1 + c0 + c] + (fx * (src[r1 + c1 + c] - src[r1 + c0 + c]));
                    row[(x * 3) + c] = (byte)Math.Clamp((int)(top0 + (fy * (bottom - top0)) + 0.5f), 0, 255);
                }
            }
        }
    }

    /// <summary>
    /// The rectangle of a <paramref name="width"/>×<paramref name="height"/> picture with the shape of an
    /// <paramref name="outWidth"/>×<paramref name="outHeight"/> panel, as large as fits, centred: what a
    /// body render shows of the performer beside the character (left, top, width, height).
    /// </summary>
    public static (float Left, float Top, float Width, float Height) Fit(int width, int height, int outWidth, int outHeight)
    {
        float aspect = outWidth / (float)outHeight;
        float w = MathF.Min(width, height * aspect);
        float h = w / aspect;
        return ((width - w) / 2, (height - h) / 2, w, h);
    }
}
