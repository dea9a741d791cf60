using System.CommandLine;
using System.Globalization;
using Capture.Pipeline.Evaluation;
using Spectre.Console;

namespace Capture.Cli.Commands;

/// <summary>
/// <c>capture eval CLIP… [--size 256]</c>: self-reenactment scores (PSNR, SSIM, AKD) of the generator;
/// <c>--cross --characters …</c>: cross-reenactment of faces; <c>--cross --body --characters …</c>: body agreement
/// (<see cref="BodyAgreement"/>).
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var clips = new Argument<string[]>("clips") { Description = "One or more face clips; frame 0 of each is its own character.", Arity = ArgumentArity.OneOrMore };
        var size = new Option<int?>("--size") { Description = "Output side compared (256, 512 or 1024; default 256). With --body: the output's width, 64 to 2048 (default 360)." };
        var frames = new Option<int?>("--frames") { Description = "Compare only the first N driven frames." };
        var akdEvery = new Option<int>("--akd-every") { Description = "Track generated and real frames for AKD every Nth frame.", DefaultValueFactory = _ => 4 };
        var breakdown = new Option<bool>("--breakdown") { Description = "Also print where the error sits: the face, the rest of the head, the animation mask's edge, the still picture." };
        var errorMaps = new Option<DirectoryInfo?>("--error-maps") { Description = "Write each clip's RMS error per pixel (×4, grey) as DIR/CLIP.png; implies --breakdown." };
        var cross = new Option<bool>("--cross") { Description = "Cross-reenactment: drive every --characters picture with every clip; prints AED, APD, face-found share and fold-over frames per pair." };
        var characters = new Option<string[]>("--characters") { Description = "Character pictures for --cross (with --body: full-body pictures, Animated Drawings folders or their zips).", AllowMultipleArgumentsPerToken = true };
        var body = new Option<bool>("--body")
        {
            Description = "With --cross: body agreement. Every full-body clip drives every body character (as render --body does); the generated " +
                "frames are read back by the pose tracker and compared with the performer's: limb directions (the 8 arm and leg bones, degrees; " +
                "goal ≤ 12°), body found, fold-over frames. Drawings the tracker cannot read are scored on the joints their rig was driven to.",
        };
        var pictures = new Option<DirectoryInfo?>("--pictures") { Description = "With --cross: write side-by-side PNGs (performer | character) at each clip's widest mouth and biggest head turn into DIR; with --body at the widest arm spread, a crossing arm, the biggest step and the frame with the most folded cells (body_CHARACTER_CLIP_fold_fN.png, when any fold)." };
        var rigs = new Option<DirectoryInfo?>("--rig-dir") { Description = "With --cross: a character PICTURE uses DIR/NAME.json as its rig file when that exists (e.g. calibration/rigs)." };
        var paintedMouth = new Option<bool>("--painted-mouth") { Description = "Paint the mouth interior instead of taking the performer's own from the driving frame (as render --painted-mouth)." };
        var warp = new Option<Capture.Generation.WarpKind>("--warp") { Description = "The generator's backward map: Mesh (piecewise-affine on the face triangulation, the default) or Spline (the limited thin-plate spline; docs/generator.md compares them).", DefaultValueFactory = _ => Capture.Generation.WarpGenerator.DefaultWarp };
        Option<bool> json = CliJson.CreateOption();
        var command = new Command(
            "eval",
            "Self-reenactment: frame 0 drives nothing but is the character; later frames drive it and are the ground truth. " +
            "Prints PSNR, SSIM and average keypoint distance, next to frame 0 held still.")
        {
            clips, size, frames, akdEvery, breakdown, errorMaps, cross, body, characters, pictures, rigs, paintedMouth, warp, json,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            CliJson.Begin(parseResult.GetValue(json));
            if (parseResult.GetValue(body))
            {
                if (!parseResult.GetValue(cross))
                {
                    throw new CaptureUserException("--body is for --cross: capture eval --cross --body CLIP… --characters FIGURE… (full-body clips drive full-body characters)");
                }

                if (parseResult.GetValue(characters) is not { Length: > 0 })
                {
                    throw new CaptureUserException("--cross --body needs at least one body character: --characters PICTURE|FOLDER… (a full-body picture, or an Animated Drawings folder or zip)");
                }

                int width = parseResult.GetValue(size) ?? 360;
                if (width is < 64 or > 2048)
                {
                    throw new CaptureUserException($"--size {width}: with --body it is the output's width, 64 to 2048 pixels");
                }

                return await RunBodyAsync(
                    parseResult.GetValue(characters)!, parseResult.GetValue(clips)!,
                    new BodyAgreement.Options(width, Math.Max(1, parseResult.GetValue(akdEvery)), parseResult.GetValue(frames), parseResult.GetValue(pictures)?.FullName), ct).ConfigureAwait(false);
            }

            int s = parseResult.GetValue(size) ?? 256;
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

    private static async Task<int> RunBodyAsync(string[] characters, string[] clips, BodyAgreement.Options options, CancellationToken ct)
    {
        void Log(string m) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]");
        var figures = new List<Capture.Retargeting.Rigs.BodyCharacter>();
        foreach (string character in characters)
        {
            // Loaded as render --body loads it: a problem with the figure is one line naming the file.
            figures.Add(await Capture.Pipeline.CharacterLoader.LoadBodyAsync(character, null, Log, ct).ConfigureAwait(false));
        }

        IReadOnlyList<BodyScores> results = await BodyAgreement.RunAsync(figures, clips, options, Log, ct).ConfigureAwait(false);
        CultureInfo c = CultureInfo.InvariantCulture;
        static string Degrees(double d) => double.IsNaN(d) ? "n/a" : d.ToString("F1", CultureInfo.InvariantCulture);
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("character").AddColumn("clip").AddColumn(new TableColumn("frames").RightAligned()).AddColumn(new TableColumn("compared").RightAligned())
            .AddColumn(new TableColumn("limbs °").RightAligned()).AddColumn(new TableColumn("driven °").RightAligned())
            .AddColumn(new TableColumn("body found").RightAligned()).AddColumn(new TableColumn("fold-over frames").RightAligned())
            .AddColumn(new TableColumn("time s").RightAligned());
        foreach (BodyScores r in results)
        {
            table.AddRow(
                Markup.Escape(r.Character), Markup.Escape(r.Clip), r.Frames.ToString(c), r.Compared.ToString(c),
                r.ReadBack ? Degrees(r.LimbDegrees) : "n/a (not readable)", Degrees(r.DrivenDegrees),
                r.ReadBack ? r.BodyFound.ToString("P0", c) : "n/a", r.FoldOverFrames.ToString(c), r.Seconds.ToString("F1", c));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(
            "[grey]limbs: the 8 arm and leg bones' 2-D directions, performer vs the generated character, both read by the pose tracker (goal ≤ 12°); " +
            "driven: performer vs the joints the character's rig was driven to.[/]");
        if (CliJson.Active)
        {
            CliJson.Write(new
            {
                command = "eval",
                mode = "cross-body",
                pairs = results.Select(r => new
                {
                    character = r.Character, clip = r.Clip, frames = r.Frames, compared = r.Compared, readBack = r.ReadBack,
                    limbDegrees = CliJson.Finite(r.LimbDegrees), drivenDegrees = CliJson.Finite(r.DrivenDegrees),
                    perLimbDegrees = Capture.Retargeting.Rigs.BodySkeleton.LimbNames.Select((name, i) => new { bone = name, degrees = CliJson.Finite(r.PerLimb[i]) }),
                    drivenJointError = CliJson.Finite(r.DrivenJointError), bodyFound = CliJson.Finite(r.BodyFound),
                    foldOverFrames = r.FoldOverFrames, relaxedFrames = r.RelaxedFrames, seconds = r.Seconds,
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
