using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting;

namespace Capture.Retargeting.Tests;

/// <summary>
/// A face-shaped 468-point layout for tests that must not depend on the tracker: the named rings
/// (outline, eyes, lips, brows) lie on ellipses where a face has them, the closed mouth's inner lips
/// meet, and every other point is scattered inside the outline.
/// </summary>
internal static class SyntheticFace
{
    /// <summary>Points in crop coordinates, face centred at (cx, cy) with half-height r.</summary>
    public static Vector3[] Create(float cx = 0.5f, float cy = 0.5f, float r = 0.25f, float mouthOpen = 0)
    {
        var f = new Vector3[TrackingFrame.FaceLandmarkCount];
        var random = new Random(1234);
        for (int i = 0; i < f.Length; i++)
        {
            float a = (float)(random.NextDouble() * 2 * Math.PI);
            float d = (float)Math.Sqrt(random.NextDouble()) * 0.85f;
            f[i] = new Vector3(cx + (0.75f * r * d * MathF.Cos(a)), cy + (r * d * MathF.Sin(a)), 0);
        }

        Ring(f, FaceTopology.FaceOval, cx, cy, 0.75f * r, r, -MathF.PI / 2, 1);
        Ring(f, FaceTopology.RightEye, cx - (0.3f * r), cy - (0.2f * r), 0.12f * r, 0.05f * r, MathF.PI, -1);
        Ring(f, FaceTopology.LeftEye, cx + (0.3f * r), cy - (0.2f * r), 0.12f * r, 0.05f * r, 0, 1);
        Ring(f, FaceTopology.LipsOuter, cx, cy + (0.45f * r), 0.25f * r, 0.09f * r, MathF.PI, -1);
        Ring(f, FaceTopology.LipsInner, cx, cy + (0.45f * r), 0.2f * r, mouthOpen * r, MathF.PI, -1);
        Line(f, FaceTopology.RightBrow, cx - (0.45f * r), cx - (0.12f * r), cy - (0.38f * r));
        Line(f, FaceTopology.LeftBrow, cx + (0.12f * r), cx + (0.45f * r), cy - (0.38f * r));
        f[FaceTopology.NoseTip] = new Vector3(cx, cy + (0.15f * r), -0.1f * r);
        f[4] = new Vector3(cx, cy + (0.1f * r), -0.09f * r);
        f[6] = new Vector3(cx, cy - (0.1f * r), -0.05f * r);
        f[168] = new Vector3(cx, cy - (0.2f * r), -0.04f * r);
        return f;
    }

    /// <summary>The same face as it would come from the tracker in an image of the given size (normalized x, y).</summary>
    public static void ToTracking(ReadOnlySpan<Vector3> crop, float left, float top, float side, int width, int height, FaceObservation face)
    {
        for (int i = 0; i < crop.Length; i++)
        {
            face.Landmarks[i] = new Vector3(((crop[i].X * side) + left) / width, ((crop[i].Y * side) + top) / height, crop[i].Z * side / width);
        }

        face.Present = true;
        face.Score = 1;
    }

    // Points of a ring on an ellipse (y down), from angle start in direction dir.
    private static void Ring(Vector3[] f, ReadOnlySpan<int> ring, float cx, float cy, float rx, float ry, float start, int dir)
    {
        for (int i = 0; i < ring.Length; i++)
        {
            float a = start + (dir * 2 * MathF.PI * i / ring.Length);
            f[ring[i]] = new Vector3(cx + (rx * MathF.Cos(a)), cy + (ry * MathF.Sin(a)), 0);
        }
    }

    private static void Line(Vector3[] f, ReadOnlySpan<int> line, float x0, float x1, float y)
    {
        for (int i = 0; i < line.Length; i++)
        {
            float t = line.Length == 1 ? 0 : (float)i / (line.Length - 1);
            f[line[i]] = new Vector3(x0 + ((x1 - x0) * t), y - (0.02f * MathF.Sin(t * MathF.PI)) - (i % 2 * 0.01f), 0);
        }
    }
}
