using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting.Rigs;

namespace Capture.Retargeting.Body;

/// <summary>
/// What the body retargeter asks the generator to draw in one frame: where each of the character's
/// joints goes, in its picture's pixels (<see cref="BodyRig"/>), and how near each is (the
/// performer's depth, for drawing order). One instance is reused frame after frame; its arrays
/// never change size.
/// </summary>
public sealed class DrivenBody
{
    /// <summary>Driven joints, picture pixels; meaningful where the rig knows the joint.</summary>
    public Vector2[] Joints { get; } = new Vector2[TrackingFrame.BodyLandmarkCount];

    /// <summary>
    /// Per joint, the performer's depth relative to their hips (smaller = nearer, any unit): a limb
    /// whose joints are nearer is drawn over the torso. Zero where not seen.
    /// </summary>
    public float[] Depth { get; } = new float[TrackingFrame.BodyLandmarkCount];

    /// <summary>The driven root (between the hips, or the rig's virtual root).</summary>
    public Vector2 Root { get; set; }

    /// <summary>The driven neck (between the shoulders).</summary>
    public Vector2 Neck { get; set; }

    /// <summary>The driven head centre (between the ears).</summary>
    public Vector2 HeadCentre { get; set; }

    /// <summary>How far the head piece turned in the picture plane from its rest (radians, clockwise on screen as y points down).</summary>
    public float HeadAngle { get; set; }

    /// <summary>How much of the performer's body is in this frame: 1 tracked, easing to 0 while it is lost.</summary>
    public float Presence { get; set; }

    /// <summary>Sets every joint to the rig's rest place.</summary>
    public void SetRest(BodyRig rig)
    {
        ArgumentNullException.ThrowIfNull(rig);
        rig.Joints.CopyTo(Joints);
        Array.Clear(Depth);
        Root = rig.Root;
        Neck = rig.Neck;
        HeadCentre = rig.HeadCentre;
        HeadAngle = 0;
        Presence = 0;
    }

    public void CopyTo(DrivenBody destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Joints.CopyTo(destination.Joints, 0);
        Depth.CopyTo(destination.Depth, 0);
        destination.Root = Root;
        destination.Neck = Neck;
        destination.HeadCentre = HeadCentre;
        destination.HeadAngle = HeadAngle;
        destination.Presence = Presence;
    }
}
