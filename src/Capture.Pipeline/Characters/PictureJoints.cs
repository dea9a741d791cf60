using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting.Rigs;

namespace Capture.Pipeline.Characters;

/// <summary>
/// A character's joints from the pose tracker run on its picture (a still: detection, no smoothing), in the 33-point
/// vocabulary in picture pixels. Only joints actually in the picture are known: the pose model places every point,
/// even a half-body portrait's knees below the frame, so a joint is known when the model rates it visible, it lies
/// inside the picture, and the joint it hangs from is known (<see cref="BodySkeleton"/>); hips count only in pairs.
/// </summary>
public static class PictureJoints
{
    /// <summary>MediaPipe's own threshold for drawing a pose point (its visibility, a sigmoid).</summary>
    public const float MinVisibility = 0.5f;

    /// <summary>The joints of <paramref name="body"/> (normalized, as the tracker gives it) in a picture of the given size.</summary>
    public static (Vector2[] Joints, bool[] Known) FromPose(BodyObservation body, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(body);
        var joints = new Vector2[TrackingFrame.BodyLandmarkCount];
        var known = new bool[joints.Length];
        if (!body.Present)
        {
            return (joints, known);
        }

        for (int i = 0; i < joints.Length; i++)
        {
            Vector4 p = body.Landmarks[i];
            joints[i] = new Vector2(p.X * width, p.Y * height);
            known[i] = p.W >= MinVisibility && joints[i].X >= 0 && joints[i].Y >= 0 && joints[i].X <= width && joints[i].Y <= height;
        }

        Prune(known);
        return (joints, known);
    }

    /// <summary>Clears every known joint whose parent is not known, and a lone hip (with what hangs from it).</summary>
    public static void Prune(bool[] known)
    {
        ArgumentNullException.ThrowIfNull(known);
        if (known[BodyTopology.LeftHip] != known[BodyTopology.RightHip])
        {
            known[BodyTopology.LeftHip] = known[BodyTopology.RightHip] = false;
        }

        // Bones list parents before children, so one pass clears whole chains. Bones from the root or the neck hang
        // from the hips or shoulders, which BodyRig checks itself.
        foreach (BodySkeleton.Bone bone in BodySkeleton.Bones)
        {
            if (bone.From >= 0 && !known[bone.From])
            {
                known[bone.To] = false;
            }
        }
    }
}
