using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Retargeting.Body;

/// <summary>
/// What drives a body: a plain skeleton of 33 points in MediaPipe pose's vocabulary
/// (<see cref="BodyTopology"/>), each with a confidence, at one moment. It is not tied to the tracker:
/// <see cref="SetFromObservation"/> fills it from a tracked frame, and a motion file (BVH) can fill it
/// from its joints. One instance is reused frame after frame; its arrays never change size.
/// </summary>
/// <remarks>
/// Space: x right and y down in the picture plane (any unit, the same for every point, root motion
/// included: the points are not centred on the hips), z away from the camera in any unit (only its
/// order is read: which limb is in front).
/// </remarks>
public sealed class BodyPose
{
    /// <summary>A point with a confidence under this is treated as not seen (MediaPipe's own visibility threshold).</summary>
    public const float SeenAbove = 0.5f;

    /// <summary>True when a body was found in this frame.</summary>
    public bool Present { get; set; }

    /// <summary>When the frame was captured, microseconds (any origin; frames in time order).</summary>
    public long TimestampUs { get; set; }

    /// <summary>The 33 points (see remarks).</summary>
    public Vector3[] Points { get; } = new Vector3[TrackingFrame.BodyLandmarkCount];

    /// <summary>Per point 0..1: how sure the source is that the point is seen (MediaPipe's visibility; 1 for motion files).</summary>
    public float[] Confidence { get; } = new float[TrackingFrame.BodyLandmarkCount];

    /// <summary>True when point <paramref name="index"/> counts as seen.</summary>
    public bool Seen(int index) => Present && Confidence[index] >= SeenAbove;

    /// <summary>
    /// Fills this pose from a tracked body in a <paramref name="width"/>×<paramref name="height"/> frame:
    /// x, y in pixels, z from MediaPipe's world points where the frame has them (metres, better depth),
    /// else its image z (x's scale, relative to the hips). Allocation-free.
    /// </summary>
    public void SetFromObservation(BodyObservation body, int width, int height, long timestampUs)
    {
        ArgumentNullException.ThrowIfNull(body);
        Present = body.Present;
        TimestampUs = timestampUs;
        for (int i = 0; i < Points.Length; i++)
        {
            Vector4 p = body.Landmarks[i];
            Points[i] = new Vector3(p.X * width, p.Y * height, p.Z * width);
            Confidence[i] = body.Present ? p.W : 0;
        }
    }

    /// <summary>
    /// Fills this pose from a tracked frame: its body (<see cref="SetFromObservation"/>) with the hand tracker's hands
    /// turning the pose's hand points where it has them (<see cref="SetHands"/>). What a render and a live session drive
    /// the body with. Allocation-free.
    /// </summary>
    public void SetFromFrame(TrackingFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        SetFromObservation(frame.Body, frame.ImageWidth, frame.ImageHeight, frame.CaptureTimestampUs);
        SetHands(frame.LeftHand, frame.RightHand, frame.ImageWidth, frame.ImageHeight);
    }

    /// <summary>
    /// Where the hand tracker has a hand, turns the pose model's own points of that hand (pinky, index, thumb) about its
    /// wrist until the hand points where the hand model says (wrist → <see cref="HandTopology.PoseDirectionPoint"/>), and
    /// moves them to the hand model's wrist: the character's hand then turns as the performer's hand does (the pose model
    /// sees a hand's orientation only roughly), while the fan of the three points keeps the pose model's shape, the shape a
    /// rig built by that model gave the character's drawn hand. Call after <see cref="SetFromObservation"/> with the same
    /// frame size. A hand that is not present leaves the pose's points; a body that is not present is left as it is.
    /// Depth stays the pose's. The four points' confidence becomes the hand's presence score. Allocation-free.
    /// </summary>
    public void SetHands(HandObservation left, HandObservation right, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        if (!Present)
        {
            return;
        }

        SetHand(left, width, height);
        SetHand(right, width, height);
    }

    private void SetHand(HandObservation hand, int width, int height)
    {
        if (!hand.Present)
        {
            return;
        }

        int wrist = HandTopology.PoseBodyIndex(hand.Side, 0);
        int pinky = HandTopology.PoseBodyIndex(hand.Side, 1);
        int index = HandTopology.PoseBodyIndex(hand.Side, 2);
        int thumb = HandTopology.PoseBodyIndex(hand.Side, 3);
        var poseWrist = new Vector2(Points[wrist].X, Points[wrist].Y);
        Vector2 poseDirection = (new Vector2(Points[pinky].X + Points[index].X, Points[pinky].Y + Points[index].Y) * 0.5f) - poseWrist;
        Vector2 handWrist = hand.Pixel(HandTopology.Wrist, width, height);
        Vector2 handDirection = hand.Pixel(HandTopology.PoseDirectionPoint, width, height) - handWrist;
        if (poseDirection.LengthSquared() < 1e-6f || handDirection.LengthSquared() < 1e-6f)
        {
            return; // no direction to turn from or to
        }

        float turn = MathF.Atan2(handDirection.Y, handDirection.X) - MathF.Atan2(poseDirection.Y, poseDirection.X);
        Matrix3x2 move = Matrix3x2.CreateRotation(turn, poseWrist) * Matrix3x2.CreateTranslation(handWrist - poseWrist);
        foreach (int i in (ReadOnlySpan<int>)[wrist, pinky, index, thumb])
        {
            Vector2 q = Vector2.Transform(new Vector2(Points[i].X, Points[i].Y), move);
            Points[i] = new Vector3(q, Points[i].Z);
            Confidence[i] = hand.Score;
        }
    }
}
