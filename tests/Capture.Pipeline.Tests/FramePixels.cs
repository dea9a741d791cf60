using Capture.Core.Frames;
using Capture.Media;

namespace Capture.Pipeline.Tests;

/// <summary>
/// Looking at rendered pixels: a video's frames, dark (pencil) pixels in a rectangle, the mean difference of two frames.
/// Shared with the server's job tests (linked into Capture.Server.Tests), which look at a job's result the same way.
/// </summary>
internal static class FramePixels
{
    /// <summary>Pixels darker than pencil's threshold (mean of RGB under 110) in a rectangle of a frame.</summary>
    internal static int Dark(VideoFrame frame, int x0, int y0, int x1, int y1)
    {
        int n = 0;
        for (int y = y0; y < Math.Min(y1, frame.Height); y++)
        {
            ReadOnlySpan<byte> row = frame.Row(y);
            for (int x = x0; x < Math.Min(x1, frame.Width); x++)
            {
                n += row[x * 3] + row[(x * 3) + 1] + row[(x * 3) + 2] < 330 ? 1 : 0;
            }
        }

        return n;
    }

    /// <summary>The same count in a picture (RGBA).</summary>
    internal static int Dark(RgbaImage picture, int x0, int y0, int x1, int y1)
    {
        int n = 0;
        for (int y = y0; y < y1; y++)
        {
            for (int x = x0; x < x1; x++)
            {
                int o = ((y * picture.Width) + x) * 4;
                n += picture.Pixels[o] + picture.Pixels[o + 1] + picture.Pixels[o + 2] < 330 ? 1 : 0;
            }
        }

        return n;
    }

    /// <summary>Mean absolute difference of two frames of one size, levels per channel.</summary>
    internal static float MeanDifference(VideoFrame a, VideoFrame b)
    {
        long sum = 0;
        ReadOnlySpan<byte> pa = a.ReadOnlyPixels, pb = b.ReadOnlyPixels;
        for (int i = 0; i < pa.Length; i++)
        {
            sum += Math.Abs(pa[i] - pb[i]);
        }

        return sum / (float)pa.Length;
    }

    /// <summary>Every frame of a video file, copied out of the decoder's pool (the caller owns them).</summary>
    internal static async Task<List<VideoFrame>> ReadFramesAsync(string path)
    {
        var frames = new List<VideoFrame>();
        await using IFrameSource source = await FrameSources.OpenFileAsync(path, new FrameSourceOptions { PoolCapacity = 2 });
        while (await source.ReadAsync(CancellationToken.None) is { } frame)
        {
            using (frame)
            {
                var copy = VideoFrame.CreateUnpooled(frame.Width, frame.Height);
                frame.ReadOnlyPixels.CopyTo(copy.Pixels);
                frames.Add(copy);
            }
        }

        return frames;
    }
}
