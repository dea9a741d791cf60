using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Protocol.Import;

/// <summary>The body points a BVH take is read into: the joints of Capture's own BVH skeleton plus the ends of hands, feet and head.</summary>
public enum BvhBodyPoint
{
    Hips,
    Spine,
    Neck,
    Head,
    HeadTop,
    LeftArm,
    LeftForeArm,
    LeftHand,
    LeftHandEnd,
    RightArm,
    RightForeArm,
    RightHand,
    RightHandEnd,
    LeftUpLeg,
    LeftLeg,
    LeftFoot,
    LeftToe,
    RightUpLeg,
    RightLeg,
    RightFoot,
    RightToe,
}

/// <summary>
/// A BVH take as a body: its joints matched to <see cref="BvhBodyPoint"/> by name (Capture's own, CMU's and
/// Mixamo's names and their common variants, any case, a <c>prefix:</c> dropped), and per frame the world
/// position of each point in one frame of reference whatever the file's axes and units:
/// <list type="bullet">
/// <item>y up (the file's axis along which the rest pose's head is highest above its hips), x toward the
/// figure's left and z toward its front, both as the figure stands in the take's first frame (so a camera
/// on +z sees it from the front, its left on the image's right, as a performer faces a webcam);</item>
/// <item>in metres, taking the rest pose's height (feet to head top) as <see cref="AssumedHeightMetres"/>,
/// since BVH does not say its units (centimetres, inches and arbitrary units are all in use);</item>
/// <item>the first frame's hips at x = z = 0, y = their height above the lowest foot.</item>
/// </list>
/// A take missing any of the joints the body needs is refused with one line naming the file, the joints it
/// lacks and the names it has that were not recognised. Sampling allocates nothing.
/// </summary>
public sealed class BvhBody
{
    /// <summary>How tall the rest pose is taken to be (a typical adult's height), so points come out in metres.</summary>
    public const float AssumedHeightMetres = 1.7f;

    private static readonly (BvhBodyPoint Point, bool Required, string[] Names)[] s_names =
    [
        (BvhBodyPoint.Hips, true, ["hips", "hip", "pelvis", "root"]),
        (BvhBodyPoint.Spine, false, ["spine", "spine1", "chest", "abdomen", "torso", "lowerback"]),
        (BvhBodyPoint.Neck, true, ["neck", "neck1", "lowerneck"]),
        (BvhBodyPoint.Head, true, ["head"]),
        (BvhBodyPoint.HeadTop, false, ["headtop", "headend", "headtopend", "headsite"]),
        (BvhBodyPoint.LeftArm, true, ["leftarm", "leftupperarm", "lshoulder", "lupperarm", "lhumerus", "leftshoulderjoint"]),
        (BvhBodyPoint.LeftForeArm, true, ["leftforearm", "leftlowerarm", "leftelbow", "lelbow", "lforearm", "lradius", "llowerarm"]),
        (BvhBodyPoint.LeftHand, true, ["lefthand", "leftwrist", "lwrist", "lhand"]),
        (BvhBodyPoint.LeftHandEnd, false, ["lefthandend", "lefthandmiddle1", "lefthandindex1", "lhandend", "lfingers"]),
        (BvhBodyPoint.RightArm, true, ["rightarm", "rightupperarm", "rshoulder", "rupperarm", "rhumerus", "rightshoulderjoint"]),
        (BvhBodyPoint.RightForeArm, true, ["rightforearm", "rightlowerarm", "rightelbow", "relbow", "rforearm", "rradius", "rlowerarm"]),
        (BvhBodyPoint.RightHand, true, ["righthand", "rightwrist", "rwrist", "rhand"]),
        (BvhBodyPoint.RightHandEnd, false, ["righthandend", "righthandmiddle1", "righthandindex1", "rhandend", "rfingers"]),
        (BvhBodyPoint.LeftUpLeg, true, ["leftupleg", "leftupperleg", "lefthip", "leftthigh", "lhip", "lthigh", "lfemur", "lupleg"]),
        (BvhBodyPoint.LeftLeg, true, ["leftleg", "leftlowerleg", "leftknee", "leftshin", "lknee", "lshin", "ltibia", "lleg"]),
        (BvhBodyPoint.LeftFoot, true, ["leftfoot", "leftankle", "lankle", "lfoot"]),
        (BvhBodyPoint.LeftToe, false, ["lefttoebase", "lefttoe", "lefttoes", "ltoes", "ltoe", "ltoebase"]),
        (BvhBodyPoint.RightUpLeg, true, ["rightupleg", "rightupperleg", "righthip", "rightthigh", "rhip", "rthigh", "rfemur", "rupleg"]),
        (BvhBodyPoint.RightLeg, true, ["rightleg", "rightlowerleg", "rightknee", "rightshin", "rknee", "rshin", "rtibia", "rleg"]),
        (BvhBodyPoint.RightFoot, true, ["rightfoot", "rightankle", "rankle", "rfoot"]),
        (BvhBodyPoint.RightToe, false, ["righttoebase", "righttoe", "righttoes", "rtoes", "rtoe", "rtoebase"]),
    ];

    private readonly int[] _joint = new int[PointCount];
    private readonly Quaternion _axes;
    private readonly float _scale;
    private readonly Vector3 _origin;
    private readonly Quaternion _headAtStart;
    private readonly Vector3[] _positions;
    private readonly Quaternion[] _rotations;
    private readonly int _headEnd;

    /// <summary>Number of <see cref="BvhBodyPoint"/> values.</summary>
    public const int PointCount = (int)BvhBodyPoint.RightToe + 1;

    private BvhBody(BvhMotion motion, int[] joint)
    {
        Motion = motion;
        _joint = joint;
        _positions = new Vector3[motion.Joints.Count];
        _rotations = new Quaternion[motion.Joints.Count];

        // Up: the rest pose's hips → head direction, snapped to the nearest file axis.
        Vector3 restHead = RestPosition(motion, joint[(int)BvhBodyPoint.Head]) - RestPosition(motion, joint[(int)BvhBodyPoint.Hips]);
        Vector3 up = SnapToAxis(restHead);

        // Left and front: the hips' left–right line in the first frame, flattened onto the floor.
        motion.Pose(0, _positions, _rotations);
        Vector3 left = _positions[joint[(int)BvhBodyPoint.LeftUpLeg]] - _positions[joint[(int)BvhBodyPoint.RightUpLeg]];
        left -= Vector3.Dot(left, up) * up;
        if (left.LengthSquared() < 1e-12f)
        {
            left = Vector3.Cross(up, MathF.Abs(up.X) < 0.5f ? Vector3.UnitX : Vector3.UnitZ);
        }

        left = Vector3.Normalize(left);
        Vector3 front = Vector3.Cross(left, up);

        // The rotation taking (left, up, front) onto (x, y, z).
        var toFile = new Matrix4x4(left.X, left.Y, left.Z, 0, up.X, up.Y, up.Z, 0, front.X, front.Y, front.Z, 0, 0, 0, 0, 1);
        _axes = Quaternion.Inverse(Quaternion.CreateFromRotationMatrix(toFile));

        _headEnd = motion.Joints[joint[(int)BvhBodyPoint.Head]].EndSite is null ? -1 : joint[(int)BvhBodyPoint.Head];
        float height = RestHeight(motion, joint, up);
        _scale = height > 1e-6f ? AssumedHeightMetres / height : 1;
        Vector3 hips = Vector3.Transform(_positions[joint[(int)BvhBodyPoint.Hips]], _axes) * _scale;
        float floor = MathF.Min(
            Vector3.Transform(_positions[joint[(int)BvhBodyPoint.LeftFoot]], _axes).Y,
            Vector3.Transform(_positions[joint[(int)BvhBodyPoint.RightFoot]], _axes).Y) * _scale;
        _origin = new Vector3(hips.X, floor, hips.Z);
        _headAtStart = _rotations[joint[(int)BvhBodyPoint.Head]];
    }

    public BvhMotion Motion { get; }

    /// <summary>The take's own frame rate (1 / Frame Time).</summary>
    public double FramesPerSecond => 1 / Motion.FrameTime;

    /// <summary>Matches a take's joints to the body; throws <see cref="InvalidDataException"/> naming what is missing.</summary>
    public static BvhBody From(BvhMotion motion)
    {
        ArgumentNullException.ThrowIfNull(motion);
        var joint = new int[PointCount];
        Array.Fill(joint, -1);
        var used = new bool[motion.Joints.Count];
        var missing = new List<string>();
        foreach ((BvhBodyPoint point, bool required, string[] names) in s_names)
        {
            int found = -1;
            foreach (string alias in names)
            {
                for (int j = 0; j < motion.Joints.Count && found < 0; j++)
                {
                    if (!used[j] && Normalize(motion.Joints[j].Name) == alias)
                    {
                        found = j;
                    }
                }

                if (found >= 0)
                {
                    break;
                }
            }

            if (found >= 0)
            {
                joint[(int)point] = found;
                used[found] = true;
            }
            else if (required)
            {
                missing.Add(point.ToString());
            }
        }

        if (missing.Count > 0)
        {
            string[] unknown = [.. motion.Joints.Where((j, i) => !used[i]).Select(j => j.Name)];
            string others = unknown.Length == 0 ? "none"
                : unknown.Length <= 16 ? string.Join(", ", unknown) : $"{string.Join(", ", unknown.Take(16))} and {unknown.Length - 16} more";
            throw new InvalidDataException(
                $"{motion.Name}: unknown joints, the body's {string.Join(", ", missing)} {(missing.Count == 1 ? "is" : "are")} not among them (joints not recognised: {others}); " +
                "Capture reads Capture's, CMU's and Mixamo's joint names (Hips, Neck, Head, LeftArm, LeftForeArm, LeftHand, LeftUpLeg, LeftLeg, LeftFoot and the Right ones)");
        }

        return new BvhBody(motion, joint);
    }

    /// <summary>
    /// Every <see cref="BvhBodyPoint"/>'s world position at <paramref name="seconds"/> (see the class for the
    /// frame of reference), and the head's turn since the first frame (same frame of reference). Points the take
    /// has no joint for (a toe, a hand's end) are extended from the bone before them.
    /// </summary>
    public void Sample(double seconds, Span<Vector3> points, out Quaternion headTurn)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points.Length, PointCount, nameof(points));
        Motion.Pose(seconds, _positions, _rotations);
        for (int p = 0; p < PointCount; p++)
        {
            int j = _joint[p];
            points[p] = j < 0 ? Vector3.Zero : World(_positions[j]);
        }

        if (_joint[(int)BvhBodyPoint.Spine] < 0)
        {
            points[(int)BvhBodyPoint.Spine] = (points[(int)BvhBodyPoint.Hips] + points[(int)BvhBodyPoint.Neck]) * 0.5f;
        }

        Vector3 head = points[(int)BvhBodyPoint.Head];
        Vector3 neck = points[(int)BvhBodyPoint.Neck];
        if (_joint[(int)BvhBodyPoint.HeadTop] < 0)
        {
            points[(int)BvhBodyPoint.HeadTop] = _headEnd >= 0
                ? World(_positions[_headEnd] + Vector3.Transform(Motion.Joints[_headEnd].EndSite!.Value, _rotations[_headEnd]))
                : head + ((head - neck) * 0.8f);
        }

        Extend(points, BvhBodyPoint.LeftHandEnd, BvhBodyPoint.LeftForeArm, BvhBodyPoint.LeftHand, 0.35f);
        Extend(points, BvhBodyPoint.RightHandEnd, BvhBodyPoint.RightForeArm, BvhBodyPoint.RightHand, 0.35f);
        Extend(points, BvhBodyPoint.LeftToe, BvhBodyPoint.LeftLeg, BvhBodyPoint.LeftFoot, 0.3f);
        Extend(points, BvhBodyPoint.RightToe, BvhBodyPoint.RightLeg, BvhBodyPoint.RightFoot, 0.3f);
        Quaternion turn = _rotations[_joint[(int)BvhBodyPoint.Head]] * Quaternion.Inverse(_headAtStart);
        headTurn = Quaternion.Normalize(_axes * turn * Quaternion.Inverse(_axes));

        void Extend(Span<Vector3> p, BvhBodyPoint end, BvhBodyPoint from, BvhBodyPoint to, float share)
        {
            int j = _joint[(int)end];
            if (j >= 0)
            {
                return;
            }

            int last = _joint[(int)to];
            p[(int)end] = Motion.Joints[last].EndSite is Vector3 site && !IsParentOfAny(last)
                ? World(_positions[last] + Vector3.Transform(site, _rotations[last]))
                : p[(int)to] + ((p[(int)to] - p[(int)from]) * share);
        }
    }

    /// <summary>
    /// The 33 MediaPipe pose points of a sampled body, as a camera straight in front of it would see them
    /// (orthographic): x, y normalized to a square image <paramref name="framing"/> metres wide centred on
    /// (<paramref name="centre"/>.X, <paramref name="centre"/>.Y), z in x's scale (smaller = nearer), visibility 1.
    /// The face's points (nose, eyes, ears, mouth) are placed on the head by its turn, the fingers and heels
    /// from the hand and foot bones: a stand-in for what a pose tracker would see, not a measurement.
    /// <paramref name="world"/>, when not empty, gets the same 33 points as MediaPipe's world landmarks
    /// (<see cref="BodyObservation.WorldLandmarks"/>): metres, origin midway between the hips, x to the image's
    /// right, y down, z away from the camera.
    /// </summary>
    public static void ToPoseLandmarks(ReadOnlySpan<Vector3> points, Quaternion headTurn, Vector2 centre, float framing, Span<Vector4> landmarks, Span<Vector3> world = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(landmarks.Length, TrackingFrame.BodyLandmarkCount, nameof(landmarks));
        Vector3 head = points[(int)BvhBodyPoint.Head];
        Vector3 top = points[(int)BvhBodyPoint.HeadTop];
        float size = MathF.Max(Vector3.Distance(head, top), 0.05f);
        Vector3 middle = (head + top) * 0.5f;
        Vector3 Face(float left, float up, float front) => middle + (Vector3.Transform(new Vector3(left, up, front), headTurn) * size);
        Span<Vector3> p = stackalloc Vector3[TrackingFrame.BodyLandmarkCount];
        p[0] = Face(0, -0.1f, 0.55f);
        p[1] = Face(0.12f, 0.1f, 0.45f);
        p[2] = Face(0.18f, 0.1f, 0.45f);
        p[3] = Face(0.24f, 0.1f, 0.4f);
        p[4] = Face(-0.12f, 0.1f, 0.45f);
        p[5] = Face(-0.18f, 0.1f, 0.45f);
        p[6] = Face(-0.24f, 0.1f, 0.4f);
        p[7] = Face(0.45f, 0, 0);
        p[8] = Face(-0.45f, 0, 0);
        p[9] = Face(0.1f, -0.35f, 0.45f);
        p[10] = Face(-0.1f, -0.35f, 0.45f);
        p[11] = points[(int)BvhBodyPoint.LeftArm];
        p[12] = points[(int)BvhBodyPoint.RightArm];
        p[13] = points[(int)BvhBodyPoint.LeftForeArm];
        p[14] = points[(int)BvhBodyPoint.RightForeArm];
        p[15] = points[(int)BvhBodyPoint.LeftHand];
        p[16] = points[(int)BvhBodyPoint.RightHand];
        Hand(p, 15, 17, 19, 21, points[(int)BvhBodyPoint.LeftHandEnd]);
        Hand(p, 16, 18, 20, 22, points[(int)BvhBodyPoint.RightHandEnd]);
        p[23] = points[(int)BvhBodyPoint.LeftUpLeg];
        p[24] = points[(int)BvhBodyPoint.RightUpLeg];
        p[25] = points[(int)BvhBodyPoint.LeftLeg];
        p[26] = points[(int)BvhBodyPoint.RightLeg];
        p[27] = points[(int)BvhBodyPoint.LeftFoot];
        p[28] = points[(int)BvhBodyPoint.RightFoot];
        p[31] = points[(int)BvhBodyPoint.LeftToe];
        p[32] = points[(int)BvhBodyPoint.RightToe];
        p[29] = p[27] + ((p[27] - p[31]) * 0.25f);
        p[30] = p[28] + ((p[28] - p[32]) * 0.25f);
        float scale = 1 / MathF.Max(framing, 1e-6f);
        for (int i = 0; i < p.Length; i++)
        {
            Vector3 v = p[i];
            landmarks[i] = new Vector4(0.5f + ((v.X - centre.X) * scale), 0.5f - ((v.Y - centre.Y) * scale), -v.Z * scale, 1);
        }

        if (world.Length >= p.Length)
        {
            Vector3 hips = (p[23] + p[24]) * 0.5f;
            for (int i = 0; i < p.Length; i++)
            {
                Vector3 v = p[i] - hips;
                world[i] = new Vector3(v.X, -v.Y, -v.Z);
            }
        }

        static void Hand(Span<Vector3> p, int wrist, int pinky, int index, int thumb, Vector3 end)
        {
            Vector3 along = end - p[wrist];
            Vector3 side = Vector3.Cross(along, Vector3.UnitZ);
            side = side.LengthSquared() > 1e-12f ? Vector3.Normalize(side) * (along.Length() * 0.3f) : Vector3.Zero;
            p[index] = end + (side * 0.5f);
            p[pinky] = end - (side * 0.5f);
            p[thumb] = p[wrist] + (along * 0.5f) + side;
        }
    }

    private Vector3 World(Vector3 file) => (Vector3.Transform(file, _axes) * _scale) - _origin;

    private bool IsParentOfAny(int joint)
    {
        foreach (BvhJoint j in Motion.Joints)
        {
            if (j.Parent == joint)
            {
                return true;
            }
        }

        return false;
    }

    private static string Normalize(string name)
    {
        int colon = name.LastIndexOf(':');
        string leaf = colon >= 0 ? name[(colon + 1)..] : name;
        return new string([.. leaf.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant)]);
    }

    private static Vector3 RestPosition(BvhMotion motion, int joint)
    {
        Vector3 p = Vector3.Zero;
        for (int j = joint; j >= 0; j = motion.Joints[j].Parent)
        {
            if (motion.Joints[j].Parent >= 0)
            {
                p += motion.Joints[j].Offset;
            }
        }

        return p;
    }

    private static float RestHeight(BvhMotion motion, int[] joint, Vector3 up)
    {
        int head = joint[(int)BvhBodyPoint.Head];
        Vector3 top = RestPosition(motion, head) + (motion.Joints[head].EndSite ?? Vector3.Zero);
        float feet = MathF.Min(
            Vector3.Dot(RestPosition(motion, joint[(int)BvhBodyPoint.LeftFoot]), up),
            Vector3.Dot(RestPosition(motion, joint[(int)BvhBodyPoint.RightFoot]), up));
        return Vector3.Dot(top, up) - feet;
    }

    private static Vector3 SnapToAxis(Vector3 v)
    {
        Vector3 a = Vector3.Abs(v);
        return a.X >= a.Y && a.X >= a.Z ? new Vector3(MathF.Sign(v.X), 0, 0)
            : a.Y >= a.Z ? new Vector3(0, MathF.Sign(v.Y), 0)
            : new Vector3(0, 0, MathF.Sign(v.Z));
    }
}
