using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Media.Figures;

/// <summary>
/// What is known to be figure in a picture: its joints in MediaPipe pose's 33-point order (<see cref="BodyTopology"/>,
/// picture pixels) with known flags, and the face's outline points where a face was found. GrabCut grows the figure
/// from these (<see cref="GrabCutFigure"/>); the cut-out's checks ask that a mask covers them.
/// </summary>
/// <param name="Joints">33 points, picture pixels; meaningful where <paramref name="Known"/>.</param>
/// <param name="Known">33 flags.</param>
/// <param name="Face">The face's points (any number, e.g. the 468 mesh points), picture pixels; null without a face.</param>
public sealed record FigureSeeds(IReadOnlyList<Vector2> Joints, IReadOnlyList<bool> Known, IReadOnlyList<Vector2>? Face)
{
    /// <summary>The limb and torso bones the seeds draw (pose indices), children after parents.</summary>
    internal static IReadOnlyList<(int From, int To)> Bones { get; } =
    [
        (BodyTopology.LeftShoulder, BodyTopology.LeftElbow), (BodyTopology.LeftElbow, BodyTopology.LeftWrist),
        (BodyTopology.RightShoulder, BodyTopology.RightElbow), (BodyTopology.RightElbow, BodyTopology.RightWrist),
        (BodyTopology.LeftWrist, BodyTopology.LeftIndex), (BodyTopology.RightWrist, BodyTopology.RightIndex),
        (BodyTopology.LeftHip, BodyTopology.LeftKnee), (BodyTopology.LeftKnee, BodyTopology.LeftAnkle),
        (BodyTopology.RightHip, BodyTopology.RightKnee), (BodyTopology.RightKnee, BodyTopology.RightAnkle),
        (BodyTopology.LeftAnkle, BodyTopology.LeftFootIndex), (BodyTopology.RightAnkle, BodyTopology.RightFootIndex),
    ];

    public bool Has(int index) => index < Known.Count && Known[index];

    /// <summary>True when the legs are in the picture: both hips and a knee or an ankle (a full-body figure).</summary>
    public bool FullBody =>
        Has(BodyTopology.LeftHip) && Has(BodyTopology.RightHip)
        && (Has(BodyTopology.LeftKnee) || Has(BodyTopology.RightKnee) || Has(BodyTopology.LeftAnkle) || Has(BodyTopology.RightAnkle));

    /// <summary>True when there is anything to seed from.</summary>
    public bool IsEmpty => Face is not { Count: > 2 } && !Known.Any(k => k);
}
