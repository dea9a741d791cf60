using Capture.Retargeting;

namespace Capture.Pipeline.Rendering;

/// <summary>What <see cref="RenderPipeline"/> renders.</summary>
public sealed record RenderOptions
{
    /// <summary>
    /// What drives the character: a video (tracked), or a motion file read back: a Capture <c>.mpk</c>
    /// recording, a Live Link Face CSV or a BVH (<see cref="Motion.MotionDrivers"/>).
    /// </summary>
    public required string DrivingPath { get; init; }

    /// <summary>The output's audio from this file instead of the driving input's own (a video's soundtrack, a recording's AudioChunks).</summary>
    public string? AudioPath { get; init; }

    /// <summary>The driving file came from the network (a job upload): a recording is read with the protocol's untrusted limits.</summary>
    public bool UntrustedMotion { get; init; }

    /// <summary>The blendshape → face basis for Live Link CSV and BVH; null: models/face-basis-v1.json.</summary>
    public string? BasisPath { get; init; }

    public required string CharacterPath { get; init; }

    /// <summary>
    /// A character whose body moves, already loaded (figure mask, filled background, joints, face):
    /// the render drives its body from the performer's and its face as usual, at its own frame's shape
    /// (<see cref="Rigs.BodyCharacter.OutputSize"/>, <see cref="Size"/> pixels across).
    /// Null: <see cref="CharacterPath"/> is loaded.
    /// </summary>
    public Capture.Retargeting.Rigs.BodyCharacter? BodyCharacter { get; init; }

    /// <summary>Gains on the body: root motion (stepping, jumping, crouching), ease times.</summary>
    public Capture.Retargeting.Body.BodyRetargetOptions BodyRetargeting { get; init; } = new();

    public required string OutputPath { get; init; }

    /// <summary>Rig file for characters the tracker cannot read (see <see cref="Rigs.RigFile"/>).</summary>
    public string? RigPath { get; init; }

    /// <summary>Performer profile; null or one without a neutral: calibrate from the clip's first <see cref="CalibrationSeconds"/>.</summary>
    public string? ProfilePath { get; init; }

    /// <summary>Output side: 256, 512 or 1024 (a body character's frame: its width).</summary>
    public int Size { get; init; } = 512;

    /// <summary>Driving face crop on the left, character on the right.</summary>
    public bool SideBySide { get; init; }

    public RetargetGains Gains { get; init; } = new();

    /// <summary>Seconds at the clip's start taken as the performer's neutral.</summary>
    public double CalibrationSeconds { get; init; } = 1;

    /// <summary>
    /// Write the captured motion into this folder: motion.mpk, livelink.csv, motion.csv and (with
    /// <see cref="Body"/>) motion.bvh.
    /// </summary>
    public string? MotionDataDirectory { get; init; }

    /// <summary>
    /// With <see cref="MotionDataDirectory"/>: also track the body (33 pose points), recorded in
    /// motion.mpk and written as motion.bvh. Ignored without a motion-data folder (the character is
    /// driven by the face only).
    /// </summary>
    public bool Body { get; init; } = true;

    /// <summary>
    /// With <see cref="MotionDataDirectory"/>: also track both hands (from the body's wrists with <see cref="Body"/>, else
    /// by the palm detector), recorded in motion.mpk and as finger joints in motion.bvh. The character is not driven
    /// by the hands yet.
    /// </summary>
    public bool Hands { get; init; }

    /// <summary>With <see cref="Body"/>: which BlazePose landmark model tracks it (Lite is the fastest, Full the default).</summary>
    public Capture.Tracking.PoseModel PoseModel { get; init; } = Capture.Tracking.PoseModel.Full;

    /// <summary>The driving camera's calibration (camera.json); null: head pose assumes the fixed field of view.</summary>
    public Capture.Core.Geometry.CameraIntrinsics? Camera { get; init; }

    /// <summary>
    /// Track the performer with MediaPipe's attention face model: iris points drive the character's
    /// gaze, and its refined lips and eyes follow the mouth better. Off: the plain mesh (no gaze,
    /// about a quarter faster to track).
    /// </summary>
    public bool Iris { get; init; } = true;

    /// <summary>
    /// Paint the mouth interior instead of taking the performer's own (teeth, tongue) from the
    /// driving frame when their lips part (docs/generator.md).
    /// </summary>
    public bool PaintedMouth { get; init; }

    /// <summary>The generator's backward map: the limited thin-plate spline (default) or the piecewise-affine face mesh (docs/generator.md).</summary>
    public Capture.Generation.WarpKind Warp { get; init; } = Capture.Generation.WarpGenerator.DefaultWarp;

    /// <summary>Stop after this many frames (tests, previews).</summary>
    public int? MaxFrames { get; init; }

    /// <summary>Background for transparent characters (RGB).</summary>
    public (byte R, byte G, byte B) Background { get; init; } = (235, 235, 235);

    /// <summary>Sizes the generator supports as presets.</summary>
    public static IReadOnlyList<int> Sizes { get; } = [256, 512, 1024];
}

/// <summary>Progress of a render, reported once a frame.</summary>
public readonly record struct RenderProgress(long Frame, long? TotalFrames, double FramesPerSecond);

/// <summary>What a render did.</summary>
public sealed record RenderResult(long Frames, long FramesWithoutFace, double Seconds, string OutputPath, string CharacterLandmarkSource, string? ProfileSource)
{
    public double FramesPerSecond => Seconds > 0 ? Frames / Seconds : 0;

    /// <summary>What drove the render: a video, a recording, a Live Link CSV or a BVH.</summary>
    public Motion.MotionKind DrivingKind { get; init; }

    /// <summary>The output's frame rate (a video's own, a motion file's from its timestamps).</summary>
    public double FrameRate { get; init; }

    /// <summary>The file the output's audio came from (--audio, the driving video, or the recording whose AudioChunks it was), or null for a silent video.</summary>
    public string? AudioPath { get; init; }

    /// <summary>Frames whose body was seen well enough for motion.bvh (<see cref="BvhStreamWriter.SeesBody"/>); null when the body was not tracked.</summary>
    public long? FramesWithBody { get; init; }
}
