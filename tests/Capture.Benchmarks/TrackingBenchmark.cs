using System.Diagnostics;
using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Tracking;
using Capture.Tracking.Smoothing;

namespace Capture.Benchmarks;

/// <summary>
/// <c>tracking</c>: frames a second of the tracker (face only with the plain mesh or the iris
/// (attention) model, face + pose; 1 and 2 threads) on
/// 640×480 frames; still-face jitter and fast-motion lag of the smoothing; and a blendshape sanity
/// table (blinks, jawOpen, smile). Goals (tracking issue): jitter ≤ 0.5 px at 640×480, lag ≤ 1 frame.
/// Args: [media dir] [frames a run, default 90] [runs, default 3; 0 skips the fps table].
/// </summary>
public sealed class TrackingBenchmark : IBenchmarkCommand
{
    public string Name => "tracking";

    public string Description => "Tracker fps (face, face with iris, face+pose; 1/2 threads) at 640x480, still-face jitter, lag, blendshape sanity";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        string media = args.Length > 0 ? args[0] : Capture.Testing.SharedMedia.Directory;
        int count = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 90;
        int runs = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 3;
        Console.WriteLine(BenchmarkReport.MachineLine());

        List<VideoFrame> talk = await DecodeAsync(Path.Combine(media, "vid_talk_selfie_man_d13.mp4"), count, 640, 480);
        List<VideoFrame> expr = await DecodeAsync(Path.Combine(media, "vid_expr_woman_d3.mp4"), count, 640, 480);

        Console.WriteLine();
        Console.WriteLine($"| clip (640x480, {count} frames) | tracking | threads | median fps | runs |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach ((string clip, List<VideoFrame> frames) in runs == 0 ? [] : new[] { ("d13 talk", talk), ("d3 expr", expr) })
        {
            foreach ((string name, TrackerOptions options) in new[]
            {
                ("face", new TrackerOptions()),
                ("face, iris model", new TrackerOptions { RefineLandmarks = true }),
                ("face+pose", new TrackerOptions { Body = true }),
            })
            {
                foreach (int threads in new[] { 1, 2 })
                {
                    using Tracker tracker = await Tracker.CreateAsync(options with { Threads = threads });
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
                            fps.Add(frames.Count / sw.Elapsed.TotalSeconds); // run 0 is warm-up
                        }
                    }

                    Console.WriteLine($"| {clip} | {name} | {threads} | {BenchmarkReport.Median(fps):F1} | {string.Join(", ", fps.Select(v => v.ToString("F1", System.Globalization.CultureInfo.InvariantCulture)))} |");
                }
            }
        }

        await JitterAndLagAsync(media, expr);
        await BlendshapesAsync(media);
        return 0;
    }

    private static async Task JitterAndLagAsync(string media, List<VideoFrame> moving)
    {
        List<VideoFrame> still = await DecodeAsync(Path.Combine(media, "vid_expr_man_d18.mp4"), 20, 640, 480);
        VideoFrame photo = (await DecodeAsync(Path.Combine(media, "face_sergey_mediapipe.png"), 1, 640, 480))[0];
        List<VideoFrame> repeated = [.. Enumerable.Range(0, 30).Select(i => Restamp(photo, i))];

        Console.WriteLine();
        Console.WriteLine("| smoothing | d18 first 20 frames: std px | d18 first 20 frames: 2nd-difference noise px | photo x30: std px | d3 fast motion: lag frames |");
        Console.WriteLine("|---|---|---|---|---|");
        var settings = new (string Name, bool On, OneEuroParameters P)[]
        {
            ("off", false, OneEuroParameters.Default),
            ($"default {Describe(OneEuroParameters.Default)}", true, OneEuroParameters.Default),
            ($"MediaPipe beta {Describe(new OneEuroParameters(0.05f, 80f, 1f))}", true, new OneEuroParameters(0.05f, 80f, 1f)),
        };
        List<Vector2[]> raw = await TrackAllAsync(moving, new TrackerOptions { Smoothing = false });
        foreach ((string name, bool on, OneEuroParameters p) in settings)
        {
            var options = new TrackerOptions { Smoothing = on, FaceSmoothing = p };
            List<Vector2[]> stillTrack = await TrackAllAsync(still, options);
            double jitterPhoto = Jitter(await TrackAllAsync(repeated, options));
            double lag = Lag(raw, await TrackAllAsync(moving, options));
            Console.WriteLine($"| {name} | {Jitter(stillTrack):F3} | {SecondDifferenceNoise(stillTrack):F3} | {jitterPhoto:F3} | {lag:F2} |");
        }
    }

    private static string Describe(OneEuroParameters p) => $"(min cutoff {p.MinCutoff}, beta {p.Beta}, d-cutoff {p.DerivativeCutoff})";

    private static async Task BlendshapesAsync(string media)
    {
        Console.WriteLine();
        Console.WriteLine("| input | neutral | blendshape | first | min | median | max | frames > 0.5 |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach ((string file, ArkitBlendshape[] shapes) in new[]
        {
            ("vid_expr_man_d18.mp4", new[] { ArkitBlendshape.JawOpen, ArkitBlendshape.EyeBlinkLeft, ArkitBlendshape.EyeBlinkRight, ArkitBlendshape.MouthFunnel }),
            ("vid_talk_selfie_man_d13.mp4", new[] { ArkitBlendshape.EyeBlinkLeft, ArkitBlendshape.EyeBlinkRight, ArkitBlendshape.JawOpen, ArkitBlendshape.MouthSmileLeft }),
            ("vid_expr_woman_d3.mp4", new[] { ArkitBlendshape.EyeBlinkLeft, ArkitBlendshape.EyeBlinkRight, ArkitBlendshape.BrowDownLeft, ArkitBlendshape.MouthPucker }),
        })
        {
            List<VideoFrame> frames = await DecodeAsync(Path.Combine(media, file), 400, 0, 0);
            foreach (bool calibrated in new[] { false, true })
            {
                using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions());
                var r = new TrackingFrame();
                var series = new List<float[]>();
                foreach (VideoFrame f in frames)
                {
                    tracker.Process(f, r);
                    if (calibrated && f.Sequence == 0 && r.Face.Present)
                    {
                        tracker.SetNeutral(r);
                        tracker.Process(f, r);
                    }

                    series.Add(r.Face.Present ? (float[])r.Face.Blendshapes.Clone() : new float[ArkitBlendshapes.Count]);
                }

                foreach (ArkitBlendshape s in shapes)
                {
                    double[] v = [.. series.Select(b => (double)b[(int)s])];
                    Console.WriteLine($"| {file} | {(calibrated ? "frame 0" : "canonical")} | {ArkitBlendshapes.Names[(int)s]} | {v[0]:F2} | {v.Min():F2} | {BenchmarkReport.Median(v):F2} | {v.Max():F2} | {v.Count(x => x > 0.5)} / {v.Length} |");
                }
            }
        }

        using Tracker photos = await Tracker.CreateAsync(new TrackerOptions { StaticImage = true });
        foreach (string file in new[] { "face_woman_happy_sadtalker.png", "face_woman_sad_sadtalker.png" })
        {
            VideoFrame f = (await DecodeAsync(Path.Combine(media, file), 1, 0, 0))[0];
            var r = new TrackingFrame();
            photos.Process(f, r);
            float[] b = r.Face.Blendshapes;
            Console.WriteLine($"| {file} | canonical | mouthSmileLeft / Right | {b[(int)ArkitBlendshape.MouthSmileLeft]:F2} / {b[(int)ArkitBlendshape.MouthSmileRight]:F2} | | | | |");
        }
    }

    private static async Task<List<Vector2[]>> TrackAllAsync(List<VideoFrame> frames, TrackerOptions options)
    {
        using Tracker tracker = await Tracker.CreateAsync(options);
        var r = new TrackingFrame();
        var all = new List<Vector2[]>();
        foreach (VideoFrame f in frames)
        {
            tracker.Process(f, r);
            all.Add([.. Enumerable.Range(0, TrackingFrame.FaceLandmarkCount).Select(i => r.Face.Present ? r.Face.Pixel(i, f.Width, f.Height) : new Vector2(float.NaN))]);
        }

        return all;
    }

    /// <summary>Mean over points of the std (px, x and y pooled) across frames (every frame has the same points).</summary>
    internal static double Jitter(List<Vector2[]> frames)
    {
        double sum = 0;
        int points = frames[0].Length;
        for (int i = 0; i < points; i++)
        {
            Vector2 mean = Vector2.Zero;
            foreach (Vector2[] f in frames)
            {
                mean += f[i];
            }

            mean /= frames.Count;
            double var = frames.Sum(f => (double)Vector2.DistanceSquared(f[i], mean)) / frames.Count;
            sum += Math.Sqrt(var / 2);
        }

        return sum / points;
    }

    /// <summary>
    /// Frame-to-frame noise that ignores smooth motion: for white noise of std σ an axis, the second
    /// difference x[t] − 2x[t−1] + x[t−2] has variance 6σ², so σ = √(E|d|² / 12) pooled over x and y.
    /// </summary>
    private static double SecondDifferenceNoise(List<Vector2[]> frames)
    {
        double sum = 0;
        long n = 0;
        for (int t = 2; t < frames.Count; t++)
        {
            for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
            {
                Vector2 d = frames[t][i] - (2 * frames[t - 1][i]) + frames[t - 2][i];
                if (float.IsFinite(d.X))
                {
                    sum += d.LengthSquared();
                    n++;
                }
            }
        }

        return n == 0 ? double.NaN : Math.Sqrt(sum / n / 12);
    }

    /// <summary>Σ|smoothed − raw| / Σ|raw velocity| over points moving faster than 3 px a frame: how many frames behind the smoothed points run.</summary>
    private static double Lag(List<Vector2[]> raw, List<Vector2[]> smoothed)
    {
        double error = 0, speed = 0;
        for (int t = 1; t < raw.Count; t++)
        {
            for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
            {
                Vector2 v = raw[t][i] - raw[t - 1][i];
                if (float.IsFinite(v.X) && v.Length() > 3 && float.IsFinite(smoothed[t][i].X))
                {
                    // The error along the direction of motion: positive when behind.
                    error += Vector2.Dot(raw[t][i] - smoothed[t][i], Vector2.Normalize(v));
                    speed += v.Length();
                }
            }
        }

        return speed == 0 ? double.NaN : error / speed;
    }

    internal static VideoFrame Restamp(VideoFrame source, int index)
    {
        VideoFrame f = VideoFrame.CreateUnpooled(source.Width, source.Height);
        source.ReadOnlyPixels.CopyTo(f.Pixels);
        f.Sequence = index;
        f.TimestampUs = index * 33_333L;
        return f;
    }

    /// <summary>Up to <paramref name="max"/> frames of a file, copied out of the pool (scaled when a size is given).</summary>
    internal static async Task<List<VideoFrame>> DecodeAsync(string path, int max, int width, int height)
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
