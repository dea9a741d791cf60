using Capture.Core.Tracking;
using Capture.Media;
using Capture.Pipeline;
using Capture.Pipeline.Motion;
using Capture.Pipeline.Rendering;
using Capture.Retargeting;
using Capture.Retargeting.Calibration;
using Capture.Retargeting.Rigs;
using Capture.Tracking;

namespace Capture.Jobs;

/// <summary>
/// The one place jobs touch the render pipeline (the same <see cref="RenderPipeline"/> as
/// <c>capture render</c>) and the tracker: the render itself, and the face checks an upload must
/// pass before it becomes a job. When the pipeline moves (Capture.Pipeline), only this class changes.
/// </summary>
public sealed class JobPipeline
{
    /// <summary>The page that makes a rig for a character the tracker cannot read.</summary>
    public const string RigPage = "/rig.html";

    /// <summary>
    /// Renders a job: inputs from <paramref name="jobDirectory"/> (generated names from the record),
    /// <see cref="DataFolder.ResultVideoName"/> and the motion folder into <paramref name="workDirectory"/>.
    /// </summary>
    public static async Task<RenderResult> RenderAsync(JobRecord job, string jobDirectory, string workDirectory, IProgress<RenderProgress> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        string characterPath = Path.Combine(jobDirectory, job.CharacterFile);
        string? rigPath = job.RigFile is null ? null : Path.Combine(jobDirectory, job.RigFile);
        BodyCharacter? body = job.Settings.Body
            ? await CharacterLoader.LoadBodyAsync(characterPath, BodyOptions(jobDirectory, job.Settings.MaskFile, rigPath), log: null, ct).ConfigureAwait(false)
            : null;
        var options = new RenderOptions
        {
            DrivingPath = Path.Combine(jobDirectory, job.DrivingFile),
            CharacterPath = Path.Combine(jobDirectory, job.CharacterFile),
            RigPath = job.RigFile is null ? null : Path.Combine(jobDirectory, job.RigFile),
            ProfilePath = job.ProfileFile is null ? null : Path.Combine(jobDirectory, job.ProfileFile),
            OutputPath = Path.Combine(workDirectory, DataFolder.ResultVideoName),
            Size = job.Settings.Size,
            SideBySide = job.Settings.SideBySide,
            Gains = new RetargetGains { Intensity = job.Settings.Intensity },
            MotionDataDirectory = job.Settings.MotionData ? Path.Combine(workDirectory, DataFolder.MotionFolderName) : null,
            UntrustedMotion = true,
            BodyCharacter = body,
        };
        return await RenderPipeline.RunAsync(options, progress, log: null, ct).ConfigureAwait(false);
    }

    private static BodyLoadOptions BodyOptions(string jobDirectory, string? maskFile, string? rigPath) =>
        new() { MaskPath = maskFile is null ? null : Path.Combine(jobDirectory, maskFile), RigPath = rigPath };

    /// <summary>
    /// A character whose body moves loads as the render will load it (docs/figure.md): a picture with a body the pose tracker
    /// finds or joints from the rig, an Animated Drawings zip (char_cfg.yaml, texture.png, mask.png), a mask that covers
    /// the joints. Throws <see cref="JobInputException"/> (415 not a picture, 422 naming the problem otherwise).
    /// </summary>
    public static async Task CheckBodyCharacterAsync(string characterPath, string? rigPath, string? maskPath, CancellationToken ct)
    {
        try
        {
            _ = await CharacterLoader.LoadBodyAsync(characterPath, new BodyLoadOptions { MaskPath = maskPath, RigPath = rigPath }, log: null, ct).ConfigureAwait(false);
        }
        catch (MediaInputException ex) when (maskPath is not null && ex.Message.Contains(maskPath, StringComparison.Ordinal))
        {
            throw JobInputException.NotMedia($"mask: {ex.Problem}", ex);
        }
        catch (MediaInputException ex)
        {
            throw JobInputException.NotMedia($"character: {ex.Problem}", ex);
        }
        catch (Exception ex) when (ex is InvalidDataException or FileNotFoundException)
        {
            string message = Strip(ex.Message, characterPath, rigPath);
            if (maskPath is not null)
            {
                message = message.Replace(maskPath, "the mask", StringComparison.Ordinal).Replace(Path.GetFileName(maskPath), "the mask", StringComparison.Ordinal);
            }

            throw JobInputException.Unusable($"character: {message}", ex);
        }
    }

    /// <summary>
    /// The performer is in the clip's first 5 seconds: the face (where the render takes the performer's neutral), or for a
    /// body job the body (a full-body clip's face may be too small to find; the body drives and the face stays at rest). 422 otherwise.
    /// </summary>
    public static async Task CheckDrivingPerformerAsync(string drivingPath, bool body, CancellationToken ct)
    {
        if (!body)
        {
            await CheckDrivingFaceAsync(drivingPath, ct).ConfigureAwait(false);
            return;
        }

        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = false, Body = true, Threads = 1 }, ct).ConfigureAwait(false);
        try
        {
            await using IFrameSource source = await FrameSources.OpenAsync(drivingPath, null, ct).ConfigureAwait(false);
            await using VideoMotionDriver driver = VideoMotionDriver.Over(source, tracker);
            long limit = (long)Math.Ceiling(5 * Math.Max(source.FrameRate, 1));
            var tracking = new TrackingFrame();
            for (long i = 0; i < limit; i++)
            {
                MotionStep step = await driver.ReadAsync(tracking, ct).ConfigureAwait(false);
                step.Picture?.Dispose();
                if (!step.HasFrame)
                {
                    break;
                }

                if (tracking.Body.Present)
                {
                    return;
                }
            }

            throw JobInputException.Unusable("driving: no body found in the clip's first 5 seconds; the performer's shoulders at least must be in view from the start");
        }
        catch (MediaInputException ex)
        {
            throw JobInputException.NotMedia($"driving: {ex.Problem}", ex);
        }
    }

    /// <summary>
    /// The character picture can be driven: the tracker finds a face in it, or the rig file places
    /// one. Throws <see cref="JobInputException"/> (415 not a picture, 422 no face and no rig, bad rig).
    /// </summary>
    public static async Task CheckCharacterAsync(string picturePath, string? rigPath, CancellationToken ct)
    {
        try
        {
            // Only the face check: the picture at the size the tracker looks at, not the render's working size.
            _ = await CharacterLoader.LoadAsync(picturePath, rigPath, CharacterLoader.TrackingSide, log: null, ct).ConfigureAwait(false);
        }
        catch (MediaInputException ex)
        {
            throw JobInputException.NotMedia($"character: {ex.Problem}", ex);
        }
        catch (InvalidDataException ex) when (rigPath is null && ex.Message.Contains("no face found", StringComparison.Ordinal))
        {
            throw JobInputException.Unusable(
                $"character: no face found in the picture and no rig given. Mark the face on the rig page ({RigPage}) and send the rig it saves as the 'rig' field", ex);
        }
        catch (InvalidDataException ex)
        {
            throw JobInputException.Unusable($"character: {Strip(ex.Message, picturePath, rigPath)}", ex);
        }
    }

    /// <summary>The performer profile parses (422 naming the field otherwise).</summary>
    public static void CheckProfile(string profilePath)
    {
        try
        {
            _ = PerformerProfile.Load(profilePath);
        }
        catch (Exception ex) when (ex is InvalidDataException or System.Text.Json.JsonException or IOException)
        {
            throw JobInputException.Unusable($"profile: {Strip(ex.Message, profilePath, null)}", ex);
        }
    }

    /// <summary>
    /// The tracker finds the performer's face within the clip's first 5 seconds (where the render
    /// takes the performer's neutral); 422 otherwise.
    /// </summary>
    public static async Task CheckDrivingFaceAsync(string drivingPath, CancellationToken ct)
    {
        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true, Threads = 1 }, ct).ConfigureAwait(false);
        try
        {
            // One neutral frame: the pass stops at the first frame with a face (the search still covers 5 s).
            await using IFrameSource source = await FrameSources.OpenAsync(drivingPath, null, ct).ConfigureAwait(false);
            var window = new CalibrationWindow { NeutralSeconds = 1 / Math.Max(source.FrameRate, 1), SearchSeconds = 5 };
            CalibrationPass pass = await CalibrationPass.RunAsync(source, tracker, window, progress: null, ct).ConfigureAwait(false);
            if (pass.FirstFaceCrop is null)
            {
                throw JobInputException.Unusable("driving: no face found in the clip's first 5 seconds; the performer's face must be in view from the start");
            }
        }
        catch (MediaInputException ex)
        {
            throw JobInputException.NotMedia($"driving: {ex.Problem}", ex);
        }
    }

    /// <summary>
    /// A motion file as the driving input (.mpk, Live Link Face CSV, BVH): read through by its driver with the
    /// protocol's untrusted limits, as the render will read it. Its length in seconds and output frames; 422
    /// naming the problem otherwise (a CSV without its columns, a BVH with unknown joints, a recording without faces).
    /// </summary>
    /// <param name="displayName">The client's name for the file, used in place of the server's path in messages.</param>
    public static async Task<(double Seconds, long Frames)> CheckDrivingMotionAsync(string drivingPath, string? displayName, CancellationToken ct)
    {
        try
        {
            await using IMotionDriver driver = await MotionDrivers.OpenAsync(drivingPath, new MotionDriverOptions { Untrusted = true }, ct).ConfigureAwait(false);
            long frames = driver.Info.FrameCount ?? 0;
            return (frames / driver.Info.FrameRate, frames);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            string message = displayName is null ? Strip(ex.Message, drivingPath, null) : ex.Message.Replace(drivingPath, displayName, StringComparison.Ordinal);
            throw JobInputException.Unusable($"driving: {message}", ex);
        }
    }

    /// <summary>
    /// The body joints the pose tracker finds in a picture (still-image mode, as a body character's are found): the picture's
    /// size, whether a body was found, and the joints in the picture by MediaPipe pose's names, picture pixels. 415 when it is
    /// not a picture.
    /// </summary>
    public static async Task<(int Width, int Height, bool Found, Dictionary<string, float[]> Joints)> TrackJointsAsync(string picturePath, CancellationToken ct)
    {
        Capture.Core.Frames.RgbaImage picture;
        try
        {
            picture = await ImageFile.LoadRgbaAsync(picturePath, ImageLimits.Default, ct).ConfigureAwait(false);
        }
        catch (MediaInputException ex)
        {
            throw JobInputException.NotMedia($"picture: {ex.Problem}", ex);
        }

        TrackedFigure figure = await CharacterLoader.TrackFigureAsync(picture, ct).ConfigureAwait(false);
        var joints = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (figure.BodyPresent)
        {
            for (int i = 0; i < figure.Seeds.Joints.Count; i++)
            {
                if (figure.Seeds.Known[i])
                {
                    System.Numerics.Vector2 p = figure.Seeds.Joints[i];
                    joints[BodyTopology.Names[i]] = [MathF.Round(p.X, 1), MathF.Round(p.Y, 1)];
                }
            }
        }

        return (picture.Width, picture.Height, joints.Count > 0, joints);
    }

    /// <summary>
    /// An Animated Drawings character zip for the rig page: its drawing and mask (the PNG bytes as they are in the zip), its
    /// size, and its joints mapped onto the body rig by the loader's one mapping (MediaPipe pose's names, picture pixels), with
    /// the 16 joints of its <c>char_cfg.yaml</c> as read. 422 naming the file when it is not a character zip.
    /// </summary>
    public static async Task<DrawingForRig> ReadDrawingAsync(string zipPath, string displayName, CancellationToken ct)
    {
        AnimatedDrawing drawing;
        try
        {
            drawing = await CharacterLoader.ReadDrawingAsync(zipPath, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or FileNotFoundException or MediaInputException)
        {
            string message = ex is MediaInputException media ? media.Problem : ex.Message;
            throw JobInputException.Unusable(ClientText.NamePaths(message, (zipPath, displayName)), ex);
        }

        var joints = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int i = 0; i < TrackingFrame.BodyLandmarkCount; i++)
        {
            if (drawing.Body.Known(i))
            {
                System.Numerics.Vector2 p = drawing.Body.Joint(i);
                joints[BodyTopology.Names[i]] = [MathF.Round(p.X, 1), MathF.Round(p.Y, 1)];
            }
        }

        DrawingJoint[] own = [.. AnimatedDrawingsConfig.Skeleton.Select(j => new DrawingJoint(
            j.Name, j.Parent, [MathF.Round(drawing.Config.Joints[j.Name].X, 1), MathF.Round(drawing.Config.Joints[j.Name].Y, 1)],
            j.PoseIndex < 0 ? null : BodyTopology.Names[j.PoseIndex]))];
        return new DrawingForRig(drawing.Files.Name, drawing.Texture.Width, drawing.Texture.Height, drawing.Files.Texture, drawing.Files.Mask, joints, own);
    }

    /// <summary>Points of a rig fitted to a picture, for the rig page: 468 face points in picture pixels and the mesh's triangles.</summary>
    public static async Task<(float[] Points, int[] Triangles)> FitRigAsync(string rigPath, int pictureWidth, int pictureHeight, CancellationToken ct)
    {
        RigFile rig;
        try
        {
            rig = RigFile.Load(rigPath);
        }
        catch (InvalidDataException ex)
        {
            throw JobInputException.Unusable(Strip(ex.Message, null, rigPath), ex);
        }

        if (!rig.HasFace)
        {
            throw JobInputException.Unusable("the rig marks no face points (a body-only rig): there is no face mesh to fit");
        }

        System.Numerics.Vector3[] canonical = (await Capture.Tracking.Face.CanonicalFace.LoadAsync(ct).ConfigureAwait(false)).Landmarks;
        System.Numerics.Vector3[] face;
        try
        {
            face = rig.FitFace(canonical, pictureWidth, pictureHeight);
        }
        catch (InvalidDataException ex)
        {
            throw JobInputException.Unusable(Strip(ex.Message, null, rigPath), ex);
        }

        var points = new float[TrackingFrame.FaceLandmarkCount * 2];
        for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
        {
            points[2 * i] = face[i].X;
            points[(2 * i) + 1] = face[i].Y;
        }

        return (points, Capture.Tracking.Face.CanonicalFace.Triangles);
    }

    /// <summary>Removes server paths from a message meant for the client.</summary>
    internal static string Strip(string message, string? picturePath, string? rigPath) =>
        ClientText.NamePaths(message,
            (rigPath is null ? null : "rig file " + rigPath, "the rig"),
            (picturePath, Path.GetFileName(picturePath ?? "")),
            (rigPath, Path.GetFileName(rigPath ?? "")));
}

/// <summary>An Animated Drawings character for the rig page (<see cref="JobPipeline.ReadDrawingAsync"/>).</summary>
/// <param name="Name">The character's name (its folder's).</param>
/// <param name="Width">The drawing's width, pixels.</param>
/// <param name="Height">The drawing's height, pixels.</param>
/// <param name="Texture">texture.png's bytes, as in the zip.</param>
/// <param name="Mask">mask.png's bytes, as in the zip (white = figure).</param>
/// <param name="Joints">The joints mapped onto the body rig: MediaPipe pose's names → [x, y], picture pixels.</param>
/// <param name="DrawingJoints">The 16 joints of char_cfg.yaml as read, each with the pose joint it maps to (null: not used).</param>
public sealed record DrawingForRig(string Name, int Width, int Height, byte[] Texture, byte[] Mask, Dictionary<string, float[]> Joints, DrawingJoint[] DrawingJoints);

/// <summary>One joint of an Animated Drawings skeleton: its name, parent, [x, y] in picture pixels, and the pose joint it maps to (null: not used).</summary>
public sealed record DrawingJoint(string Name, string? Parent, float[] Loc, string? MapsTo);
