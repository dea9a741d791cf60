namespace Capture.Server.Live;

/// <summary>Halves a frame for a viewer stepped down the <see cref="ViewerLadder"/>: each output pixel is the mean of a 2×2 block (area resampling), no allocation.</summary>
public static class FrameScaling
{
    /// <summary>
    /// Writes <paramref name="source"/> (<paramref name="width"/> × <paramref name="height"/>, <paramref name="channels"/> bytes a
    /// pixel, rows <paramref name="stride"/> bytes apart) at half its width and height into <paramref name="destination"/>,
    /// packed (rows of width / 2 × channels bytes). An odd last row or column is left out.
    /// </summary>
    public static void Halve(ReadOnlySpan<byte> source, int width, int height, int stride, int channels, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        int w = width / 2, h = height / 2, rowOut = w * channels;
        if (stride < width * channels || source.Length < (stride * (height - 1)) + (width * channels))
        {
            throw new ArgumentException($"{width}x{height}x{channels} with stride {stride} needs more than {source.Length} bytes", nameof(source));
        }

        if (destination.Length < rowOut * h)
        {
            throw new ArgumentException($"the half frame needs {rowOut * h} bytes, not {destination.Length}", nameof(destination));
        }

        for (int y = 0; y < h; y++)
        {
            ReadOnlySpan<byte> top = source.Slice(2 * y * stride, width * channels);
            ReadOnlySpan<byte> bottom = source.Slice(((2 * y) + 1) * stride, width * channels);
            Span<byte> row = destination.Slice(y * rowOut, rowOut);
            for (int x = 0; x < w; x++)
            {
                int a = 2 * x * channels;
                for (int c = 0; c < channels; c++)
                {
                    // +2 rounds the mean of four to the nearest level.
                    row[(x * channels) + c] = (byte)((top[a + c] + top[a + channels + c] + bottom[a + c] + bottom[a + channels + c] + 2) >> 2);
                }
            }
        }
    }
}
