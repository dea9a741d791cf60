using System.Numerics;

namespace Capture.Core.Tracking;

/// <summary>
/// What the tracker saw in one video frame: the unit that flows from tracking through the wire
/// protocol to retargeting. Every array is allocated once with its fixed size, so one instance can
/// be reused frame after frame (<see cref="CopyTo"/>, <see cref="Clear"/>) with no per-frame allocation.
/// </summary>
public sealed class TrackingFrame
{
    /// <summary>MediaPipe face mesh points (without the 10 iris points of the attention model).</summary>
    public const int FaceLandmarkCount = 468;

    /// <summary>Iris points of the attention face model: 5 per eye (centre, then four on the iris edge).</summary>
    public const int IrisLandmarkCount = 10;

    /// <summary>MediaPipe pose (BlazePose) points.</summary>
    public const int BodyLandmarkCount = 33;

    /// <summary>MediaPipe hand landmarks a hand (<see cref="HandTopology"/>).</summary>
    public const int HandLandmarkCount = 21;

    /// <summary>Zero-based frame number in the source.</summary>
    public long Sequence { get; set; }

    /// <summary>When the source frame was captured, microseconds on the source's clock.</summary>
    public long CaptureTimestampUs { get; set; }

    public int ImageWidth { get; set; }

    public int ImageHeight { get; set; }

    public FaceObservation Face { get; } = new();

    public BodyObservation Body { get; } = new();

    /// <summary>The performer's left hand (the image's right for an unmirrored camera).</summary>
    public HandObservation LeftHand { get; } = new(Handedness.Left);

    /// <summary>The performer's right hand.</summary>
    public HandObservation RightHand { get; } = new(Handedness.Right);

    /// <summary>The hand slot for <paramref name="side"/>.</summary>
    public HandObservation Hand(Handedness side) => side == Handedness.Left ? LeftHand : RightHand;

    /// <summary>Marks the frame as seeing nothing (keeps sequence, time and size).</summary>
    public void Clear()
    {
        Face.Clear();
        Body.Clear();
        LeftHand.Clear();
        RightHand.Clear();
    }

    /// <summary>Copies every value into <paramref name="destination"/> without allocating.</summary>
    public void CopyTo(TrackingFrame destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        destination.Sequence = Sequence;
        destination.CaptureTimestampUs = CaptureTimestampUs;
        destination.ImageWidth = ImageWidth;
        destination.ImageHeight = ImageHeight;
        Face.CopyTo(destination.Face);
        Body.CopyTo(destination.Body);
        LeftHand.CopyTo(destination.LeftHand);
        RightHand.CopyTo(destination.RightHand);
    }
}

/// <summary>The face part of a <see cref="TrackingFrame"/>.</summary>
public sealed class FaceObservation
{
    public bool Present { get; set; }

    /// <summary>Face-presence confidence, 0..1.</summary>
    public float Score { get; set; }

    /// <summary>
    /// 468 points, normalized as MediaPipe does: x and y in [0, 1] of the image width and height
    /// (may fall slightly outside for a face at the border), z in the same scale as x, smaller = nearer.
    /// </summary>
    public Vector3[] Landmarks { get; } = new Vector3[TrackingFrame.FaceLandmarkCount];

    /// <summary>True when <see cref="Iris"/> holds this frame's iris points (the tracker ran the attention model).</summary>
    public bool HasIris { get; set; }

    /// <summary>
    /// MediaPipe's refined points 468–477, normalized like <see cref="Landmarks"/>: 0–4 the iris of the
    /// subject's right eye (image left, around points 33/133; centre first), 5–9 the subject's left eye
    /// (around 263/362). All zero unless <see cref="HasIris"/>.
    /// </summary>
    public Vector3[] Iris { get; } = new Vector3[TrackingFrame.IrisLandmarkCount];

    /// <summary>Index in <see cref="Iris"/> of the subject's right iris centre (MediaPipe point 468).</summary>
    public const int RightIrisCenter = 0;

    /// <summary>Index in <see cref="Iris"/> of the subject's left iris centre (MediaPipe point 473).</summary>
    public const int LeftIrisCenter = 5;

    /// <summary>Head rotation and translation relative to the camera (canonical face model space, centimetres).</summary>
    public HeadPose HeadPose { get; set; } = HeadPose.Identity;

    /// <summary>52 values in 0..1, ARKit order (<see cref="ArkitBlendshapes"/>).</summary>
    public float[] Blendshapes { get; } = new float[ArkitBlendshapes.Count];

    /// <summary>Landmark <paramref name="index"/> in pixels of an image of the given size.</summary>
    public Vector2 Pixel(int index, int imageWidth, int imageHeight) =>
        new(Landmarks[index].X * imageWidth, Landmarks[index].Y * imageHeight);

    public void Clear()
    {
        Present = false;
        Score = 0;
        HeadPose = HeadPose.Identity;
        Array.Clear(Landmarks);
        Array.Clear(Blendshapes);
        HasIris = false;
        Array.Clear(Iris);
    }

    public void CopyTo(FaceObservation destination)
    {
        destination.Present = Present;
        destination.Score = Score;
        destination.HeadPose = HeadPose;
        Landmarks.CopyTo(destination.Landmarks, 0);
        Blendshapes.CopyTo(destination.Blendshapes, 0);
        destination.HasIris = HasIris;
        Iris.CopyTo(destination.Iris, 0);
    }
}

/// <summary>The body part of a <see cref="TrackingFrame"/>.</summary>
public sealed class BodyObservation
{
    public bool Present { get; set; }

    public float Score { get; set; }

    /// <summary>33 points: x, y normalized to the image, z relative to the hips in x's scale, W = visibility 0..1.</summary>
    public Vector4[] Landmarks { get; } = new Vector4[TrackingFrame.BodyLandmarkCount];

    /// <summary>True when <see cref="WorldLandmarks"/> holds this frame's world points (schema v1.3; older senders have none).</summary>
    public bool HasWorld { get; set; }

    /// <summary>
    /// MediaPipe's pose world landmarks, the same 33 points in metres: origin midway between the hips, x to the
    /// image's right, y down, z away from the camera (smaller = nearer), rotated like the image (the model's
    /// crop rotation undone), so bone directions read as the performer's real 3D pose. Visibility is in
    /// <see cref="Landmarks"/>' W. All zero unless <see cref="HasWorld"/>.
    /// </summary>
    public Vector3[] WorldLandmarks { get; } = new Vector3[TrackingFrame.BodyLandmarkCount];

    public void Clear()
    {
        Present = false;
        Score = 0;
        Array.Clear(Landmarks);
        HasWorld = false;
        Array.Clear(WorldLandmarks);
    }

    public void CopyTo(BodyObservation destination)
    {
        destination.Present = Present;
        destination.Score = Score;
        Landmarks.CopyTo(destination.Landmarks, 0);
        destination.HasWorld = HasWorld;
        WorldLandmarks.CopyTo(destination.WorldLandmarks, 0);
    }
}

/// <summary>A rigid head pose: rotation (unit quaternion) then translation, camera space.</summary>
public readonly record struct HeadPose(Quaternion Rotation, Vector3 Translation)
{
    public static HeadPose Identity { get; } = new(Quaternion.Identity, Vector3.Zero);

    /// <summary>
    /// The rotation <see cref="EulerDegrees"/> reads back as (yaw, pitch, roll) in degrees: yaw about Y, then
    /// pitch about X, then roll about Z (System.Numerics' yaw-pitch-roll order), no translation. For motion read
    /// from files that carry angles (Live Link Face CSV).
    /// </summary>
    public static HeadPose FromEulerDegrees(float yaw, float pitch, float roll)
    {
        const float ToRadians = MathF.PI / 180f;
        return new HeadPose(Quaternion.CreateFromYawPitchRoll(yaw * ToRadians, pitch * ToRadians, roll * ToRadians), Vector3.Zero);
    }

    /// <summary>Yaw, pitch and roll in degrees (Y, X, Z intrinsic), for people and overlays.</summary>
    public Vector3 EulerDegrees()
    {
        Quaternion q = Rotation;
        float sinp = 2 * ((q.W * q.X) - (q.Y * q.Z));
        float pitch = MathF.Abs(sinp) >= 1 ? MathF.CopySign(MathF.PI / 2, sinp) : MathF.Asin(sinp);
        float yaw = MathF.Atan2(2 * ((q.W * q.Y) + (q.X * q.Z)), 1 - (2 * ((q.X * q.X) + (q.Y * q.Y))));
        float roll = MathF.Atan2(2 * ((q.W * q.Z) + (q.X * q.Y)), 1 - (2 * ((q.X * q.X) + (q.Z * q.Z))));
        const float ToDegrees = 180f / MathF.PI;
        return new Vector3(yaw * ToDegrees, pitch * ToDegrees, roll * ToDegrees);
    }
}
