using System.Globalization;
using Capture.Core.Frames;
using Capture.Media.Internal;

namespace Capture.Media;

/// <summary>
/// Writes the N-th frame given (counting from 0) to <c>directory/frame_%06d.png</c>, through one
/// ffmpeg child for the whole sequence. Call <see cref="CompleteAsync"/> to flush the last files.
/// </summary>
public sealed class PngSequenceSink : IAsyncDisposable
{
    private readonly RawVideoWriter _writer;

    private PngSequenceSink(RawVideoWriter writer, string directory, int width, int height)
    {
        _writer = writer;
        Directory = directory;
        Width = width;
        Height = height;
    }

    public string Directory { get; }

    public int Width { get; }

    public int Height { get; }

    public long FramesWritten => _writer.FramesWritten;

    /// <summary>The file the frame with this index goes to.</summary>
    public static string FramePath(string directory, long index) =>
        Path.Combine(directory, "frame_" + index.ToString("D6", CultureInfo.InvariantCulture) + ".png");

    /// <summary>Creates the directory if needed and starts the writer.</summary>
    public static PngSequenceSink Create(string directory, int width, int height)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        System.IO.Directory.CreateDirectory(directory);
        string pattern = MediaProbe.FileUrl(Path.Combine(directory, "frame_%06d.png"));
        string[] args =
        [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{width}x{height}", "-framerate", "30", "-i", "pipe:0",
            "-c:v", "png", "-f", "image2", "-start_number", "0", pattern,
        ];
        return new PngSequenceSink(new RawVideoWriter(args, checked(width * height * 3), directory, pattern), directory, width, height);
    }

    /// <summary>Writes one frame; the caller keeps ownership of it and may dispose it once this returns.</summary>
    public ValueTask WriteAsync(VideoFrame frame, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ct.ThrowIfCancellationRequested();
        _writer.Write(frame.ReadOnlyPixels);
        return ValueTask.CompletedTask;
    }

    /// <summary>Writes one frame of packed RGB24 asynchronously; the memory must stay unchanged until the task completes.</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> rgb24, CancellationToken ct = default)
    {
        return _writer.WriteAsync(rgb24, ct);
    }

    public Task CompleteAsync(CancellationToken ct = default) => _writer.CompleteAsync(ct);

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
