using System.Diagnostics;
using System.Globalization;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Tracking;

namespace Capture.Benchmarks;

/// <summary>
/// <c>tracking-iris</c>: face-only tracker fps at 640×480 with the plain mesh model against the attention
/// model (<see cref="TrackerOptions.RefineLandmarks"/>, iris), 1 and 2 ORT threads, measured like
/// <c>tracking</c> (run 0 warm-up, median of the rest); then the eyeLook* series over a clip, for tuning.
/// Goal (tracking issue): face only ≥ 60 fps on 2 cores.
/// Args: [media dir] [frames a run, default 90] [runs, default 3; 0 skips the fps table] [clip for the gaze series, default vid_expr_woman_d3.mp4].
/// </summary>
public sealed class IrisTrackingBenchmark : IBenchmarkCommand
{
    public string Name => "tracking-iris";

    public string Description => "Face-only fps: mesh vs attention (iris) model, 1/2 threads at 640x480; eyeLook series over a clip";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        string media = args.Length > 0 ? args[0] : "/work/shared/media";
        int count = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 90;
        int runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        string gazeClip = args.Length > 3 ? args[3] : "vid_expr_woman_d3.mp4";
        Console.WriteLine(BenchmarkReport.MachineLine());

        if (runs > 0)
        {
            Console.WriteLine();
            Console.WriteLine($"| clip (640x480, {count} frames) | face model | threads | median fps | runs |");
            Console.WriteLine("|---|---|---|---|---|");
            foreach (string clip in new[] { "vid_talk_selfie_man_d13.mp4", "vid_expr_woman_d3.mp4" })
            {
                List<VideoFrame> frames = await DecodeAsync(Path.Combine(media, clip), count, 640, 480);
                foreach (bool refine in new[] { false, true })
                {
                    foreach (int threads in new[] { 1, 2 })
                    {
                        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { RefineLandmarks = refine, Threads = threads });
                        var result = new TrackingFrame();
                        var fps = new List<double>();
                        for (int run = 0; run < runs + 1; run++)
                        {
                            tracker.Reset();
                            var sw = Stopwatch.StartNew();
                            foreach (VideoFrame f in frames)
                            {
                                tracker.Process(f, result);
                            }

                            if (run > 0)
                            {
                                fps.Add(frames.Count / sw.Elapsed.TotalSeconds);
                            }
                        }

                        Console.WriteLine($"| {clip} | {(refine ? "attention (iris)" : "mesh")} | {threads} | {BenchmarkReport.Median(fps):F1} | "
                            + $"{string.Join(", ", fps.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))} |");
                    }
                }
            }
        }

        await GazeSeriesAsync(Path.Combine(media, gazeClip));
        return 0;
    }

    private static async Task GazeSeriesAsync(string clip)
    {
        List<VideoFrame> frames = await DecodeAsync(clip, 1000, 0, 0);
        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { RefineLandmarks = true });
        var r = new TrackingFrame();
        Console.WriteLine();
        Console.WriteLine($"{Path.GetFileName(clip)} (canonical neutral; yaw/pitch degrees): frame yaw pitch | inL outL upL downL | inR outR upR downR");
        for (int i = 0; i < frames.Count; i++)
        {
            tracker.Process(frames[i], r);
            if (i % 5 != 0 || !r.Face.Present)
            {
                continue;
            }

            float[] b = r.Face.Blendshapes;
            System.Numerics.Vector3 e = r.Face.HeadPose.EulerDegrees();
            string V(ArkitBlendshape s) => b[(int)s].ToString("F2", CultureInfo.InvariantCulture);
            Console.WriteLine($"{i,4} {e.X,6:F1} {e.Y,6:F1} | {V(ArkitBlendshape.EyeLookInLeft)} {V(ArkitBlendshape.EyeLookOutLeft)} {V(ArkitBlendshape.EyeLookUpLeft)} {V(ArkitBlendshape.EyeLookDownLeft)}"
                + $" | {V(ArkitBlendshape.EyeLookInRight)} {V(ArkitBlendshape.EyeLookOutRight)} {V(ArkitBlendshape.EyeLookUpRight)} {V(ArkitBlendshape.EyeLookDownRight)}");
        }
    }

    private static async Task<List<VideoFrame>> DecodeAsync(string path, int max, int width, int height)
    {
        var options = new FrameSourceOptions { Width = width > 0 ? width : null, Height = height > 0 ? height : null };
        await using IFrameSource source = await FrameSources.OpenAsync(path, options);
        var frames = new List<VideoFrame>();
        while (frames.Count < max && await source.ReadAsync() is { } frame)
        {
            using (frame)
            {
                VideoFrame copy = VideoFrame.CreateUnpooled(frame.Width, frame.Height);
                frame.ReadOnlyPixels.CopyTo(copy.Pixels);
                copy.Sequence = frames.Count;
                copy.TimestampUs = frame.TimestampUs;
                frames.Add(copy);
            }
        }

        return frames;
    }
}
