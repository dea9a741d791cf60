using System.Numerics;

namespace Capture.Tracking.Geometry;

/// <summary>
/// A region of interest in image pixels: centre, width, height and a clockwise rotation (y points
/// down, so a positive angle turns the rect's x axis toward +y). The same meaning as MediaPipe's
/// <c>NormalizedRect</c>, kept in pixels so square-in-pixels stays square whatever the image's aspect.
/// </summary>
public readonly record struct RotatedRect(float CenterX, float CenterY, float Width, float Height, float Rotation)
{
    /// <summary>
    /// Maps a point given in the rect's own unit square (0..1 across, 0..1 down, before rotation)
    /// to image pixels. This is MediaPipe's landmark projection, done in pixels.
    /// </summary>
    public Vector2 ToImage(float u, float v)
    {
        float a = (u - 0.5f) * Width;
        float b = (v - 0.5f) * Height;
        (float sin, float cos) = MathF.SinCos(Rotation);
        return new Vector2(CenterX + (a * cos) - (b * sin), CenterY + (a * sin) + (b * cos));
    }

    /// <summary>The inverse of <see cref="ToImage"/>: image pixels to the rect's unit square.</summary>
    public Vector2 FromImage(float x, float y)
    {
        float dx = x - CenterX;
        float dy = y - CenterY;
        (float sin, float cos) = MathF.SinCos(Rotation);
        float a = (dx * cos) + (dy * sin);
        float b = (-dx * sin) + (dy * cos);
        return new Vector2((a / Width) + 0.5f, (b / Height) + 0.5f);
    }

    /// <summary>The square, unrotated rect that letterboxes a whole image of the given size (MediaPipe's keep-aspect-ratio input).</summary>
    public static RotatedRect Letterbox(int imageWidth, int imageHeight)
    {
        float side = Math.Max(imageWidth, imageHeight);
        return new RotatedRect(imageWidth / 2f, imageHeight / 2f, side, side, 0);
    }

    /// <summary>
    /// MediaPipe's rect rotation from two keypoints (DetectionsToRects / AlignmentPointsRects):
    /// <c>target - atan2(-(y1 - y0), x1 - x0)</c>, normalized to [-π, π).
    /// </summary>
    public static float RotationFrom(Vector2 start, Vector2 end, float targetRadians)
    {
        float angle = targetRadians - MathF.Atan2(-(end.Y - start.Y), end.X - start.X);
        return NormalizeRadians(angle);
    }

    public static float NormalizeRadians(float angle) =>
        angle - (2 * MathF.PI * MathF.Floor((angle + MathF.PI) / (2 * MathF.PI)));

    /// <summary>
    /// MediaPipe's RectTransformation with <c>square_long</c>: the long side (in pixels) becomes both
    /// sides, then both are multiplied by <paramref name="scale"/>. A shift, where a graph has one, comes
    /// first (<see cref="Shifted"/>), as in MediaPipe.
    /// </summary>
    public RotatedRect SquareLongScaled(float scale)
    {
        float side = Math.Max(Width, Height) * scale;
        return this with { Width = side, Height = side };
    }

    /// <summary>
    /// MediaPipe's RectTransformation shift: the centre moves by <paramref name="shiftX"/> widths and
    /// <paramref name="shiftY"/> heights along the rect's own (rotated) axes.
    /// </summary>
    public RotatedRect Shifted(float shiftX, float shiftY)
    {
        (float sin, float cos) = MathF.SinCos(Rotation);
        float a = shiftX * Width;
        float b = shiftY * Height;
        return this with { CenterX = CenterX + (a * cos) - (b * sin), CenterY = CenterY + (a * sin) + (b * cos) };
    }

    /// <summary>
    /// Intersection over union of the two rects' unrotated boxes (centre and size, rotation ignored), as
    /// MediaPipe's AssociationNormRectCalculator compares regions.
    /// </summary>
    public float UnrotatedIou(in RotatedRect other)
    {
        float ix = MathF.Min(CenterX + (Width / 2), other.CenterX + (other.Width / 2)) - MathF.Max(CenterX - (Width / 2), other.CenterX - (other.Width / 2));
        float iy = MathF.Min(CenterY + (Height / 2), other.CenterY + (other.Height / 2)) - MathF.Max(CenterY - (Height / 2), other.CenterY - (other.Height / 2));
        if (ix <= 0 || iy <= 0)
        {
            return 0;
        }

        float inter = ix * iy;
        float union = (Width * Height) + (other.Width * other.Height) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
