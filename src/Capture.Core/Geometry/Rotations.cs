using System.Numerics;

namespace Capture.Core.Geometry;

/// <summary>Rotations between directions, for skeletons built from tracked points (BVH joints, finger bones).</summary>
public static class Rotations
{
    /// <summary>The shortest rotation taking direction <paramref name="from"/> to direction <paramref name="to"/> (half a turn about a perpendicular for opposite ones).</summary>
    public static Quaternion FromTo(Vector3 from, Vector3 to)
    {
        Vector3 a = Vector3.Normalize(from);
        Vector3 b = Vector3.Normalize(to);
        float d = Vector3.Dot(a, b);
        if (d < -0.999999f)
        {
            Vector3 axis = Vector3.Cross(Vector3.UnitX, a);
            if (axis.LengthSquared() < 1e-6f)
            {
                axis = Vector3.Cross(Vector3.UnitY, a);
            }

            return Quaternion.CreateFromAxisAngle(Vector3.Normalize(axis), MathF.PI);
        }

        Vector3 c = Vector3.Cross(a, b);
        return Quaternion.Normalize(new Quaternion(c.X, c.Y, c.Z, 1 + d));
    }
}
