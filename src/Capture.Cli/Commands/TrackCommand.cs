using System.CommandLine;
using System.Diagnostics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Tracking;
using Capture.Tracking.Overlay;
using Spectre.Console;

namespace Capture.Cli.Commands;

/// <summary><c>capture track INPUT -o frames.mpk [--body] [--overlay out.mp4]</c>: tracks a video or image into a recording.</summary>
internal static class TrackCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "A video file, an image, /dev/videoN or lavfi:<graph>." };
        var output = new Option<FileInfo>("--output", "-o") { Description = "The .mpk recording to write (header, then one tracking packet a frame).", Required = true };
        var body = new Option<bool>("--body") { Description = "Track the body (33 pose points) as well as the face." };
        var noFace = new Option<bool>("--no-face") { Description = "Do not track the face." };
        var overlay = new Option<FileInfo?>("--overlay") { Description = "Also write an MP4 with the mesh points, skeleton and blendshape bars drawn on the video." };
        var width = new Option<int?>("--width") { Description = "Scale frames to this width before tracking (height follows unless given)." };
        var height = new Option<int?>("--height") { Description = "Scale frames to this height before tracking." };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime threads a model (0: its default)." };
        var iris = new Option<bool>("--iris") { Description = "Use MediaPipe's attention face model: 10 iris points (sent in the recording) and the eyeLook* blendshapes; refined lips and eyes. About 25% slower." };
        var poseModel = new Option<PoseModel>("--pose-model") { Description = "With --body: the BlazePose model (Lite is the fastest, Heavy the most exact).", DefaultValueFactory = _ => PoseModel.Full };
        var stills = new Option<bool>("--static") { Description = "Detect on every frame and do not smooth (unrelated stills)." };
        Option<string?> camera = CameraOption.Create();
        var command = new Command("track", "Track a performer's face (468 points, head pose, ARKit blendshapes) and optionally body into a .mpk recording.")
        {
            input, output, body, noFace, overlay, width, height, threads, stills, iris, poseModel, camera,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var settings = new Settings(
                parseResult.GetValue(input)!,
                parseResult.GetValue(output)!,
                new TrackerOptions
                {
                    Face = !parseResult.GetValue(noFace),
                    Body = parseResult.GetValue(body),
                    Threads = parseResult.GetValue(threads),
                    StaticImage = parseResult.GetValue(stills),
                    RefineLandmarks = parseResult.GetValue(iris),
                    PoseModel = parseResult.GetValue(poseModel),
                    Camera = CameraOption.Load(parseResult.GetValue(camera)),
                },
                parseResult.GetValue(overlay),
                parseResult.GetValue(width),
                parseResult.GetValue(height));
            return await RunAsync(settings, cancellationToken);
        });
        return command;
    }

    private sealed record Settings(string Input, FileInfo Output, TrackerOptions Options, FileInfo? Overlay, int? Width, int? Height);

    private static async Task<int> RunAsync(Settings s, CancellationToken ct)
    {
        if (!s.Options.Face && !s.Options.Body)
        {
            throw new CaptureUserException("--no-face without --body leaves nothing to track");
        }

        if (!s.Input.StartsWith("lavfi:", StringComparison.Ordinal) && !s.Input.StartsWith("/dev/video", StringComparison.Ordinal) && !File.Exists(s.Input))
        {
            throw new FileNotFoundException($"{s.Input}: no such file", s.Input);
        }

        using Tracker tracker = await Tracker.CreateAsync(s.Options, ct);
        await using IFrameSource source = await FrameSources.OpenAsync(s.Input, new FrameSourceOptions { Width = s.Width, Height = s.Height }, ct);
        s.Output.Directory?.Create();
        await using var file = new FileStream(s.Output.FullName, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16, useAsync: false);
        using var recording = new RecordingWriter(file, $"capture track {Path.GetFileName(s.Input)}");
        Mp4Sink? sink = s.Overlay is null ? null
            : Mp4Sink.Create(s.Overlay.FullName, source.Width, source.Height, source.FrameRate, File.Exists(s.Input) ? s.Input : null);
        using var packet = new PooledBufferWriter(16 * 1024);
        var result = new TrackingFrame();
        long frames = 0, faces = 0, bodies = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            await AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    ProgressTask task = ctx.AddTask($"track {Markup.Escape(source.Description)}", maxValue: source.FrameCount ?? 1);
                    task.IsIndeterminate = source.FrameCount is null;
                    while (await source.ReadAsync(ct) is { } frame)
                    {
                        using (frame)
                        {
                            tracker.Process(frame, result);
                            packet.Reset();
                            ProtocolWriter.WriteTrackingFrame(packet, result, LandmarkEncoding.Float32);
                            recording.Write(packet.WrittenSpan);
                            frames++;
                            faces += result.Face.Present ? 1 : 0;
                            bodies += result.Body.Present ? 1 : 0;
                            if (sink is not null)
                            {
                                TrackingOverlay.Draw(frame.Pixels, frame.Width, frame.Height, result, tracker.FaceRegion);
                                await sink.WriteAsync(frame, ct);
                            }
                        }

                        double fps = frames / Math.Max(clock.Elapsed.TotalSeconds, 1e-3);
                        task.Value = source.FrameCount is null ? 0 : frames;
                        task.Description = $"track {Markup.Escape(Path.GetFileName(s.Input))} [grey]{frames} frames, {fps:F1} fps[/]";
                    }

                    task.Value = task.MaxValue;
                    task.StopTask();
                });

            if (sink is not null)
            {
                await sink.CompleteAsync(ct);
            }
        }
        finally
        {
            if (sink is not null)
            {
                await sink.DisposeAsync();
            }
        }

        recording.Flush();
        double seconds = clock.Elapsed.TotalSeconds;
        AnsiConsole.MarkupLine(
            $"{frames} frames in {seconds:F1} s ({frames / Math.Max(seconds, 1e-3):F1} fps): face in {faces}, body in {bodies} → [green]{Markup.Escape(s.Output.FullName)}[/]" +
            (s.Overlay is null ? string.Empty : $", overlay [green]{Markup.Escape(s.Overlay.FullName)}[/]"));
        return frames == 0 ? 1 : 0;
    }
}
