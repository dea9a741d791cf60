using Capture.Core.Frames;
using Capture.Media.Internal;

namespace Capture.Media;

/// <summary>
/// Writes RGB24 frames to an MP4: H.264 (libx264, yuv420p, <c>+faststart</c> so it plays while
/// downloading), plus the first audio stream of an optional audio source (copied when it is AAC,
/// else encoded to AAC), cut to the shorter of the two. Call <see cref="CompleteAsync"/> to finish
/// the file; disposing without it kills ffmpeg and leaves an incomplete file.
/// </summary>
public sealed class Mp4Sink : IAsyncDisposable
{
    private readonly RawVideoWriter _writer;

    private Mp4Sink(RawVideoWriter writer, int width, int height, double fps)
    {
        _writer = writer;
        Width = width;
        Height = height;
        FrameRate = fps;
    }

    public int Width { get; }

    public int Height { get; }

    public double FrameRate { get; }

    public long FramesWritten => _writer.FramesWritten;

    internal int ProcessId => _writer.ProcessId;

    /// <summary>
    /// Starts the encoder. An odd size is padded by one black row/column (yuv420p needs even sizes).
    /// <paramref name="audioSourcePath"/> is probed now: missing or unreadable throws
    /// <see cref="MediaInputException"/>; a source without audio just gives a silent video.
    /// </summary>
    /// <param name="crf">x264 constant-rate factor: 18 is visually lossless, 23 is x264's default.</param>
    /// <param name="audioSourceInfo">The audio source's probe when the caller already has it (then it is not probed again).</param>
    public static Mp4Sink Create(string path, int width, int height, double fps, string? audioSourcePath = null, int crf = 18, MediaInfo? audioSourceInfo = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fps);
        ArgumentOutOfRangeException.ThrowIfNegative(crf);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(crf, 51);

        AudioStreamInfo? audio = null;
        if (audioSourcePath is not null && audioSourceInfo is not null)
        {
            audio = audioSourceInfo.Audio;
        }
        else if (audioSourcePath is not null)
        {
            // One probe at set-up, not on a frame path: blocking here keeps Create simple to call.
            audio = Task.Run(() => MediaProbe.ProbeFileAsync(audioSourcePath, requireVideo: false, CancellationToken.None))
                .GetAwaiter().GetResult().Audio;
        }

        string url = MediaProbe.FileUrl(path);
        var args = new List<string>
        {
            "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{width}x{height}", "-framerate", FrameSources.Format(fps), "-i", "pipe:0",
        };
        if (audio is not null)
        {
            args.AddRange(["-i", MediaProbe.FileUrl(audioSourcePath!)]);
        }

        args.AddRange(["-map", "0:v:0"]);
        if (width % 2 != 0 || height % 2 != 0)
        {
            args.AddRange(["-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"]);
        }

        // veryfast: a render job on a small machine should not wait on the encoder; crf keeps the quality.
        args.AddRange(["-c:v", "libx264", "-preset", "veryfast", "-crf", crf.ToString(System.Globalization.CultureInfo.InvariantCulture), "-pix_fmt", "yuv420p"]);
        if (audio is not null)
        {
            args.AddRange(["-map", "1:a:0"]);
            args.AddRange(audio.Codec == "aac" ? ["-c:a", "copy"] : ["-c:a", "aac", "-b:a", "160k"]);
            args.Add("-shortest");
        }

        args.AddRange(["-movflags", "+faststart", "-f", "mp4", url]);
        return new Mp4Sink(new RawVideoWriter(args, checked(width * height * 3), path, url), width, height, fps);
    }

    /// <summary>
    /// Encodes one frame. The caller keeps ownership of the frame; it may be disposed as soon as this
    /// returns. The pixels go down the pipe synchronously (a frame's pixels are a span), so this
    /// blocks while ffmpeg's pipe is full; the <see cref="ReadOnlyMemory{T}"/> overload does not.
    /// </summary>
    public ValueTask WriteAsync(VideoFrame frame, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ct.ThrowIfCancellationRequested();
        _writer.Write(frame.ReadOnlyPixels);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Encodes one frame of packed RGB24 (<c>Width*Height*3</c> bytes) asynchronously; the memory must
    /// stay unchanged until the returned task completes. Cancelling kills the encoder (the file is lost).
    /// </summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> rgb24, CancellationToken ct = default)
    {
        return _writer.WriteAsync(rgb24, ct);
    }

    /// <summary>Ends the stream and waits for ffmpeg to write the file; throws ffmpeg's error if it failed.</summary>
    public Task CompleteAsync(CancellationToken ct = default) => _writer.CompleteAsync(ct);

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
