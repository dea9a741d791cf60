using System.Numerics;
using Capture.Core.Tracking;
using Capture.Tracking.Detection;
using Capture.Tracking.Geometry;

namespace Capture.Tracking.Hands;

/// <summary>
/// Where the hand-landmark model looks, as MediaPipe's graphs place it (all in pixels; rects are square in
/// pixels): from a palm detection (Hands), from the previous frame's landmarks (Hands and Holistic), from
/// the pose's wrist, index and pinky points and the re-crop model (Holistic), and Holistic's rule for
/// keeping the previous frame's rect.
/// </summary>
internal static class HandRegions
{
    /// <summary>Points of the hand whose box gives the next frame's rect: the palm and the fingers' first joints, not the tips (MediaPipe: steadier).</summary>
    private static ReadOnlySpan<int> PalmPoints =>
    [
        HandTopology.Wrist, HandTopology.ThumbCmc, HandTopology.ThumbMcp, HandTopology.ThumbIp,
        HandTopology.IndexMcp, HandTopology.IndexPip, HandTopology.MiddleMcp, HandTopology.MiddlePip,
        HandTopology.RingMcp, HandTopology.RingPip, HandTopology.PinkyMcp, HandTopology.PinkyPip,
    ];

    /// <summary>
    /// PalmDetectionDetectionToRoi: the palm box turned so its wrist keypoint (0) → middle-finger keypoint (2)
    /// points up, moved half a box toward the fingers, squared on the long side and ×2.6 (the palm box is
    /// about half the hand; the model was trained on crops that size).
    /// </summary>
    public static RotatedRect FromPalm(in RawDetection palm, in RotatedRect letterbox)
    {
        Vector2 topLeft = letterbox.ToImage(palm.XMin, palm.YMin);
        Vector2 bottomRight = letterbox.ToImage(palm.XMax, palm.YMax);
        Vector2 wrist = letterbox.ToImage(palm.Keypoints[0].X, palm.Keypoints[0].Y);
        Vector2 middle = letterbox.ToImage(palm.Keypoints[2].X, palm.Keypoints[2].Y);
        Vector2 centre = (topLeft + bottomRight) / 2;
        Vector2 extent = bottomRight - topLeft;
        float rotation = RotatedRect.RotationFrom(wrist, middle, MathF.PI / 2);
        return new RotatedRect(centre.X, centre.Y, extent.X, extent.Y, rotation).Shifted(0, -0.5f).SquareLongScaled(2.6f);
    }

    /// <summary>
    /// HandLandmarksToRect + RectTransformation (×2, 0.1 toward the fingers): the palm points' box in the
    /// hand's own frame, turned so the wrist → knuckles direction (the mean of the middle knuckle and the
    /// index–ring knuckles' midpoint) points up. <paramref name="pixels"/> holds 21 × (x, y, z) in pixels.
    /// </summary>
    public static RotatedRect FromLandmarks(ReadOnlySpan<float> pixels)
    {
        static Vector2 Point(ReadOnlySpan<float> p, int i) => new(p[3 * i], p[(3 * i) + 1]);
        Vector2 wrist = Point(pixels, HandTopology.Wrist);
        Vector2 knuckles = (((Point(pixels, HandTopology.IndexMcp) + Point(pixels, HandTopology.RingMcp)) / 2) + Point(pixels, HandTopology.MiddleMcp)) / 2;
        float rotation = RotatedRect.RotationFrom(wrist, knuckles, MathF.PI / 2);

        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        foreach (int i in PalmPoints)
        {
            Vector2 p = Point(pixels, i);
            minX = MathF.Min(minX, p.X);
            maxX = MathF.Max(maxX, p.X);
            minY = MathF.Min(minY, p.Y);
            maxY = MathF.Max(maxY, p.Y);
        }

        // The box again in the hand's frame (turned back by the rotation about the axis-aligned centre).
        var axisCentre = new Vector2((minX + maxX) / 2, (minY + maxY) / 2);
        (float sin, float cos) = MathF.SinCos(rotation);
        float minU = float.MaxValue, minV = float.MaxValue, maxU = float.MinValue, maxV = float.MinValue;
        foreach (int i in PalmPoints)
        {
            Vector2 d = Point(pixels, i) - axisCentre;
            float u = (d.X * cos) + (d.Y * sin);
            float v = (-d.X * sin) + (d.Y * cos);
            minU = MathF.Min(minU, u);
            maxU = MathF.Max(maxU, u);
            minV = MathF.Min(minV, v);
            maxV = MathF.Max(maxV, v);
        }

        float cu = (minU + maxU) / 2;
        float cv = (minV + maxV) / 2;
        var centre = new Vector2(axisCentre.X + (cu * cos) - (cv * sin), axisCentre.Y + (cu * sin) + (cv * cos));
        return new RotatedRect(centre.X, centre.Y, maxU - minU, maxV - minV, rotation).Shifted(0, -0.1f).SquareLongScaled(2f);
    }

    /// <summary>
    /// Holistic's HandLandmarksFromPoseToRecropRoi: the middle knuckle estimated as (2·index + pinky) / 3 from the
    /// pose's hand points, a square of twice its distance from the wrist centred on it and turned so wrist →
    /// knuckle points up, moved 0.1 toward the fingers and ×2.7: the region the re-crop model searches.
    /// </summary>
    public static RotatedRect FromPose(Vector2 wrist, Vector2 pinky, Vector2 index)
    {
        Vector2 middle = ((2 * index) + pinky) / 3;
        float side = 2 * Vector2.Distance(middle, wrist);
        float rotation = RotatedRect.RotationFrom(wrist, middle, MathF.PI / 2);
        return new RotatedRect(middle.X, middle.Y, side, side, rotation).Shifted(0, -0.1f).SquareLongScaled(2.7f);
    }

    /// <summary>
    /// Holistic's re-crop rect from the re-crop model's two points: centred on the first, side twice their
    /// distance, turned so first → second points down (target −90°), moved 0.1 toward the fingers.
    /// </summary>
    public static RotatedRect FromRecrop(Vector2 centre, Vector2 scale)
    {
        float side = 2 * Vector2.Distance(centre, scale);
        float rotation = RotatedRect.RotationFrom(centre, scale, -MathF.PI / 2);
        return new RotatedRect(centre.X, centre.Y, side, side, rotation).Shifted(0, -0.1f).SquareLongScaled(1f);
    }

    /// <summary>
    /// Holistic's RoiTrackingCalculator (hand options): keep the previous frame's landmark rect instead of this
    /// frame's re-crop rect when, along the re-crop rect's axes, the two differ by at most 40° of rotation, 0.2
    /// of the re-crop side in position and 0.4 in size, and every previous landmark lies inside the re-crop rect
    /// shrunk by 10 %. (These are the limits of the augmentation the hand model was trained with.)
    /// </summary>
    public static bool KeepsTracking(in RotatedRect previous, in RotatedRect recrop, ReadOnlySpan<float> previousPixels)
    {
        const float MaxRotationDegrees = 40f;
        const float MaxTranslation = 0.2f;
        const float MaxScale = 0.4f;
        const float Margin = -0.1f;
        float turn = MathF.Abs(RotatedRect.NormalizeRadians(previous.Rotation - recrop.Rotation)) * (180f / MathF.PI);
        if (turn > MaxRotationDegrees)
        {
            return false;
        }

        Vector2 shift = recrop.FromImage(previous.CenterX, previous.CenterY) - new Vector2(0.5f);
        if (MathF.Abs(shift.X) > MaxTranslation || MathF.Abs(shift.Y) > MaxTranslation
            || MathF.Abs(previous.Width - recrop.Width) > MaxScale * recrop.Width
            || MathF.Abs(previous.Height - recrop.Height) > MaxScale * recrop.Height)
        {
            return false;
        }

        float half = 0.5f * (1 + Margin);
        for (int i = 0; i < previousPixels.Length; i += 3)
        {
            Vector2 uv = recrop.FromImage(previousPixels[i], previousPixels[i + 1]) - new Vector2(0.5f);
            if (!(MathF.Abs(uv.X) < half && MathF.Abs(uv.Y) < half))
            {
                return false;
            }
        }

        return true;
    }
}
