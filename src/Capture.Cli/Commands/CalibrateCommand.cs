using System.CommandLine;
using System.Globalization;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Retargeting.Calibration;
using Capture.Tracking;
using Spectre.Console;

namespace Capture.Cli.Commands;

/// <summary><c>capture calibrate INPUT -o profile.json</c>: a performer's neutral face and blendshape ranges.</summary>
internal static class CalibrateCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("input") { Description = "A clip (or camera device) of the performer: at rest for the first --neutral seconds, then making faces." };
        var output = new Option<string>("--output", "-o") { Description = "Profile JSON to write.", Required = true };
        var name = new Option<string?>("--name") { Description = "Profile name (default: the output file's name)." };
        var neutral = new Option<double>("--neutral") { Description = "Seconds at the start taken as the neutral face.", DefaultValueFactory = _ => 1.0 };
        var range = new Option<double>("--range") { Description = "Seconds after that watched for blendshape peaks (0 = the rest of the clip).", DefaultValueFactory = _ => 0 };
        Option<string?> camera = CameraOption.Create();
        var command = new Command("calibrate", "Record a performer's neutral face and per-blendshape ranges into a named JSON profile.")
        {
            input, output, name, neutral, range, camera,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            string path = parseResult.GetValue(input)!;
            string outPath = parseResult.GetValue(output)!;
            double neutralSeconds = parseResult.GetValue(neutral);
            double rangeSeconds = parseResult.GetValue(range);
            if (neutralSeconds <= 0)
            {
                throw new CaptureUserException("--neutral must be more than 0 seconds");
            }

            Capture.Core.Geometry.CameraIntrinsics? intrinsics = CameraOption.Load(parseResult.GetValue(camera));
            var calibrator = new PerformerCalibrator();
            var tracking = new TrackingFrame();
            await using IFrameSource source = await FrameSources.OpenAsync(path, null, ct).ConfigureAwait(false);
            using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true, RefineLandmarks = true, Camera = intrinsics }, ct).ConfigureAwait(false);
            double fps = source.FrameRate > 0 ? source.FrameRate : 30;
            long neutralFrames = (long)Math.Ceiling(neutralSeconds * fps);
            long lastFrame = rangeSeconds > 0 ? neutralFrames + (long)Math.Ceiling(rangeSeconds * fps) : long.MaxValue;
            long n = 0;
            await AnsiConsole.Status().StartAsync("calibrating", async ctx =>
            {
                while (n < lastFrame)
                {
                    VideoFrame? frame = await source.ReadAsync(ct).ConfigureAwait(false);
                    if (frame is null)
                    {
                        break;
                    }

                    using (frame)
                    {
                        tracker.Process(frame, tracking);
                    }

                    if (n < neutralFrames)
                    {
                        calibrator.AddNeutral(tracking);
                    }
                    else
                    {
                        calibrator.Observe(tracking);
                    }

                    n++;
                    ctx.Status(string.Create(CultureInfo.InvariantCulture, $"calibrating: frame {n} ({(n < neutralFrames ? "neutral" : "ranges")})"));
                }
            }).ConfigureAwait(false);

            PerformerProfile profile = calibrator.Build(parseResult.GetValue(name) ?? Path.GetFileNameWithoutExtension(outPath), path);
            await profile.SaveAsync(outPath, ct).ConfigureAwait(false);
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[green]wrote[/] {Markup.Escape(outPath)}: neutral from {profile.Frames} frames, ranges from {n} frames"));
            return 0;
        });
        return command;
    }
}
