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

        (Vector2 center, Vector2 radius) = FaceMeasures.OvalEllipse(pixelLandmarks);
        float faceHeight = 2 * MathF.Max(radius.X, radius.Y);
        // An opaque picture is never padded (padding shows as mirrored or smeared picture): the crop
        // is at most its short side, even if that cuts into a big face. A picture with alpha is
        // padded with transparency, so the whole face always fits.
        float shortSide = Math.Min(picture.Width, picture.Height);
        float side = picture.HasAlpha
            ? MathF.Min(faceHeight * CropFaceHeights, MathF.Max(shortSide, faceHeight * 1.1f))
            : MathF.Min(faceHeight * CropFaceHeights, shortSide);
        float left = center.X - (side / 2);
        float top = center.Y - (side / 2) - (0.04f * faceHeight);
        left = side <= picture.Width ? Math.Clamp(left, 0, picture.Width - side) : (picture.Width - side) / 2;
        top = side <= picture.Height ? Math.Clamp(top, 0, picture.Height - side) : (picture.Height - side) / 2;

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
