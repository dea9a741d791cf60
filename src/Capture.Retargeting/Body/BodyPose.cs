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
}
