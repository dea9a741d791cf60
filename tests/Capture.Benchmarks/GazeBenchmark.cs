using System.Globalization;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Testing;
using Capture.Tracking;

namespace Capture.Benchmarks;

/// <summary>
/// <c>gaze</c>: the eyeLook* blendshapes (iris model) every 5th frame of a clip, next to head yaw and
/// pitch, for tuning the gaze mapping. The iris model's speed is in <c>tracking</c>.
/// Args: [media dir] [clip, default vid_expr_woman_d3.mp4].
/// </summary>
public sealed class GazeBenchmark : IBenchmarkCommand
{
    public string Name => "gaze";

    public string Description => "eyeLook* series (iris model) over a clip, with head yaw/pitch";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        string media = args.Length > 0 ? args[0] : SharedMedia.Directory;
        string clip = args.Length > 1 ? args[1] : "vid_expr_woman_d3.mp4";
        Console.WriteLine(BenchmarkReport.MachineLine());
        await GazeSeriesAsync(Path.Combine(media, clip));
        return 0;
    }

    private static async Task GazeSeriesAsync(string clip)
    {
        List<VideoFrame> frames = await TrackingBenchmark.DecodeAsync(clip, 1000, 0, 0);
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
}
