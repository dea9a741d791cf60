using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Retargeting;

/// <summary>Measurements of a 468-point face used to scale motion from one face to another.</summary>
public static class FaceMeasures
{
    public static Vector2 XY(Vector3 p) => new(p.X, p.Y);

    public static Vector3 RightEyeCenter(ReadOnlySpan<Vector3> f) => (f[FaceTopology.RightEyeOuter] + f[FaceTopology.RightEyeInner]) * 0.5f;

    public static Vector3 LeftEyeCenter(ReadOnlySpan<Vector3> f) => (f[FaceTopology.LeftEyeOuter] + f[FaceTopology.LeftEyeInner]) * 0.5f;

    /// <summary>Distance between the eye centres (3-D, so a turned head measures the same).</summary>
    public static float EyeDistance(ReadOnlySpan<Vector3> f) => Vector3.Distance(RightEyeCenter(f), LeftEyeCenter(f));

    public static float MouthWidth(ReadOnlySpan<Vector3> f) => Vector3.Distance(f[FaceTopology.MouthRight], f[FaceTopology.MouthLeft]);

    /// <summary>Mean lid gap of both eyes.</summary>
    public static float EyeOpening(ReadOnlySpan<Vector3> f) =>
        (Vector3.Distance(f[FaceTopology.RightEyeTop], f[FaceTopology.RightEyeBottom]) +
         Vector3.Distance(f[FaceTopology.LeftEyeTop], f[FaceTopology.LeftEyeBottom])) * 0.5f;

    /// <summary>Lid gap of one eye over its width (0 closed, ~0.3 open).</summary>
    public static float EyeAspect(ReadOnlySpan<Vector3> f, bool right) => right
        ? Vector3.Distance(f[FaceTopology.RightEyeTop], f[FaceTopology.RightEyeBottom]) / MathF.Max(1e-6f, Vector3.Distance(f[FaceTopology.RightEyeOuter], f[FaceTopology.RightEyeInner]))
        : Vector3.Distance(f[FaceTopology.LeftEyeTop], f[FaceTopology.LeftEyeBottom]) / MathF.Max(1e-6f, Vector3.Distance(f[FaceTopology.LeftEyeOuter], f[FaceTopology.LeftEyeInner]));

    /// <summary>
    /// A point in one eye's own 2-D frame: origin at the corners' midpoint, x along outer → inner
    /// corner, y perpendicular (x turned +90° in image axes), both in eye widths. Gaze moves the iris
    /// in this frame; head motion and face size do not.
    /// </summary>
    public static Vector2 ToEyeFrame(Vector2 outer, Vector2 inner, Vector2 point)
    {
        Vector2 axis = inner - outer;
        float width2 = MathF.Max(axis.LengthSquared(), 1e-12f);
        Vector2 d = point - ((outer + inner) * 0.5f);
        return new Vector2(Vector2.Dot(d, axis), (d.Y * axis.X) - (d.X * axis.Y)) / width2;
    }

    /// <summary>The inverse of <see cref="ToEyeFrame"/>.</summary>
    public static Vector2 FromEyeFrame(Vector2 outer, Vector2 inner, Vector2 local)
    {
        Vector2 axis = inner - outer;
        return ((outer + inner) * 0.5f) + (local.X * axis) + (local.Y * new Vector2(-axis.Y, axis.X));
    }

    /// <summary>Centre of an eye's 16 contour points (where an iris sits when none was tracked).</summary>
    public static Vector2 EyeContourCenter(ReadOnlySpan<Vector3> f, bool right)
    {
        ReadOnlySpan<int> eye = right ? FaceTopology.RightEye : FaceTopology.LeftEye;
        Vector2 sum = Vector2.Zero;
        foreach (int i in eye)
        {
            sum += XY(f[i]);
        }

        return sum / eye.Length;
    }

    /// <summary>Centre and half-axes (x, y) of the face outline's bounding ellipse, in the points' 2-D units.</summary>
    public static (Vector2 Center, Vector2 Radius) OvalEllipse(ReadOnlySpan<Vector3> f)
    {
        var min = new Vector2(float.MaxValue);
        var max = new Vector2(float.MinValue);
        foreach (int i in FaceTopology.FaceOval)
        {
            Vector2 p = XY(f[i]);
            min = Vector2.Min(min, p);
            max = Vector2.Max(max, p);
        }

        Vector2 radius = Vector2.Max((max - min) * 0.5f, new Vector2(1e-4f));
        return ((min + max) * 0.5f, radius);
    }
}
