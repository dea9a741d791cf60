using System.Globalization;
using Capture.Media.Internal;

namespace Capture.Media;

/// <summary>
/// Opens frame sources. Every video source is an ffmpeg child decoding to raw RGB24 on a pipe (stills
/// are decoded in-process by OpenCV); files and devices are probed first, so a bad input fails here with a <see cref="MediaInputException"/>.
/// </summary>
public static class FrameSources
{
    /// <summary>Extensions opened as one still frame by <see cref="OpenAsync"/>.</summary>
    private static readonly string[] s_imageExtensions = [".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff", ".tga", ".ppm", ".pgm"];

    private static readonly string[] s_rawOutput = ["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"];

    /// <summary>
    /// Opens an input by its name: <c>lavfi:&lt;graph&gt;</c> (a test source, 640×480 at 30 fps unless
    /// the options say otherwise), <c>/dev/video*</c> (a V4L2 camera), a still image by extension,
    /// or else a video file.
    /// </summary>
    public static Task<IFrameSource> OpenAsync(string input, FrameSourceOptions? options = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(input);
        options ??= FrameSourceOptions.Default;
        if (input.StartsWith("lavfi:", StringComparison.Ordinal))
        {
            return Task.FromResult(OpenLavfi(input["lavfi:".Length..], options.Width ?? 640, options.Height ?? 480, options.MaxFrameRate ?? 30));
        }

        if (input.StartsWith("/dev/video", StringComparison.Ordinal) || input.StartsWith("/dev/v4l/", StringComparison.Ordinal))
        {
            return OpenV4l2Async(input, options, ct);
        }

        string extension = Path.GetExtension(input);
        return s_imageExtensions.Contains(extension, StringComparer.OrdinalIgnoreCase)
            ? OpenImageAsync(input, options, ct)
            : OpenFileAsync(input, options, ct);
    }

    /// <summary>
    /// Opens a video file (any container and codec ffmpeg reads), decoding its first video stream
    /// autorotated, at a constant rate (its average rate, or <see cref="FrameSourceOptions.MaxFrameRate"/>
    /// if lower). Decoding stops at the first corrupt packet (<c>-xerror</c>): the frames before it
    /// are delivered, then <see cref="IFrameSource.ReadAsync"/> throws ffmpeg's error naming the file.
    /// </summary>
    public static async Task<IFrameSource> OpenFileAsync(string path, FrameSourceOptions? options = null, CancellationToken ct = default)
    {
        options = Validate(options);
        MediaInfo info = await MediaProbe.ProbeAsync(path, ct).ConfigureAwait(false);
        return OpenFile(path, info, options);
    }

    /// <summary>
    /// As <see cref="OpenFileAsync(string, FrameSourceOptions?, CancellationToken)"/> for a file the caller
    /// has already probed (<paramref name="probed"/> is <see cref="MediaProbe.ProbeAsync"/>'s answer for
    /// <paramref name="path"/>), so a pipeline that opens one file several times probes it once.
    /// </summary>
    public static IFrameSource OpenFile(string path, MediaInfo probed, FrameSourceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(probed);
        options = Validate(options);
        MediaInfo info = probed;
        VideoStreamInfo video = info.Video ?? throw new MediaInputException(path, "has no video stream");
        if (VideoLimits.Default.Check(video.Width, video.Height) is string tooLarge)
        {
            throw new MediaInputException(path, tooLarge);
        }

        (int width, int height) = DecodeSize(video.Width, video.Height, options);
        double fps = video.FrameRate > 0 ? video.FrameRate : 30;
        long? frameCount = video.FrameCount;
        string? rateFilter = null;
        if (options.MaxFrameRate is double max && max < fps)
        {
            fps = max;
            frameCount = info.DurationSeconds is double d ? (long)Math.Round(d * fps) : null;
            rateFilter = $"fps={Format(fps)}";
        }

        string url = MediaProbe.FileUrl(path);
        var args = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "error", "-xerror", "-i", url, "-map", "0:V:0", "-an", "-sn", "-dn" };
        AddScale(args, width, height, video.Width, video.Height, rateFilter);
        // Constant rate out, so Sequence / FrameRate is each frame's presentation time. At the native
        // rate the muxer-side cfr keeps exactly the declared frames (the fps filter can drop the last
        // one); a lower cap needs the fps filter, which picks the nearest frame for each output tick.
        args.AddRange(rateFilter is null ? ["-fps_mode", "cfr", "-r", Format(fps)] : ["-fps_mode", "passthrough"]);
        args.AddRange(s_rawOutput);
        FfmpegProcess process = FfmpegProcess.Start("ffmpeg", args, readStdout: true, writeStdin: false);
        return FfmpegFrameSource.Start(process, width, height, fps, frameCount, options.PoolCapacity, FrameClock.Presentation,
            path, url, $"file {Path.GetFileName(path)} {width}x{height} @{fps:0.##}");
    }

    /// <summary>
    /// Opens a still image as a source of exactly one frame (timestamp 0, <see cref="IFrameSource.FrameRate"/> 0),
    /// decoded in-process by OpenCV (<see cref="ImageFile.LoadRgbaAsync(string, CancellationToken)"/>: EXIF
    /// orientation applied, 16-bit scaled, size limits), alpha dropped. The frame belongs to no pool.
    /// </summary>
    public static Task<IFrameSource> OpenImageAsync(string path, FrameSourceOptions? options = null, CancellationToken ct = default) =>
        StillFrameSource.OpenAsync(path, Validate(options), ct);

    /// <summary>
    /// Opens an ffmpeg lavfi test source such as <c>testsrc2</c>, <c>color=c=gray</c> or
    /// <c>mandelbrot</c>. A single source without a size or rate gets this one; anything else is
    /// scaled to <paramref name="width"/>×<paramref name="height"/> and resampled to
    /// <paramref name="fps"/>. Endless unless <paramref name="frameCount"/> is given. A graph ffmpeg
    /// rejects fails on the first <see cref="IFrameSource.ReadAsync"/> with its message.
    /// </summary>
    /// <param name="realTime">
    /// Pace it like a camera (ffmpeg <c>-re</c>): an <see cref="ILiveFrameSource"/> stamped with arrival
    /// times that drops the oldest frame when the consumer is behind. False: as fast as it is read.
    /// </param>
    public static IFrameSource OpenLavfi(string filterGraph, int width, int height, double fps, int? frameCount = null, bool realTime = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(filterGraph);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fps);
        if (frameCount is int n)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(n);
        }

        string graph = WithSizeAndRate(filterGraph, width, height, fps);
        var args = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "error" };
        if (realTime)
        {
            args.Add("-re");
        }

        args.AddRange(["-f", "lavfi", "-i", graph, "-map", "0:v:0"]);
        if (frameCount is int count)
        {
            args.AddRange(["-frames:v", count.ToString(CultureInfo.InvariantCulture)]);
        }

        args.AddRange(["-vf", $"scale={width}:{height}", "-fps_mode", "cfr", "-r", Format(fps)]);
        args.AddRange(s_rawOutput);
        FfmpegProcess process = FfmpegProcess.Start("ffmpeg", args, readStdout: true, writeStdin: false);
        return FfmpegFrameSource.Start(process, width, height, fps, frameCount, FrameSourceOptions.Default.PoolCapacity,
            realTime ? FrameClock.Arrival : FrameClock.Presentation, $"lavfi:{filterGraph}", inputUrl: null,
            $"lavfi {filterGraph} {width}x{height} @{fps:0.##}{(realTime ? " real-time" : "")}");
    }

    /// <summary>
    /// Opens a V4L2 camera (<c>/dev/videoN</c>) at its current format, scaled and rate-capped by the
    /// options. Frames are stamped with their arrival time on <c>CaptureClock</c>; the result is an
    /// <see cref="ILiveFrameSource"/> that drops the oldest frame when the consumer is behind.
    /// </summary>
    /// <exception cref="MediaInputException">The device is missing, or is not a V4L2 capture device (e.g. a regular file).</exception>
    public static async Task<IFrameSource> OpenV4l2Async(string device, FrameSourceOptions? options = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(device);
        options = Validate(options);
        MediaInfo info = await MediaProbe.ProbeDeviceAsync(device, ct).ConfigureAwait(false);
        VideoStreamInfo video = info.Video!;
        (int width, int height) = DecodeSize(video.Width, video.Height, options);
        double fps = video.FrameRate > 0 ? video.FrameRate : 30;
        string? rateFilter = null;
        if (options.MaxFrameRate is double max && max < fps)
        {
            fps = max;
            rateFilter = $"fps={Format(max)}";
        }

        // nobuffer: a live source should hand over each frame as soon as it is read, not after probing ahead.
        var args = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "error", "-f", "v4l2", "-fflags", "nobuffer", "-i", device, "-map", "0:v:0" };
        AddScale(args, width, height, video.Width, video.Height, rateFilter);
        args.AddRange(["-fps_mode", "passthrough"]);
        args.AddRange(s_rawOutput);
        FfmpegProcess process = FfmpegProcess.Start("ffmpeg", args, readStdout: true, writeStdin: false);
        return FfmpegFrameSource.Start(process, width, height, fps, null, options.PoolCapacity, FrameClock.Arrival,
            device, device, $"v4l2 {device} {width}x{height} @{fps:0.##}");
    }

    private static FrameSourceOptions Validate(FrameSourceOptions? options)
    {
        options ??= FrameSourceOptions.Default;
        if (options.Width is int w)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(w, nameof(options.Width));
        }

        if (options.Height is int h)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(h, nameof(options.Height));
        }

        if (options.MaxFrameRate is double r && !(r > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(options), r, "MaxFrameRate must be positive.");
        }

        if (options.MaxLongSide is int longSide)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(longSide, 2, nameof(options.MaxLongSide));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.PoolCapacity, nameof(options.PoolCapacity));
        return options;
    }

    /// <summary>The delivered size: both given → exactly that; one given → the other by aspect, rounded to even.</summary>
    internal static (int Width, int Height) OutputSize(int sourceWidth, int sourceHeight, FrameSourceOptions options) =>
        (options.Width, options.Height) switch
        {
            (int w, int h) => (w, h),
            (int w, null) => (w, RoundEven((double)w * sourceHeight / sourceWidth)),
            (null, int h) => (RoundEven((double)h * sourceWidth / sourceHeight), h),
            _ => (sourceWidth, sourceHeight),
        };

    /// <summary>
    /// The delivered size of a video: <see cref="OutputSize"/>, and with no size asked for, the source scaled
    /// down to <see cref="FrameSourceOptions.MaxLongSide"/> (aspect kept, even) when it is larger.
    /// </summary>
    internal static (int Width, int Height) DecodeSize(int sourceWidth, int sourceHeight, FrameSourceOptions options)
    {
        if (options.Width is not null || options.Height is not null || options.MaxLongSide is not int max || Math.Max(sourceWidth, sourceHeight) <= max)
        {
            return OutputSize(sourceWidth, sourceHeight, options);
        }

        return sourceWidth >= sourceHeight
            ? (RoundEven(max), RoundEven((double)max * sourceHeight / sourceWidth))
            : (RoundEven((double)max * sourceWidth / sourceHeight), RoundEven(max));
    }

    // Even, because the frames often end in a yuv420p encoder, which needs even sizes.
    private static int RoundEven(double x) => Math.Max(2, (int)Math.Round(x / 2, MidpointRounding.AwayFromZero) * 2);

    private static void AddScale(List<string> args, int width, int height, int sourceWidth, int sourceHeight, string? extraFilter)
    {
        var filters = new List<string>(2);
        if (width != sourceWidth || height != sourceHeight)
        {
            filters.Add($"scale={width}:{height}");
        }

        if (extraFilter is not null)
        {
            filters.Add(extraFilter);
        }

        if (filters.Count > 0)
        {
            args.AddRange(["-vf", string.Join(',', filters)]);
        }
    }

    /// <summary>
    /// Gives a lone lavfi source (<c>testsrc2</c>, <c>color=c=gray</c>) the asked size and rate unless it
    /// names them itself; a chain or complex graph is left as written.
    /// </summary>
    internal static string WithSizeAndRate(string graph, int width, int height, double fps)
    {
        if (graph.IndexOfAny([',', ';', '[']) >= 0)
        {
            return graph;
        }

        int eq = graph.IndexOf('=', StringComparison.Ordinal);
        string[] keys = eq < 0 ? [] : graph[(eq + 1)..].Split(':').Select(o => o.Split('=')[0].Trim()).ToArray();
        var added = new List<string>(2);
        if (!keys.Any(k => k is "size" or "s"))
        {
            added.Add($"size={width}x{height}");
        }

        if (!keys.Any(k => k is "rate" or "r"))
        {
            added.Add($"rate={Format(fps)}");
        }

        if (added.Count == 0)
        {
            return graph;
        }

        return eq < 0 ? $"{graph}={string.Join(':', added)}" : $"{graph}:{string.Join(':', added)}";
    }

    internal static string Format(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);
}
