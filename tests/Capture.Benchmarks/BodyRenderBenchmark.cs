using System.Diagnostics;
using System.Globalization;
using Capture.Core.Diagnostics;
using Capture.Media;
using Capture.Pipeline.Rendering;
using Capture.Pipeline.Tests;
using Capture.Retargeting.Rigs;
using Capture.Testing;

namespace Capture.Benchmarks;

/// <summary>
/// Full-body render speed (issue 23's goal: the dance clip, 1080×1920 and 12 s, rendered 720 wide at
/// least in real time on 2 cores): <c>render</c> as the CLI runs it with a body character (the
/// Animated Drawings stick figure, a real performer cut from the gesture clip), beside the same clip
/// driving a half-body portrait's face only at the same width, each the median of several runs.
/// </summary>
public sealed class BodyRenderBenchmark : IBenchmarkCommand
{
    public string Name => "body";

    public string Description => "full-body render of the dance clip 720 wide: body characters (drawing, studio performer) vs a face-only portrait, median of N runs (goal: ≥ real time on 2 cores); args: [runs] [frames] [clip] [--only face|drawing|studio] [--profile: each stage's ms a frame]";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        Console.WriteLine(BenchmarkReport.MachineLine());
        bool profile = args.Contains("--profile");
        int onlyAt = Array.IndexOf(args, "--only");
        string? only = onlyAt >= 0 && onlyAt + 1 < args.Length ? args[onlyAt + 1] : null;
        args = [.. args.Where((a, i) => a != "--profile" && (onlyAt < 0 || (i != onlyAt && i != onlyAt + 1)))];
        int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        int? maxFrames = args.Length > 1 && args[1] != "all" ? int.Parse(args[1], CultureInfo.InvariantCulture) : null;
        string clip = args.Length > 2 ? args[2] : SharedMedia.File("vid_body_dance_musepose.mp4");
        const int Width = 720;
        double rate = (await MediaProbe.ProbeAsync(clip)).Video?.FrameRate ?? throw new InvalidDataException($"{clip} has no video");
        var cases = new List<(string Name, Func<RenderOptions, RenderOptions> Make)>
        {
            ("face only (Mona Lisa, 720x720)", o => o with { CharacterPath = SharedMedia.File("char_painting_mona_lisa_s9.jpg") }),
        };
        BodyCharacter drawing = await BodyCharacters.DrawingAsync();
        BodyCharacter studio = await BodyCharacters.StudioAsync();
        foreach (BodyCharacter c in new[] { drawing, studio })
        {
            (int w, int h) = c.OutputSize(Width);
            cases.Add(($"body: {c.Name} ({w}x{h})", o => o with { CharacterPath = c.Name, BodyCharacter = c }));
        }

        string output = Path.Combine(Path.GetTempPath(), $"body-bench-{Environment.ProcessId}.mp4");
        try
        {
            foreach ((string name, Func<RenderOptions, RenderOptions> make) in cases)
            {
                if (only is not null && !name.Contains(only switch { "face" => "face only", "drawing" => "drawing", "studio" => "studio", _ => only }, StringComparison.Ordinal))
                {
                    continue;
                }

                // The pipeline's own stage timers (what `capture render --verbose` prints), over all runs.
                using CaptureMetricsListener? stages = profile ? new CaptureMetricsListener() : null;
                var fps = new List<double>();
                var cpuPerFrame = new List<double>();
                long frames = 0, withBody = 0;
                using var process = Process.GetCurrentProcess();
                for (int run = 0; run < runs; run++)
                {
                    process.Refresh();
                    TimeSpan cpu = process.TotalProcessorTime;
                    RenderResult r = await RenderPipeline.RunAsync(make(new RenderOptions { DrivingPath = clip, CharacterPath = string.Empty, OutputPath = output, Size = Width, MaxFrames = maxFrames }));
                    process.Refresh();
                    fps.Add(r.FramesPerSecond);
                    cpuPerFrame.Add((process.TotalProcessorTime - cpu).TotalMilliseconds / r.Frames);
                    frames = r.Frames;
                    withBody = r.FramesWithBody ?? 0;
                }

                double median = BenchmarkReport.Median(fps);
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{name,-44} median {median,5:F1} frames/s ({median / rate:F2}x real time at the clip's {rate:0.##} fps) over {runs} runs [{string.Join(", ", fps.Select(f => f.ToString("F1", CultureInfo.InvariantCulture)))}], " +
                    $"CPU {BenchmarkReport.Median(cpuPerFrame):F0} ms/frame, {frames} frames ({frames / rate:F1} s), body in {withBody}"));
                if (stages is not null)
                {
                    PrintStages(stages);
                }
            }
        }
        finally
        {
            File.Delete(output);
        }

        return 0;
    }

    // Mean ms a frame of each stage (decode and tracking run on their own threads; generate and encode on
    // the consumer's: on 2 cores the slowest chain sets the rate, not the sum).
    private static void PrintStages(CaptureMetricsListener stages)
    {
        string[] names =
        [
            CaptureMetrics.Stages.Decode, CaptureMetrics.Stages.Track, CaptureMetrics.Stages.TrackBody, CaptureMetrics.Stages.TrackQueue,
            CaptureMetrics.Stages.GenerateWait, CaptureMetrics.Stages.Retarget, CaptureMetrics.Stages.Generate, CaptureMetrics.Stages.GenerateSpline,
            CaptureMetrics.Stages.GenerateLayers, CaptureMetrics.Stages.GenerateSession, CaptureMetrics.Stages.Encode,
        ];
        foreach (string stage in names)
        {
            if (stages.Get(CaptureMetrics.StageDuration.Name, CaptureMetrics.Pipelines.Render, stage) is { Count: > 0 } s)
            {
                string label = stage == CaptureMetrics.Stages.GenerateSpline ? "generate.map" : stage;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {label,-20} {s.Sum / s.Count * 1000,7:F1} ms a frame ({s.Count} frames, max {s.Max * 1000:F1} ms)"));
            }
        }
    }
}
