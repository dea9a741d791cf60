using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting;

namespace Capture.Generation;

/// <summary>
/// Keeps the generator's two compositing inputs up to date: <c>keep</c> (how much of the warped
/// picture shows) and <c>add</c> (what is added on top). Outside the mouth and eyes they are the
/// animation mask and the still picture × (1 − mask); each frame only the rectangles around the
/// mouth opening and the eyes are restored and repainted: the mouth interior and teeth inside the
/// driven inner-lip contour, and eyelid skin over a closing eye. Edges are anti-aliased by signed
/// distance to the contour. Allocation-free after construction.
/// </summary>
public sealed class LayerPainter
{
    private const int MaxRects = 3;

    private readonly int _size;
    private readonly int _plane;
    private readonly Vector2[] _polygon = new Vector2[32];
    private readonly Vector2[] _upper = new Vector2[11];
    private readonly Vector2[] _lower = new Vector2[11];
    private readonly (int X0, int Y0, int X1, int Y1)[] _painted = new (int, int, int, int)[MaxRects];
    private int _paintedCount;
    private float[] _mask = [];
    private float[] _still = [];

    public LayerPainter(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 2);
        _size = size;
        _plane = size * size;
    }

    /// <summary>
    /// Sets the per-character base: <paramref name="mask"/> (S·S) and <paramref name="still"/>
    /// (planar RGBA, S·S·4, the picture × (1 − mask)); both are kept by reference and must not change
    /// while painting. Resets <paramref name="keep"/> and <paramref name="add"/> to them.
    /// </summary>
    public void SetBase(float[] mask, float[] still, Span<float> keep, Span<float> add)
    {
        _mask = mask;
        _still = still;
        mask.AsSpan(0, _plane).CopyTo(keep);
        still.AsSpan(0, _plane * 4).CopyTo(add);
        _paintedCount = 0;
    }

    /// <summary>How much lid colour a blink amount paints: none below 0.35 (the warp alone closes a half-blink), full from 0.8.</summary>
    public static float LidCoverage(float blink)
    {
        float t = Math.Clamp((blink - 0.35f) / 0.45f, 0, 1);
        return t * t * (3 - (2 * t));
    }

    /// <summary>Repaints the mouth and eye rectangles of <paramref name="keep"/> and <paramref name="add"/> for <paramref name="face"/>.</summary>
    public void Paint(DrivenFace face, Vector4 mouthColor, Vector4 teethColor, Vector4 lidColor, Span<float> keep, Span<float> add)
    {
        for (int r = 0; r < _paintedCount; r++)
        {
            Restore(_painted[r], keep, add);
        }

        _paintedCount = 0;
        PaintMouth(face.Points, mouthColor, teethColor, keep, add, face.MouthSource is { } src && src.Length >= 3 * _plane ? face : null);
        PaintLid(face.Points, FaceTopology.RightEye, face.BlinkRight, lidColor, keep, add);
        PaintLid(face.Points, FaceTopology.LeftEye, face.BlinkLeft, lidColor, keep, add);
    }

    private void Restore((int X0, int Y0, int X1, int Y1) r, Span<float> keep, Span<float> add)
    {
        int width = r.X1 - r.X0 + 1;
        for (int y = r.Y0; y <= r.Y1; y++)
        {
            int o = (y * _size) + r.X0;
            _mask.AsSpan(o, width).CopyTo(keep.Slice(o, width));
            for (int c = 0; c < 4; c++)
            {
                _still.AsSpan((c * _plane) + o, width).CopyTo(add.Slice((c * _plane) + o, width));
            }
        }
    }

    private void PaintMouth(Vector2[] p, Vector4 mouthColor, Vector4 teethColor, Span<float> keep, Span<float> add, DrivenFace? source)
    {
        ReadOnlySpan<int> ring = FaceTopology.LipsInner;
        float scale = _size - 1;
        for (int i = 0; i < ring.Length; i++)
        {
            _polygon[i] = p[ring[i]] * scale;
        }

        ReadOnlySpan<Vector2> poly = _polygon.AsSpan(0, ring.Length);

        // Ring index 0 is the right corner (image left), 10 the left corner: the lower lip is 0..10,
        // the upper lip 20..10; both stored left to right.
        for (int i = 0; i <= 10; i++)
        {
            _lower[i] = poly[i];
            _upper[i] = poly[(20 - i) % 20];
        }

        float mouthWidth = Vector2.Distance(p[FaceTopology.MouthRight], p[FaceTopology.MouthLeft]) * scale;
        if (!TryBounds(poly, 2, out (int X0, int Y0, int X1, int Y1) rect))
        {
            return;
        }

        // A closed mouth paints nothing; the interior fades in over the first two pixels of opening.
        float gap = Vector2.Distance(p[FaceTopology.UpperLipInner], p[FaceTopology.LowerLipInner]) * scale;
        float fade = Math.Clamp((gap - 0.5f) / 1.5f, 0, 1);
        if (fade <= 0)
        {
            return;
        }

        // The performer's inner-lip box maps onto the driven one (per-axis scale and shift).
        Vector2 sourceFrom = Vector2.Zero, sourceScale = Vector2.One, drivenFrom = Vector2.Zero;
        if (source is not null)
        {
            (Vector2 dMin, Vector2 dMax) = Box(p, ring);
            (Vector2 sMin, Vector2 sMax) = Box(source.MouthSourcePoints, ring);
            drivenFrom = dMin * scale;
            sourceFrom = sMin * scale;
            sourceScale = (sMax - sMin) / Vector2.Max(dMax - dMin, new Vector2(1e-6f));
        }

        _painted[_paintedCount++] = rect;
        for (int y = rect.Y0; y <= rect.Y1; y++)
        {
            for (int x = rect.X0; x <= rect.X1; x++)
            {
                var q = new Vector2(x, y);
                float inside = Coverage(poly, q, 1f) * fade;
                if (inside <= 0)
                {
                    continue;
                }

                float top = Interpolate(_upper, x);
                float bottom = Interpolate(_lower, x);
                float opening = MathF.Max(0, bottom - top);
                float upperBand = MathF.Min(0.4f * opening, 0.09f * mouthWidth);
                float lowerBand = MathF.Min(0.15f * opening, 0.04f * mouthWidth);
                float teeth = 0.9f * MathF.Max(Math.Clamp(upperBand - (y - top) + 0.5f, 0, 1), Math.Clamp(lowerBand - (bottom - y) + 0.5f, 0, 1));

                // The cavity darkens away from the lips (shadow), from 1.2× the mouth colour at the
                // lips to 0.55× midway between them.
                float depth = opening > 0 ? 1 - MathF.Abs((2 * (y - top) / opening) - 1) : 0;
                Vector4 cavity = mouthColor * (1.2f - (0.65f * Math.Clamp(depth, 0, 1)));
                cavity.W = mouthColor.W;

                // Sequential paint: mouth over warp, teeth over mouth.
                Vector4 colour = source is null
                    ? (cavity * (inside * (1 - teeth))) + (teethColor * (teeth * inside))
                    : SampleSource(source, q, scale, sourceFrom, sourceScale, drivenFrom) * inside;
                Write(x, y, inside, colour, keep, add);
            }
        }
    }

    private void PaintLid(Vector2[] p, ReadOnlySpan<int> ring, float blink, Vector4 lidColor, Span<float> keep, Span<float> add)
    {
        float coverage = LidCoverage(blink);
        if (coverage <= 0)
        {
            return;
        }

        float scale = _size - 1;
        Vector2 centroid = Vector2.Zero;
        for (int i = 0; i < ring.Length; i++)
        {
            centroid += p[ring[i]];
        }

        centroid = centroid / ring.Length * scale;

        // Grow the opening by 15% and a pixel, so the lid also hides the squashed lashes.
        for (int i = 0; i < ring.Length; i++)
        {
            Vector2 d = (p[ring[i]] * scale) - centroid;
            float len = d.Length();
            _polygon[i] = centroid + (len > 1e-6f ? d * (1.15f + (1f / len)) : Vector2.Zero);
        }

        ReadOnlySpan<Vector2> poly = _polygon.AsSpan(0, ring.Length);
        if (!TryBounds(poly, 3, out (int X0, int Y0, int X1, int Y1) rect))
        {
            return;
        }

        _painted[_paintedCount++] = rect;
        float feather = MathF.Max(1f, _size / 256f);
        for (int y = rect.Y0; y <= rect.Y1; y++)
        {
            for (int x = rect.X0; x <= rect.X1; x++)
            {
                float a = Coverage(poly, new Vector2(x, y), feather) * coverage;
                if (a > 0)
                {
                    Write(x, y, a, lidColor * a, keep, add);
                }
            }
        }
    }

    // keep = mask·(1 − cover); add = still + mask·colour (colour premultiplied by its coverage).
    private static (Vector2 Min, Vector2 Max) Box(Vector2[] p, ReadOnlySpan<int> ring)
    {
        var min = new Vector2(float.MaxValue);
        var max = new Vector2(float.MinValue);
        foreach (int i in ring)
        {
            min = Vector2.Min(min, p[i]);
            max = Vector2.Max(max, p[i]);
        }

        return (min, max);
    }

    // Bilinear sample of the performer's picture at the point matching output pixel q, alpha 1.
    private Vector4 SampleSource(DrivenFace source, Vector2 q, float scale, Vector2 sourceFrom, Vector2 sourceScale, Vector2 drivenFrom)
    {
        float[] img = source.MouthSource!;
        Vector2 s = sourceFrom + ((q - drivenFrom) * sourceScale);
        float fx = Math.Clamp(s.X, 0, scale);
        float fy = Math.Clamp(s.Y, 0, scale);
        int x0 = Math.Min((int)fx, _size - 2);
        int y0 = Math.Min((int)fy, _size - 2);
        float tx = fx - x0;
        float ty = fy - y0;
        int i = (y0 * _size) + x0;
        Vector4 c = new(0, 0, 0, 1);
        for (int ch = 0; ch < 3; ch++)
        {
            int o = (ch * _plane) + i;
            float top = img[o] + ((img[o + 1] - img[o]) * tx);
            float bottom = img[o + _size] + ((img[o + _size + 1] - img[o + _size]) * tx);
            c[ch] = top + ((bottom - top) * ty);
        }

        return c;
    }

    private void Write(int x, int y, float cover, Vector4 colour, Span<float> keep, Span<float> add)
    {
        int i = (y * _size) + x;
        float m = _mask[i];
        keep[i] = m * (1 - cover);
        add[i] = _still[i] + (m * colour.X);
        add[_plane + i] = _still[_plane + i] + (m * colour.Y);
        add[(2 * _plane) + i] = _still[(2 * _plane) + i] + (m * colour.Z);
        add[(3 * _plane) + i] = _still[(3 * _plane) + i] + (m * colour.W);
    }

    private bool TryBounds(ReadOnlySpan<Vector2> poly, int margin, out (int X0, int Y0, int X1, int Y1) rect)
    {
        var min = new Vector2(float.MaxValue);
        var max = new Vector2(float.MinValue);
        foreach (Vector2 q in poly)
        {
            min = Vector2.Min(min, q);
            max = Vector2.Max(max, q);
        }

        rect = default;
        if (!float.IsFinite(min.X) || !float.IsFinite(max.X) || !float.IsFinite(min.Y) || !float.IsFinite(max.Y))
        {
            return false;
        }

        int x0 = Math.Max((int)MathF.Floor(min.X) - margin, 0);
        int y0 = Math.Max((int)MathF.Floor(min.Y) - margin, 0);
        int x1 = Math.Min((int)MathF.Ceiling(max.X) + margin, _size - 1);
        int y1 = Math.Min((int)MathF.Ceiling(max.Y) + margin, _size - 1);
        if (x0 > x1 || y0 > y1 || _paintedCount >= MaxRects)
        {
            return false;
        }

        rect = (x0, y0, x1, y1);
        return true;
    }

    /// <summary>0..1 coverage of a pixel by a polygon, ramped over <paramref name="feather"/> pixels at the edge.</summary>
    private static float Coverage(ReadOnlySpan<Vector2> poly, Vector2 q, float feather)
    {
        float distance = float.MaxValue;
        for (int i = 0, j = poly.Length - 1; i < poly.Length; j = i++)
        {
            distance = MathF.Min(distance, SegmentDistance(q, poly[j], poly[i]));
        }

        float signed = Inside(poly, q) ? distance : -distance;
        return Math.Clamp(0.5f + (signed / feather), 0, 1);
    }

    private static float SegmentDistance(Vector2 q, Vector2 a, Vector2 b)
    {
        Vector2 ab = b - a;
        float len2 = ab.LengthSquared();
        float t = len2 < 1e-12f ? 0 : Math.Clamp(Vector2.Dot(q - a, ab) / len2, 0, 1);
        return Vector2.Distance(q, a + (t * ab));
    }

    /// <summary>Even-odd point-in-polygon test.</summary>
    public static bool Inside(ReadOnlySpan<Vector2> poly, Vector2 q)
    {
        bool inside = false;
        for (int i = 0, j = poly.Length - 1; i < poly.Length; j = i++)
        {
            Vector2 a = poly[i];
            Vector2 b = poly[j];
            if ((a.Y > q.Y) != (b.Y > q.Y) && q.X < ((b.X - a.X) * (q.Y - a.Y) / (b.Y - a.Y)) + a.X)
            {
                inside = !inside;
            }
        }

        return inside;
    }

    // y of a left-to-right polyline at x; clamps to the ends.
    private static float Interpolate(ReadOnlySpan<Vector2> line, float x)
    {
        for (int i = 0; i < line.Length - 1; i++)
        {
            Vector2 a = line[i];
            Vector2 b = line[i + 1];
            float lo = MathF.Min(a.X, b.X);
            float hi = MathF.Max(a.X, b.X);
            if (x >= lo && x <= hi)
            {
                float t = hi - lo < 1e-6f ? 0.5f : (x - a.X) / (b.X - a.X);
                return a.Y + (t * (b.Y - a.Y));
            }
        }

        return x < line[0].X ? line[0].Y : line[^1].Y;
    }
}
