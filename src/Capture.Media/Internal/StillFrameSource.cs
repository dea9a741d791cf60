using Capture.Core.Frames;
using OpenCvSharp;

namespace Capture.Media.Internal;

/// <summary>
/// One still picture as a source of exactly one RGB24 frame (timestamp 0): decoded by
/// <see cref="ImageFile"/> (upright, 16-bit scaled), alpha dropped, scaled with OpenCV when asked.
/// </summary>
internal sealed class StillFrameSource : IFrameSource
{
    private VideoFrame? _frame;

    private StillFrameSource(VideoFrame frame, string description)
    {
        _frame = frame;
        Width = frame.Width;
        Height = frame.Height;
        Description = description;
    }

    public int Width { get; }

    public int Height { get; }

    public double FrameRate => 0;

    public long? FrameCount => 1;

    public string Description { get; }

    public static async Task<IFrameSource> OpenAsync(string path, FrameSourceOptions options, CancellationToken ct)
    {
        RgbaImage image = await ImageFile.LoadRgbaAsync(path, ct).ConfigureAwait(false);
        (int width, int height) = FrameSources.OutputSize(image.Width, image.Height, options);
        VideoFrame frame = VideoFrame.CreateUnpooled(width, height);
        using Mat rgba = Mat.FromPixelData(image.Height, image.Width, MatType.CV_8UC4, image.Pixels);
        using var rgb = new Mat();
        Cv2.CvtColor(rgba, rgb, ColorConversionCodes.RGBA2RGB);
        using Mat sized = new();
        if (width != image.Width || height != image.Height)
        {
            // Area averaging when shrinking (no aliasing), bilinear when enlarging.
            InterpolationFlags how = (long)width * height < (long)image.Width * image.Height ? InterpolationFlags.Area : InterpolationFlags.Linear;
            Cv2.Resize(rgb, sized, new Size(width, height), 0, 0, how);
        }
        else
        {
            rgb.CopyTo(sized);
        }

        for (int y = 0; y < height; y++)
        {
            sized.RowSpan<byte>(y)[..(width * 3)].CopyTo(frame.Row(y));
        }

        frame.Sequence = 0;
        frame.TimestampUs = 0;
        return new StillFrameSource(frame, $"image {Path.GetFileName(path)} {width}x{height}");
    }

    public ValueTask<VideoFrame?> ReadAsync(CancellationToken ct = default)
    {
        ct.ThrowIfCancellationRequested();
        VideoFrame? frame = _frame;
        _frame = null;
        return ValueTask.FromResult(frame);
    }

    public ValueTask DisposeAsync()
    {
        _frame?.Dispose();
        _frame = null;
        return ValueTask.CompletedTask;
    }
}
