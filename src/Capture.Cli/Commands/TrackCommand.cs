using System.CommandLine;
using Capture.Pipeline;
using Capture.Tracking;
using Spectre.Console;

namespace Capture.Cli.Commands;

/// <summary><c>capture track INPUT -o frames.mpk [--body] [--hands] [--overlay out.mp4]</c>: tracks a video or image into a recording.</summary>
internal static class TrackCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "A video file, an image, /dev/videoN or lavfi:<graph>." };
        var output = new Option<FileInfo>("--output", "-o") { Description = "The .mpk recording to write (header, then one tracking packet a frame).", Required = true };
        var body = new Option<bool>("--body") { Description = "Track the body (33 pose points) as well as the face." };
        var noFace = new Option<bool>("--no-face") { Description = "Do not track the face." };
        var hands = new Option<bool>("--hands")
        {
            Description = "Track both hands (21 points each, world points in metres, handedness): found from the body's wrists with --body (MediaPipe Holistic's way), else by the palm detector (MediaPipe Hands').",
        };
        var handModel = new Option<HandModel>("--hand-model") { Description = "With --hands: the hand landmark model and palm detector (Lite is faster, Full more exact).", DefaultValueFactory = _ => HandModel.Full };
        var overlay = new Option<FileInfo?>("--overlay") { Description = "Also write the input with the mesh points, skeleton, hands and blendshape bars drawn on it: an .mp4 for a video or camera, a .png for a still picture." };
        var width = new Option<int?>("--width") { Description = "Scale frames to this width before tracking (height follows unless given)." };
        var height = new Option<int?>("--height") { Description = "Scale frames to this height before tracking." };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime threads a model (0: its default)." };
        var iris = new Option<bool>("--iris") { Description = "Use MediaPipe's attention face model: 10 iris points (sent in the recording) and the eyeLook* blendshapes; refined lips and eyes. About 25% slower." };
        var poseModel = new Option<PoseModel>("--pose-model") { Description = "With --body: the BlazePose model (Lite is the fastest, Heavy the most exact).", DefaultValueFactory = _ => PoseModel.Full };
        var landmarks = new Option<Capture.Protocol.Schema.LandmarkEncoding>("--landmarks") { Description = "How the recording stores face landmarks: Float32 (exact) or Int16 (half the size, within 3.1e-5 of the image; what live sessions send).", DefaultValueFactory = _ => Capture.Protocol.Schema.LandmarkEncoding.Float32 };
        var stills = new Option<bool>("--static") { Description = "Detect on every frame and do not smooth (unrelated stills)." };
        Option<string?> camera = CameraOption.Create();
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print the live counters at the end: time per stage, frames, drops, pool use, GC (docs/metrics.md)." };
        Option<bool> json = CliJson.CreateOption();
        var command = new Command("track", "Track a performer's face (468 points, head pose, ARKit blendshapes) and optionally body and hands into a .mpk recording.")
        {
            input, output, body, hands, handModel, noFace, overlay, width, height, threads, stills, iris, poseModel, landmarks, camera, verbose, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            CliJson.Begin(parseResult.GetValue(json));
            if (parseResult.GetValue(noFace) && !parseResult.GetValue(body) && !parseResult.GetValue(hands))
            {
                throw new CaptureUserException("--no-face without --body or --hands leaves nothing to track");
            }

            var options = new TrackOptions
            {
                Input = parseResult.GetValue(input)!,
                OutputPath = parseResult.GetValue(output)!.FullName,
                Tracker = new TrackerOptions
                {
                    Face = !parseResult.GetValue(noFace),
                    Body = parseResult.GetValue(body),
                    Hands = parseResult.GetValue(hands),
                    HandModel = parseResult.GetValue(handModel),
                    Threads = parseResult.GetValue(threads),
                    StaticImage = parseResult.GetValue(stills),
                    RefineLandmarks = parseResult.GetValue(iris),
                    PoseModel = parseResult.GetValue(poseModel),
                    Camera = CameraOption.Load(parseResult.GetValue(camera)),
                },
                OverlayPath = parseResult.GetValue(overlay)?.FullName,
                Width = parseResult.GetValue(width),
                Height = parseResult.GetValue(height),
                Landmarks = parseResult.GetValue(landmarks),
            };
            return await RunAsync(options, parseResult.GetValue(verbose), cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(TrackOptions options, bool verbose, CancellationToken ct)
    {
        using Capture.Core.Diagnostics.CaptureMetricsListener? metrics = MetricsOutput.Start(verbose);
        TrackResult? result = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                ProgressTask task = ctx.AddTask($"track {Markup.Escape(Path.GetFileName(options.Input))}", maxValue: 1);
                task.IsIndeterminate = true;
                var progress = new Progress<TrackProgress>(p =>
                {
                    task.IsIndeterminate = p.TotalFrames is null;
                    task.MaxValue = p.TotalFrames ?? 1;
                    task.Value = p.TotalFrames is null ? 0 : p.Frame;
                    task.Description = $"track {Markup.Escape(Path.GetFileName(options.Input))} [grey]{p.Frame} frames, {p.FramesPerSecond:F1} fps[/]";
                });
                result = await TrackPipeline.RunAsync(options, progress, ct);
                task.Value = task.MaxValue;
                task.StopTask();
            });

        TrackResult r = result!;
        AnsiConsole.MarkupLine(
            $"{r.Frames} frames in {r.Seconds:F1} s ({r.FramesPerSecond:F1} fps): face in {r.FramesWithFace} ({Share(r.FramesWithFace, r.Frames)}), " +
            $"body in {r.FramesWithBody} ({Share(r.FramesWithBody, r.Frames)})" +
            (options.Tracker.Hands ? $", left hand in {r.FramesWithLeftHand}, right hand in {r.FramesWithRightHand}" : string.Empty) +
            $" → [green]{Markup.Escape(r.OutputPath)}[/]" +
            (r.OverlayPath is null ? string.Empty : $", overlay [green]{Markup.Escape(r.OverlayPath)}[/]"));
        MetricsOutput.Print(metrics);
        if (CliJson.Active)
        {
            CliJson.Write(new
            {
                command = "track",
                input = options.Input,
                output = r.OutputPath,
                overlay = r.OverlayPath,
                frames = r.Frames,
                framesWithFace = r.FramesWithFace,
                framesWithBody = r.FramesWithBody,
                seconds = r.Seconds,
                framesPerSecond = r.FramesPerSecond,
            });
        }

        return r.Frames == 0 ? 1 : 0;
    }

    private static string Share(long part, long whole) =>
        whole == 0 ? "0 %" : (100.0 * part / whole).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " %";
}
