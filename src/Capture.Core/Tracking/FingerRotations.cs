using System.Numerics;
using Capture.Core.Geometry;

namespace Capture.Core.Tracking;

/// <summary>
/// The 15 finger bones of one hand (thumb, index, middle, ring, little × proximal, intermediate, distal) as local
/// rotations of a Unity humanoid's normalized rig: the avatar faces +Z, Y up, in the T-pose with palms down and thumbs
/// forward, every bone at identity. Each bone's rotation turns its rest direction (along the hand, away from the wrist;
/// the thumb halfway between that and forward) onto the tracked direction seen from its parent bone, by the shortest
/// turn (no twist: MediaPipe's points do not show a finger's roll). The points are the hand's world landmarks (metres),
/// read in the hand's own frame (wrist → middle knuckle, the knuckles' line, the palm's normal), so the hand's own
/// turn and the camera's place do not enter: an open flat hand gives (close to) identity, a fist about 90° a joint.
/// Allocation-free.
/// </summary>
public static class FingerRotations
{
    /// <summary>Bones a hand: 5 fingers × <see cref="HandTopology.SegmentsPerFinger"/>, thumb proximal first.</summary>
    public const int BoneCount = 15;

    /// <summary>
    /// Writes the local rotations of the 15 finger bones of a hand with world landmarks <paramref name="world"/> (21
    /// points, metres) into <paramref name="rotations"/> (Unity components x, y, z, w as VMC sends them).
    /// <paramref name="side"/> is the performer's own hand: it decides which way the palm faces. A degenerate hand
    /// (points together) gives identity where it cannot tell.
    /// </summary>
    public static void Solve(ReadOnlySpan<Vector3> world, Handedness side, Span<Quaternion> rotations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(world.Length, TrackingFrame.HandLandmarkCount, nameof(world));
        ArgumentOutOfRangeException.ThrowIfLessThan(rotations.Length, BoneCount, nameof(rotations));
        rotations[..BoneCount].Fill(Quaternion.Identity);

        // The hand's frame in camera space: fingers (wrist → middle knuckle), thumb side (little → index knuckle,
        // made square to the fingers) and the palm's outward normal, whose sign depends on the hand.
        Vector3 f = world[HandTopology.MiddleMcp] - world[HandTopology.Wrist];
        Vector3 across = world[HandTopology.IndexMcp] - world[HandTopology.PinkyMcp];
        if (f.LengthSquared() < 1e-12f)
        {
            return;
        }

        f = Vector3.Normalize(f);
        Vector3 t = across - (Vector3.Dot(across, f) * f);
        if (t.LengthSquared() < 1e-12f)
        {
            return;
        }

        t = Vector3.Normalize(t);
        Vector3 n = side == Handedness.Right ? Vector3.Cross(t, f) : Vector3.Cross(f, t);

        // The same three directions on the avatar's hand at rest: fingers along its arm (−X for the left hand, +X for
        // the right), thumbs forward (+Z), palms down (−Y).
        Vector3 restFingers = side == Handedness.Left ? -Vector3.UnitX : Vector3.UnitX;
        Vector3 restThumbSide = Vector3.UnitZ;
        Vector3 restPalm = -Vector3.UnitY;
        Vector3 thumbRest = Vector3.Normalize(restFingers + restThumbSide);

        for (int finger = 0; finger < 5; finger++)
        {
            ReadOnlySpan<int> chain = HandTopology.Finger(finger);
            Vector3 rest = finger == 0 ? thumbRest : restFingers;
            Quaternion parent = Quaternion.Identity;
            for (int k = 0; k < HandTopology.SegmentsPerFinger; k++)
            {
                Vector3 d = world[chain[k + 1]] - world[chain[k]];
                if (d.LengthSquared() < 1e-12f)
                {
                    break;
                }

                // Camera direction → the avatar's hand frame, then into the parent bone's frame.
                Vector3 onAvatar = (Vector3.Dot(d, f) * restFingers) + (Vector3.Dot(d, t) * restThumbSide) + (Vector3.Dot(d, n) * restPalm);
                Vector3 local = Vector3.Transform(onAvatar, Quaternion.Inverse(parent));
                Quaternion q = Rotations.FromTo(rest, local);
                rotations[(finger * HandTopology.SegmentsPerFinger) + k] = q;
                parent = Quaternion.Normalize(parent * q);
            }
        }
    }
}

/// <summary>
/// A hand's weight in what drives an avatar: eases to 0 over <see cref="EaseSeconds"/> after the hand is lost and back
/// to 1 when it returns (the face's 0.3 s, RetargetGains.EaseSeconds), so fingers relax to rest instead of freezing or
/// snapping. One per hand; frames must come in time order.
/// </summary>
public sealed class HandFade
{
    private long _lastTimestampUs = long.MinValue;

    /// <summary>Seconds from full weight to none (and back). 0: no easing.</summary>
    public float EaseSeconds { get; init; } = 0.3f;

    /// <summary>The weight after the last <see cref="Update"/>, 0..1.</summary>
    public float Weight { get; private set; }

    /// <summary>True once the hand has been seen: before that a consumer sends nothing for it.</summary>
    public bool EverSeen { get; private set; }

    /// <summary>Steps the weight toward 1 (hand present) or 0 (lost) by the time since the previous frame; returns it.</summary>
    public float Update(bool present, long timestampUs)
    {
        float dt = _lastTimestampUs == long.MinValue ? 0 : Math.Clamp((timestampUs - _lastTimestampUs) / 1e6f, 0, 0.5f);
        _lastTimestampUs = timestampUs;
        if (present && !EverSeen)
        {
            // The first sighting is not faded in from a rest pose nobody was shown.
            EverSeen = true;
            Weight = 1;
            return Weight;
        }

        float step = EaseSeconds <= 0 ? 1 : dt / EaseSeconds;
        Weight = present ? MathF.Min(1, Weight + step) : MathF.Max(0, Weight - step);
        return Weight;
    }

    public void Reset()
    {
        _lastTimestampUs = long.MinValue;
        Weight = 0;
        EverSeen = false;
    }
}
