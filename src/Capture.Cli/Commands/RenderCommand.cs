using System.CommandLine;
using System.Globalization;
using Capture.Pipeline;
using Capture.Pipeline.Characters;
using Capture.Pipeline.Rendering;
using Capture.Retargeting;
using Spectre.Console;

namespace Capture.Cli.Commands;

/// <summary>
/// <c>capture render DRIVING --character IMAGE -o out.mp4</c>: a performer's clip drives a character
/// picture; <c>capture render --sample</c> renders the shared sample pair.
/// </summary>
internal static class RenderCommand
{
    /// <summary>Where the shared test media live, relative to the repository (../shared/media).</summary>
    private const string SampleDriving = "vid_expr_man_d18.mp4";
    private const string SampleCharacter = "char_painting_mona_lisa_s9.jpg";
    private const string FallbackCharacter = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";

    /// <summary>The bundled sample in samples/ (used when the shared media are absent): Capture's recording of <see cref="SampleDriving"/> and a public-domain picture.</summary>
    private const string BundledDriving = "performance.mpk";
    private const string BundledCharacter = "mona_lisa.jpg";

    public static Command Create()
    {
        var driving = new Argument<string?>("driving")
        {
            Description = "What drives the character: the performer's video (any format ffmpeg reads), or motion without a video: a Capture .mpk recording " +
                "(capture track, render --motion-data, live --record), a Live Link Face .csv (52 blendshapes and head angles; the face is made by models/face-basis-v1.json) " +
                "or a .bvh (the body; the face neutral, turned with the head). A motion file's own timestamps set the frame rate and length.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var character = new Option<string?>("--character", "-c") { Description = "The character picture (PNG/JPEG, any size; alpha is kept)." };
        var output = new Option<string?>("--output", "-o") { Description = "Output MP4 (the driving clip's audio, or a recording's own, is kept)." };
        var audio = new Option<string?>("--audio") { Description = "Take the output's audio from this file (a WAV, an MP4, anything ffmpeg reads) instead of the driving input's own." };
        var basis = new Option<string?>("--basis") { Description = "The blendshape → face basis for a Live Link CSV or BVH (default: models/face-basis-v1.json; `capture models basis` rebuilds it)." };
        var rig = new Option<string?>("--rig") { Description = "Rig JSON with the character's face points, for faces the tracker cannot read (see docs/generator.md)." };
        var size = new Option<int>("--size") { Description = "Output side in pixels: 256, 512 or 1024 (with --body: the output width, 64..2048).", DefaultValueFactory = _ => 512 };
        var sideBySide = new Option<bool>("--side-by-side") { Description = "Put the performer's face on the left of the character." };
        var intensity = new Option<float>("--intensity") { Description = "Expression intensity 1..5 (3 = the performer's own amount).", DefaultValueFactory = _ => 3 };
        var mouth = new Option<float>("--mouth-gain") { Description = "Extra gain on mouth motion (0..4).", DefaultValueFactory = _ => 1 };
        var eyes = new Option<float>("--eye-gain") { Description = "Extra gain on eyelid motion (0..4).", DefaultValueFactory = _ => 1 };
        var head = new Option<float>("--head-gain") { Description = "Gain on head rotation and translation (0 = still head, 0..4).", DefaultValueFactory = _ => 1 };
        var noIdle = new Option<bool>("--no-idle") { Description = "Keep the character still at neutral where the performer's face is lost (by default it breathes, blinks and glances there)." };
        var profile = new Option<string?>("--profile") { Description = "Performer profile JSON from 'capture calibrate' (default: neutral from the clip's first second)." };
        var motionData = new Option<string?>("--motion-data") { Description = "Folder for the captured motion: motion.mpk (the protocol recording, `capture replay` plays it), livelink.csv (Live Link Face), motion.csv (what drove the character), motion.bvh (the body as BVH; tracking the body costs render time)." };
        var noIris = new Option<bool>("--no-iris") { Description = "Track with the plain face mesh: no gaze and slightly less exact lips, about a quarter faster to track." };
        var noBody = new Option<bool>("--no-body") { Description = "With --motion-data: track the face only (no body in motion.mpk, no motion.bvh; faster)." };
        var hands = new Option<bool>("--hands")
        {
            Description = "With --motion-data: track both hands too, into motion.mpk and as finger joints in motion.bvh (the character is not driven by the hands yet).",
        };
        var poseModel = new Option<Capture.Tracking.PoseModel>("--pose-model") { Description = "With --motion-data: the BlazePose model for the body (Lite is the fastest, Heavy the most exact).", DefaultValueFactory = _ => Capture.Tracking.PoseModel.Full };
        var frames = new Option<int?>("--frames") { Description = "Render only the first N frames." };
        var paintedMouth = new Option<bool>("--painted-mouth") { Description = "Paint the mouth interior instead of using the performer's own teeth and tongue (colour-matched) when their lips part." };
        var warp = new Option<Capture.Generation.WarpKind>("--warp") { Description = "The generator's backward map: Mesh (piecewise-affine on the face triangulation, the default) or Spline (the limited thin-plate spline; docs/generator.md compares them).", DefaultValueFactory = _ => Capture.Generation.WarpGenerator.DefaultWarp };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print the live counters at the end: time per pipeline stage, frames, pool use, GC (docs/metrics.md)." };
        var body = new Option<bool>("--body")
        {
            Description = "Drive the character's whole body, not only its face (docs/body.md): its joints come from the picture (the pose tracker; only what is in " +
                "the picture moves) or from an Animated Drawings folder or zip given as --character (texture.png, mask.png, char_cfg.yaml); the figure is cut out and " +
                "the background filled behind it (docs/figure.md; `capture figure` shows what was found). --size is then the output's width (64..2048; the " +
                "picture's shape is kept). Implied when --character is a folder or a .zip.",
        };
        var mask = new Option<string?>("--mask") { Description = "With --body: the figure's mask picture (white = figure) instead of computing one (the picture's own alpha still wins)." };
        var sample = new Option<bool>("--sample") { Description = $"Render the sample into out/sample.mp4: {SampleDriving} driving {SampleCharacter} from ../shared/media (or $CAPTURE_MEDIA), or without them the bundled samples/{BundledDriving} (Capture's recording of that clip) driving samples/{BundledCharacter}." };
        Option<string?> camera = CameraOption.Create();
        Option<bool> json = CliJson.CreateOption();
        var command = new Command("render", "Drive a character picture with a performer's video, or with recorded motion (.mpk, Live Link Face .csv, .bvh), and write an MP4.")
        {
            driving, character, output, audio, basis, rig, size, sideBySide, intensity, mouth, eyes, head, noIdle, profile, motionData, noBody, hands, poseModel, noIris, frames, sample, verbose, camera, paintedMouth, warp, body, mask, json,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            CliJson.Begin(parseResult.GetValue(json));
            if (parseResult.GetValue(hands) && parseResult.GetValue(motionData) is null)
            {
                throw new CaptureUserException("--hands records the hands in --motion-data (motion.mpk, motion.bvh's fingers): give --motion-data DIR (the character is not driven by the hands yet)");
            }

            string? characterPath = parseResult.GetValue(character);
            bool wantsBody = parseResult.GetValue(body) || (characterPath is not null &&
                AnimatedDrawingsFiles.IsCharacterFolder(characterPath));
            if (parseResult.GetValue(mask) is not null && !wantsBody)
            {
                throw new CaptureUserException("--mask is the figure's mask for a body character: add --body");
            }

            RenderOptions options = BuildOptions(
                parseResult.GetValue(sample), parseResult.GetValue(driving), characterPath, parseResult.GetValue(output),
                parseResult.GetValue(size), parseResult.GetValue(sideBySide), wantsBody) with
            {
                RigPath = parseResult.GetValue(rig),
                AudioPath = parseResult.GetValue(audio),
                BasisPath = parseResult.GetValue(basis),
                ProfilePath = parseResult.GetValue(profile),
                MotionDataDirectory = parseResult.GetValue(motionData),
                Body = !parseResult.GetValue(noBody),
                Hands = parseResult.GetValue(hands),
                Iris = !parseResult.GetValue(noIris),
                PoseModel = parseResult.GetValue(poseModel),
                MaxFrames = parseResult.GetValue(frames),
                PaintedMouth = parseResult.GetValue(paintedMouth),
                Warp = parseResult.GetValue(warp),
                Camera = CameraOption.Load(parseResult.GetValue(camera)),
                Gains = new RetargetGains
                {
                    Intensity = parseResult.GetValue(intensity),
                    Mouth = parseResult.GetValue(mouth),
                    Eyes = parseResult.GetValue(eyes),
                    HeadMotion = parseResult.GetValue(head),
                    Idle = !parseResult.GetValue(noIdle),
                },
            };
            if (wantsBody)
            {
                // Every problem with the figure (no body in the picture, a joint missing or crossed, a mask that misses the
                // joints) is an InvalidDataException naming the file: one line, no stack trace.
                options = options with
                {
                    BodyCharacter = await CharacterLoader.LoadBodyAsync(
                        options.CharacterPath, new BodyLoadOptions { MaskPath = parseResult.GetValue(mask), RigPath = options.RigPath },
                        m => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]"), ct).ConfigureAwait(false),
                };
            }

            return await RunAsync(options, parseResult.GetValue(verbose), ct).ConfigureAwait(false);
        });
        return command;
    }

    private static RenderOptions BuildOptions(bool sample, string? driving, string? character, string? output, int size, bool sideBySide, bool body = false)
    {
        if (body && size is < 64 or > 2048)
        {
            throw new CaptureUserException($"--size {size}: with --body it is the output's width, 64 to 2048 pixels");
        }

        if (!body && !RenderOptions.Sizes.Contains(size))
        {
            throw new CaptureUserException($"--size {size} is not supported; use 256, 512 or 1024");
        }

        if (sample || (driving is null && character is null))
        {
            if (!sample)
            {
                throw new CaptureUserException("render needs a driving clip and --character IMAGE (or --sample for the shared sample)");
            }

            string drivingSample, characterSample;
            if (FindSharedMedia() is string media)
            {
                (drivingSample, characterSample) = (Path.Combine(media, SampleDriving), Path.Combine(media, SampleCharacter));
            }
            else if (FindBundledSample() is string bundled)
            {
                (drivingSample, characterSample) = (Path.Combine(bundled, BundledDriving), Path.Combine(bundled, BundledCharacter));
                AnsiConsole.MarkupLine($"[grey]no shared media ({Markup.Escape(SharedMediaWhere)}): rendering the bundled sample, {Markup.Escape(Path.Combine(bundled, BundledDriving))} (Capture's recording of {SampleDriving}) driving {Markup.Escape(Path.Combine(bundled, BundledCharacter))}[/]");
            }
            else
            {
                string fallback = File.Exists(FallbackCharacter) ? $" (e.g. --character {FallbackCharacter})" : string.Empty;
                throw new CaptureUserException(
                    $"--sample needs the shared media folder ({SharedMediaWhere}, with {SampleDriving} and {SampleCharacter}) or the checkout's samples/ folder, and neither is here; " +
                    $"pass your own: capture render DRIVING.mp4 --character PICTURE{fallback} -o out.mp4");
            }

            return new RenderOptions
            {
                DrivingPath = driving ?? drivingSample,
                CharacterPath = character ?? characterSample,
                OutputPath = output ?? Path.Combine("out", "sample.mp4"),
                Size = size,
                SideBySide = true,
            };
        }

        if (driving is null)
        {
            throw new CaptureUserException("render needs the driving clip as its first argument");
        }

        if (character is null)
        {
            throw new CaptureUserException("render needs --character PICTURE (a PNG or JPEG of the character)");
        }

        return new RenderOptions
        {
            DrivingPath = driving,
            CharacterPath = character,
            OutputPath = output ?? Path.ChangeExtension(Path.GetFileName(driving), null) + "_render.mp4",
            Size = size,
            SideBySide = sideBySide,
        };
    }

    /// <summary>Where the shared media are looked for: CAPTURE_MEDIA when set (only there), else ../shared/media above the working folder or the CLI.</summary>
    private static string SharedMediaWhere => Environment.GetEnvironmentVariable("CAPTURE_MEDIA") is { Length: > 0 } env ? $"CAPTURE_MEDIA={env}" : "../shared/media";

    private static string? FindSharedMedia()
    {
        static bool Has(string dir) => File.Exists(Path.Combine(dir, SampleDriving)) && File.Exists(Path.Combine(dir, SampleCharacter));
        if (Environment.GetEnvironmentVariable("CAPTURE_MEDIA") is { Length: > 0 } env)
        {
            return Has(env) ? Path.GetFullPath(env) : null;
        }

        return FindAbove(dir => Has(Path.Combine(dir, "..", "shared", "media")) ? Path.Combine(dir, "..", "shared", "media")
            : Has(Path.Combine(dir, "shared", "media")) ? Path.Combine(dir, "shared", "media") : null);
    }

    /// <summary>The checkout's samples/ folder (a recording and a public-domain picture, samples/NOTICE), found above the working folder or the CLI.</summary>
    private static string? FindBundledSample() =>
        FindAbove(dir => File.Exists(Path.Combine(dir, "samples", BundledDriving)) && File.Exists(Path.Combine(dir, "samples", BundledCharacter)) ? Path.Combine(dir, "samples") : null);

    private static string? FindAbove(Func<string, string?> probe)
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
            {
                if (probe(dir.FullName) is string found)
                {
                    return Path.GetFullPath(found);
                }
            }
        }

        return null;
    }

    private static async Task<int> RunAsync(RenderOptions options, bool verbose, CancellationToken ct)
    {
        using Capture.Core.Diagnostics.CaptureMetricsListener? metrics = MetricsOutput.Start(verbose);
        AnsiConsole.MarkupLine($"render [bold]{Markup.Escape(options.DrivingPath)}[/] → [bold]{Markup.Escape(options.CharacterPath)}[/] at {options.Size}² → {Markup.Escape(options.OutputPath)}");
        RenderResult? result = null;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                ProgressTask task = ctx.AddTask("render", maxValue: 1);
                var progress = new Progress<RenderProgress>(p =>
                {
                    task.MaxValue = p.TotalFrames ?? Math.Max(task.MaxValue, p.Frame + 1);
                    task.Value = p.Frame;
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"render {p.Frame}/{p.TotalFrames?.ToString(CultureInfo.InvariantCulture) ?? "?"} frames, {p.FramesPerSecond:F1} fps");
                });
                result = await RenderPipeline.RunAsync(options, progress, m => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]"), ct).ConfigureAwait(false);
                task.Value = task.MaxValue;
            }).ConfigureAwait(false);

        RenderResult r = result!;
        string lost = r.FramesWithoutFace > 0 ? $", face lost in {r.FramesWithoutFace} frames (eased to neutral)" : string.Empty;
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"[green]wrote[/] {Markup.Escape(r.OutputPath)}: {r.Frames} frames in {r.Seconds:F1} s ({r.FramesPerSecond:F1} fps){Markup.Escape(lost)}"));
        if (options.MotionDataDirectory is string motionDir)
        {
            string body = r.FramesWithBody is long b ? string.Create(CultureInfo.InvariantCulture, $", motion.bvh (body seen in {b} frames)") : string.Empty;
            AnsiConsole.MarkupLine($"[green]motion data[/] {Markup.Escape(motionDir)}: motion.mpk, livelink.csv, motion.csv{Markup.Escape(body)}");
        }

        MetricsOutput.Print(metrics);
        if (CliJson.Active)
        {
            CliJson.Write(new
            {
                command = "render",
                output = Path.GetFullPath(r.OutputPath),
                driving = Path.GetFullPath(options.DrivingPath),
                drivingKind = r.DrivingKind,
                character = Path.GetFullPath(options.CharacterPath),
                characterLandmarks = r.CharacterLandmarkSource,
                profile = r.ProfileSource,
                size = options.Size,
                sideBySide = options.SideBySide,
                frames = r.Frames,
                framesWithoutFace = r.FramesWithoutFace,
                framesWithBody = r.FramesWithBody,
                seconds = r.Seconds,
                framesPerSecond = r.FramesPerSecond,
                outputFrameRate = r.FrameRate,
                audio = r.AudioPath is null ? null : Path.GetFullPath(r.AudioPath),
                motionData = options.MotionDataDirectory is null ? null : Path.GetFullPath(options.MotionDataDirectory),
            });
        }

        return 0;
    }
}
