using System.Numerics;
using Capture.Core.Tracking;
using Capture.Tracking.Geometry;

namespace Capture.Tracking.Face;

/// <summary>
/// Where to look for a face the whole-frame detector cannot see (a small face in a full-body shot), from
/// the pose's head points, as MediaPipe Holistic's face_landmarks_from_pose does: the box around pose points
/// 0–10 (nose, eyes, ears, mouth), turned so the line from the right eye (5) to the left eye (2) is level,
/// squared on its long side and tripled, so the face detector, run on that region alone, sees the face
/// large enough to find it.
/// </summary>
internal static class FaceRegionFromPose
{
    /// <summary>Holistic's face re-crop scale: the head points' box is about the inner face, the detector wants context.</summary>
    public const float Scale = 3f;

    /// <summary>Head boxes smaller than this (pixels) are not searched: a detector crop of it holds no usable face.</summary>
    private const float MinSide = 4f;

    /// <summary>The search region for <paramref name="body"/>'s head in an image of the given size; false without a body.</summary>
    public static bool TryGet(BodyObservation body, int width, int height, out RotatedRect region)
    {
        region = default;
        if (!body.Present)
        {
            return false;
        }

        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        for (int i = 0; i < BodyTopology.HeadPointCount; i++)
        {
            Vector4 p = body.Landmarks[i];
            minX = MathF.Min(minX, p.X * width);
            maxX = MathF.Max(maxX, p.X * width);
            minY = MathF.Min(minY, p.Y * height);
            maxY = MathF.Max(maxY, p.Y * height);
        }

        if (MathF.Max(maxX - minX, maxY - minY) < MinSide)
        {
            return false;
        }

        Vector2 Pixel(int i) => new(body.Landmarks[i].X * width, body.Landmarks[i].Y * height);
        float rotation = RotatedRect.RotationFrom(Pixel(BodyTopology.RightEye), Pixel(BodyTopology.LeftEye), 0);
        region = new RotatedRect((minX + maxX) / 2, (minY + maxY) / 2, maxX - minX, maxY - minY, rotation).SquareLongScaled(Scale);
        return true;
    }
}
