using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Capture.Testing;

namespace Capture.Benchmarks;

/// <summary>
/// The baseline the tracker must beat: MediaPipe's own JS solutions (face_mesh, pose; wasm SIMD build)
/// in headless Chromium, through tests/mediapipe-js/run.mjs, on a video scaled to 640×480, in tracking
/// mode. Only MediaPipe's <c>send()</c> is timed (decoding is not). Each solution runs in its own node
/// process and browser, <c>--runs</c> times; the median frames/s is reported.
/// </summary>
public sealed class MediaPipeJsBenchmark : IBenchmarkCommand
{
    public string Name => "mediapipe-js";

    public string Description =>
        "MediaPipe JS face_mesh / pose frames/s in headless Chromium (640x480, tracking); the tracker's goal is >= 2x. "
        + "[--runs 3] [--face-frames 120] [--pose-frames 40] [--video PATH] [--width 640 --height 480] [--fit pad|crop|stretch]";

    public int Run(string[] args)
    {
        int runs = 3, faceFrames = 120, poseFrames = 40, width = 640, height = 480;
        string fit = "pad";
        string video = SharedMedia.File("vid_talk_selfie_man_d13.mp4");
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : "";
            switch (args[i])
            {
                case "--runs": runs = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--face-frames": faceFrames = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--pose-frames": poseFrames = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--video": video = value; i++; break;
                case "--width": width = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--height": height = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--fit": fit = value; i++; break;
                default:
                    Console.Error.WriteLine($"mediapipe-js: unknown argument '{args[i]}'");
                    return 2;
            }
        }

        string script = FindScript();
        Console.WriteLine(BenchmarkReport.MachineLine());
        Console.WriteLine($"video: {video} -> {width}x{height} ({fit}); MediaPipe JS in {Chromium()} (SwiftShader WebGL, no GPU)");
        foreach ((string solution, int frames) in new[] { ("face_mesh", faceFrames), ("pose", poseFrames) })
        {
            var fps = new List<double>();
            var medianMs = new List<double>();
            for (int r = 0; r < runs; r++)
            {
                string load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
                JsonElement timing = RunHarness(script,
                [
                    "--solution", solution, "--video", video, "--width", width.ToString(CultureInfo.InvariantCulture),
                    "--height", height.ToString(CultureInfo.InvariantCulture), "--fit", fit,
                    "--frames", frames.ToString(CultureInfo.InvariantCulture), "--no-landmarks",
                ]).GetProperty("timing").GetProperty(solution);
                fps.Add(timing.GetProperty("fps").GetDouble());
                medianMs.Add(timing.GetProperty("medianMs").GetDouble());
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {solution,-9} run {r + 1}: {fps[^1],7:F2} frames/s (median {medianMs[^1]:F1} ms/frame over {timing.GetProperty("framesTimed").GetInt32()} frames; load average {load} at start)"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{solution,-9} median of {runs}: {BenchmarkReport.Median(fps):F2} frames/s, {BenchmarkReport.Median(medianMs):F1} ms/frame -> tracker goal >= {2 * BenchmarkReport.Median(fps):F2} frames/s"));
        }

        return 0;
    }

    internal static JsonElement RunHarness(string script, string[] args)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1";
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException("node is not on PATH", e);
        }

        using (process)
        {
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{script} exited with {process.ExitCode}: {stderr.GetAwaiter().GetResult().Trim()}");
            }

            using JsonDocument doc = JsonDocument.Parse(stdout);
            return doc.RootElement.Clone();
        }
    }

    internal static string Chromium()
    {
        try
        {
            var start = new ProcessStartInfo("/usr/bin/chromium", "--version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            using Process p = Process.Start(start)!;
            string v = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return v;
        }
        catch (Win32Exception)
        {
            return "chromium (version unknown)";
        }
    }

    internal static string FindScript()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            string script = Path.Combine(dir, "tests", "mediapipe-js", "run.mjs");
            if (File.Exists(script))
            {
                return script;
            }
        }

        throw new InvalidOperationException("tests/mediapipe-js/run.mjs not found above " + AppContext.BaseDirectory);
    }
}
