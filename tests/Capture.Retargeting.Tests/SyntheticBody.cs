using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting.Body;
using Capture.Retargeting.Rigs;

namespace Capture.Retargeting.Tests;

/// <summary>
/// A standing figure in MediaPipe pose's 33 points, facing the camera (its left on the image's
/// right), arms hanging a little out, for body tests (linked into the generator's tests too).
/// Units: torso lengths from the hip centre, then scaled and placed.
/// </summary>
internal static class SyntheticBody
{
    /// <summary>The 33 points of a standing figure whose hip centre is at <paramref name="hips"/> and torso (hips to shoulders) <paramref name="torso"/> long.</summary>
    internal static Vector2[] Standing(Vector2 hips, float torso, float armDown = 1.3f)
    {
        var p = new Vector2[TrackingFrame.BodyLandmarkCount];
        void Set(int i, float x, float y) => p[i] = hips + (new Vector2(x, y) * torso);

        // Torso and head.
        Set(BodyTopology.LeftShoulder, 0.4f, -1);
        Set(BodyTopology.RightShoulder, -0.4f, -1);
        Set(BodyTopology.LeftHip, 0.2f, 0);
        Set(BodyTopology.RightHip, -0.2f, 0);
        Set(BodyTopology.Nose, 0, -1.45f);
        Set(BodyTopology.LeftEyeInner, 0.04f, -1.52f);
        Set(BodyTopology.LeftEye, 0.07f, -1.52f);
        Set(BodyTopology.LeftEyeOuter, 0.1f, -1.52f);
        Set(BodyTopology.RightEyeInner, -0.04f, -1.52f);
        Set(BodyTopology.RightEye, -0.07f, -1.52f);
        Set(BodyTopology.RightEyeOuter, -0.1f, -1.52f);
        Set(BodyTopology.LeftEar, 0.16f, -1.48f);
        Set(BodyTopology.RightEar, -0.16f, -1.48f);
        Set(BodyTopology.MouthLeft, 0.05f, -1.36f);
        Set(BodyTopology.MouthRight, -0.05f, -1.36f);

        // Arms hanging, a little out (armDown: how steep, in units of the sideways reach).
        for (int side = -1; side <= 1; side += 2)
        {
            bool left = side > 0;
            float x0 = 0.4f * side;
            float dx = 0.35f * side / armDown, dy = 0.45f;
            Set(left ? BodyTopology.LeftElbow : BodyTopology.RightElbow, x0 + (dx * 0.6f), -1 + dy);
            Set(left ? BodyTopology.LeftWrist : BodyTopology.RightWrist, x0 + (dx * 1.1f), -1 + (2 * dy));
            Set(left ? BodyTopology.LeftPinky : BodyTopology.RightPinky, x0 + (dx * 1.1f) + (0.03f * side), -1 + (2 * dy) + 0.12f);
            Set(left ? BodyTopology.LeftIndex : BodyTopology.RightIndex, x0 + (dx * 1.1f) - (0.01f * side), -1 + (2 * dy) + 0.13f);
            Set(left ? BodyTopology.LeftThumb : BodyTopology.RightThumb, x0 + (dx * 1.1f) - (0.04f * side), -1 + (2 * dy) + 0.08f);
            Set(left ? BodyTopology.LeftKnee : BodyTopology.RightKnee, 0.2f * side, 0.6f);
            Set(left ? BodyTopology.LeftAnkle : BodyTopology.RightAnkle, 0.2f * side, 1.2f);
            Set(left ? BodyTopology.LeftHeel : BodyTopology.RightHeel, 0.2f * side, 1.27f);
            Set(left ? BodyTopology.LeftFootIndex : BodyTopology.RightFootIndex, 0.23f * side, 1.3f);
        }

        return p;
    }

    /// <summary>A full-body rig of <see cref="Standing"/> in a <paramref name="width"/>×<paramref name="height"/> picture, every joint known.</summary>
    internal static BodyRig Rig(int width, int height, Vector2 hips, float torso, bool[]? known = null)
    {
        Vector2[] joints = Standing(hips, torso);
        known ??= Enumerable.Repeat(true, joints.Length).ToArray();
        return BodyRig.Create("synthetic", joints, known, width, height, "test");
    }

    /// <summary>Writes <paramref name="points"/> (image pixels) as a pose seen with full confidence at <paramref name="timeUs"/>.</summary>
    internal static void Pose(BodyPose pose, Vector2[] points, long timeUs, float[]? depth = null)
    {
        pose.Present = true;
        pose.TimestampUs = timeUs;
        for (int i = 0; i < points.Length; i++)
        {
            pose.Points[i] = new Vector3(points[i], depth?[i] ?? 0);
            pose.Confidence[i] = 1;
        }
    }

    /// <summary>Turns the chain below <paramref name="joint"/> about it by <paramref name="radians"/>.</summary>
    internal static void Rotate(Vector2[] points, int joint, float radians, params int[] below)
    {
        var r = Matrix3x2.CreateRotation(radians, points[joint]);
        foreach (int i in below)
        {
            points[i] = Vector2.Transform(points[i], r);
        }
    }

    /// <summary>Direction angle of the bone a → b, radians.</summary>
    internal static float Angle(Vector2 a, Vector2 b) => MathF.Atan2(b.Y - a.Y, b.X - a.X);

    /// <summary>The smallest difference between two angles, degrees.</summary>
    internal static float AngleDifference(float a, float b)
    {
        float d = a - b;
        d -= 2 * MathF.PI * MathF.Round(d / (2 * MathF.PI));
        return MathF.Abs(d) * 180 / MathF.PI;
    }
}
