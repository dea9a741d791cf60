using System.Diagnostics;
using Capture.Core.Frames;

namespace Capture.Tracking.Tests;

/// <summary>Test-only decoding: ffmpeg writes raw RGB24 frames to a pipe (no dependency on Capture.Media).</summary>
internal static class Ffmpeg
{
    /// <summary>Decodes up to <paramref name="maxFrames"/> frames, optionally scaled, as unpooled frames stamped at 30 fps.</summary>
    public static List<VideoFrame> Decode(string input, int maxFrames = int.MaxValue, int width = 0, int height = 0, string? extraFilter = null)
    {
        (int w, int h) = width > 0 ? (width, height) : Probe(input, extraFilter);
        string filter = width > 0 ? $"scale={w}:{h}" : "null";
        if (extraFilter is not null)
        {
            filter = $"{extraFilter},{filter}";
        }

        var psi = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in new[] { "-v", "error", "-i", input, "-vf", filter, "-frames:v", maxFrames == int.MaxValue ? "100000" : maxFrames.ToString(System.Globalization.CultureInfo.InvariantCulture), "-f", "rawvideo", "-pix_fmt", "rgb24", "-" })
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        var frames = new List<VideoFrame>();
        Stream s = p.StandardOutput.BaseStream;
        while (frames.Count < maxFrames)
        {
            VideoFrame f = VideoFrame.CreateUnpooled(w, h);
            if (!ReadExactly(s, f.Pixels))
            {
                break;
            }

            f.Sequence = frames.Count;
            f.TimestampUs = frames.Count * 33_333L;
            frames.Add(f);
        }

        p.StandardOutput.Close();
        p.WaitForExit();
        if (frames.Count == 0)
        {
            throw new InvalidDataException($"ffmpeg decoded nothing from {input}: {stderr.Result}");
        }

        return frames;
    }

    public static VideoFrame DecodeImage(string input, int width = 0, int height = 0) => Decode(input, 1, width, height)[0];

    /// <summary>Runs ffmpeg with the given arguments and fails on a non-zero exit.</summary>
    public static void Run(params string[] args)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-v");
        psi.ArgumentList.Add("error");
        psi.ArgumentList.Add("-y");
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg {string.Join(' ', args)} failed: {err}");
        }
    }

    private static (int W, int H) Probe(string input, string? extraFilter)
    {
        var psi = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", input })
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi)!;
        string[] parts = p.StandardOutput.ReadToEnd().Trim().Split(',');
        p.WaitForExit();
        if (extraFilter is not null)
        {
            throw new ArgumentException("give an explicit size with a filter");
        }

        return (int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static bool ReadExactly(Stream s, Span<byte> buffer)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = s.Read(buffer[read..]);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
    }
}
