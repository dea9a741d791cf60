using System.Globalization;
using System.Numerics;
using System.Text;
using Capture.Core.Tracking;

namespace Capture.Protocol.Export;

/// <summary>
/// The BVH (Biovision hierarchy) skeleton and its per-frame maths, for Blender, MotionBuilder,
/// three.js and friends; <see cref="BvhStreamWriter"/> is the one writer that uses it. The skeleton is built from MediaPipe's 33 pose points: Hips (root, between the hips) →
/// Spine → Neck (between the shoulders) → Head, arms (shoulder, elbow, wrist, hand end at the index
/// knuckle) from the neck, legs (hip, knee, ankle, foot end at the toe) from the hips.
/// <para>
/// Space: x right, y up, z toward the camera, in units of 1/100 of the image height (so a standing
/// person is ~100 units tall). The rest pose is a T-pose whose bone lengths are the take's averages.
/// Each joint's rotation turns its rest bone direction onto the tracked one (the shortest rotation for
/// a chain; for the hips and neck, the rotation that also lines up the left–right axis), so bone
/// directions in the file match the landmarks exactly. Channels: root Xposition Yposition Zposition,
/// every joint Zrotation Xrotation Yrotation, in degrees.
/// </para>
/// </summary>
public static class BvhSkeleton
{
    /// <summary>One joint: its landmark-derived position, parent, rest direction and what its bone points to.</summary>
    private sealed record Joint(string Name, int Parent, Func<Vector3[], Vector3> Position, Vector3 RestDirection, Func<Vector3[], Vector3>? Tip, Vector3? Side = null);

    private static readonly Joint[] s_joints = BuildSkeleton();

    /// <summary>The joint names in file order (the hierarchy's depth-first order).</summary>
    public static IReadOnlyList<string> JointNames => [.. s_joints.Select(j => j.Name)];

    /// <summary>Landmark (normalized x, y; z in x's scale) to BVH space (x right, y up, z toward the camera).</summary>
    public static Vector3 ToSpace(Vector4 landmark, float aspect) =>
        new(landmark.X * aspect * 100f, -landmark.Y * 100f, -landmark.Z * aspect * 100f);

    /// <summary>World position of each joint in a frame, as the skeleton defines them (for tests and previews).</summary>
    public static Vector3 JointPosition(string joint, Vector3[] points) => s_joints.First(j => j.Name == joint).Position(points);

    /// <summary>Where the bone that starts at <paramref name="joint"/> points to in a frame.</summary>
    public static Vector3 BoneTip(string joint, Vector3[] points) => (s_joints.First(j => j.Name == joint).Tip ?? throw new ArgumentException($"{joint} has no tip"))(points);

    /// <summary>Values on one motion line: the root's position, then Z, X, Y rotation of every joint.</summary>
    public static int ChannelCount => 3 + (3 * s_joints.Length);

    /// <summary>
    /// Lengths one frame gives the rest pose (<see cref="MeasureFrame"/> fills them, <see cref="WriteHierarchy"/>
    /// takes their means over the take): [j] the distance from joint j to its parent (0 for the root),
    /// [joints + j] the length of joint j's own bone (0 where it has none).
    /// </summary>
    public static int BoneLengthCount => 2 * s_joints.Length;

    /// <summary>
    /// One frame without buffering it, for writers that stream: the motion line's values
    /// (<see cref="ChannelCount"/>) and the bone lengths (<see cref="BoneLengthCount"/>) of 33 points
    /// already in BVH space (<see cref="ToSpace"/>). Allocates nothing.
    /// </summary>
    public static void MeasureFrame(Vector3[] points, Span<float> channels, Span<float> boneLengths)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfLessThan(points.Length, TrackingFrame.BodyLandmarkCount, nameof(points));
        ArgumentOutOfRangeException.ThrowIfLessThan(channels.Length, ChannelCount, nameof(channels));
        ArgumentOutOfRangeException.ThrowIfLessThan(boneLengths.Length, BoneLengthCount, nameof(boneLengths));
        Span<Quaternion> world = stackalloc Quaternion[s_joints.Length];
        Vector3 root = s_joints[0].Position(points);
        channels[0] = root.X;
        channels[1] = root.Y;
        channels[2] = root.Z;
        for (int j = 0; j < s_joints.Length; j++)
        {
            Joint joint = s_joints[j];
            world[j] = WorldRotation(joint, points);
            Quaternion parent = joint.Parent < 0 ? Quaternion.Identity : world[joint.Parent];
            Quaternion local = Quaternion.Normalize(Quaternion.Inverse(parent) * world[j]);
            Vector3 zxy = ToEulerZxyDegrees(local);
            channels[3 + (3 * j)] = zxy.Z;
            channels[4 + (3 * j)] = zxy.X;
            channels[5 + (3 * j)] = zxy.Y;
            boneLengths[j] = joint.Parent < 0 ? 0 : Vector3.Distance(joint.Position(points), s_joints[joint.Parent].Position(points));
            boneLengths[s_joints.Length + j] = joint.Tip is null ? 0 : Vector3.Distance(joint.Tip(points), joint.Position(points));
        }
    }

    /// <summary>One motion line's values as the file writes them (space-separated, invariant culture, up to 5 decimals).</summary>
    public static void AppendMotionLine(StringBuilder line, ReadOnlySpan<float> channels)
    {
        ArgumentNullException.ThrowIfNull(line);
        // TryFormat into a stack buffer: StringBuilder's interpolation with a provider boxes each float.
        Span<char> text = stackalloc char[64];
        for (int i = 0; i < channels.Length; i++)
        {
            if (i > 0)
            {
                line.Append(' ');
            }

            channels[i].TryFormat(text, out int written, "0.#####", CultureInfo.InvariantCulture);
            line.Append(text[..written]);
        }
    }

    /// <summary>
    /// The HIERARCHY section: a T-pose whose bones have the given mean lengths (laid out as
    /// <see cref="BoneLengthCount"/> says).
    /// </summary>
    public static void WriteHierarchy(TextWriter writer, ReadOnlySpan<float> meanBoneLengths)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentOutOfRangeException.ThrowIfLessThan(meanBoneLengths.Length, BoneLengthCount, nameof(meanBoneLengths));
        Vector3[] offsets = RestOffsets(meanBoneLengths, out Vector3[] endOffsets);
        writer.WriteLine("HIERARCHY");
        WriteJoint(writer, 0, 0, offsets, endOffsets);
    }

    /// <summary>
    /// Angles (x, y, z) in degrees with R = Rz(z)·Rx(x)·Ry(y), the order the channels "Zrotation Xrotation Yrotation" mean.
    /// </summary>
    public static Vector3 ToEulerZxyDegrees(Quaternion q)
    {
        float r01 = 2 * ((q.X * q.Y) - (q.Z * q.W));
        float r11 = 1 - (2 * ((q.X * q.X) + (q.Z * q.Z)));
        float r20 = 2 * ((q.X * q.Z) - (q.Y * q.W));
        float r21 = 2 * ((q.Y * q.Z) + (q.X * q.W));
        float r22 = 1 - (2 * ((q.X * q.X) + (q.Y * q.Y)));
        float x = MathF.Asin(Math.Clamp(r21, -1f, 1f));
        float z = MathF.Atan2(-r01, r11);
        float y = MathF.Atan2(-r20, r22);
        const float ToDegrees = 180f / MathF.PI;
        return new Vector3(x, y, z) * ToDegrees;
    }

    /// <summary>The shortest rotation taking direction <paramref name="from"/> to direction <paramref name="to"/>.</summary>
    public static Quaternion FromTo(Vector3 from, Vector3 to) => Capture.Core.Geometry.Rotations.FromTo(from, to);

    private static Quaternion WorldRotation(Joint joint, Vector3[] p)
    {
        if (joint.Tip is null)
        {
            return Quaternion.Identity;
        }

        Vector3 dir = joint.Tip(p) - joint.Position(p);
        if (dir.LengthSquared() < 1e-12f)
        {
            return Quaternion.Identity;
        }

        Quaternion swing = FromTo(joint.RestDirection, dir);
        if (joint.Side is not Vector3 side)
        {
            return swing;
        }

        // Line the rest left–right axis up with the tracked one, turning about the bone itself.
        Vector3 tracked = joint.Name == "Hips" ? p[23] - p[24] : p[11] - p[12];
        Vector3 axis = Vector3.Normalize(dir);
        Vector3 swung = Vector3.Transform(side, swing);
        Vector3 a = swung - (Vector3.Dot(swung, axis) * axis);
        Vector3 b = tracked - (Vector3.Dot(tracked, axis) * axis);
        if (a.LengthSquared() < 1e-12f || b.LengthSquared() < 1e-12f)
        {
            return swing;
        }

        return Quaternion.Normalize(FromTo(a, b) * swing);
    }

    private static Vector3[] RestOffsets(ReadOnlySpan<float> meanLengths, out Vector3[] endOffsets)
    {
        var offsets = new Vector3[s_joints.Length];
        endOffsets = new Vector3[s_joints.Length];
        for (int j = 0; j < s_joints.Length; j++)
        {
            Joint joint = s_joints[j];
            if (joint.Parent >= 0)
            {
                Joint parent = s_joints[joint.Parent];
                bool isParentsBone = parent.Tip is not null && IsTipOf(parent, joint);
                Vector3 direction = isParentsBone ? parent.RestDirection : SideDirection(joint.Name);
                offsets[j] = direction * meanLengths[j];
            }

            if (joint.Tip is not null && !s_joints.Any(c => c.Parent == j && IsTipOf(joint, c)))
            {
                endOffsets[j] = joint.RestDirection * Math.Max(meanLengths[s_joints.Length + j], 1e-3f);
            }
        }

        return offsets;
    }

    private static bool IsTipOf(Joint parent, Joint child) => parent.Name switch
    {
        "Hips" => child.Name == "Spine",
        "Neck" => child.Name == "Head",
        _ => true,
    };

    private static Vector3 SideDirection(string name) => name.StartsWith("Left", StringComparison.Ordinal) ? Vector3.UnitX : -Vector3.UnitX;

    private static void WriteJoint(TextWriter w, int index, int depth, Vector3[] offsets, Vector3[] endOffsets)
    {
        var inv = CultureInfo.InvariantCulture;
        string pad = new(' ', depth * 2);
        Joint joint = s_joints[index];
        w.WriteLine(index == 0 ? $"ROOT {joint.Name}" : $"{pad}JOINT {joint.Name}");
        w.WriteLine($"{pad}{{");
        Vector3 o = offsets[index];
        w.WriteLine(string.Create(inv, $"{pad}  OFFSET {o.X:0.#####} {o.Y:0.#####} {o.Z:0.#####}"));
        w.WriteLine(index == 0
            ? $"{pad}  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"
            : $"{pad}  CHANNELS 3 Zrotation Xrotation Yrotation");
        bool hasChild = false;
        for (int c = 0; c < s_joints.Length; c++)
        {
            if (s_joints[c].Parent == index)
            {
                hasChild = true;
                WriteJoint(w, c, depth + 1, offsets, endOffsets);
            }
        }

        if (!hasChild || endOffsets[index] != Vector3.Zero)
        {
            Vector3 e = endOffsets[index];
            w.WriteLine($"{pad}  End Site");
            w.WriteLine($"{pad}  {{");
            w.WriteLine(string.Create(inv, $"{pad}    OFFSET {e.X:0.#####} {e.Y:0.#####} {e.Z:0.#####}"));
            w.WriteLine($"{pad}  }}");
        }

        w.WriteLine($"{pad}}}");
    }

    private static Joint[] BuildSkeleton()
    {
        static Vector3 Mid(Vector3[] p, int a, int b) => (p[a] + p[b]) * 0.5f;
        static Vector3 Hips(Vector3[] p) => Mid(p, 23, 24);
        static Vector3 Shoulders(Vector3[] p) => Mid(p, 11, 12);
        static Vector3 SpineMid(Vector3[] p) => (Hips(p) + Shoulders(p)) * 0.5f;
        Vector3 up = Vector3.UnitY;
        Vector3 down = -Vector3.UnitY;
        Vector3 left = Vector3.UnitX;
        Vector3 right = -Vector3.UnitX;
        Vector3 forward = Vector3.UnitZ;
        return
        [
            /* 0 */ new("Hips", -1, Hips, up, SpineMid, Side: left),
            /* 1 */ new("Spine", 0, SpineMid, up, Shoulders),
            /* 2 */ new("Neck", 1, Shoulders, up, p => Mid(p, 7, 8), Side: left),
            /* 3 */ new("Head", 2, p => Mid(p, 7, 8), forward, p => p[0]),
            /* 4 */ new("LeftArm", 2, p => p[11], left, p => p[13]),
            /* 5 */ new("LeftForeArm", 4, p => p[13], left, p => p[15]),
            /* 6 */ new("LeftHand", 5, p => p[15], left, p => p[19]),
            /* 7 */ new("RightArm", 2, p => p[12], right, p => p[14]),
            /* 8 */ new("RightForeArm", 7, p => p[14], right, p => p[16]),
            /* 9 */ new("RightHand", 8, p => p[16], right, p => p[20]),
            /* 10 */ new("LeftUpLeg", 0, p => p[23], down, p => p[25]),
            /* 11 */ new("LeftLeg", 10, p => p[25], down, p => p[27]),
            /* 12 */ new("LeftFoot", 11, p => p[27], forward, p => p[31]),
            /* 13 */ new("RightUpLeg", 0, p => p[24], down, p => p[26]),
            /* 14 */ new("RightLeg", 13, p => p[26], down, p => p[28]),
            /* 15 */ new("RightFoot", 14, p => p[28], forward, p => p[32]),
        ];
    }
}
