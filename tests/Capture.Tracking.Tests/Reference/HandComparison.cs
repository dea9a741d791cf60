using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Tracking.Tests.Reference;

/// <summary>One of Capture's hands, copied out of a frame (pixels, side, handedness score).</summary>
public sealed record CapturedHand(Handedness Side, Vector2[] Pixels, float HandednessScore)
{
    /// <summary>The hands present in <paramref name="frame"/>, as pixel copies.</summary>
    public static IReadOnlyList<CapturedHand> From(TrackingFrame frame)
    {
        var hands = new List<CapturedHand>(2);
        foreach (HandObservation h in new[] { frame.LeftHand, frame.RightHand })
        {
            if (h.Present)
            {
                hands.Add(new CapturedHand(h.Side, [.. Enumerable.Range(0, TrackingFrame.HandLandmarkCount).Select(i => h.Pixel(i, frame.ImageWidth, frame.ImageHeight))], h.HandednessScore));
            }
        }

        return hands;
    }
}

/// <summary>A MediaPipe hand and the Capture hand matched to it (null: Capture has none there).</summary>
/// <param name="Nme">Mean distance of the 21 points over MediaPipe's wrist → middle-finger knuckle distance (NaN when missed).</param>
public sealed record HandMatch(MediaPipeHand Reference, CapturedHand? Ours, double Nme, float HandSize)
{
    public bool Missed => Ours is null;

    /// <summary>True when Capture files the hand under the side MediaPipe's label gives (swapped for an unmirrored picture).</summary>
    public bool SameSide => Ours is not null && Ours.Side == Reference.PerformerSide;
}

/// <summary>Matches Capture's hands to MediaPipe's and measures how far apart they are (NME by hand size).</summary>
public static class HandComparison
{
    /// <summary>
    /// A Capture hand is the same hand as MediaPipe's when its points lie on average within this many hand sizes
    /// (wrist → middle knuckle) of MediaPipe's: a hand elsewhere in the picture is ≥ 1 away.
    /// </summary>
    public const double SameHandNme = 0.5;

    /// <summary>
    /// Each MediaPipe hand of one picture with Capture's nearest (by NME, each Capture hand used once, the closest
    /// pairs first); a MediaPipe hand with no Capture hand within <see cref="SameHandNme"/> is missed.
    /// </summary>
    public static IReadOnlyList<HandMatch> Match(IReadOnlyList<MediaPipeHand> reference, IReadOnlyList<CapturedHand> ours, int width, int height)
    {
        var pairs = new List<(int R, int O, double Nme)>();
        for (int r = 0; r < reference.Count; r++)
        {
            for (int o = 0; o < ours.Count; o++)
            {
                pairs.Add((r, o, Nme(reference[r], ours[o], width, height)));
            }
        }

        var matched = new HandMatch?[reference.Count];
        var used = new bool[ours.Count];
        foreach ((int r, int o, double nme) in pairs.OrderBy(p => p.Nme))
        {
            if (matched[r] is null && !used[o] && nme <= SameHandNme)
            {
                matched[r] = new HandMatch(reference[r], ours[o], nme, HandSize(reference[r], width, height));
                used[o] = true;
            }
        }

        return [.. reference.Select((h, r) => matched[r] ?? new HandMatch(h, null, double.NaN, HandSize(h, width, height)))];
    }

    /// <summary>MediaPipe's wrist → middle-finger knuckle distance in pixels: the hand size the NME divides by.</summary>
    public static float HandSize(MediaPipeHand hand, int width, int height) =>
        Vector2.Distance(Pixel(hand, HandTopology.Wrist, width, height), Pixel(hand, HandTopology.MiddleMcp, width, height));

    public static double Nme(MediaPipeHand reference, CapturedHand ours, int width, int height)
    {
        double sum = 0;
        for (int i = 0; i < TrackingFrame.HandLandmarkCount; i++)
        {
            sum += Vector2.Distance(ours.Pixels[i], Pixel(reference, i, width, height));
        }

        return sum / TrackingFrame.HandLandmarkCount / HandSize(reference, width, height);
    }

    private static Vector2 Pixel(MediaPipeHand hand, int i, int width, int height) => new(hand.Landmarks[i].X * width, hand.Landmarks[i].Y * height);
}
