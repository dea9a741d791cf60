using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Retargeting.Rigs;
using Capture.Tracking;
using Capture.Tracking.Face;

namespace Capture.Pipeline;

/// <summary>
/// Makes a <see cref="CharacterRig"/> from a picture file: decode (alpha kept), shrink a huge
/// picture, find the face with the tracker in still-image mode, and apply a rig file where given.
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
    public static async Task<CharacterRig> LoadAsync(string picturePath, string? rigPath, int maxWorkingSide, Action<string>? log = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(picturePath);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWorkingSide, 64);
        if (!File.Exists(picturePath))
        {
            throw new FileNotFoundException($"character picture {picturePath} does not exist", picturePath);
        }

        RigFile? rigFile = rigPath is null ? null : RigFile.Load(rigPath);
        MediaInfo info = await MediaProbe.ProbeAsync(picturePath, ct).ConfigureAwait(false);
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

        TrackedPicture? found = await TrackAsync(picture, ct).ConfigureAwait(false);
        Vector3[]? tracked = found?.Points;
        string name = Path.GetFileNameWithoutExtension(picturePath);
        if (rigFile is not null)
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
            throw new InvalidDataException(
                $"{picturePath}: no face found in the picture. For a character the face tracker cannot read (anime, animals, " +
                "stylized art), mark its eyes and mouth in a rig file and pass it with --rig FILE.json: " +
                "{\"format\": \"capture-rig\", \"version\": 1, \"imageSize\": [W, H], \"points\": {\"rightEyeOuter\": [x, y], \"leftEyeOuter\": [x, y], " +
                "\"mouthRight\": [x, y], \"mouthLeft\": [x, y], ...}} (see docs/generator.md, examples in calibration/rigs/), " +
                "or click the points on the rig page of `capture serve` (http://127.0.0.1:5080/rig.html), which saves that file.");
        }

        log?.Invoke($"{Path.GetFileName(picturePath)}: face found by the tracker");
        return CharacterRigBuilder.FromLandmarks(name, picture, tracked, "tracker", found!.IrisCenters);
    }

    /// <summary>
    /// The face in picture pixels (z in x's pixel scale) and the two iris centres (right eye first),
    /// or null when the tracker finds no face. The tracker runs MediaPipe's attention model (iris).
    /// </summary>
    public static async Task<TrackedPicture?> TrackAsync(RgbaImage picture, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(picture);
        float scale = MathF.Min(1f, (float)TrackingSide / Math.Max(picture.Width, picture.Height));
        int width = Math.Max(16, (int)MathF.Round(picture.Width * scale));
        int height = Math.Max(16, (int)MathF.Round(picture.Height * scale));
        VideoFrame frame = ToFrame(picture, width, height);
        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true, StaticImage = true, RefineLandmarks = true }, ct).ConfigureAwait(false);
        var result = new TrackingFrame();
        tracker.Process(frame, result);
        if (!result.Face.Present)
        {
            return null;
        }

        return TrackedPicture.FromFace(result.Face, picture.Width, picture.Height);
    }

    // The picture resized for the tracker, transparent parts over mid grey (no false edges either way).
    private static VideoFrame ToFrame(RgbaImage picture, int width, int height)
    {
        var frame = VideoFrame.CreateUnpooled(width, height);
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
