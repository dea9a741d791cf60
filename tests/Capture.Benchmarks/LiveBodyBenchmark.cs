using System.Diagnostics;
using System.Globalization;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Generation;
using Capture.Media;
using Capture.Pipeline;
using Capture.Pipeline.Tests;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Retargeting;
using Capture.Retargeting.Body;
using Capture.Retargeting.Rigs;
using Capture.Server.Client;
using Capture.Server.Live;
using Capture.Testing;
using Capture.Tracking;
using Capture.Tracking.Face;

namespace Capture.Benchmarks;

/// <summary>
/// Live body sessions at the live default size (issue 23's goal: body + face at 30 fps, glass-to-glass p50 ≤ 40 ms):
/// (1) the session's render alone (<see cref="LiveRenderer"/>: retarget + generate), a body character (the Animated
/// Drawings stick figure, 256 wide) beside a face character (256²) on the same tracked frames of the gesture clip, with
/// the body generator's own split (body map, ORT session); (2) glass-to-glass through a real server, the performer
/// tracking face and body (<c>capture live --body</c>'s path) against face only.
/// </summary>
public sealed class LiveBodyBenchmark : IBenchmarkCommand
{
    public string Name => "live-body";

    public string Description => "live body session at 256 wide vs a face session at 256²: render ms a frame (retarget+generate, map/session split), then glass-to-glass through a server with the performer tracking face+body; args: [frames] [runs] [render: skip glass-to-glass | g2g: only glass-to-glass | track [CONFIGURATION]: only the performer's tracking profile] [--clip PATH: another performer clip]";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        Console.WriteLine(BenchmarkReport.MachineLine());
        // --clip PATH: another performer clip (for instance the gesture clip re-timed to 30 fps, to show a 30 fps rate).
        string clip = SharedMedia.File("vid_body_fullbody_gesture_s13.mp4");
        int clipAt = Array.IndexOf(args, "--clip");
        if (clipAt >= 0)
        {
            clip = clipAt + 1 < args.Length ? args[clipAt + 1] : throw new ArgumentException("--clip needs a path");
            args = [.. args[..clipAt], .. args[(clipAt + 2)..]];
        }

        int count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 60;
        int runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 3;
        await CanonicalFace.LoadAsync();
        if (args.Length > 2 && args[2] == "track")
        {
            await TrackingProfileAsync(clip, count, runs, args.Length > 3 ? args[3] : null);
            return 0;
        }

        if (args.Length > 2 && args[2] == "g2g")
        {
            await GlassToGlassAsync(clip, runs);
            return 0;
        }

        List<TrackingFrame> frames = await TrackAsync(clip, count);
        Console.WriteLine($"{frames.Count} frames of {Path.GetFileName(clip)} tracked (face + body), {frames.Count(f => f.Body.Present)} with a body; {runs} runs each, one ORT thread (as a session)");

        BodyCharacter drawing = await BodyCharacters.DrawingAsync();
        CharacterRig face = await CharacterLoader.LoadAsync(SharedMedia.File("face_woman_happy_sadtalker.png"), null, 1024);
        Row("face session 256x256", runs, () => new LiveRenderer(face, 256, null, 30), frames);
        (int w, int h) = drawing.OutputSize(256);
        Row($"body session {w}x{h} (stick figure)", runs, () => new LiveRenderer(drawing, 256, null, 30), frames);
        foreach (int width in new[] { 256, 720 })
        {
            // Without and with the alpha plane (offline renders vs live sessions), one after the other on the same frames.
            Split(drawing, width, frames, runs, withAlpha: false);
            Split(drawing, width, frames, runs, withAlpha: true);
        }

        if (!(args.Length > 2 && args[2] == "render"))
        {
            await GlassToGlassAsync(clip, runs);
        }

        return 0;
    }

    private static void Row(string name, int runs, Func<LiveRenderer> create, List<TrackingFrame> frames)
    {
        var perFrame = new List<double>();
        for (int run = 0; run < runs; run++)
        {
            using LiveRenderer renderer = create();
            renderer.BeginPerformer(new PerformerCapabilities(true, true, false));
            foreach (TrackingFrame f in Restamped(frames))
            {
                long t0 = Stopwatch.GetTimestamp();
                renderer.Render(f);
                perFrame.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name,-40} render p50 {BenchServer.Percentile(perFrame, 50),6:F1} ms, p90 {BenchServer.Percentile(perFrame, 90),6:F1} ms a frame ({1000 / BenchServer.Percentile(perFrame, 50),5:F0} fps on one core)"));
    }

    // The body generator alone on the retargeted frames: where a body frame's time goes.
    private static void Split(BodyCharacter drawing, int width, List<TrackingFrame> frames, int runs, bool withAlpha)
    {
        (int w, int h) = drawing.OutputSize(width);
        using WarpGenerator generator = WarpGenerator.ForBody(w, h, intraOpThreads: 1, withAlpha: withAlpha);
        generator.SetCharacter(drawing);
        var driven = new DrivenFace();
        var body = new DrivenBody();
        body.SetRest(drawing.Body);
        var pose = new BodyPose();
        long map = 0, session = 0, n = 0;
        for (int run = 0; run < runs; run++)
        {
            var retargeter = new BodyRetargeter(drawing.Body);
            foreach (TrackingFrame f in Restamped(frames))
            {
                pose.SetFromObservation(f.Body, f.ImageWidth, f.ImageHeight, f.CaptureTimestampUs);
                retargeter.Update(pose, body);
                long m0 = generator.MapTicks, s0 = generator.SessionTicks;
                generator.Generate(driven, body);
                if (run > 0 || n > 5)
                {
                    map += generator.MapTicks - m0;
                    session += generator.SessionTicks - s0;
                }

                n++;
            }
        }

        double frames1 = Math.Max(1, n - 6);
        var bodyMap = (BodyMeshMap)generator.Map;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  body generator {w}x{h}{(withAlpha ? " + alpha" : ""),-8}, lattice {bodyMap.GridSize}x{bodyMap.GridHeight}: body map {map * 1000.0 / Stopwatch.Frequency / frames1:F2} ms, ORT session {session * 1000.0 / Stopwatch.Frequency / frames1:F2} ms a frame (mean of {frames1:F0}; {bodyMap.RelaxedFrames} of {n} frames relaxed)"));
    }

    /// <summary>
    /// The performer's tracking alone (<c>capture live --body</c>'s tracker options: iris on, one ORT thread), on the clip's
    /// frames decoded beforehand at its own size (720×1080) and letterboxed to a webcam's 640×480: ms a frame, and where
    /// they go (each model's runs a frame × ms a run, the detectors' runs, the rest: crops, smoothing, blendshapes).
    /// </summary>
    private static async Task TrackingProfileAsync(string clip, int count, int runs, string? only)
    {
        // With a configuration named (e.g. "face (iris) + full pose"), that one alone at the clip's size: two processes
        // that differ in one setting, for a whole-process before/after.
        foreach ((int w, int h) in only is null ? new[] { (0, 0), (640, 480) } : [(0, 0)])
        {
            List<VideoFrame> frames = await TrackingBenchmark.DecodeAsync(clip, count, w, h);
            Console.WriteLine($"tracking {frames.Count} frames at {frames[0].Width}x{frames[0].Height}, {runs} timed runs after one warm-up:");
            foreach ((string name, TrackerOptions options) in new[]
            {
                ("face (iris)", new TrackerOptions { RefineLandmarks = true, Threads = 1 }),
                ("face (iris) + full pose", new TrackerOptions { RefineLandmarks = true, Body = true, Threads = 1 }),
                ("face (iris) + full pose, overlapped", new TrackerOptions { RefineLandmarks = true, Body = true, Threads = 1, ParallelFaceAndBody = true }),
                ("face (iris) + lite pose", new TrackerOptions { RefineLandmarks = true, Body = true, PoseModel = PoseModel.Lite, Threads = 1 }),
                ("face (iris) + lite pose, overlapped", new TrackerOptions { RefineLandmarks = true, Body = true, PoseModel = PoseModel.Lite, Threads = 1, ParallelFaceAndBody = true }),
                ("full pose alone", new TrackerOptions { Face = false, Body = true, Threads = 1 }),
            })
            {
                if (only is not null && name != only)
                {
                    continue;
                }

                using Tracker tracker = await Tracker.CreateAsync(options);
                var result = new TrackingFrame();
                var perFrame = new List<double>();
                (string Name, long Runs, TimeSpan Time)[] before = [];
                long faceDet = 0, poseDet = 0, fallback = 0, fromPose = 0, faces = 0, bodies = 0;
                for (int run = 0; run <= runs; run++)
                {
                    if (run == 1)
                    {
                        before = [.. tracker.ModelTimes()];
                        (faceDet, poseDet, fallback, fromPose) = (tracker.FaceDetectorRuns, tracker.PoseDetectorRuns, tracker.FaceFallbackRuns, tracker.FacePoseRegionDetections);
                    }

                    tracker.Reset();
                    for (int i = 0; i < frames.Count; i++)
                    {
                        frames[i].TimestampUs = (run * frames.Count + i) * 40_000L;
                        long t0 = Stopwatch.GetTimestamp();
                        tracker.Process(frames[i], result);
                        if (run > 0)
                        {
                            perFrame.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                            faces += result.Face.Present ? 1 : 0;
                            bodies += result.Body.Present ? 1 : 0;
                        }
                    }
                }

                int n = frames.Count * runs;
                double mean = perFrame.Sum() / n;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {name,-37} p50 {BenchServer.Percentile(perFrame, 50),6:F1} ms, mean {mean,6:F1} ms a frame; face in {faces}/{n}, body in {bodies}/{n}; " +
                    $"detector runs: face {tracker.FaceDetectorRuns - faceDet} (from the pose's head {tracker.FacePoseRegionDetections - fromPose}), face fallback {tracker.FaceFallbackRuns - fallback}, pose {tracker.PoseDetectorRuns - poseDet}"));

                // The hands benchmark's profile row: | name | ms a frame | each model's runs a frame × ms a run | the rest |.
                Console.WriteLine("    " + HandsBenchmark.Profile(name, before, [.. tracker.ModelTimes()], TimeSpan.FromMilliseconds(perFrame.Sum()), n));
            }

            frames.ForEach(f => f.Dispose());
        }
    }

    /// <summary>
    /// Glass-to-glass through a real server, the configurations taken in turn round after round (A B C D A B C D …), so
    /// that a machine whose load drifts weighs on each alike; each row's figures are medians over the rounds.
    /// </summary>
    private static async Task GlassToGlassAsync(string clip, int rounds)
    {
        await using BenchServer server = await BenchServer.StartAsync();
        using var api = new LiveApi(server.Address, BenchServer.Key);
        var configurations = new[]
        {
            ("face session 256² (face tracked)", SharedMedia.File("face_woman_happy_sadtalker.png"), false, PoseModel.Full, false),
            ("body session 256 wide (face + full pose, one thread)", BodyCharacters.Folder, true, PoseModel.Full, false),
            ("body session 256 wide (face + full pose, overlapped)", BodyCharacters.Folder, true, PoseModel.Full, true),
            ("body session 256 wide (face + lite pose, overlapped)", BodyCharacters.Folder, true, PoseModel.Lite, true),
        };
        string[] stages = ["g2g p50", "g2g p99", "viewer fps", "track", "source queue + wire in", "ingest queue", "render", "JPEG", "send", "wire out + viewer"];
        var figures = configurations.Select(_ => stages.ToDictionary(k => k, _ => new List<double>())).ToArray();
        for (int round = 0; round < rounds; round++)
        {
            for (int c = 0; c < configurations.Length; c++)
            {
                (string name, string character, bool body, PoseModel pose, bool parallel) = configurations[c];
                LivePerformerResult r = await server.PerformAsync(api, character, 256, clip, body, pose, parallel);
                double[] g2g = [.. r.Viewed.Select(f => f.LatencyMs)];
                double track = BenchServer.Percentile(r.TrackMs, 50);
                double p50 = BenchServer.Percentile(g2g, 50);
                Dictionary<string, List<double>> f = figures[c];
                f["g2g p50"].Add(p50);
                f["g2g p99"].Add(BenchServer.Percentile(g2g, 99));
                f["viewer fps"].Add(ViewedFps(r.Viewed));
                f["track"].Add(track);
                f["source queue + wire in"].Add(BenchServer.Percentile(server.Take("capture_live_ingest_latency_ms"), 50) - track);
                f["ingest queue"].Add(BenchServer.Percentile(server.Take("capture_live_queue_ms"), 50));
                f["render"].Add(BenchServer.Percentile(server.Take("capture_live_render_ms"), 50));
                f["JPEG"].Add(BenchServer.Percentile(server.Take("capture_live_jpeg_ms"), 50));
                f["send"].Add(BenchServer.Percentile(server.Take("capture_live_send_ms"), 50));
                f["wire out + viewer"].Add(p50 - BenchServer.Percentile(server.Take("capture_live_latency_ms"), 50));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  round {round + 1} {name,-54} {r.FramesSent} sent of {r.FramesCaptured} captured, {r.Viewed.Count} viewed ({f["viewer fps"][^1]:F1} fps at the viewer); glass-to-glass p50 {p50:F1} ms; track p50 {track:F1} ms"));
            }
        }

        // Where the p50 goes (each stage's own p50, so they need not add up exactly): the performer's queue and
        // tracking, the wire in, the server's ingest queue, render, JPEG, hand-over to the socket, the wire out.
        Console.WriteLine($"medians over {rounds} rounds (the clip's frame rate is the most a viewer can get from it):");
        for (int c = 0; c < configurations.Length; c++)
        {
            Dictionary<string, List<double>> f = figures[c];
            double M(string k) => BenchmarkReport.Median(f[k]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{configurations[c].Item1,-54} glass-to-glass p50 {M("g2g p50"),6:F1} ms, p99 {M("g2g p99"),6:F1} ms, {M("viewer fps"),4:F1} fps at the viewer"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    track {M("track"):F1} ms, source queue + wire in {M("source queue + wire in"):F1} ms, ingest queue {M("ingest queue"):F1} ms, render {M("render"):F1} ms, JPEG {M("JPEG"):F1} ms, send {M("send"):F1} ms, wire out + viewer {M("wire out + viewer"):F1} ms"));
        }
    }

    // Frames a second at the viewer, over the span from its first frame to its last (the run's seconds include loading the models).
    private static double ViewedFps(IReadOnlyList<ViewedFrame> viewed)
        => viewed.Count < 2 ? 0 : (viewed.Count - 1) / ((viewed[^1].ArrivedUs - viewed[0].ArrivedUs) / 1e6);

    // Frames 33 ms apart from now on, as a camera would stamp them (the retargeters need time order).
    private static IEnumerable<TrackingFrame> Restamped(List<TrackingFrame> frames)
    {
        long t = Capture.Core.Timing.UnixClock.NowUs;
        for (int i = 0; i < frames.Count; i++)
        {
            frames[i].CaptureTimestampUs = t + (i * 33_333L);
            yield return frames[i];
        }
    }

    // Tracked once and kept in the temporary folder (a Capture recording), so runs that compare builds render the same frames.
    private static async Task<List<TrackingFrame>> TrackAsync(string clip, int count)
    {
        string path = Path.Combine(Path.GetTempPath(), $"capture-live-body-bench-{Path.GetFileNameWithoutExtension(clip)}-{count}.mpk");
        var tracked = new List<TrackingFrame>();
        if (File.Exists(path))
        {
            using RecordingReader recording = RecordingReader.Open(path);
            var decoder = new ProtocolReader();
            while (recording.TryReadNext(out ReadOnlyMemory<byte> packet))
            {
                if (decoder.Read(packet.Span) == MessageKind.TrackingFrame)
                {
                    var frame = new TrackingFrame();
                    decoder.Frame.CopyTo(frame);
                    tracked.Add(frame);
                }
            }

            return tracked;
        }

        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true, Body = true });
        await using IFrameSource source = await FrameSources.OpenAsync(clip);
        string partial = path + ".part";
        using (var file = File.Create(partial))
        using (var writer = new RecordingWriter(file, $"capture live-body benchmark, {Path.GetFileName(clip)}"))
        using (var packet = new Capture.Protocol.MessagePack.PooledBufferWriter(16 * 1024))
        {
            while (tracked.Count < count && await source.ReadAsync() is VideoFrame frame)
            {
                var result = new TrackingFrame();
                using (frame)
                {
                    tracker.Process(frame, result);
                }

                tracked.Add(result);
                packet.Reset();
                ProtocolWriter.WriteTrackingFrame(packet, result, LandmarkEncoding.Float32);
                writer.Write(packet.WrittenSpan);
            }
        }

        File.Move(partial, path, overwrite: true);
        return tracked;
    }
}
