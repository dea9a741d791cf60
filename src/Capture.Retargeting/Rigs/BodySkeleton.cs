using Capture.Core.Tracking;

namespace Capture.Retargeting.Rigs;

/// <summary>
/// The body's tree on MediaPipe pose's 33 points (<see cref="BodyTopology"/>) and its rigid parts:
/// what the retargeter drives (each joint from its parent along the performer's bone direction,
/// with the character's own length) and what the body mesh binds its triangles to. Two joints are
/// virtual, never drawn on their own: the root (between the hips) and the neck (between the
/// shoulders); the head's points move rigidly with the head.
/// </summary>
public static class BodySkeleton
{
    /// <summary>A bone: its parent joint (<see cref="FromRoot"/> or <see cref="FromNeck"/> for the virtual ones), the joint it places, and the part it belongs to.</summary>
    public readonly record struct Bone(int From, int To, BodyPart Part);

    /// <summary><see cref="Bone.From"/> of a bone that hangs from the virtual root (the hips).</summary>
    public const int FromRoot = -1;

    /// <summary><see cref="Bone.From"/> of a bone that hangs from the virtual neck (the shoulders, the head).</summary>
    public const int FromNeck = -2;

    /// <summary>
    /// Every joint's bone, parents before children. The head's points hang from the neck as one
    /// rigid piece (<see cref="BodyPart.Head"/>); the fingers and the foot's points hang from the
    /// wrist and ankle: a clear wrist bone a hand tracker can turn later.
    /// </summary>
    public static IReadOnlyList<Bone> Bones { get; } =
    [
        new(FromRoot, BodyTopology.LeftHip, BodyPart.Torso),
        new(FromRoot, BodyTopology.RightHip, BodyPart.Torso),
        new(FromNeck, BodyTopology.LeftShoulder, BodyPart.Torso),
        new(FromNeck, BodyTopology.RightShoulder, BodyPart.Torso),
        .. HeadBones(),
        new(BodyTopology.LeftShoulder, BodyTopology.LeftElbow, BodyPart.LeftUpperArm),
        new(BodyTopology.LeftElbow, BodyTopology.LeftWrist, BodyPart.LeftForearm),
        new(BodyTopology.LeftWrist, BodyTopology.LeftPinky, BodyPart.LeftHand),
        new(BodyTopology.LeftWrist, BodyTopology.LeftIndex, BodyPart.LeftHand),
        new(BodyTopology.LeftWrist, BodyTopology.LeftThumb, BodyPart.LeftHand),
        new(BodyTopology.RightShoulder, BodyTopology.RightElbow, BodyPart.RightUpperArm),
        new(BodyTopology.RightElbow, BodyTopology.RightWrist, BodyPart.RightForearm),
        new(BodyTopology.RightWrist, BodyTopology.RightPinky, BodyPart.RightHand),
        new(BodyTopology.RightWrist, BodyTopology.RightIndex, BodyPart.RightHand),
        new(BodyTopology.RightWrist, BodyTopology.RightThumb, BodyPart.RightHand),
        new(BodyTopology.LeftHip, BodyTopology.LeftKnee, BodyPart.LeftThigh),
        new(BodyTopology.LeftKnee, BodyTopology.LeftAnkle, BodyPart.LeftShin),
        new(BodyTopology.LeftAnkle, BodyTopology.LeftHeel, BodyPart.LeftFoot),
        new(BodyTopology.LeftAnkle, BodyTopology.LeftFootIndex, BodyPart.LeftFoot),
        new(BodyTopology.RightHip, BodyTopology.RightKnee, BodyPart.RightThigh),
        new(BodyTopology.RightKnee, BodyTopology.RightAnkle, BodyPart.RightShin),
        new(BodyTopology.RightAnkle, BodyTopology.RightHeel, BodyPart.RightFoot),
        new(BodyTopology.RightAnkle, BodyTopology.RightFootIndex, BodyPart.RightFoot),
    ];

    /// <summary>The 8 limb bones the body agreement is measured on: upper and lower arms and legs, (from, to).</summary>
    public static IReadOnlyList<(int From, int To)> LimbBones { get; } =
    [
        (BodyTopology.LeftShoulder, BodyTopology.LeftElbow),
        (BodyTopology.LeftElbow, BodyTopology.LeftWrist),
        (BodyTopology.RightShoulder, BodyTopology.RightElbow),
        (BodyTopology.RightElbow, BodyTopology.RightWrist),
        (BodyTopology.LeftHip, BodyTopology.LeftKnee),
        (BodyTopology.LeftKnee, BodyTopology.LeftAnkle),
        (BodyTopology.RightHip, BodyTopology.RightKnee),
        (BodyTopology.RightKnee, BodyTopology.RightAnkle),
    ];

    /// <summary>Names of <see cref="LimbBones"/>, in order, for tables.</summary>
    public static IReadOnlyList<string> LimbNames { get; } =
        ["left upper arm", "left forearm", "right upper arm", "right forearm", "left thigh", "left shin", "right thigh", "right shin"];

    /// <summary>
    /// Each part's segment in joint indices (a virtual end is <see cref="FromRoot"/>, <see cref="FromNeck"/>
    /// or <see cref="HeadCentre"/>; a hand or a foot ends between its two tip points, <see cref="Tip"/>).
    /// </summary>
    public static (int From, int To) Segment(BodyPart part) => part switch
    {
        BodyPart.Torso => (FromRoot, FromNeck),
        BodyPart.Head => (FromNeck, HeadCentre),
        BodyPart.LeftUpperArm => (BodyTopology.LeftShoulder, BodyTopology.LeftElbow),
        BodyPart.LeftForearm => (BodyTopology.LeftElbow, BodyTopology.LeftWrist),
        BodyPart.LeftHand => (BodyTopology.LeftWrist, Tip),
        BodyPart.RightUpperArm => (BodyTopology.RightShoulder, BodyTopology.RightElbow),
        BodyPart.RightForearm => (BodyTopology.RightElbow, BodyTopology.RightWrist),
        BodyPart.RightHand => (BodyTopology.RightWrist, Tip),
        BodyPart.LeftThigh => (BodyTopology.LeftHip, BodyTopology.LeftKnee),
        BodyPart.LeftShin => (BodyTopology.LeftKnee, BodyTopology.LeftAnkle),
        BodyPart.LeftFoot => (BodyTopology.LeftAnkle, Tip),
        BodyPart.RightThigh => (BodyTopology.RightHip, BodyTopology.RightKnee),
        BodyPart.RightShin => (BodyTopology.RightKnee, BodyTopology.RightAnkle),
        BodyPart.RightFoot => (BodyTopology.RightAnkle, Tip),
        _ => throw new ArgumentOutOfRangeException(nameof(part)),
    };

    /// <summary>A segment end at the head's centre (between the ears).</summary>
    public const int HeadCentre = -3;

    /// <summary>A segment end between a hand's or foot's tip points (index and pinky; toe and heel).</summary>
    public const int Tip = -4;

    /// <summary>The part a part is attached to (the torso for the head and the limbs' roots; null for the torso).</summary>
    public static BodyPart? Parent(BodyPart part) => part switch
    {
        BodyPart.Torso => null,
        BodyPart.Head or BodyPart.LeftUpperArm or BodyPart.RightUpperArm or BodyPart.LeftThigh or BodyPart.RightThigh => BodyPart.Torso,
        BodyPart.LeftForearm => BodyPart.LeftUpperArm,
        BodyPart.LeftHand => BodyPart.LeftForearm,
        BodyPart.RightForearm => BodyPart.RightUpperArm,
        BodyPart.RightHand => BodyPart.RightForearm,
        BodyPart.LeftShin => BodyPart.LeftThigh,
        BodyPart.LeftFoot => BodyPart.LeftShin,
        BodyPart.RightShin => BodyPart.RightThigh,
        BodyPart.RightFoot => BodyPart.RightShin,
        _ => throw new ArgumentOutOfRangeException(nameof(part)),
    };

    /// <summary>Parts that meet at a joint (a part and its parent), so their mesh is one piece there; other parts that touch in the picture are cut apart.</summary>
    public static bool Adjacent(BodyPart a, BodyPart b) => a == b || Parent(a) == b || Parent(b) == a;

    /// <summary>The number of <see cref="BodyPart"/>s.</summary>
    public const int PartCount = 14;

    private static IEnumerable<Bone> HeadBones()
    {
        for (int i = 0; i < BodyTopology.HeadPointCount; i++)
        {
            yield return new Bone(FromNeck, i, BodyPart.Head);
        }
    }
}

/// <summary>The rigid parts of a body, each bound to one bone of <see cref="BodySkeleton"/>.</summary>
public enum BodyPart
{
    Torso,
    Head,
    LeftUpperArm,
    LeftForearm,
    LeftHand,
    RightUpperArm,
    RightForearm,
    RightHand,
    LeftThigh,
    LeftShin,
    LeftFoot,
    RightThigh,
    RightShin,
    RightFoot,
}
