using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Media.Figures;
using Capture.Pipeline;
using Capture.Retargeting.Rigs;
using Spectre.Console;

namespace Capture.Cli.Commands;

/// <summary>
/// <c>capture figure CHARACTER -o DIR</c>: what a character's body is made of (docs/figure.md): its joints, its figure cut
/// out of the picture and the background filled behind it, written as files to look at or to reuse (a transparent
/// cut-out for an overlay, a mask to correct by hand and give back with <c>--mask</c>).
/// </summary>
internal static class FigureCommand
{
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    public static Command Create()
    {
        var character = new Argument<string>("character")
        {
            Description = "A character picture (PNG/JPEG), or an Animated Drawings character: a folder (texture.png, mask.png, char_cfg.yaml) or a zip of one.",
        };
        var output = new Option<string>("--output", "-o") { Description = "Folder for cutout.png, mask.png, background.png and joints.json.", Required = true };
        var mask = new Option<string?>("--mask") { Description = "A mask picture for the figure (white = figure), instead of computing one; the picture's own alpha still wins." };
        var rig = new Option<string?>("--rig") { Description = "Rig JSON with the character's face points, for a face the tracker cannot read." };
        var command = new Command(
            "figure",
            "Find a character's joints, cut its figure out of the picture and fill the background behind it; write what was found as files.")
        {
            character, output, mask, rig,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            string path = parseResult.GetValue(character)!;
            string dir = parseResult.GetValue(output)!;
            BodyCharacter c = await CharacterLoader.LoadBodyAsync(
                path, new BodyLoadOptions { MaskPath = parseResult.GetValue(mask), RigPath = parseResult.GetValue(rig) },
                m => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]"), ct).ConfigureAwait(false);
            Directory.CreateDirectory(dir);
            int w = c.Picture.Width, h = c.Picture.Height;
            // The mask the loader chose (alpha, given mask, selfie segmentation or GrabCut), wrapped only to cut the figure out.
            var figure = new FigureMask(w, h, c.Mask, FigureSource.UploadedMask);
            await Save(Path.Combine(dir, "cutout.png"), figure.CutOut(c.Picture).Pixels, w, h, ct).ConfigureAwait(false);
            var grey = new byte[w * h * 4];
            for (int i = 0; i < c.Mask.Length; i++)
            {
                (grey[i * 4], grey[(i * 4) + 1], grey[(i * 4) + 2], grey[(i * 4) + 3]) = (c.Mask[i], c.Mask[i], c.Mask[i], 255);
            }

            await Save(Path.Combine(dir, "mask.png"), grey, w, h, ct).ConfigureAwait(false);
            await Save(Path.Combine(dir, "background.png"), c.Background.Pixels, w, h, ct).ConfigureAwait(false);
            var joints = new Dictionary<string, float[]>();
            for (int i = 0; i < TrackingFrame.BodyLandmarkCount; i++)
            {
                if (c.Body.Known(i))
                {
                    joints[BodyTopology.Names[i]] = [MathF.Round(c.Body.Joint(i).X, 1), MathF.Round(c.Body.Joint(i).Y, 1)];
                }
            }

            await File.WriteAllTextAsync(
                Path.Combine(dir, "joints.json"),
                JsonSerializer.Serialize(new { imageSize = new[] { w, h }, source = c.Body.Source, joints }, s_json),
                ct).ConfigureAwait(false);
            AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"{Markup.Escape(c.Name)}: {joints.Count} of {TrackingFrame.BodyLandmarkCount} joints ({(c.Body.HasLegs ? "full body" : "half body")}), " +
                $"figure {c.FigureShare:P0} of the picture, {(c.Face is null ? "no face" : "a face")} → [green]{Markup.Escape(dir)}[/]"));
            return 0;
        });
        return command;
    }

    private static Task Save(string path, byte[] rgba, int w, int h, CancellationToken ct) => ImageFile.SavePngAsync(path, rgba, w, h, hasAlpha: true, ct);
}
