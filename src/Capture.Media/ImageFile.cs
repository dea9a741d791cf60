using Capture.Media.Internal;

namespace Capture.Media;

/// <summary>Stills through ffmpeg: any image format it reads in, PNG out, alpha kept where asked.</summary>
public static class ImageFile
{
    /// <summary>
    /// Loads the first frame of an image (or video) file as RGBA8. <see cref="RgbaImage.HasAlpha"/>
    /// says whether the file had an alpha channel; without one, alpha is 255.
    /// </summary>
    /// <exception cref="MediaInputException">Missing, empty, unreadable or not an image.</exception>
    public static async Task<RgbaImage> LoadRgbaAsync(string path, CancellationToken ct = default)
    {
        string url = MediaProbe.FileUrl(path);
        MediaInfo info = await MediaProbe.ProbeAsync(path, ct).ConfigureAwait(false);
        VideoStreamInfo video = info.Video!;
        string pixFmt = await ProbePixelFormatAsync(url, ct).ConfigureAwait(false);
        bool hasAlpha = HasAlpha(pixFmt);
        string[] args =
        [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-i", url, "-map", "0:v:0", "-frames:v", "1",
            "-f", "rawvideo", "-pix_fmt", "rgba", "pipe:1",
        ];
        await using FfmpegProcess ffmpeg = FfmpegProcess.Start("ffmpeg", args, readStdout: true, writeStdin: false);
        using CancellationTokenRegistration kill = ct.Register(ffmpeg.Kill);
        byte[] pixels = new byte[checked(video.Width * video.Height * 4)];
        int got = await ffmpeg.StandardOutput.ReadAtLeastAsync(pixels, pixels.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
        int code = await ffmpeg.WaitForExitAsync(ct).ConfigureAwait(false);
        if (code != 0 || got != pixels.Length)
        {
            throw new MediaInputException(path, $"could not be decoded as an image (ffmpeg exit {code}: {ffmpeg.ErrorSummary(url, path)})");
        }

        if (pixFmt == "pal8")
        {
            // A palette only may carry alpha: call it alpha when some pixel is not opaque.
            hasAlpha = AnyTransparent(pixels);
        }

        return new RgbaImage(video.Width, video.Height, pixels, hasAlpha);
    }

    /// <summary>
    /// Saves packed RGB24 (<paramref name="hasAlpha"/> false) or RGBA8 (true) pixels as a PNG, RGBA
    /// when alpha is given. The pixels are read before the returned task completes.
    /// </summary>
    public static async Task SavePngAsync(string path, ReadOnlyMemory<byte> rgb24OrRgba, int width, int height, bool hasAlpha, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        int channels = hasAlpha ? 4 : 3;
        if (rgb24OrRgba.Length != checked(width * height * channels))
        {
            throw new ArgumentException($"{width}x{height} {(hasAlpha ? "RGBA" : "RGB24")} needs {width * height * channels} bytes, not {rgb24OrRgba.Length}.", nameof(rgb24OrRgba));
        }

        string url = MediaProbe.FileUrl(path);
        string format = hasAlpha ? "rgba" : "rgb24";
        string[] args =
        [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", format, "-s", $"{width}x{height}", "-i", "pipe:0",
            "-frames:v", "1", "-c:v", "png", "-pix_fmt", format, "-f", "image2", "-update", "1", url,
        ];
        await using FfmpegProcess ffmpeg = FfmpegProcess.Start("ffmpeg", args, readStdout: false, writeStdin: true);
        using CancellationTokenRegistration kill = ct.Register(ffmpeg.Kill);
        try
        {
            await ffmpeg.StandardInput.WriteAsync(rgb24OrRgba, ct).ConfigureAwait(false);
            ffmpeg.StandardInput.Close();
        }
        catch (IOException ex)
        {
            await ffmpeg.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw new IOException($"{path}: writing the PNG failed ({ffmpeg.ErrorSummary(url, path)})", ex);
        }

        int code = await ffmpeg.WaitForExitAsync(ct).ConfigureAwait(false);
        if (code != 0)
        {
            throw new IOException($"{path}: writing the PNG failed (ffmpeg exit {code}: {ffmpeg.ErrorSummary(url, path)})");
        }
    }

    private static bool AnyTransparent(byte[] rgba)
    {
        for (int i = 3; i < rgba.Length; i += 4)
        {
            if (rgba[i] != 255)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first video stream's pixel format (ffprobe, one field).</summary>
    private static async Task<string> ProbePixelFormatAsync(string url, CancellationToken ct)
    {
        string[] args = ["-hide_banner", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=pix_fmt", "-of", "csv=p=0", "-i", url];
        await using FfmpegProcess probe = FfmpegProcess.Start("ffprobe", args, readStdout: true, writeStdin: false);
        string pixFmt = (await new StreamReader(probe.StandardOutput).ReadToEndAsync(ct).ConfigureAwait(false)).Trim();
        await probe.WaitForExitAsync(ct).ConfigureAwait(false);
        return pixFmt;
    }

    /// <summary>ffmpeg pixel formats with alpha: rgba, bgra, argb, abgr, ya8/ya16, yuva*, gbrap*, rgba64*, pal8 (PNG palettes may carry alpha).</summary>
    internal static bool HasAlpha(string pixFmt) =>
        pixFmt.StartsWith("rgba", StringComparison.Ordinal) || pixFmt.StartsWith("bgra", StringComparison.Ordinal) ||
        pixFmt.StartsWith("argb", StringComparison.Ordinal) || pixFmt.StartsWith("abgr", StringComparison.Ordinal) ||
        pixFmt.StartsWith("ya", StringComparison.Ordinal) || pixFmt.StartsWith("yuva", StringComparison.Ordinal) ||
        pixFmt.StartsWith("gbrap", StringComparison.Ordinal) || pixFmt == "pal8";
}
