using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Retargeting.Rigs;

/// <summary>
/// A character's body: where its joints are in its picture, in MediaPipe pose's 33-point vocabulary
/// (<see cref="BodyTopology"/>), each with a known flag: a pose-tracked picture, an Animated Drawings
/// <c>char_cfg.yaml</c> and the rig page all map onto it. What is not known (legs below a
/// half-body portrait's frame, a drawing's missing hands) is never invented: those joints are not
/// driven and nothing hangs on them. The bone lengths are the character's own (<see cref="Length"/>).
/// Immutable once built; <see cref="Create"/> checks the joints and names what is wrong.
/// </summary>
/// <remarks>
/// Picture pixels: x right, y down, pixel centres at +0.5. "Left" and "right" are the character's own,
/// as in MediaPipe: a character facing you has its left shoulder on the image's right.
/// </remarks>
public sealed class BodyRig
{
    private readonly Vector2[] _joints;
    private readonly bool[] _known;

    private BodyRig(Vector2[] joints, bool[] known, int width, int height, string source)
    {
        _joints = joints;
        _known = known;
        Width = width;
        Height = height;
        Source = source;
        Root = Known(BodyTopology.LeftHip) && Known(BodyTopology.RightHip)
            ? Mid(BodyTopology.LeftHip, BodyTopology.RightHip)
            : Neck + new Vector2(0, ShoulderWidth * VirtualTorso);
        HeadCentre = Known(BodyTopology.LeftEar) && Known(BodyTopology.RightEar)
            ? Mid(BodyTopology.LeftEar, BodyTopology.RightEar)
            : Known(BodyTopology.Nose) ? joints[BodyTopology.Nose] : Neck - new Vector2(0, ShoulderWidth * 0.6f);
    }

    /// <summary>
    /// A half-body character's hips are below its picture: the torso turns about a virtual root this
    /// many shoulder widths below the shoulders (an adult's shoulder-to-hip distance is ~1.2 shoulder
    /// widths), which is never drawn.
    /// </summary>
    public const float VirtualTorso = 1.2f;

    /// <summary>Picture width the joints are measured in.</summary>
    public int Width { get; }

    /// <summary>Picture height the joints are measured in.</summary>
    public int Height { get; }

    /// <summary>Where the joints came from ("pose tracker", "char_cfg.yaml", "rig page", a test).</summary>
    public string Source { get; }

    /// <summary>Joint <paramref name="index"/> (a <see cref="BodyTopology"/> index) in picture pixels; meaningful where <see cref="Known"/>.</summary>
    public Vector2 Joint(int index) => _joints[index];

    /// <summary>True when joint <paramref name="index"/> is in the picture and placed.</summary>
    public bool Known(int index) => _known[index];

    /// <summary>The 33 joints (picture pixels); do not modify.</summary>
    public ReadOnlySpan<Vector2> Joints => _joints;

    /// <summary>The 33 known flags; do not modify.</summary>
    public ReadOnlySpan<bool> KnownFlags => _known;

    /// <summary>Between the shoulders: where the torso ends and the head and arms start.</summary>
    public Vector2 Neck => Mid(BodyTopology.LeftShoulder, BodyTopology.RightShoulder);

    /// <summary>Between the hips when both are known (<see cref="HasHips"/>), else a virtual root <see cref="VirtualTorso"/> shoulder widths below the neck.</summary>
    public Vector2 Root { get; }

    /// <summary>The head's centre: between the ears, else the nose, else above the neck.</summary>
    public Vector2 HeadCentre { get; }

    /// <summary>Distance between the shoulders, pixels.</summary>
    public float ShoulderWidth => Vector2.Distance(_joints[BodyTopology.LeftShoulder], _joints[BodyTopology.RightShoulder]);

    /// <summary>Both hips are in the picture: the torso turns about them and root motion moves the whole figure.</summary>
    public bool HasHips => Known(BodyTopology.LeftHip) && Known(BodyTopology.RightHip);

    /// <summary>A leg (hip, knee and ankle) on at least one side: a full-body character, whose feet stand on a floor.</summary>
    public bool HasLegs =>
        HasHips && ((Known(BodyTopology.LeftKnee) && Known(BodyTopology.LeftAnkle)) || (Known(BodyTopology.RightKnee) && Known(BodyTopology.RightAnkle)));

    /// <summary>Length of the bone between two joints, pixels (the character's own).</summary>
    public float Length(int from, int to) => Vector2.Distance(_joints[from], _joints[to]);

    private Vector2 Mid(int a, int b) => (_joints[a] + _joints[b]) * 0.5f;

    /// <summary>
    /// Builds a rig from 33 joints in picture pixels and their known flags, checking them: both
    /// shoulders are needed; a known joint must lie in the picture, have its parent known
    /// (<see cref="BodySkeleton"/>) and not sit on it; hips must not be crossed against the shoulders.
    /// Anything else is an <see cref="InvalidDataException"/> whose message starts with <paramref name="name"/>
    /// and names the joint.
    /// </summary>
    public static BodyRig Create(string name, ReadOnlySpan<Vector2> joints, ReadOnlySpan<bool> known, int width, int height, string source)
    {
        if (joints.Length != TrackingFrame.BodyLandmarkCount || known.Length != TrackingFrame.BodyLandmarkCount)
        {
            throw new ArgumentException($"a body rig has {TrackingFrame.BodyLandmarkCount} joints and flags, got {joints.Length} and {known.Length}");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (!known[BodyTopology.LeftShoulder] || !known[BodyTopology.RightShoulder])
        {
            throw new InvalidDataException(
                $"{name}: a body needs both shoulders (left_shoulder, right_shoulder); {(known[BodyTopology.LeftShoulder] ? "right_shoulder" : "left_shoulder")} is missing ({source})");
        }

        for (int i = 0; i < joints.Length; i++)
        {
            if (!known[i])
            {
                continue;
            }

            Vector2 p = joints[i];
            if (!float.IsFinite(p.X) || !float.IsFinite(p.Y) || p.X < 0 || p.Y < 0 || p.X > width || p.Y > height)
            {
                throw new InvalidDataException($"{name}: {BodyTopology.Names[i]} at ({p.X:0.#}, {p.Y:0.#}) lies outside the {width}x{height} picture ({source})");
            }
        }

        float shoulders = Vector2.Distance(joints[BodyTopology.LeftShoulder], joints[BodyTopology.RightShoulder]);
        float minimum = MathF.Max(1, MinBoneFraction * MathF.Max(width, height));
        if (shoulders < minimum)
        {
            throw new InvalidDataException($"{name}: left_shoulder and right_shoulder sit on each other ({shoulders:0.#} px apart) ({source})");
        }

        foreach (BodySkeleton.Bone bone in BodySkeleton.Bones)
        {
            if (!known[bone.To] || bone.From < 0)
            {
                continue;
            }

            if (!known[bone.From])
            {
                throw new InvalidDataException($"{name}: {BodyTopology.Names[bone.To]} is given but {BodyTopology.Names[bone.From]}, which it hangs from, is not ({source})");
            }

            float length = Vector2.Distance(joints[bone.From], joints[bone.To]);
            if (length < minimum)
            {
                throw new InvalidDataException($"{name}: {BodyTopology.Names[bone.To]} sits on {BodyTopology.Names[bone.From]} ({length:0.#} px apart) ({source})");
            }
        }

        if (known[BodyTopology.LeftHip] != known[BodyTopology.RightHip])
        {
            throw new InvalidDataException(
                $"{name}: only one hip is given ({(known[BodyTopology.LeftHip] ? "left_hip" : "right_hip")}); give both or neither (a half-body character) ({source})");
        }

        if (known[BodyTopology.LeftHip])
        {
            float shoulderSide = joints[BodyTopology.LeftShoulder].X - joints[BodyTopology.RightShoulder].X;
            float hipSide = joints[BodyTopology.LeftHip].X - joints[BodyTopology.RightHip].X;
            if (shoulderSide * hipSide < 0)
            {
                throw new InvalidDataException(
                    $"{name}: the hips are crossed against the shoulders (left_hip is on the image's {(hipSide > 0 ? "right" : "left")} of right_hip, left_shoulder on the image's {(shoulderSide > 0 ? "right" : "left")} of right_shoulder); left and right are the character's own ({source})");
            }

            float hipY = (joints[BodyTopology.LeftHip].Y + joints[BodyTopology.RightHip].Y) * 0.5f;
            float neckY = (joints[BodyTopology.LeftShoulder].Y + joints[BodyTopology.RightShoulder].Y) * 0.5f;
            if (hipY <= neckY)
            {
                throw new InvalidDataException($"{name}: the hips are not below the shoulders (hips at y {hipY:0.#}, shoulders at y {neckY:0.#}): an upright character is needed ({source})");
            }
        }

        return new BodyRig(joints.ToArray(), known.ToArray(), width, height, source);
    }

    /// <summary>
    /// This rig for its picture scaled whole to <paramref name="width"/>×<paramref name="height"/> (a drawing fitted to the
    /// working size): every joint times <paramref name="width"/> / <see cref="Width"/>, the flags and source kept; this rig
    /// itself at its own size. What <see cref="Create"/> checked holds at any scale (its limits are fractions of the
    /// picture), so nothing is checked again.
    /// </summary>
    public BodyRig ScaledTo(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (width == Width && height == Height)
        {
            return this;
        }

        float scale = width / (float)Width;
        var joints = new Vector2[_joints.Length];
        for (int i = 0; i < joints.Length; i++)
        {
            joints[i] = _joints[i] * scale;
        }

        return new BodyRig(joints, (bool[])_known.Clone(), width, height, Source);
    }

    /// <summary>A bone shorter than this fraction of the picture's long side is a joint placed on its parent by mistake.</summary>
    public const float MinBoneFraction = 0.004f;
}
