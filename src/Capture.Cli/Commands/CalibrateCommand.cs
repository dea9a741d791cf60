using System.CommandLine;
using System.Globalization;
using Capture.Pipeline;
using Capture.Retargeting.Calibration;
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

            var window = new CalibrationWindow { NeutralSeconds = neutralSeconds, RangeSeconds = rangeSeconds > 0 ? rangeSeconds : double.PositiveInfinity };
            PerformerProfile profile = null!;
            CalibrationPass pass = null!;
            await AnsiConsole.Status().StartAsync("calibrating", async ctx =>
            {
                var progress = new Progress<(long Frame, bool Neutral)>(p =>
                    ctx.Status(string.Create(CultureInfo.InvariantCulture, $"calibrating: frame {p.Frame} ({(p.Neutral ? "neutral" : "ranges")})")));
                (profile, pass) = await CalibrationPass.CalibrateAsync(
                    path, parseResult.GetValue(name) ?? Path.GetFileNameWithoutExtension(outPath), window, CameraOption.Load(parseResult.GetValue(camera)), progress, ct).ConfigureAwait(false);
            }).ConfigureAwait(false);

            await profile.SaveAsync(outPath, ct).ConfigureAwait(false);
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[green]wrote[/] {Markup.Escape(outPath)}: neutral from {profile.Frames} frames, ranges from {pass.FramesRead} frames"));
            return 0;
        });
        return command;
    }
}
