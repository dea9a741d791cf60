namespace Capture.Core.Tracking;

/// <summary>
/// MediaPipe's 21 hand landmarks by name, its drawing connections, and the five fingers as joint chains.
/// The one place hand indices are named: tracking (the next frame's box), the overlay, the VMC and BVH
/// finger bones read them here.
/// </summary>
public static class HandTopology
{
    public const int Wrist = 0;
    public const int ThumbCmc = 1;
    public const int ThumbMcp = 2;
    public const int ThumbIp = 3;
    public const int ThumbTip = 4;
    public const int IndexMcp = 5;
    public const int IndexPip = 6;
    public const int IndexDip = 7;
    public const int IndexTip = 8;
    public const int MiddleMcp = 9;
    public const int MiddlePip = 10;
    public const int MiddleDip = 11;
    public const int MiddleTip = 12;
    public const int RingMcp = 13;
    public const int RingPip = 14;
    public const int RingDip = 15;
    public const int RingTip = 16;
    public const int PinkyMcp = 17;
    public const int PinkyPip = 18;
    public const int PinkyDip = 19;
    public const int PinkyTip = 20;

    /// <summary>Fingers, thumb first, named as the Unity humanoid names them (the little finger is the pinky).</summary>
    public static IReadOnlyList<string> FingerNames { get; } = ["Thumb", "Index", "Middle", "Ring", "Little"];

    /// <summary>Segments a finger: a humanoid rig's proximal, intermediate and distal bones.</summary>
    public const int SegmentsPerFinger = 3;

    /// <summary>The humanoid names of a finger's three bones, in chain order.</summary>
    public static IReadOnlyList<string> SegmentNames { get; } = ["Proximal", "Intermediate", "Distal"];

    /// <summary>
    /// Finger <paramref name="finger"/> (0 thumb … 4 little) as its 4 points from the knuckle to the tip: bone k
    /// runs from point k to point k + 1 (the thumb starts at its CMC joint).
    /// </summary>
    public static ReadOnlySpan<int> Finger(int finger) => s_fingers.AsSpan(finger * 4, 4);

    private static readonly int[] s_fingers =
    [
        ThumbCmc, ThumbMcp, ThumbIp, ThumbTip,
        IndexMcp, IndexPip, IndexDip, IndexTip,
        MiddleMcp, MiddlePip, MiddleDip, MiddleTip,
        RingMcp, RingPip, RingDip, RingTip,
        PinkyMcp, PinkyPip, PinkyDip, PinkyTip,
    ];

    /// <summary>MediaPipe's HAND_CONNECTIONS as (from, to) pairs, flattened: the palm, then each finger.</summary>
    public static ReadOnlySpan<int> Connections =>
    [
        Wrist, ThumbCmc, Wrist, IndexMcp, IndexMcp, MiddleMcp, MiddleMcp, RingMcp, RingMcp, PinkyMcp, Wrist, PinkyMcp,
        ThumbCmc, ThumbMcp, ThumbMcp, ThumbIp, ThumbIp, ThumbTip,
        IndexMcp, IndexPip, IndexPip, IndexDip, IndexDip, IndexTip,
        MiddleMcp, MiddlePip, MiddlePip, MiddleDip, MiddleDip, MiddleTip,
        RingMcp, RingPip, RingPip, RingDip, RingDip, RingTip,
        PinkyMcp, PinkyPip, PinkyPip, PinkyDip, PinkyDip, PinkyTip,
    ];
}
