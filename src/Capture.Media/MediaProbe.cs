using System.Globalization;
using System.Text.Json;
using Capture.Media.Internal;

namespace Capture.Media;

/// <summary>
/// Validates an input and reads its streams with <c>ffprobe -of json</c> before anything decodes
/// it, so a bad file fails with one clear message instead of deep inside a pipeline.
/// </summary>
public static class MediaProbe
{
    /// <summary>
    /// Probes a media file and checks it can be used as a video input: it exists, is not empty, is
    /// readable, ffprobe understands it, and it has a decodable video stream (a still image counts).
    /// </summary>
    /// <exception cref="MediaInputException">Any of those checks failed; the message names the file and the problem.</exception>
    public static Task<MediaInfo> ProbeAsync(string path, CancellationToken ct = default) =>
        ProbeFileAsync(path, requireVideo: true, ct);

    /// <summary>
    /// Probes a character picture: the same checks as <see cref="ProbeAsync"/>, said of a picture
    /// (<c>notes.png: not a picture (ffprobe: …)</c>, <c>song.png: not a picture (only audio (mp3))</c>).
    /// </summary>
    /// <exception cref="MediaInputException">The file is missing, empty, unreadable, or holds no picture ffmpeg can decode.</exception>
    public static Task<MediaInfo> ProbePictureAsync(string path, CancellationToken ct = default) =>
        ProbeFileAsync(path, requireVideo: true, ct, notUsable: "not a picture");

    /// <summary>
    /// Like <see cref="ProbeAsync"/> but accepts inputs without video (audio sources for a sink). A file ffprobe cannot
    /// use, or one without video, is said to be <paramref name="notUsable"/> (default: "not a video file", "no video stream").
    /// </summary>
    internal static async Task<MediaInfo> ProbeFileAsync(string path, bool requireVideo, CancellationToken ct, string? notUsable = null)
    {
        CheckFile(path);
        string url = FileUrl(path);
        return await RunProbeAsync(path, url, ["-i", url], notUsable ?? "not a video file", requireVideo, ct, notUsable ?? "no video stream").ConfigureAwait(false);
    }

    /// <summary>Probes a V4L2 capture device (opening it briefly, as ffprobe does).</summary>
    internal static async Task<MediaInfo> ProbeDeviceAsync(string device, CancellationToken ct)
    {
        if (Directory.Exists(device))
        {
            throw new MediaInputException(device, "is a directory, not a video device");
        }

        if (!File.Exists(device))
        {
            throw new MediaInputException(device, "no such video device (is the camera plugged in, and is this the right /dev/videoN?)");
        }

        return await RunProbeAsync(device, device, ["-f", "v4l2", "-i", device], "not a readable V4L2 capture device", requireVideo: true, ct)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// The URL ffmpeg is given for a local file: <c>file:</c> plus the full path, so a name with a
    /// colon (<c>a:b.mp4</c>) or a leading dash is never read as a protocol or an option.
    /// </summary>
    internal static string FileUrl(string path) => "file:" + Path.GetFullPath(path);

    /// <summary>The checks ffprobe cannot phrase well: missing, a directory, empty, unreadable.</summary>
    internal static void CheckFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path))
        {
            throw new MediaInputException(path, "is a directory, not a media file");
        }

        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new MediaInputException(path, "file not found");
        }

        if (file.Length == 0)
        {
            throw new MediaInputException(path, "empty file (0 bytes)");
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new MediaInputException(path, "not readable (permission denied)", ex);
        }
        catch (IOException ex)
        {
            throw new MediaInputException(path, $"not readable ({ex.Message})", ex);
        }
    }

    private static async Task<MediaInfo> RunProbeAsync(
        string displayName, string url, string[] input, string failure, bool requireVideo, CancellationToken ct, string noVideo = "no video stream")
    {
        string[] args = ["-hide_banner", "-v", "error", "-of", "json", "-show_format", "-show_streams", .. input];
        await using FfmpegProcess probe = FfmpegProcess.Start("ffprobe", args, readStdout: true, writeStdin: false);
        using CancellationTokenRegistration kill = ct.Register(probe.Kill);
        string json = await new StreamReader(probe.StandardOutput).ReadToEndAsync(ct).ConfigureAwait(false);
        int code = await probe.WaitForExitAsync(ct).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        if (code != 0)
        {
            string reason = probe.ErrorSummary(url, displayName, maxLines: 1);
            if (probe.ErrorSummary(url, displayName, maxLines: 3).Contains("moov atom not found", StringComparison.Ordinal) &&
                StartsWithFtyp(displayName))
            {
                // A real MP4 (it opens with an ftyp box) without its index: writers put the index
                // last unless told otherwise, so the file was cut off or is still being written.
                failure = "incomplete MP4, truncated or still being written";
                reason = "moov atom not found";
            }

            throw new MediaInputException(displayName, $"{failure} (ffprobe: {reason})");
        }

        MediaInfo info;
        bool undecodableVideo;
        try
        {
            (info, undecodableVideo) = Parse(displayName, json);
        }
        catch (JsonException ex)
        {
            throw new MediaInputException(displayName, $"{failure} (ffprobe printed unreadable JSON: {ex.Message})", ex);
        }

        if (requireVideo && info.Video is null)
        {
            if (undecodableVideo)
            {
                // ffprobe lists a video stream it could not decode a single picture from (e.g. text named .png).
                string reason = probe.ErrorSummary(url, displayName, maxLines: 2);
                throw new MediaInputException(displayName, $"{failure} (ffprobe: {(reason == "no message" ? "no picture could be decoded" : reason)})");
            }

            string found = info.Audio is null ? "no audio or video streams" : $"only audio ({info.Audio.Codec})";
            throw new MediaInputException(displayName, $"{noVideo} ({found})");
        }

        return info;
    }

    private static bool StartsWithFtyp(string path)
    {
        try
        {
            Span<byte> head = stackalloc byte[8];
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
            return stream.ReadAtLeast(head, 8, throwOnEndOfStream: false) == 8 && head[4..].SequenceEqual("ftyp"u8);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Reads ffprobe's JSON; also says whether a video stream was listed without a picture size (undecodable).</summary>
    internal static (MediaInfo Info, bool UndecodableVideo) Parse(string path, string json)
    {
        using var doc = JsonDocument.Parse(json);
        JsonElement root = doc.RootElement;
        string formatName = "unknown";
        double? duration = null;
        if (root.TryGetProperty("format", out JsonElement format))
        {
            formatName = GetString(format, "format_name") ?? formatName;
            duration = GetDouble(format, "duration");
        }

        VideoStreamInfo? video = null;
        AudioStreamInfo? audio = null;
        bool undecodable = false;
        if (root.TryGetProperty("streams", out JsonElement streams) && streams.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement s in streams.EnumerateArray())
            {
                string? type = GetString(s, "codec_type");
                if (type == "video" && video is null && !IsAttachedPicture(s))
                {
                    video = ParseVideo(s);
                    undecodable |= video is null;
                    if (duration is null or <= 0)
                    {
                        duration = GetDouble(s, "duration");
                    }
                }
                else if (type == "audio" && audio is null)
                {
                    audio = new AudioStreamInfo(
                        (int)(GetDouble(s, "sample_rate") ?? 0),
                        (int)(GetDouble(s, "channels") ?? 0),
                        GetString(s, "codec_name") ?? "unknown");
                }
            }
        }

        return (new MediaInfo(path, formatName, duration, video, audio), undecodable);
    }

    private static VideoStreamInfo? ParseVideo(JsonElement s)
    {
        int width = (int)(GetDouble(s, "width") ?? 0);
        int height = (int)(GetDouble(s, "height") ?? 0);
        if (width <= 0 || height <= 0)
        {
            // ffprobe lists streams it cannot decode, but without a size: not a usable video stream.
            return null;
        }

        double fps = ParseRate(GetString(s, "avg_frame_rate")) ?? ParseRate(GetString(s, "r_frame_rate")) ?? 0;
        long? frames = GetDouble(s, "nb_frames") is double n && n > 0 ? (long)n : null;
        int rotation = ReadRotation(s);
        if (rotation is 90 or 270)
        {
            (width, height) = (height, width);
        }

        return new VideoStreamInfo(width, height, fps, frames, GetString(s, "codec_name") ?? "unknown", rotation);
    }

    private static bool IsAttachedPicture(JsonElement s) =>
        s.TryGetProperty("disposition", out JsonElement d) && GetDouble(d, "attached_pic") == 1;

    private static int ReadRotation(JsonElement s)
    {
        double? degrees = null;
        if (s.TryGetProperty("side_data_list", out JsonElement list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement side in list.EnumerateArray())
            {
                if (GetDouble(side, "rotation") is double r)
                {
                    degrees = r;
                    break;
                }
            }
        }

        if (degrees is null && s.TryGetProperty("tags", out JsonElement tags))
        {
            degrees = GetDouble(tags, "rotate");
        }

        if (degrees is null)
        {
            return 0;
        }

        int quarter = (int)Math.Round(degrees.Value / 90.0);
        return ((quarter % 4) + 4) % 4 * 90;
    }

    internal static double? ParseRate(string? rate)
    {
        if (string.IsNullOrEmpty(rate))
        {
            return null;
        }

        int slash = rate.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return double.TryParse(rate, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 ? v : null;
        }

        if (double.TryParse(rate.AsSpan(0, slash), NumberStyles.Float, CultureInfo.InvariantCulture, out double num) &&
            double.TryParse(rate.AsSpan(slash + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double den) &&
            num > 0 && den > 0)
        {
            return num / den;
        }

        return null;
    }

    private static string? GetString(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;

    private static double? GetDouble(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out JsonElement v))
        {
            return null;
        }

        if (v.ValueKind == JsonValueKind.Number)
        {
            return v.GetDouble();
        }

        return v.ValueKind == JsonValueKind.String &&
            double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) ? d : null;
    }
}
