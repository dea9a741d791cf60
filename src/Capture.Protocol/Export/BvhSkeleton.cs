using System.Globalization;
using System.Numerics;
using System.Text;
using Capture.Core.Tracking;

namespace Capture.Protocol.Export;

/// <summary>
/// The BVH (Biovision hierarchy) skeleton and its per-frame maths, for Blender, MotionBuilder,
/// three.js and friends; <see cref="BvhStreamWriter"/> is the one writer that uses it. The skeleton is built from MediaPipe's 33 pose points: Hips (root, between the hips) →
/// Spine → Neck (between the shoulders) → Head, arms (shoulder, elbow, wrist, hand end at the index
/// knuckle) from the neck, legs (hip, knee, ankle, foot end at the toe) from the hips. <see cref="WithFingers"/>
/// adds each hand's 15 finger joints (<c>LeftHandThumb1</c>…<c>3</c>, <c>Index</c>, <c>Middle</c>, <c>Ring</c>,
/// <c>Pinky</c>) from MediaPipe's 21 hand points; with the hand tracked, the hand joint also turns about its bone
/// so the knuckles' line matches (palm orientation), and its bone ends at the middle knuckle.
/// <para>
/// Space: x right, y up, z toward the camera, in units of 1/100 of the image height (so a standing
/// person is ~100 units tall). The rest pose is a T-pose (palms down, thumbs forward) whose bone lengths are the
/// take's averages; a finger's first joint sits where the take's mean places it on the hand.
/// Each joint's rotation turns its rest bone direction onto the tracked one (the shortest rotation for
/// a chain; for the hips, neck and a tracked hand, the rotation that also lines up the left–right axis), so bone
/// directions in the file match the landmarks exactly. Channels: root Xposition Yposition Zposition,
/// every joint Zrotation Xrotation Yrotation, in degrees.
/// </para>
/// </summary>
public sealed class BvhSkeleton
{
    /// <summary>Index of the left hand's first point in the points array (<see cref="WithFingers"/>): the 33 pose points come first.</summary>
    public const int LeftHandPoints = TrackingFrame.BodyLandmarkCount;

    /// <summary>Index of the right hand's first point in the points array.</summary>
    public const int RightHandPoints = LeftHandPoints + TrackingFrame.HandLandmarkCount;

    /// <summary>Finger joint names' middle part, thumb first (BVH tools' usual names: the little finger is the pinky).</summary>
    private static readonly string[] s_fingerNames = ["Thumb", "Index", "Middle", "Ring", "Pinky"];

    /// <summary>
    /// One joint: its landmark-derived position, parent, rest direction and what its bone points to. <paramref name="Hand"/>:
    /// the hand joint of that side, which with the hand tracked points to <paramref name="HandTip"/> and turns to
    /// <paramref name="HandSide"/>; <paramref name="Finger"/>: a finger joint, measured only while that hand is tracked.
    /// </summary>
    private sealed record Joint(
        string Name, int Parent, Func<Vector3[], Vector3> Position, Vector3 RestDirection, Func<Vector3[], Vector3>? Tip,
        Vector3? Side = null, Func<Vector3[], Vector3>? SideOf = null,
        Handedness? Hand = null, Func<Vector3[], Vector3>? HandTip = null, Func<Vector3[], Vector3>? HandSide = null,
        Handedness? Finger = null);

    private readonly Joint[] _joints;

    /// <summary>Joint indices of the fingers' first joints: left hand's 5, then the right's (empty without fingers).</summary>
    private readonly int[] _fingerRoots;

    private BvhSkeleton(bool fingers)
    {
        HasFingers = fingers;
        _joints = BuildSkeleton(fingers);
        _fingerRoots = [.. Enumerable.Range(0, _joints.Length).Where(j => _joints[j].Finger is not null && _joints[_joints[j].Parent].Finger is null)];
    }

    /// <summary>The body alone (33 pose points).</summary>
    public static BvhSkeleton Body { get; } = new(fingers: false);

    /// <summary>The body with both hands' finger joints (33 pose points, then 21 points of each hand).</summary>
    public static BvhSkeleton WithFingers { get; } = new(fingers: true);

    public bool HasFingers { get; }

    /// <summary>The joint names in file order (the hierarchy's depth-first order).</summary>
    public IReadOnlyList<string> JointNames => [.. _joints.Select(j => j.Name)];

    /// <summary>Points a frame gives: the 33 pose points, then (with fingers) the left hand's 21 and the right's 21.</summary>
    public int PointCount => HasFingers ? RightHandPoints + TrackingFrame.HandLandmarkCount : TrackingFrame.BodyLandmarkCount;

    /// <summary>Landmark (normalized x, y; z in x's scale) to BVH space (x right, y up, z toward the camera).</summary>
    public static Vector3 ToSpace(Vector4 landmark, float aspect) => ToSpace(new Vector3(landmark.X, landmark.Y, landmark.Z), aspect);

    /// <summary>A hand or face landmark (normalized x, y; z in x's scale) to BVH space.</summary>
    public static Vector3 ToSpace(Vector3 landmark, float aspect) =>
        new(landmark.X * aspect * 100f, -landmark.Y * 100f, -landmark.Z * aspect * 100f);

    /// <summary>World position of each joint in a frame, as the skeleton defines them (for tests and previews).</summary>
    public Vector3 JointPosition(string joint, Vector3[] points) => _joints.First(j => j.Name == joint).Position(points);

    /// <summary>Where the bone that starts at <paramref name="joint"/> points to in a frame (<paramref name="handTracked"/>: the hand joint's tracked tip).</summary>
    public Vector3 BoneTip(string joint, Vector3[] points, bool handTracked = false)
    {
        Joint j = _joints.First(j => j.Name == joint);
        return (handTracked && j.HandTip is not null ? j.HandTip : j.Tip ?? throw new ArgumentException($"{joint} has no tip"))(points);
    }

    /// <summary>The joint index of a finger joint (<paramref name="finger"/> 0 thumb … 4 pinky, <paramref name="segment"/> 0..2).</summary>
    public int FingerJoint(Handedness side, int finger, int segment) =>
        _fingerRoots[((side == Handedness.Left ? 0 : 1) * 5) + finger] + segment;

    /// <summary>Values on one motion line: the root's position, then Z, X, Y rotation of every joint.</summary>
    public int ChannelCount => 3 + (3 * _joints.Length);

    /// <summary>
    /// Lengths one frame gives the rest pose (<see cref="MeasureFrame"/> fills them, <see cref="WriteHierarchy"/>
    /// takes their means over the take): [j] the distance from joint j to its parent (0 for the root),
    /// [joints + j] the length of joint j's own bone (0 where it has none); with fingers, then x, y, z of each
    /// finger's first joint on its hand (in the hand joint's own frame), left hand's five, then the right's.
    /// Finger entries are measured only in frames that track that hand.
    /// </summary>
    public int BoneLengthCount => (2 * _joints.Length) + (3 * _fingerRoots.Length);

    /// <summary>
    /// One frame without buffering it, for writers that stream: the motion line's values
    /// (<see cref="ChannelCount"/>) and the bone lengths (<see cref="BoneLengthCount"/>) of <see cref="PointCount"/> points
    /// already in BVH space (<see cref="ToSpace(Vector4, float)"/>). With fingers, <paramref name="leftHand"/> and
    /// <paramref name="rightHand"/> say which hands' points are there: an untracked hand's finger channels and
    /// lengths are left as they are (the writer fills them) and its hand joint points at the pose's index knuckle.
    /// Allocates nothing.
    /// </summary>
    public void MeasureFrame(Vector3[] points, Span<float> channels, Span<float> boneLengths, bool leftHand = false, bool rightHand = false)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentOutOfRangeException.ThrowIfLessThan(points.Length, TrackingFrame.BodyLandmarkCount, nameof(points));
        ArgumentOutOfRangeException.ThrowIfLessThan(channels.Length, ChannelCount, nameof(channels));
        ArgumentOutOfRangeException.ThrowIfLessThan(boneLengths.Length, BoneLengthCount, nameof(boneLengths));
        if ((leftHand || rightHand) && points.Length < PointCount)
        {
            throw new ArgumentException($"hand points need {PointCount} points, got {points.Length}", nameof(points));
        }

        Span<Quaternion> world = stackalloc Quaternion[_joints.Length];
        Vector3 root = _joints[0].Position(points);
        channels[0] = root.X;
        channels[1] = root.Y;
        channels[2] = root.Z;
        for (int j = 0; j < _joints.Length; j++)
        {
            Joint joint = _joints[j];
            bool tracked = (joint.Finger ?? joint.Hand) switch
            {
                Handedness.Left => leftHand,
                Handedness.Right => rightHand,
                _ => false,
            };
            if (joint.Finger is not null && !tracked)
            {
                world[j] = world[joint.Parent];
                continue;
            }

            world[j] = WorldRotation(joint, points, tracked);
            Quaternion parent = joint.Parent < 0 ? Quaternion.Identity : world[joint.Parent];
            Quaternion local = Quaternion.Normalize(Quaternion.Inverse(parent) * world[j]);
            Vector3 zxy = ToEulerZxyDegrees(local);
            channels[3 + (3 * j)] = zxy.Z;
            channels[4 + (3 * j)] = zxy.X;
            channels[5 + (3 * j)] = zxy.Y;
            boneLengths[j] = joint.Parent < 0 ? 0 : Vector3.Distance(joint.Position(points), _joints[joint.Parent].Position(points));
            Func<Vector3[], Vector3>? tip = tracked && joint.HandTip is not null ? joint.HandTip : joint.Tip;
            boneLengths[_joints.Length + j] = tip is null ? 0 : Vector3.Distance(tip(points), joint.Position(points));
        }

        for (int f = 0; f < _fingerRoots.Length; f++)
        {
            Joint finger = _joints[_fingerRoots[f]];
            if (finger.Finger == Handedness.Left ? !leftHand : !rightHand)
            {
                continue;
            }

            // Where this finger starts on its hand, in the hand joint's own (rest-pose) frame.
            Vector3 onHand = Vector3.Transform(finger.Position(points) - _joints[finger.Parent].Position(points), Quaternion.Inverse(world[finger.Parent]));
            int at = (2 * _joints.Length) + (3 * f);
            boneLengths[at] = onHand.X;
            boneLengths[at + 1] = onHand.Y;
            boneLengths[at + 2] = onHand.Z;
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
    public void WriteHierarchy(TextWriter writer, ReadOnlySpan<float> meanBoneLengths)
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

    /// <summary>The rotation R = Rz(z)·Rx(x)·Ry(y) of Euler angles in degrees (the inverse of <see cref="ToEulerZxyDegrees"/>).</summary>
    public static Quaternion FromEulerZxyDegrees(Vector3 xyz)
    {
        const float ToRadians = MathF.PI / 180f;
        return Quaternion.CreateFromAxisAngle(Vector3.UnitZ, xyz.Z * ToRadians)
            * Quaternion.CreateFromAxisAngle(Vector3.UnitX, xyz.X * ToRadians)
            * Quaternion.CreateFromAxisAngle(Vector3.UnitY, xyz.Y * ToRadians);
    }

    private static Quaternion WorldRotation(Joint joint, Vector3[] p, bool handTracked)
    {
        Func<Vector3[], Vector3>? tip = handTracked && joint.HandTip is not null ? joint.HandTip : joint.Tip;
        if (tip is null)
        {
            return Quaternion.Identity;
        }

        Vector3 dir = tip(p) - joint.Position(p);
        if (dir.LengthSquared() < 1e-12f)
        {
            return Quaternion.Identity;
        }

        Quaternion swing = FromTo(joint.RestDirection, dir);
        Func<Vector3[], Vector3>? sideOf = handTracked && joint.HandSide is not null ? joint.HandSide : joint.SideOf;
        if (joint.Side is not Vector3 side || sideOf is null)
        {
            return swing;
        }

        // Line the rest left–right (or, for a hand, thumb-side) axis up with the tracked one, turning about the bone itself.
        Vector3 tracked = sideOf(p);
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

    private Vector3[] RestOffsets(ReadOnlySpan<float> meanLengths, out Vector3[] endOffsets)
    {
        var offsets = new Vector3[_joints.Length];
        endOffsets = new Vector3[_joints.Length];
        for (int j = 0; j < _joints.Length; j++)
        {
            Joint joint = _joints[j];
            int root = Array.IndexOf(_fingerRoots, j);
            if (root >= 0)
            {
                int at = (2 * _joints.Length) + (3 * root);
                offsets[j] = new Vector3(meanLengths[at], meanLengths[at + 1], meanLengths[at + 2]);
            }
            else if (joint.Parent >= 0)
            {
                Joint parent = _joints[joint.Parent];
                bool isParentsBone = parent.Tip is not null && IsTipOf(parent, joint);
                Vector3 direction = isParentsBone ? parent.RestDirection : SideDirection(joint.Name);
                offsets[j] = direction * meanLengths[j];
            }

            bool hasFingers = _joints.Any(c => c.Parent == j && c.Finger is not null && joint.Finger is null);
            if (joint.Tip is not null && !hasFingers && !_joints.Any(c => c.Parent == j && IsTipOf(joint, c)))
            {
                endOffsets[j] = joint.RestDirection * Math.Max(meanLengths[_joints.Length + j], 1e-3f);
            }
        }

        return offsets;
    }


    private static bool IsTipOf(Joint parent, Joint child) => parent.Name switch
    {
        "Hips" => child.Name == "Spine",
        "Neck" => child.Name == "Head",
        _ => parent.Finger is not null || child.Finger is null,
    };

    private static Vector3 SideDirection(string name) => name.StartsWith("Left", StringComparison.Ordinal) ? Vector3.UnitX : -Vector3.UnitX;

    private void WriteJoint(TextWriter w, int index, int depth, Vector3[] offsets, Vector3[] endOffsets)
    {
        var inv = CultureInfo.InvariantCulture;
        string pad = new(' ', depth * 2);
        Joint joint = _joints[index];
        w.WriteLine(index == 0 ? $"ROOT {joint.Name}" : $"{pad}JOINT {joint.Name}");
        w.WriteLine($"{pad}{{");
        Vector3 o = offsets[index];
        w.WriteLine(string.Create(inv, $"{pad}  OFFSET {o.X:0.#####} {o.Y:0.#####} {o.Z:0.#####}"));
        w.WriteLine(index == 0
            ? $"{pad}  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"
            : $"{pad}  CHANNELS 3 Zrotation Xrotation Yrotation");
        bool hasChild = false;
        for (int c = 0; c < _joints.Length; c++)
        {
            if (_joints[c].Parent == index)
            {
                hasChild = true;
                WriteJoint(w, c, depth + 1, offsets, endOffsets);
            }
        }

        if ((!hasChild && joint.Tip is not null) || endOffsets[index] != Vector3.Zero)
        {
            Vector3 e = endOffsets[index];
            w.WriteLine($"{pad}  End Site");
            w.WriteLine($"{pad}  {{");
            w.WriteLine(string.Create(inv, $"{pad}    OFFSET {e.X:0.#####} {e.Y:0.#####} {e.Z:0.#####}"));
            w.WriteLine($"{pad}  }}");
        }

        w.WriteLine($"{pad}}}");
    }

    private static Joint[] BuildSkeleton(bool fingers)
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
        var joints = new List<Joint>();
        int Add(Joint j)
        {
            joints.Add(j);
            return joints.Count - 1;
        }

        // A hand and (with fingers) its fingers, depth first: the file's channel order is the hierarchy's.
        void Hand(string name, int parent, Handedness side, int wrist, int poseIndex, Vector3 along)
        {
            int h = side == Handedness.Left ? LeftHandPoints : RightHandPoints;
            int hand = Add(new Joint(name, parent, p => p[wrist], along, p => p[poseIndex],
                Side: fingers ? forward : null,
                Hand: fingers ? side : null,
                HandTip: fingers ? p => p[h + HandTopology.MiddleMcp] : null,
                HandSide: fingers ? p => p[h + HandTopology.IndexMcp] - p[h + HandTopology.PinkyMcp] : null));
            if (!fingers)
            {
                return;
            }

            for (int f = 0; f < 5; f++)
            {
                int[] chain = HandTopology.Finger(f).ToArray();
                Vector3 rest = f == 0 ? Vector3.Normalize(along + forward) : along;
                int parentJoint = hand;
                for (int k = 0; k < HandTopology.SegmentsPerFinger; k++)
                {
                    int from = h + chain[k], to = h + chain[k + 1];
                    parentJoint = Add(new Joint($"{name}{s_fingerNames[f]}{k + 1}", parentJoint, p => p[from], rest, p => p[to], Finger: side));
                }
            }
        }

        Add(new Joint("Hips", -1, Hips, up, SpineMid, Side: left, SideOf: p => p[23] - p[24]));
        Add(new Joint("Spine", 0, SpineMid, up, Shoulders));
        int neck = Add(new Joint("Neck", 1, Shoulders, up, p => Mid(p, 7, 8), Side: left, SideOf: p => p[11] - p[12]));
        Add(new Joint("Head", neck, p => Mid(p, 7, 8), forward, p => p[0]));
        int leftArm = Add(new Joint("LeftArm", neck, p => p[11], left, p => p[13]));
        int leftForeArm = Add(new Joint("LeftForeArm", leftArm, p => p[13], left, p => p[15]));
        Hand("LeftHand", leftForeArm, Handedness.Left, 15, 19, left);
        int rightArm = Add(new Joint("RightArm", neck, p => p[12], right, p => p[14]));
        int rightForeArm = Add(new Joint("RightForeArm", rightArm, p => p[14], right, p => p[16]));
        Hand("RightHand", rightForeArm, Handedness.Right, 16, 20, right);
        int leftUpLeg = Add(new Joint("LeftUpLeg", 0, p => p[23], down, p => p[25]));
        int leftLeg = Add(new Joint("LeftLeg", leftUpLeg, p => p[25], down, p => p[27]));
        Add(new Joint("LeftFoot", leftLeg, p => p[27], forward, p => p[31]));
        int rightUpLeg = Add(new Joint("RightUpLeg", 0, p => p[24], down, p => p[26]));
        int rightLeg = Add(new Joint("RightLeg", rightUpLeg, p => p[26], down, p => p[28]));
        Add(new Joint("RightFoot", rightLeg, p => p[28], forward, p => p[32]));
        return [.. joints];
    }
}
