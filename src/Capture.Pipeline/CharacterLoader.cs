using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Media.Figures;
using Capture.Pipeline.Characters;
using Capture.Retargeting.Rigs;
using Capture.Tracking;
using Capture.Tracking.Face;

namespace Capture.Pipeline;

/// <summary>
/// Makes a <see cref="CharacterRig"/> from a picture file: decode (alpha kept), shrink a huge
/// picture, find the face with the tracker in still-image mode, and apply a rig file where given.
/// <see cref="LoadBodyAsync"/> makes a <see cref="BodyCharacter"/> (joints, cut-out figure, filled background) from a
/// picture or an Animated Drawings character.
/// </summary>
public static class CharacterLoader
{
    /// <summary>The tracker looks at the picture at most this large on a side (its models work at 128–256 px anyway).</summary>
    public const int TrackingSide = 1280;

    /// <summary>
    /// Loads a character. <paramref name="log"/> receives messages for the user (downscaling, where
    /// the points came from). A picture with no face the tracker can find and no rig file is an
    /// <see cref="InvalidDataException"/> that says how to write one.
    /// </summary>
    public static Task<CharacterRig> LoadAsync(string picturePath, string? rigPath, Action<string>? log = null, CancellationToken ct = default) =>
        LoadAsync(picturePath, rigPath, CharacterRigBuilder.MaxWorkingSide, log, ct);

    /// <summary>
    /// As <see cref="LoadAsync(string, string?, Action{string}?, CancellationToken)"/>, the picture decoded at most
    /// <paramref name="maxWorkingSide"/> px on a side (scaled while decoding): what a smaller output needs
    /// (a live session at 512² renders well from 2048 px), at a fraction of a huge picture's memory.
    /// </summary>
    public static Task<CharacterRig> LoadAsync(string picturePath, string? rigPath, int maxWorkingSide, Action<string>? log = null, CancellationToken ct = default) =>
        LoadAsync(picturePath, rigPath, maxWorkingSide, cutOut: false, log, ct);

    /// <summary>
    /// As <see cref="LoadAsync(string, string?, int, Action{string}?, CancellationToken)"/>; with <paramref name="cutOut"/>
    /// an opaque picture's figure is cut out (<see cref="FigureCutout.ChooseAsync"/>, the one cut-out: selfie segmentation
    /// for a portrait, GrabCut for a full-body figure; seeds from the same tracker pass) and becomes the rig's alpha
    /// (<see cref="CharacterRig.WithCutOut"/>), for a viewer that shows the character on a transparent background. A
    /// cut-out that cannot be made leaves the character opaque, with a message.
    /// </summary>
    public static async Task<CharacterRig> LoadAsync(string picturePath, string? rigPath, int maxWorkingSide, bool cutOut, Action<string>? log = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(picturePath);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWorkingSide, 64);
        RgbaImage picture = await LoadPictureAsync(picturePath, maxWorkingSide, log, ct).ConfigureAwait(false);
        RigFile? rigFile = rigPath is null ? null : RigFile.Load(rigPath);
        TrackedFigure found = await TrackFigureAsync(picture, ct).ConfigureAwait(false);
        CharacterRig? rig = await FaceRigAsync(picturePath, picture, found.Face, rigFile, log, ct).ConfigureAwait(false);
        if (rig is not null && cutOut && !picture.HasAlpha)
        {
            // The face seeds are the rig's own points (tracked or from the rig file), in picture pixels.
            Vector2[] face = [.. rig.Neutral.Select(p => rig.ToPicture(new Vector2(p.X, p.Y)))];
            var seeds = new FigureSeeds(found.Seeds.Joints, found.Seeds.Known, face);
            string name = Path.GetFileName(picturePath);
            try
            {
                FigureMask figure = await FigureCutout.ChooseAsync(picture, seeds, null, name, log, ct).ConfigureAwait(false);
                rig = rig.WithCutOut(figure.Alpha);
            }
            catch (InvalidDataException ex)
            {
                log?.Invoke($"{name}: no cut-out ({ex.Message}); the character stays on its own background");
            }
        }

        return rig ?? throw new InvalidDataException(
            $"{picturePath}: no face found in the picture. For a character the face tracker cannot read (anime, animals, " +
            "stylized art), mark its eyes and mouth in a rig file and pass it with --rig FILE.json: " +
            "{\"format\": \"capture-rig\", \"version\": 1, \"imageSize\": [W, H], \"points\": {\"rightEyeOuter\": [x, y], \"leftEyeOuter\": [x, y], " +
            "\"mouthRight\": [x, y], \"mouthLeft\": [x, y], ...}} (see docs/generator.md, examples in calibration/rigs/), " +
            "or click the points on the rig page of `capture serve` (http://127.0.0.1:5080/rig.html), which saves that file.");
    }

    /// <summary>
    /// Loads a character whose body moves (docs/figure.md): a picture (the pose tracker finds its joints; only those in the
    /// picture are known) or an Animated Drawings character (a folder or a zip of texture.png, mask.png and char_cfg.yaml,
    /// its 16 joints mapped onto the 33-point vocabulary), with the figure cut out (the picture's alpha, else
    /// <paramref name="options"/>' mask, else computed: selfie segmentation for a portrait, GrabCut from the joints and the
    /// face for a full-body figure) and the background filled behind it. Every problem is an <see cref="InvalidDataException"/>
    /// (or <see cref="FileNotFoundException"/>) that names the file and says what is wrong: no body, a joint missing or
    /// crossed, an empty mask or one that misses the joints, a configuration that does not fit its drawing.
    /// </summary>
    public static async Task<BodyCharacter> LoadBodyAsync(string path, BodyLoadOptions? options = null, Action<string>? log = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new BodyLoadOptions();
        RigFile? rigFile = options.RigPath is null ? null : RigFile.Load(options.RigPath);
        if (AnimatedDrawingsFiles.IsCharacterFolder(path))
        {
            return await LoadDrawingAsync(path, options, rigFile, log, ct).ConfigureAwait(false);
        }

        RgbaImage picture = await LoadPictureAsync(path, CharacterRigBuilder.MaxWorkingSide, log, ct).ConfigureAwait(false);
        string name = Path.GetFileNameWithoutExtension(path);
        TrackedFigure found = await TrackFigureAsync(picture, ct).ConfigureAwait(false);
        FigureSeeds seeds = found.Seeds;
        BodyRig body;
        if (rigFile?.BodyJointsFor(picture.Width, picture.Height) is { } placed)
        {
            // Joints placed on the rig page win over the tracker's: the user marked them because the tracker could not.
            await CheckRigPictureAsync(path, rigFile, ct).ConfigureAwait(false);
            body = BodyRig.Create($"rig file {rigFile.Path}", placed, rigFile.BodyKnown, picture.Width, picture.Height, "rig page");
            seeds = new FigureSeeds(placed, rigFile.BodyKnown!, seeds.Face);
            log?.Invoke($"{Path.GetFileName(path)}: {rigFile.BodyKnown!.Count(k => k)} body joints from the rig file ({(body.HasLegs ? "full body" : "half body")})");
        }
        else
        {
            if (seeds.IsEmpty || !found.BodyPresent)
            {
                throw new InvalidDataException(
                    $"{path}: no body found in the picture (the pose tracker reads people and human-like figures). For a drawing, " +
                    "place its joints on the rig page (/rig.html of `capture serve`) and give the rig it saves, or give an Animated Drawings folder " +
                    "(texture.png, mask.png, char_cfg.yaml) as the character; to animate only the face, give the picture without asking for the body.");
            }

            body = BodyRig.Create(Path.GetFileName(path), [.. seeds.Joints], [.. seeds.Known], picture.Width, picture.Height, "pose tracker");
            log?.Invoke($"{Path.GetFileName(path)}: body found, {seeds.Known.Count(k => k)} of {seeds.Known.Count} joints in the picture ({(body.HasLegs ? "full body" : "half body")})");
        }

        CharacterRig? face = await FaceRigAsync(path, picture, found.Face, rigFile, log, ct).ConfigureAwait(false);
        FigureMask mask = await ChooseFigureAsync(picture, seeds, options.MaskPath, rigFile, Path.GetFileName(path), log, ct).ConfigureAwait(false);
        return Finish(name, picture, mask, body, face, log);
    }

    /// <summary>The figure: a mask file given beside the character wins over the rig file's mask, which wins over a computed one.</summary>
    private static Task<FigureMask> ChooseFigureAsync(RgbaImage picture, FigureSeeds seeds, string? maskPath, RigFile? rigFile, string name, Action<string>? log, CancellationToken ct)
    {
        if (maskPath is null && rigFile?.MaskPng is { } png)
        {
            RgbaImage given = ImageFile.Decode($"rig file {rigFile.Path}: mask", png, ImageLimits.Default);
            return FigureCutout.ChooseAsync(picture, seeds, given, $"rig file {rigFile.Path}: mask", name, log, ct);
        }

        return FigureCutout.ChooseAsync(picture, seeds, maskPath, name, log, ct);
    }

    /// <summary>A rig naming its picture by content hash is refused on another picture (two pictures of one shape must not swap points).</summary>
    private static async Task CheckRigPictureAsync(string picturePath, RigFile rigFile, CancellationToken ct)
    {
        if (rigFile.ImageSha256 is null || !File.Exists(picturePath))
        {
            return;
        }

        await using FileStream bytes = File.OpenRead(picturePath);
        byte[] hash = await System.Security.Cryptography.SHA256.HashDataAsync(bytes, ct).ConfigureAwait(false);
        rigFile.CheckPicture(Convert.ToHexStringLower(hash), $"'{Path.GetFileName(picturePath)}'");
    }

    /// <summary>
    /// Reads an Animated Drawings character (a folder or a zip of texture.png, mask.png and char_cfg.yaml) and maps its 16
    /// joints onto the 33-point vocabulary (<see cref="AnimatedDrawingsConfig"/>), at the drawing's own size: what the rig page
    /// shows for the zip and what <see cref="LoadBodyAsync"/> starts from. A configuration that does not fit its drawing, or
    /// joints that make no body, are an <see cref="InvalidDataException"/> naming the file.
    /// </summary>
    public static async Task<AnimatedDrawing> ReadDrawingAsync(string path, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        AnimatedDrawingsFiles files = await AnimatedDrawingsFiles.ReadAsync(path, ct).ConfigureAwait(false);
        string texturePath = Path.Combine(path, AnimatedDrawingsFiles.TextureName);
        string configPath = Path.Combine(path, AnimatedDrawingsConfig.FileName);
        RgbaImage drawing = ImageFile.Decode(texturePath, files.Texture, ImageLimits.Default);
        AnimatedDrawingsConfig config = AnimatedDrawingsConfig.Parse(files.Config, configPath);
        if (config.Width != drawing.Width || config.Height != drawing.Height)
        {
            throw new InvalidDataException(
                $"{configPath}: width {config.Width} and height {config.Height} do not match {AnimatedDrawingsFiles.TextureName}, which is {drawing.Width}x{drawing.Height}");
        }

        (Vector2[] joints, bool[] known) = config.ToPoseJoints();
        BodyRig body = BodyRig.Create(configPath, joints, known, drawing.Width, drawing.Height, AnimatedDrawingsConfig.FileName);
        return new AnimatedDrawing(files, drawing, config, body);
    }

    private static async Task<BodyCharacter> LoadDrawingAsync(string path, BodyLoadOptions options, RigFile? rigFile, Action<string>? log, CancellationToken ct)
    {
        AnimatedDrawing read = await ReadDrawingAsync(path, ct).ConfigureAwait(false);
        AnimatedDrawingsFiles files = read.Files;
        RgbaImage drawing = read.Texture;
        string texturePath = Path.Combine(path, AnimatedDrawingsFiles.TextureName);
        (RgbaImage picture, string? message) = CharacterRigBuilder.FitWorkingSize(drawing, AnimatedDrawingsFiles.TextureName);
        if (message is not null)
        {
            log?.Invoke(message);
        }

        BodyRig body;
        if (rigFile?.BodyJointsFor(picture.Width, picture.Height) is { } placed)
        {
            // Joints edited on the rig page (which opened this zip) win over char_cfg.yaml's; the rig names the zip by its hash.
            await CheckRigPictureAsync(path, rigFile, ct).ConfigureAwait(false);
            body = BodyRig.Create($"rig file {rigFile.Path}", placed, rigFile.BodyKnown, picture.Width, picture.Height, "rig page");
            log?.Invoke($"{files.Name}: {rigFile.BodyKnown!.Count(k => k)} body joints from the rig file, instead of {AnimatedDrawingsConfig.FileName}'s");
        }
        else
        {
            // char_cfg.yaml's rig, built and checked once by ReadDrawingAsync at the drawing's size, follows the picture.
            body = read.Body.ScaledTo(picture.Width, picture.Height);
        }

        Vector2[] joints = body.Joints.ToArray();
        bool[] known = body.KnownFlags.ToArray();
        FigureMask mask;
        if (options.MaskPath is not null)
        {
            mask = await FigureCutout.ChooseAsync(picture, new FigureSeeds(joints, known, null), options.MaskPath, files.Name, log, ct).ConfigureAwait(false);
        }
        else if (rigFile?.MaskPng is { } png)
        {
            // The figure painted or outlined on the rig page, instead of mask.png.
            RgbaImage given = ImageFile.Decode($"rig file {rigFile.Path}: mask", png, ImageLimits.Default);
            mask = await FigureCutout.ChooseAsync(picture, new FigureSeeds(joints, known, null), given, $"rig file {rigFile.Path}: mask", files.Name, log, ct).ConfigureAwait(false);
        }
        else
        {
            string maskPath = Path.Combine(path, AnimatedDrawingsFiles.MaskName);
            mask = FigureMask.FromMaskPicture(ImageFile.Decode(maskPath, files.Mask, ImageLimits.Default), picture.Width, picture.Height, maskPath);
            log?.Invoke($"{files.Name}: figure from {AnimatedDrawingsFiles.MaskName}, joints from {AnimatedDrawingsConfig.FileName} (docs/figure.md: how the 16 joints map)");
        }

        // A drawn face the face tracker reads (rare for drawings) or a rig file's points animate it; else the head moves whole.
        TrackedFigure found = await TrackFigureAsync(picture, ct).ConfigureAwait(false);
        CharacterRig? face = await FaceRigAsync(texturePath, picture, found.Face, rigFile, log, ct).ConfigureAwait(false);
        return Finish(files.Name, picture, mask, body, face, log);
    }

    private static BodyCharacter Finish(string name, RgbaImage picture, FigureMask mask, BodyRig body, CharacterRig? face, Action<string>? log)
    {
        float coverage = mask.Coverage;
        if (coverage > BodyCharacter.MaxFigureShare)
        {
            log?.Invoke($"{name}: the figure fills {coverage:P0} of the picture, so there is no background to show behind a moved limb");
        }

        RgbaImage background = BackgroundFill.Fill(picture, mask);
        return BodyCharacter.Create(name, picture, mask.Alpha, background, body, face);
    }

    /// <summary>
    /// Probes and decodes a character picture (alpha kept), at most <paramref name="maxWorkingSide"/> px a side (scaled while
    /// decoding) and never over the working size; the messages go to <paramref name="log"/>.
    /// </summary>
    private static async Task<RgbaImage> LoadPictureAsync(string picturePath, int maxWorkingSide, Action<string>? log, CancellationToken ct)
    {
        if (!File.Exists(picturePath))
        {
            throw new FileNotFoundException($"character picture {picturePath} does not exist", picturePath);
        }

        MediaInfo info = await MediaProbe.ProbePictureAsync(picturePath, ct).ConfigureAwait(false);
        if (info.Video is { } v && (v.Width > CharacterRigBuilder.MaxPictureSide || v.Height > CharacterRigBuilder.MaxPictureSide))
        {
            throw new InvalidDataException(
                $"{picturePath}: {v.Width}x{v.Height} is larger than the {CharacterRigBuilder.MaxPictureSide} px a side Capture accepts for a character; scale it down first.");
        }

        int workingSide = Math.Min(maxWorkingSide, CharacterRigBuilder.MaxWorkingSide);
        RgbaImage image = await ImageFile.LoadRgbaAsync(picturePath, ImageLimits.Default, workingSide, ct).ConfigureAwait(false);
        if (info.Video is { } full && (image.Width < full.Width || image.Height < full.Height))
        {
            log?.Invoke($"{Path.GetFileName(picturePath)}: {full.Width}x{full.Height} decoded at {image.Width}x{image.Height} (at most {workingSide} px a side)");
        }

        (RgbaImage picture, string? message) = CharacterRigBuilder.FitWorkingSize(image, Path.GetFileName(picturePath));
        if (message is not null)
        {
            log?.Invoke(message);
        }

        return picture;
    }

    /// <summary>The face rig from the tracked face and/or a rig file; null when there is neither.</summary>
    private static async Task<CharacterRig?> FaceRigAsync(string picturePath, RgbaImage picture, TrackedPicture? found, RigFile? rigFile, Action<string>? log, CancellationToken ct)
    {
        Vector3[]? tracked = found?.Points;
        string name = Path.GetFileNameWithoutExtension(picturePath);
        if (rigFile is not null)
        {
            // The rig names its picture by content: two pictures of one shape must not take each other's points.
            await CheckRigPictureAsync(picturePath, rigFile, ct).ConfigureAwait(false);
        }

        if (rigFile is { HasFace: true })
        {
            Vector3[] canonical = (await CanonicalFace.LoadAsync(ct).ConfigureAwait(false)).Landmarks;
            if (tracked is not null && !rigFile.Agrees(tracked, picture.Width, picture.Height))
            {
                log?.Invoke($"{Path.GetFileName(picturePath)}: the tracker's face does not match the rig file's points; using the rig file alone");
                tracked = null;
            }

            Vector3[] fitted = rigFile.FitFace(canonical, picture.Width, picture.Height, tracked);
            string source = tracked is null ? "rig file" : "tracker + rig file";
            log?.Invoke($"{Path.GetFileName(picturePath)}: face points from {source} ({rigFile.Points.Count} named points in {rigFile.Path})");
            return CharacterRigBuilder.FromLandmarks(name, picture, fitted, source);
        }

        if (tracked is null)
        {
            return null;
        }

        log?.Invoke($"{Path.GetFileName(picturePath)}: face found by the tracker");
        return CharacterRigBuilder.FromLandmarks(name, picture, tracked, "tracker", found!.IrisCenters);
    }

    /// <summary>
    /// The face in picture pixels (z in x's pixel scale) and the two iris centres (right eye first),
    /// or null when the tracker finds no face. The tracker runs MediaPipe's attention model (iris), and the pose
    /// model too: a face too small for the face detector (a full-body picture) is looked for around the pose's head.
    /// </summary>
    public static async Task<TrackedPicture?> TrackAsync(RgbaImage picture, CancellationToken ct = default) =>
        (await TrackFigureAsync(picture, ct).ConfigureAwait(false)).Face;

    /// <summary>
    /// What the trackers find in a still picture: the face (null when none), whether a body was found, and the figure's
    /// seeds (the joints in the picture, <see cref="PictureJoints"/>, and the face's points) for cutting it out.
    /// </summary>
    public static async Task<TrackedFigure> TrackFigureAsync(RgbaImage picture, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(picture);
        float scale = MathF.Min(1f, (float)TrackingSide / Math.Max(picture.Width, picture.Height));
        int width = Math.Max(16, (int)MathF.Round(picture.Width * scale));
        int height = Math.Max(16, (int)MathF.Round(picture.Height * scale));
        VideoFrame frame = ToFrame(picture, width, height);
        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true, Body = true, StaticImage = true, RefineLandmarks = true }, ct).ConfigureAwait(false);
        var result = new TrackingFrame();
        tracker.Process(frame, result);
        TrackedPicture? face = result.Face.Present ? TrackedPicture.FromFace(result.Face, picture.Width, picture.Height) : null;
        (Vector2[] joints, bool[] known) = PictureJoints.FromPose(result.Body, picture.Width, picture.Height);
        var seeds = new FigureSeeds(joints, known, face is null ? null : [.. face.Points.Select(p => new Vector2(p.X, p.Y))]);
        return new TrackedFigure(face, result.Body.Present, seeds);
    }

    /// <summary>The picture as an RGB frame of the given size (resized when it differs), transparent parts over mid grey (no false edges either way).</summary>
    internal static VideoFrame ToFrame(RgbaImage picture, int width, int height)
    {
        var frame = VideoFrame.CreateUnpooled(width, height);
        if (width == picture.Width && height == picture.Height)
        {
            Span<byte> rgb = frame.Pixels;
            byte[] rgba = picture.Pixels;
            for (int i = 0; i < width * height; i++)
            {
                int a = rgba[(i * 4) + 3];
                for (int c = 0; c < 3; c++)
                {
                    rgb[(i * 3) + c] = (byte)(((rgba[(i * 4) + c] * a) + (128 * (255 - a)) + 127) / 255);
                }
            }

            return frame;
        }

        float side = MathF.Max(picture.Width, picture.Height);
        int size = Math.Max(width, height);
        var planar = new float[size * size * 4];
        picture.SampleSquare(0, 0, side, size, planar);
        int plane = size * size;
        Span<byte> pixels = frame.Pixels;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = (y * size) + x;
                float a = planar[(3 * plane) + i];
                int o = ((y * width) + x) * 3;
                for (int c = 0; c < 3; c++)
                {
                    float value = (planar[(c * plane) + i] * a) + (0.5f * (1 - a));
                    pixels[o + c] = (byte)Math.Clamp((int)((value * 255) + 0.5f), 0, 255);
                }
            }
        }

        return frame;
    }
}

/// <summary>What the trackers found in a character picture (<see cref="CharacterLoader.TrackFigureAsync"/>).</summary>
/// <param name="Face">The face in picture pixels, or null.</param>
/// <param name="BodyPresent">True when the pose tracker found a body.</param>
/// <param name="Seeds">The joints in the picture and the face's points, picture pixels.</param>
public sealed record TrackedFigure(TrackedPicture? Face, bool BodyPresent, FigureSeeds Seeds);

/// <summary>An Animated Drawings character as read (<see cref="CharacterLoader.ReadDrawingAsync"/>): its files, the decoded drawing, its configuration and its joints mapped onto the body rig, at the drawing's size.</summary>
public sealed record AnimatedDrawing(AnimatedDrawingsFiles Files, RgbaImage Texture, AnimatedDrawingsConfig Config, BodyRig Body);

/// <summary>What <see cref="CharacterLoader.LoadBodyAsync"/> takes besides the character.</summary>
public sealed record BodyLoadOptions
{
    /// <summary>A mask picture for the figure (white = figure), used when the picture has no alpha; for a drawing folder, instead of its mask.png.</summary>
    public string? MaskPath { get; init; }

    /// <summary>A face rig file (capture-rig JSON) for a face the tracker cannot read.</summary>
    public string? RigPath { get; init; }
}

/// <summary>A face the tracker found in a character picture: 468 points and the iris centres (empty when not tracked), in picture pixels.</summary>
public sealed record TrackedPicture(Vector3[] Points, Vector2[] IrisCenters)
{
    /// <summary>A tracked face (normalized, as the tracker gives it) in pixels of a picture of the given size; z in x's pixel scale.</summary>
    public static TrackedPicture FromFace(FaceObservation face, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(face);
        var points = new Vector3[TrackingFrame.FaceLandmarkCount];
        for (int i = 0; i < points.Length; i++)
        {
            Vector3 p = face.Landmarks[i];
            points[i] = new Vector3(p.X * width, p.Y * height, p.Z * width);
        }

        Vector2 Pixel(Vector3 p) => new(p.X * width, p.Y * height);
        Vector2[] iris = face.HasIris ? [Pixel(face.Iris[FaceObservation.RightIrisCenter]), Pixel(face.Iris[FaceObservation.LeftIrisCenter])] : [];
        return new TrackedPicture(points, iris);
    }
}
