using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;

namespace Capture.Retargeting;

/// <summary>
/// What the retargeter asks the generator to draw in one frame: where the character's 468 face
/// points go (crop coordinates, see <see cref="Rigs.CharacterRig"/>) and how closed each eye is.
/// One instance is reused frame after frame; its arrays never change size.
/// </summary>
public sealed class DrivenFace
{
    /// <summary>Target positions of the character's face points, crop coordinates (u, v).</summary>
    public Vector2[] Points { get; } = new Vector2[TrackingFrame.FaceLandmarkCount];

    /// <summary>Subject's right eye closure, 0 open .. 1 shut.</summary>
    public float BlinkRight { get; set; }

    /// <summary>Subject's left eye closure, 0 open .. 1 shut.</summary>
    public float BlinkLeft { get; set; }

    /// <summary>
    /// How far the subject's right iris has moved from where it rests, in the eye's own frame
    /// (<see cref="FaceMeasures.ToEyeFrame"/>: eye widths, x toward the nose). Zero without iris tracking.
    /// </summary>
    public Vector2 GazeRight { get; set; }

    /// <inheritdoc cref="GazeRight"/>
    public Vector2 GazeLeft { get; set; }

    /// <summary>The performer's 52 ARKit blendshapes after calibration (0..1), for generators that want them.</summary>
    public float[] Blendshapes { get; } = new float[ArkitBlendshapes.Count];

    /// <summary>How much of the performer is in this frame: 1 tracked, easing to 0 while the face is lost.</summary>
    public float Presence { get; set; } = 1;

    /// <summary>
    /// The head's rigid motion this frame, for points that move with the head but are not face
    /// points (hair, ears, the head's outline): a crop point q (with depth) goes to
    /// <c>HeadPivot + Rotate(q − HeadPivot, HeadRotation) · HeadLean + HeadShift</c>. Identity at rest.
    /// </summary>
    public Vector3 HeadPivot { get; set; }

    /// <inheritdoc cref="HeadPivot"/>
    public Quaternion HeadRotation { get; set; } = Quaternion.Identity;

    /// <inheritdoc cref="HeadPivot"/>
    public float HeadLean { get; set; } = 1;

    /// <inheritdoc cref="HeadPivot"/>
    public Vector3 HeadShift { get; set; }

    /// <summary>Where a point that moves rigidly with the head goes this frame (see <see cref="HeadPivot"/>).</summary>
    public Vector3 MoveWithHead(Vector3 q) => HeadPivot + (Vector3.Transform(q - HeadPivot, HeadRotation) * HeadLean) + HeadShift;

    /// <summary>
    /// Optional: the performer's own decoded frame (RGB24, any size) this face was tracked on, to
    /// take the mouth interior (teeth, tongue) from when the performer's lips part: warped
    /// lip-to-lip onto the driven mouth and colour-matched to the character's lips. Null (or
    /// <see cref="PerformerMouthVisible"/> false) paints the interior instead. Owned by the
    /// caller; read during the next <c>Generate</c> only.
    /// </summary>
    public VideoFrame? PerformerFrame { get; set; }

    /// <summary>The performer's face points in <see cref="PerformerFrame"/>'s pixels; written by the retargeter.</summary>
    public Vector2[] PerformerPoints { get; } = new Vector2[TrackingFrame.FaceLandmarkCount];

    /// <summary>True when <see cref="PerformerPoints"/> are this frame's (the performer's face was found in it).</summary>
    public bool PerformerMouthVisible { get; set; }

    /// <summary>Sets every point to the rig's neutral face, eyes open.</summary>
    public void SetNeutral(ReadOnlySpan<Vector3> neutral)
    {
        for (int i = 0; i < Points.Length; i++)
        {
            Points[i] = new Vector2(neutral[i].X, neutral[i].Y);
        }

        BlinkLeft = 0;
        BlinkRight = 0;
        GazeRight = GazeLeft = Vector2.Zero;
        Array.Clear(Blendshapes);
        Presence = 1;
        HeadRotation = Quaternion.Identity;
        HeadLean = 1;
        HeadShift = Vector3.Zero;
        PerformerMouthVisible = false;
    }

    public void CopyTo(DrivenFace destination)
    {
        Points.CopyTo(destination.Points, 0);
        Blendshapes.CopyTo(destination.Blendshapes, 0);
        destination.BlinkLeft = BlinkLeft;
        destination.BlinkRight = BlinkRight;
        destination.GazeRight = GazeRight;
        destination.GazeLeft = GazeLeft;
        destination.Presence = Presence;
        destination.HeadPivot = HeadPivot;
        destination.HeadRotation = HeadRotation;
        destination.HeadLean = HeadLean;
        destination.HeadShift = HeadShift;
        destination.PerformerFrame = PerformerFrame;
        destination.PerformerMouthVisible = PerformerMouthVisible;
        PerformerPoints.CopyTo(destination.PerformerPoints, 0);
    }
}
