using Capture.Core.Frames;

namespace Capture.Pipeline.Rendering;

/// <summary>Small RGB24 picture operations the render and eval loops need, allocation-free.</summary>
public static class FrameOps
{
    /// <summary>
    /// Samples the square [left, left+side)² of <paramref name="source"/> (bilinear, edges repeated)
    /// into a size×size block of <paramref name="destination"/> at (dx, dy).
    /// </summary>
    public static void SampleSquare(VideoFrame source, float left, float top, float side, VideoFrame destination, int dx, int dy, int size)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        float step = side / size;
        ReadOnlySpan<byte> src = source.ReadOnlyPixels;
        int w = source.Width;
        int h = source.Height;
        for (int y = 0; y < size; y++)
        {
            float sy = top + ((y + 0.5f) * step) - 0.5f;
            int y0 = (int)MathF.Floor(sy);
            float fy = sy - y0;
            int r0 = Math.Clamp(y0, 0, h - 1) * w * 3;
            int r1 = Math.Clamp(y0 + 1, 0, h - 1) * w * 3;
            Span<byte> row = destination.Row(dy + y).Slice(dx * 3, size * 3);
            for (int x = 0; x < size; x++)
            {
                float sx = left + ((x + 0.5f) * step) - 0.5f;
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
}
