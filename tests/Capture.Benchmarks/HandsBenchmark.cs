using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Testing;
using Capture.Tracking;

namespace Capture.Benchmarks;

/// <summary>
/// <c>hands</c> (hands issue): frames a second at 640×480 on one ORT thread of the tracker with hands: hands alone
/// (palm detector), face + hands, face + pose + two hands (hands from the pose, Holistic's way; goal ≥ 30 fps), with
/// face and face + pose beside them, on the shared gesture clip letterboxed to 640×480; MediaPipe JS on the same
/// frames (<c>@mediapipe/hands</c> and <c>@mediapipe/holistic</c> with useCpuInference, one wasm thread, in headless
/// Chromium; only <c>send()</c> timed); and the jitter of a still hand against the face's (px std over 30 copies of a
/// photo at 640×480). Args: [--runs 3] [--frames 103] [--no-js] [--profile] (--profile: each configuration's ms a frame
/// inside each model, and the rest: cropping, decoding, smoothing).
/// </summary>
public sealed class HandsBenchmark : IBenchmarkCommand
{
    public string Name => "hands";

    public string Description => "Hand tracking fps at 640x480, 1 thread (hands, face+hands, face+pose+hands; MediaPipe JS hands/holistic side by side), still-hand jitter vs the face's. [--runs 3] [--frames 103] [--no-js] [--profile]";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        int runs = 3, count = 103;
        bool js = true, profile = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs": runs = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--frames": count = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--no-js": js = false; break;
                case "--profile": profile = true; break;
                default:
                    Console.Error.WriteLine($"hands: unknown argument '{args[i]}'");
                    return 2;
            }
        }

        string clip = SharedMedia.File("vid_body_fullbody_gesture_s13.mp4");
        Console.WriteLine(BenchmarkReport.MachineLine());
        Console.WriteLine($"clip: {clip} letterboxed to 640x480, {count} frames; load average at start {LoadAverage()}");
        List<VideoFrame> frames = Letterboxed(clip, count);

        Console.WriteLine();
        // CPU ms a frame: the process's CPU time over the run (one ORT thread does the work), steadier than the fps on a
        // loaded machine, where the wall clock also counts the time other processes had the cores.
        Console.WriteLine("| 640x480, 1 thread | median fps | runs | hand-model runs a frame | palm detector runs | median CPU ms a frame |");
        Console.WriteLine("|---|---|---|---|---|---|");
        var profiles = new List<string>();
        foreach ((string name, TrackerOptions options) in new[]
        {
            ("face", new TrackerOptions { Threads = 1 }),
            ("hands (palm detector)", new TrackerOptions { Face = false, Hands = true, Threads = 1 }),
            ("face + hands", new TrackerOptions { Hands = true, Threads = 1 }),
            ("face + pose", new TrackerOptions { Body = true, Threads = 1 }),
            ("face + pose + hands (from the pose)", new TrackerOptions { Body = true, Hands = true, Threads = 1 }),
            ("face + lite pose + hands (Holistic's modelComplexity 0)", new TrackerOptions { Body = true, Hands = true, PoseModel = PoseModel.Lite, Threads = 1 }),
        })
        {
            using Tracker tracker = await Tracker.CreateAsync(options);
            var result = new TrackingFrame();
            var fps = new List<double>();
            var cpu = new List<double>();
            long handRuns = 0, palmRuns = 0;
            (string Name, long Runs, TimeSpan Time)[] modelsBefore = [];
            TimeSpan timed = TimeSpan.Zero;
            for (int run = 0; run < runs + 1; run++)
            {
                if (run == 1)
                {
                    modelsBefore = [.. tracker.ModelTimes()];
                }

                tracker.Reset();
                long palmsBefore = tracker.PalmDetectorRuns, handsBefore = tracker.HandLandmarkRuns;
                TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                foreach (VideoFrame f in frames)
                {
                    tracker.Process(f, result);
                }

                if (run > 0)
                {
                    fps.Add(frames.Count / sw.Elapsed.TotalSeconds); // run 0 is warm-up
                    cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / frames.Count);
                    timed += sw.Elapsed;
                }

                (handRuns, palmRuns) = (tracker.HandLandmarkRuns - handsBefore, tracker.PalmDetectorRuns - palmsBefore);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {BenchmarkReport.Median(fps):F1} | {string.Join(", ", fps.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))} | {(double)handRuns / frames.Count:F2} | {palmRuns} | {BenchmarkReport.Median(cpu):F2} |"));
            if (profile)
            {
                profiles.Add(Profile(name, modelsBefore, [.. tracker.ModelTimes()], timed, frames.Count * runs));
            }
        }

        if (profile)
        {
            Console.WriteLine();
            Console.WriteLine("| ms a frame (mean over the timed runs) | total | each model: runs a frame × ms a run | rest (crops, decoding, smoothing) |");
            Console.WriteLine("|---|---|---|---|");
            profiles.ForEach(Console.WriteLine);
        }

        if (js)
        {
            string script = MediaPipeJsBenchmark.FindScript();
            Console.WriteLine();
            Console.WriteLine($"MediaPipe JS in {MediaPipeJsBenchmark.Chromium()}, useCpuInference (TFLite XNNPACK in wasm), same frames, send() timed:");
            foreach (string solution in new[] { "hands", "holistic" })
            {
                var fps = new List<double>();
                for (int r = 0; r < runs; r++)
                {
                    JsonElement timing = MediaPipeJsBenchmark.RunHarness(script,
                    [
                        "--solution", solution, "--video", clip, "--width", "640", "--height", "480", "--fit", "pad",
                        "--frames", count.ToString(CultureInfo.InvariantCulture), "--no-landmarks", "--cpu",
                    ]).GetProperty("timing").GetProperty(solution);
                    fps.Add(timing.GetProperty("fps").GetDouble());
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| MediaPipe JS {solution}{(solution == "holistic" ? " (face + pose + hands)" : "")} | {BenchmarkReport.Median(fps):F1} | {string.Join(", ", fps.Select(v => v.ToString("F1", CultureInfo.InvariantCulture)))} | | | |"));
            }
        }

        await JitterAsync();
        Console.WriteLine($"load average at the end {LoadAverage()}");
        return 0;
    }

    /// <summary>One configuration's profile row: the mean frame's time, each model's share of it and what is left.</summary>
    internal static string Profile(string name, (string Name, long Runs, TimeSpan Time)[] before, (string Name, long Runs, TimeSpan Time)[] after, TimeSpan timed, int frameCount)
    {
        var parts = new List<string>();
        double inModels = 0;
        for (int i = 0; i < after.Length; i++)
        {
            long runs = after[i].Runs - before[i].Runs;
            double ms = (after[i].Time - before[i].Time).TotalMilliseconds;
            inModels += ms;
            if (runs > 0)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{after[i].Name} {(double)runs / frameCount:F2} × {ms / runs:F2}"));
            }
        }

        double total = timed.TotalMilliseconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {total / frameCount:F2} | {string.Join("; ", parts)} | {(total - inModels) / frameCount:F2} |");
    }

    /// <summary>A still hand against a still face, both 30 copies of one photo at 640×480, tracked with and without smoothing.</summary>
    private static async Task JitterAsync()
    {
        // The raised hands of the gesture clip's frame 48, the upper body cut out (4:3) and scaled to 640×480: hands ~90 px.
        VideoFrame hands = Frame(SharedMedia.File("vid_body_fullbody_gesture_s13.mp4"), "select=eq(n\\,48),crop=600:450:60:0,scale=640:480");
        VideoFrame face = (await TrackingBenchmark.DecodeAsync(SharedMedia.File("face_sergey_mediapipe.png"), 1, 640, 480))[0];
        Console.WriteLine();
        Console.WriteLine("| photo x30, 640x480 | smoothing | std px | hand size / inter-ocular px |");
        Console.WriteLine("|---|---|---|---|");
        foreach (bool smoothing in new[] { false, true })
        {
            List<Vector2[]> facePoints = await TrackAsync(face, new TrackerOptions { Smoothing = smoothing }, r => r.Face.Present, r => r.Face.Landmarks);
            List<Vector2[]> handPoints = await TrackAsync(hands, new TrackerOptions { Face = false, Hands = true, Smoothing = smoothing },
                r => r.LeftHand.Present && r.RightHand.Present, r => [.. r.LeftHand.Landmarks, .. r.RightHand.Landmarks]);
            float eyes = Vector2.Distance(facePoints[0][FaceTopology.RightEyeOuter], facePoints[0][FaceTopology.LeftEyeOuter]);
            float hand = Vector2.Distance(handPoints[0][HandTopology.Wrist], handPoints[0][HandTopology.MiddleMcp]);
            string on = smoothing ? "default" : "off";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| face (sergey) | {on} | {TrackingBenchmark.Jitter(facePoints):F3} | {eyes:F0} |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| both hands (s13 frame 48) | {on} | {TrackingBenchmark.Jitter(handPoints):F3} | {hand:F0} (wrist → middle knuckle) |"));
        }
    }

    private static async Task<List<Vector2[]>> TrackAsync(VideoFrame photo, TrackerOptions options, Func<TrackingFrame, bool> present, Func<TrackingFrame, Vector3[]> points)
    {
        using Tracker tracker = await Tracker.CreateAsync(options with { Threads = 1 });
        var r = new TrackingFrame();
        var all = new List<Vector2[]>();
        for (int i = 0; i < 30; i++)
        {
            tracker.Process(TrackingBenchmark.Restamp(photo, i), r);
            if (!present(r))
            {
                throw new InvalidOperationException($"frame {i}: not found");
            }

            all.Add([.. points(r).Select(p => new Vector2(p.X * photo.Width, p.Y * photo.Height))]);
        }

        return all;
    }

    /// <summary>The clip letterboxed into 640×480 (as MediaPipe JS's harness pads it), decoded once.</summary>
    private static List<VideoFrame> Letterboxed(string clip, int count)
    {
        var frames = new List<VideoFrame>();
        using Process p = Ffmpeg(clip, "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2", count);
        Stream s = p.StandardOutput.BaseStream;
        while (frames.Count < count)
        {
            VideoFrame f = VideoFrame.CreateUnpooled(640, 480);
            if (!Read(s, f.Pixels))
            {
                break;
            }

            f.Sequence = frames.Count;
            f.TimestampUs = frames.Count * 40_000L;
            frames.Add(f);
        }

        p.WaitForExit();
        return frames;
    }

    private static VideoFrame Frame(string clip, string filter)
    {
        using Process p = Ffmpeg(clip, filter, 1);
        VideoFrame f = VideoFrame.CreateUnpooled(640, 480);
        if (!Read(p.StandardOutput.BaseStream, f.Pixels))
        {
            throw new InvalidOperationException($"ffmpeg gave no frame for {filter}");
        }

        p.WaitForExit();
        return f;
    }

    private static Process Ffmpeg(string input, string filter, int frames)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false };
        foreach (string a in new[] { "-v", "error", "-i", input, "-vf", filter, "-frames:v", frames.ToString(CultureInfo.InvariantCulture), "-f", "rawvideo", "-pix_fmt", "rgb24", "-" })
        {
            start.ArgumentList.Add(a);
        }

        return Process.Start(start)!;
    }

    private static bool Read(Stream s, Span<byte> buffer)
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

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}
