using System.CommandLine;
using System.Globalization;
using Capture.Pipeline.Evaluation;
using Spectre.Console;

namespace Capture.Cli.Commands;

/// <summary><c>capture eval CLIP… [--size 256]</c>: self-reenactment scores (PSNR, SSIM, AKD) of the generator.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var clips = new Argument<string[]>("clips") { Description = "One or more face clips; frame 0 of each is its own character.", Arity = ArgumentArity.OneOrMore };
        var size = new Option<int>("--size") { Description = "Output side compared (256, 512 or 1024).", DefaultValueFactory = _ => 256 };
        var frames = new Option<int?>("--frames") { Description = "Compare only the first N driven frames." };
        var akdEvery = new Option<int>("--akd-every") { Description = "Track generated and real frames for AKD every Nth frame.", DefaultValueFactory = _ => 4 };
        var breakdown = new Option<bool>("--breakdown") { Description = "Also print where the error sits: the face, the rest of the head, the animation mask's edge, the still picture." };
        var errorMaps = new Option<DirectoryInfo?>("--error-maps") { Description = "Write each clip's RMS error per pixel (×4, grey) as DIR/CLIP.png; implies --breakdown." };
        var cross = new Option<bool>("--cross") { Description = "Cross-reenactment: drive every --characters picture with every clip; prints AED, APD, face-found share and fold-over frames per pair." };
        var characters = new Option<string[]>("--characters") { Description = "Character pictures for --cross.", AllowMultipleArgumentsPerToken = true };
        var pictures = new Option<DirectoryInfo?>("--pictures") { Description = "With --cross: write side-by-side PNGs (performer | character) at each clip's widest mouth and biggest head turn into DIR." };
        var rigs = new Option<DirectoryInfo?>("--rig-dir") { Description = "With --cross: a character PICTURE uses DIR/NAME.json as its rig file when that exists (e.g. calibration/rigs)." };
        var paintedMouth = new Option<bool>("--painted-mouth") { Description = "Paint the mouth interior instead of taking the performer's own from the driving frame (as render --painted-mouth)." };
        var warp = new Option<Capture.Generation.WarpKind>("--warp") { Description = "The generator's backward map: Mesh (piecewise-affine on the face triangulation, the default) or Spline (the limited thin-plate spline; docs/generator.md compares them).", DefaultValueFactory = _ => Capture.Generation.WarpGenerator.DefaultWarp };
        Option<bool> json = CliJson.CreateOption();
        var command = new Command(
            "eval",
            "Self-reenactment: frame 0 drives nothing but is the character; later frames drive it and are the ground truth. " +
            "Prints PSNR, SSIM and average keypoint distance, next to frame 0 held still.")
        {
            clips, size, frames, akdEvery, breakdown, errorMaps, cross, characters, pictures, rigs, paintedMouth, warp, json,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            CliJson.Begin(parseResult.GetValue(json));
            int s = parseResult.GetValue(size);
            if (s is not (256 or 512 or 1024))
            {
                throw new CaptureUserException($"--size {s} is not supported; use 256, 512 or 1024");
            }

            int every = Math.Max(1, parseResult.GetValue(akdEvery));
            if (parseResult.GetValue(cross))
            {
                if (parseResult.GetValue(characters) is not { Length: > 0 })
                {
                    throw new CaptureUserException("--cross needs at least one character: --characters PICTURE… (the clips drive each of them)");
                }

                return await RunCrossAsync(parseResult.GetValue(characters) ?? [], parseResult.GetValue(clips)!, new CrossReenactment.Options(s, every, parseResult.GetValue(frames), parseResult.GetValue(pictures)?.FullName, parseResult.GetValue(rigs)?.FullName, parseResult.GetValue(paintedMouth), parseResult.GetValue(warp)), ct).ConfigureAwait(false);
            }

            if (parseResult.GetValue(characters) is { Length: > 0 })
            {
                throw new CaptureUserException("--characters is for --cross (cross-reenactment); self-reenactment uses each clip's frame 0");
            }

            var results = new List<ReenactmentScores>();
            await AnsiConsole.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    foreach (string clip in parseResult.GetValue(clips)!)
                    {
                        ProgressTask task = ctx.AddTask(Markup.Escape(Path.GetFileName(clip)), maxValue: 1);
                        var progress = new Progress<(long Frame, long? Total)>(p =>
                        {
                            task.MaxValue = p.Total ?? Math.Max(task.MaxValue, p.Frame + 1);
                            task.Value = p.Frame;
                        });
                        results.Add(await SelfReenactment.RunAsync(clip, s, every, parseResult.GetValue(frames), parseResult.GetValue(breakdown) || parseResult.GetValue(errorMaps) is not null, progress, ct, parseResult.GetValue(paintedMouth), parseResult.GetValue(warp)).ConfigureAwait(false));
                        task.Value = task.MaxValue;
                    }
                }).ConfigureAwait(false);

            AnsiConsole.Write(ToTable(results));
            foreach (ReenactmentScores r in results.Where(r => r.Breakdown is not null))
            {
                await WriteBreakdownAsync(r, parseResult.GetValue(errorMaps), ct).ConfigureAwait(false);
            }

            AnsiConsole.MarkupLine("[grey]Published anchors (TalkingHead-1KH, other data, a scale only): FOMM 31.07 dB / 0.762, LivePortrait 32.01 dB / 0.819. Goal here: ≥31 dB, ≥0.80 at 256².[/]");
            if (CliJson.Active)
            {
                CliJson.Write(new
                {
                    command = "eval",
                    mode = "self",
                    clips = results.Select(r => new
                    {
                        clip = r.Clip, size = r.Size, frames = r.Frames,
                        psnr = CliJson.Finite(r.Psnr), ssim = CliJson.Finite(r.Ssim), akd = CliJson.Finite(r.Akd), akdFrames = r.AkdFrames,
                        stillPsnr = CliJson.Finite(r.StillPsnr), stillSsim = CliJson.Finite(r.StillSsim), stillAkd = CliJson.Finite(r.StillAkd),
                        seconds = r.Seconds,
                        breakdown = r.Breakdown?.Regions().Select(e => new
                        {
                            region = e.Name, pixelShare = e.Share, psnr = CliJson.Finite(e.Psnr), stillPsnr = CliJson.Finite(e.StillPsnr), errorShare = e.ErrorShare,
                        }),
                    }),
                    mean = results.Count < 2 ? null : new
                    {
                        frames = results.Sum(r => r.Frames),
                        psnr = CliJson.Finite(results.Average(r => r.Psnr)), ssim = CliJson.Finite(results.Average(r => r.Ssim)), akd = CliJson.Finite(results.Average(r => r.Akd)),
                        stillPsnr = CliJson.Finite(results.Average(r => r.StillPsnr)), stillSsim = CliJson.Finite(results.Average(r => r.StillSsim)), stillAkd = CliJson.Finite(results.Average(r => r.StillAkd)),
                        seconds = results.Sum(r => r.Seconds),
                    },
                });
            }

            return 0;
        });
        return command;
    }

    private static async Task<int> RunCrossAsync(string[] characters, string[] clips, CrossReenactment.Options options, CancellationToken ct)
    {
        IReadOnlyList<CrossScores> results = await CrossReenactment.RunAsync(
            characters, clips, options, m => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]"), ct).ConfigureAwait(false);
        CultureInfo c = CultureInfo.InvariantCulture;
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("character").AddColumn("clip").AddColumn(new TableColumn("frames").RightAligned()).AddColumn(new TableColumn("compared").RightAligned())
            .AddColumn(new TableColumn("AED").RightAligned()).AddColumn(new TableColumn("APD °").RightAligned())
            .AddColumn(new TableColumn("face found").RightAligned()).AddColumn(new TableColumn("fold-over frames").RightAligned())
            .AddColumn(new TableColumn("min det").RightAligned()).AddColumn(new TableColumn("smoothed / damped").RightAligned()).AddColumn(new TableColumn("time s").RightAligned());
        foreach (CrossScores r in results)
        {
            table.AddRow(
                Markup.Escape(r.Character), Markup.Escape(r.Clip), r.Frames.ToString(c), r.Compared.ToString(c),
                r.Aed.ToString("F4", c), r.Apd.ToString("F2", c), r.FaceFound.ToString("P0", c), r.FoldOverFrames.ToString(c),
                r.MinDeterminant.ToString("F2", c), $"{r.SmoothedFrames.ToString(c)} / {r.DampedFrames.ToString(c)}", r.Seconds.ToString("F1", c));
        }

        foreach (IGrouping<string, CrossScores> g in results.GroupBy(r => r.Character))
        {
            table.AddRow(
                $"[bold]{Markup.Escape(g.Key)}[/]", "[bold]all clips[/]", g.Sum(r => r.Frames).ToString(c), g.Sum(r => r.Compared).ToString(c),
                g.Average(r => r.Aed).ToString("F4", c), g.Average(r => r.Apd).ToString("F2", c), g.Average(r => r.FaceFound).ToString("P0", c),
                g.Sum(r => r.FoldOverFrames).ToString(c), g.Min(r => r.MinDeterminant).ToString("F2", c),
                $"{g.Sum(r => r.SmoothedFrames).ToString(c)} / {g.Sum(r => r.DampedFrames).ToString(c)}", g.Sum(r => r.Seconds).ToString("F1", c));
        }

        AnsiConsole.Write(table);
        if (CliJson.Active)
        {
            CliJson.Write(new
            {
                command = "eval",
                mode = "cross",
                pairs = results.Select(r => new
                {
                    character = r.Character, clip = r.Clip, frames = r.Frames, compared = r.Compared,
                    aed = CliJson.Finite(r.Aed), apdDegrees = CliJson.Finite(r.Apd), faceFound = CliJson.Finite(r.FaceFound),
                    foldOverFrames = r.FoldOverFrames, minDeterminant = CliJson.Finite(r.MinDeterminant),
                    smoothedFrames = r.SmoothedFrames, dampedFrames = r.DampedFrames, seconds = r.Seconds,
                }),
                characters = results.GroupBy(r => r.Character).Select(g => new
                {
                    character = g.Key, frames = g.Sum(r => r.Frames), compared = g.Sum(r => r.Compared),
                    aed = CliJson.Finite(g.Average(r => r.Aed)), apdDegrees = CliJson.Finite(g.Average(r => r.Apd)), faceFound = CliJson.Finite(g.Average(r => r.FaceFound)),
                    foldOverFrames = g.Sum(r => r.FoldOverFrames), minDeterminant = CliJson.Finite(g.Min(r => r.MinDeterminant)),
                    smoothedFrames = g.Sum(r => r.SmoothedFrames), dampedFrames = g.Sum(r => r.DampedFrames), seconds = g.Sum(r => r.Seconds),
                }),
            });
        }

        return 0;
    }

    private static async Task WriteBreakdownAsync(ReenactmentScores r, DirectoryInfo? maps, CancellationToken ct)
    {
        ErrorBreakdown b = r.Breakdown!;
        CultureInfo c = CultureInfo.InvariantCulture;
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{r.Clip}: where the error sits"))
            .AddColumn("region").AddColumn(new TableColumn("pixels").RightAligned()).AddColumn(new TableColumn("PSNR dB").RightAligned())
            .AddColumn(new TableColumn("still PSNR").RightAligned()).AddColumn(new TableColumn("share of error").RightAligned());
        foreach (RegionError e in b.Regions())
        {
            table.AddRow(Markup.Escape(e.Name), e.Share.ToString("P0", c), e.Psnr.ToString("F2", c), e.StillPsnr.ToString("F2", c), e.ErrorShare.ToString("P0", c));
        }

        AnsiConsole.Write(table);
        if (maps is null)
        {
            return;
        }

        maps.Create();
        string path = Path.Combine(maps.FullName, Path.GetFileNameWithoutExtension(r.Clip) + ".png");
        byte[] grey = b.ErrorPicture();
        var rgb = new byte[grey.Length * 3];
        for (int i = 0; i < grey.Length; i++)
        {
            rgb[i * 3] = rgb[(i * 3) + 1] = rgb[(i * 3) + 2] = grey[i];
        }

        await Capture.Media.ImageFile.SavePngAsync(path, rgb, b.Size, b.Size, hasAlpha: false, ct).ConfigureAwait(false);
        AnsiConsole.MarkupLine($"[grey]RMS error ×4: {Markup.Escape(path)}[/]");
    }

    private static Table ToTable(IReadOnlyList<ReenactmentScores> results)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("clip").AddColumn("size").AddColumn(new TableColumn("frames").RightAligned())
            .AddColumn(new TableColumn("PSNR dB").RightAligned()).AddColumn(new TableColumn("SSIM").RightAligned()).AddColumn(new TableColumn("AKD px").RightAligned())
            .AddColumn(new TableColumn("still PSNR").RightAligned()).AddColumn(new TableColumn("still SSIM").RightAligned()).AddColumn(new TableColumn("still AKD").RightAligned())
            .AddColumn(new TableColumn("time s").RightAligned());
        CultureInfo c = CultureInfo.InvariantCulture;
        foreach (ReenactmentScores r in results)
        {
            table.AddRow(
                Markup.Escape(r.Clip), r.Size.ToString(c), r.Frames.ToString(c),
                r.Psnr.ToString("F2", c), r.Ssim.ToString("F3", c), r.Akd.ToString("F2", c),
                r.StillPsnr.ToString("F2", c), r.StillSsim.ToString("F3", c), r.StillAkd.ToString("F2", c), r.Seconds.ToString("F1", c));
        }

        if (results.Count > 1)
        {
            table.AddRow(
                "[bold]mean[/]", string.Empty, results.Sum(r => r.Frames).ToString(c),
                results.Average(r => r.Psnr).ToString("F2", c), results.Average(r => r.Ssim).ToString("F3", c), results.Average(r => r.Akd).ToString("F2", c),
                results.Average(r => r.StillPsnr).ToString("F2", c), results.Average(r => r.StillSsim).ToString("F3", c), results.Average(r => r.StillAkd).ToString("F2", c),
                results.Sum(r => r.Seconds).ToString("F1", c));
        }

        return table;
    }
}
