using Capture.Core.Tracking;

namespace Capture.Protocol.Export;

/// <summary>
/// Per-eye yaw and pitch in radians, ARKit's eye-transform convention (<c>leftEyeTransform</c> /
/// <c>rightEyeTransform</c>: face space, +x toward the subject's left, +y up, +z out of the face, the
/// eye's +z toward the pupil): <b>yaw</b> is the turn about +y, positive when the pupil moves toward the
/// subject's left; <b>pitch</b> is the turn about +x, positive when the pupil moves down. Left and Right
/// are the subject's own eyes, as in the ARKit blendshape names. Roll is always 0 (ARKit: the eye does not
/// rotate about z).
/// </summary>
public readonly record struct EyeAngles(float LeftYaw, float LeftPitch, float RightYaw, float RightPitch)
{
    public static EyeAngles Zero => default;

    /// <summary>
    /// The same gaze seen in a mirror: eyes swapped, yaw negated, pitch kept. Live Link Face's own CSV
    /// files relate their eye columns to their blendshape columns this way (see <see cref="EyeRotation"/>).
    /// </summary>
    public EyeAngles Mirrored() => new(-RightYaw, RightPitch, -LeftYaw, LeftPitch);
}

/// <summary>
/// Eye rotations from the eight ARKit <c>eyeLook*</c> blendshapes, the one place the exporters get them
/// (Live Link Face CSV, VMC eye bones). Linear: yaw = <see cref="FullScaleRadians"/> × the sideways
/// difference, pitch = <see cref="FullScaleRadians"/> × (lookDown − lookUp), per eye:
/// <list type="bullet">
/// <item>left eye: yaw from (lookOutLeft − lookInLeft), since "out" for the left eye is toward the subject's left;</item>
/// <item>right eye: yaw from (lookInRight − lookOutRight), since "in" for the right eye is toward the subject's left.</item>
/// </list>
/// A face without iris points (<see cref="FaceObservation.HasIris"/> false, or no face) gives
/// <see cref="EyeAngles.Zero"/>: the tracker writes eyeLook* as 0 then, and 0 is "not tracked", not "looking ahead".
/// Allocates nothing.
/// </summary>
public static class EyeRotation
{
    /// <summary>
    /// Degrees of eye turn that an eyeLook* value of 1 stands for. Measured, not assumed: in a Live Link Face
    /// CSV recorded on an iPhone (a range-of-motion take, every eye column filled), eye pitch/(lookDown − lookUp)
    /// is 0.611–0.612 rad on every row checked (lookDown 0.28–0.47), and eye yaw/(lookIn) is the same 0.611 rad
    /// times cos(pitch) (0.602 at pitch 0.17, 0.587 at pitch 0.28). 0.611 rad is 35°. The small cos(pitch)
    /// shrink of yaw is left out here: under 4 % for pitches below 0.28 rad.
    /// </summary>
    public const float FullScaleDegrees = 35f;

    /// <summary><see cref="FullScaleDegrees"/> in radians.</summary>
    public const float FullScaleRadians = FullScaleDegrees * MathF.PI / 180f;

    /// <summary>Eye angles from 52 ARKit-ordered blendshape values (only the eight eyeLook* are read).</summary>
    public static EyeAngles FromBlendshapes(ReadOnlySpan<float> arkit)
    {
        if (arkit.Length < ArkitBlendshapes.Count)
        {
            throw new ArgumentException($"expected {ArkitBlendshapes.Count} blendshapes, got {arkit.Length}", nameof(arkit));
        }

        return new EyeAngles(
            Turn(arkit, ArkitBlendshape.EyeLookOutLeft, ArkitBlendshape.EyeLookInLeft),
            Turn(arkit, ArkitBlendshape.EyeLookDownLeft, ArkitBlendshape.EyeLookUpLeft),
            Turn(arkit, ArkitBlendshape.EyeLookInRight, ArkitBlendshape.EyeLookOutRight),
            Turn(arkit, ArkitBlendshape.EyeLookDownRight, ArkitBlendshape.EyeLookUpRight));
    }

    /// <summary>Eye angles of a face; <see cref="EyeAngles.Zero"/> when it has no face or no iris points.</summary>
    public static EyeAngles FromFace(FaceObservation face)
    {
        ArgumentNullException.ThrowIfNull(face);
        return face.Present && face.HasIris ? FromBlendshapes(face.Blendshapes) : EyeAngles.Zero;
    }

    private static float Turn(ReadOnlySpan<float> arkit, ArkitBlendshape positive, ArkitBlendshape negative) =>
        FullScaleRadians * (arkit[(int)positive] - arkit[(int)negative]);
}
