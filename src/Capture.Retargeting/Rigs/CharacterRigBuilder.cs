using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;

namespace Capture.Retargeting.Rigs;

/// <summary>Makes a <see cref="CharacterRig"/> from a picture and its 468 face points.</summary>
public static class CharacterRigBuilder
{
    /// <summary>Pictures larger than this on a side are halved (box filter) until they fit; detail beyond it is never visible in a 1024² output.</summary>
    public const int MaxWorkingSide = 4096;

    /// <summary>Pictures larger than this on a side are refused before decoding (a 20000² RGBA picture is 1.6 GB).</summary>
    public const int MaxPictureSide = 16384;

    /// <summary>The crop is this many face heights on a side (head, hair and shoulders), smaller when the picture is.</summary>
    public const float CropFaceHeights = 2.2f;

    /// <summary>
    /// Halves <paramref name="picture"/> until it fits <see cref="MaxWorkingSide"/>; returns it and a
    /// message for the user when it was reduced (null otherwise).
    /// </summary>
    public static (RgbaImage Picture, string? Message) FitWorkingSize(RgbaImage picture, string name)
    {
        ArgumentNullException.ThrowIfNull(picture);
        if (picture.Width > MaxPictureSide || picture.Height > MaxPictureSide)
        {
            throw new InvalidDataException(
                $"{name}: {picture.Width}x{picture.Height} is larger than the {MaxPictureSide} px a side Capture accepts for a character; scale it down first.");
        }

        RgbaImage result = picture;
        while (Math.Max(result.Width, result.Height) > MaxWorkingSide)
        {
            result = result.HalfSize();
        }

        return ReferenceEquals(result, picture)
            ? (picture, null)
            : (result, $"{name}: {picture.Width}x{picture.Height} is larger than {MaxWorkingSide} px a side; downscaled to {result.Width}x{result.Height} for rigging.");
    }

    /// <summary>
    /// The one face-crop formula (characters and the performer's side-by-side view): a square of
    /// <see cref="CropFaceHeights"/> face heights around the face oval, raised a little, kept inside
    /// the picture where it fits. Without <paramref name="mayPad"/> the square is at most the short
    /// side, even if that cuts into a big face; with it (transparent or edge-repeated padding) the
    /// whole face always fits. Points in pixels; returns left, top and side in pixels.
    /// </summary>
    public static (float Left, float Top, float Side) FaceSquare(ReadOnlySpan<Vector3> pixelLandmarks, int width, int height, bool mayPad)
    {
        (Vector2 center, Vector2 radius) = FaceMeasures.OvalEllipse(pixelLandmarks);
        float faceHeight = 2 * MathF.Max(radius.X, radius.Y);
        float shortSide = Math.Min(width, height);
        float side = mayPad
            ? MathF.Min(faceHeight * CropFaceHeights, MathF.Max(shortSide, faceHeight * 1.1f))
            : MathF.Min(faceHeight * CropFaceHeights, shortSide);
        float left = center.X - (side / 2);
        float top = center.Y - (side / 2) - (0.04f * faceHeight);
        left = side <= width ? Math.Clamp(left, 0, width - side) : (width - side) / 2;
        top = side <= height ? Math.Clamp(top, 0, height - side) : (height - side) / 2;
        return (left, top, side);
    }

    /// <summary>
    /// Builds a rig from face points in picture pixels (x, y; z in x's pixel scale, smaller = nearer),
    /// and the two iris centres in pixels (right eye first) when the tracker found them.
    /// </summary>
    public static CharacterRig FromLandmarks(string name, RgbaImage picture, ReadOnlySpan<Vector3> pixelLandmarks, string landmarkSource, ReadOnlySpan<Vector2> pixelIrisCenters = default)
    {
        ArgumentNullException.ThrowIfNull(picture);
        if (pixelLandmarks.Length != TrackingFrame.FaceLandmarkCount)
        {
            throw new ArgumentException($"expected {TrackingFrame.FaceLandmarkCount} points, got {pixelLandmarks.Length}", nameof(pixelLandmarks));
        }

        // An opaque picture is never padded (padding shows as mirrored or smeared picture); a picture
        // with alpha is padded with transparency.
        (float left, float top, float side) = FaceSquare(pixelLandmarks, picture.Width, picture.Height, mayPad: picture.HasAlpha);

        var neutral = new Vector3[TrackingFrame.FaceLandmarkCount];
        for (int i = 0; i < neutral.Length; i++)
        {
            Vector3 p = pixelLandmarks[i];
            neutral[i] = new Vector3((p.X - left) / side, (p.Y - top) / side, p.Z / side);
        }

        Vector2[]? iris = null;
        if (pixelIrisCenters.Length == 2)
        {
            iris = [(pixelIrisCenters[0] - new Vector2(left, top)) / side, (pixelIrisCenters[1] - new Vector2(left, top)) / side];
        }

        return new CharacterRig(name, picture, left, top, side, neutral, landmarkSource, iris);
    }
}
