using System.Numerics;
using Capture.Core.Frames;
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
/// Coordinates are the frame's pixels; the buffers cover only the generator's <see cref="WarpRegion"/>
/// (the animation mask's box, row-major inside it), so nothing is painted full size and copied in.
/// </summary>
public sealed class LayerPainter
{
    private const int MaxRects = 3;

    private readonly int _width;
    private readonly int _height;
    private readonly int _plane;
    private WarpRegion _region;
    private int _area;
    private int _channels = 4;
    private float _colourScale = 1;
    private readonly Vector2[] _polygon = new Vector2[32];
    private readonly Vector2[] _upper = new Vector2[11];
    private readonly Vector2[] _lower = new Vector2[11];
    private readonly Vector2[] _sourceUpper = new Vector2[11];
    private readonly Vector2[] _sourceLower = new Vector2[11];
    private readonly Vector2[] _sourceOuter = new Vector2[20];
    private readonly Vector2[] _sourceInner = new Vector2[20];
    private Vector3 _lipMean = new(0.5f, 0.3f, 0.3f);
    private Vector3 _lipSpread = new(0.1f);

    /// <summary>The character's own inner-lip gap at rest, in mouth widths (0 for a closed mouth; see <see cref="SetCharacterLips"/>).</summary>
    private float _restOpening;
    private readonly (int X0, int Y0, int X1, int Y1)[] _painted = new (int, int, int, int)[MaxRects];
    private int _paintedCount;
    private float[] _mask = [];
    private float[] _still = [];

    /// <summary>A painter for a square <paramref name="size"/>² frame (a face crop).</summary>
    public LayerPainter(int size)
        : this(size, size)
    {
    }

    /// <summary>
    /// A painter for a <paramref name="width"/>×<paramref name="height"/> frame. Face points are in
    /// frame units: pixel = point × (width − 1) on both axes (a square frame's crop coordinates).
    /// </summary>
    public LayerPainter(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 2);
        _width = width;
        _height = height;
        _plane = width * height;
        FaceSide = width;
    }

    /// <summary>The face crop's side in frame pixels (the frame's width for a face crop; smaller for a face riding on a full body): sets the lid edge's feather.</summary>
    public float FaceSide { get; set; }

    /// <summary>
    /// Sets the per-character base over <paramref name="region"/> (W×H pixels, A = W·H):
    /// <paramref name="mask"/> (A) and <paramref name="still"/> (planar, <paramref name="channels"/>·A:
    /// what <c>add</c> is where nothing is painted); both are kept by reference and must not change
    /// while painting. Layer colours are multiplied by <paramref name="colourScale"/> (255 when the
    /// graph works in byte levels). Resets <paramref name="keep"/> and <paramref name="add"/> to them.
    /// </summary>
    public void SetBase(WarpRegion region, int channels, float colourScale, float[] mask, float[] still, Span<float> keep, Span<float> add)
    {
        if (region.Left < 0 || region.Top < 0 || region.Left + region.Width > _width || region.Top + region.Height > _height)
        {
            throw new ArgumentOutOfRangeException(nameof(region), $"region {region} lies outside the {_width}x{_height} frame");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, 4);
        _region = region;
        _area = region.Width * region.Height;
        _channels = channels;
        _colourScale = colourScale;
        _mask = mask;
        _still = still;
        mask.AsSpan(0, _area).CopyTo(keep);
        still.AsSpan(0, _area * channels).CopyTo(add);
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
        PaintMouth(face.Points, mouthColor, teethColor, keep, add, PerformerMouth(face) ? face : null);
        PaintLid(face.Points, FaceTopology.RightEye, face.BlinkRight, lidColor, keep, add);
        PaintLid(face.Points, FaceTopology.LeftEye, face.BlinkLeft, lidColor, keep, add);
    }

    /// <summary>
    /// The union of the rectangles the last <see cref="Paint"/> wrote (inclusive pixel bounds in the
    /// painter's frame); null when nothing was painted: keep and add are then at their base everywhere.
    /// </summary>
    public (int X0, int Y0, int X1, int Y1)? PaintedBounds()
    {
        if (_paintedCount == 0)
        {
            return null;
        }

        (int x0, int y0, int x1, int y1) = _painted[0];
        for (int r = 1; r < _paintedCount; r++)
        {
            x0 = Math.Min(x0, _painted[r].X0);
            y0 = Math.Min(y0, _painted[r].Y0);
            x1 = Math.Max(x1, _painted[r].X1);
            y1 = Math.Max(y1, _painted[r].Y1);
        }

        return (x0, y0, x1, y1);
    }

    private void Restore((int X0, int Y0, int X1, int Y1) r, Span<float> keep, Span<float> add)
    {
        int width = r.X1 - r.X0 + 1;
        for (int y = r.Y0; y <= r.Y1; y++)
        {
            int o = ((y - _region.Top) * _region.Width) + r.X0 - _region.Left;
            _mask.AsSpan(o, width).CopyTo(keep.Slice(o, width));
            for (int c = 0; c < _channels; c++)
            {
                _still.AsSpan((c * _area) + o, width).CopyTo(add.Slice((c * _area) + o, width));
            }
        }
    }

    private void PaintMouth(Vector2[] p, Vector4 mouthColor, Vector4 teethColor, Span<float> keep, Span<float> add, DrivenFace? source)
    {
        ReadOnlySpan<int> ring = FaceTopology.LipsInner;
        float scale = _width - 1;
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

        // The picture's own mouth at rest paints nothing: the warp shows it as drawn (a painted open mouth, or a
        // closed one whose rig points sit a little apart). The interior fades in as the lips part past that rest
        // opening: over the first two pixels for a closed mouth, by the time an open one has doubled.
        float gap = Vector2.Distance(p[FaceTopology.UpperLipInner], p[FaceTopology.LowerLipInner]) * scale;
        float rest = _restOpening * mouthWidth;
        float fade = Math.Clamp((gap - rest - 0.5f) / MathF.Max(1.5f, rest), 0, 1);
        if (fade <= 0)
        {
            return;
        }

        // The performer's mouth: lips parted in their own frame, mapped lip-to-lip (fraction along
        // the mouth from corner to corner, fraction between the inner lips) and colour-matched.
        MouthColourMatch match = default;
        if (source is not null)
        {
            (Vector3 mean, Vector3 spread) = SourceLipStats(source);
            match = new MouthColourMatch(mean, spread, _lipMean, _lipSpread);
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
                    : SampleSource(source.PerformerFrame!, q, top, bottom, match, mouthColor.W) * inside;
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

        float scale = _width - 1;
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
        float feather = MathF.Max(1f, FaceSide / 256f);
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

    /// <summary>
    /// The character's lip colour (per channel mean and spread over the lips, between the outer and
    /// inner contours of <paramref name="neutral"/>, frame units), from its crop <paramref name="image"/> (planar
    /// RGBA W·H·4): what the performer's mouth interior is matched to; and the inner lips' gap at rest, which
    /// the mouth interior is painted beyond.
    /// </summary>
    public void SetCharacterLips(ReadOnlySpan<float> image, ReadOnlySpan<Vector3> neutral)
    {
        float scale = _width - 1;
        float restWidth = Vector2.Distance(XY(neutral[FaceTopology.MouthRight]), XY(neutral[FaceTopology.MouthLeft]));
        _restOpening = restWidth > 0 ? Vector2.Distance(XY(neutral[FaceTopology.UpperLipInner]), XY(neutral[FaceTopology.LowerLipInner])) / restWidth : 0;
        Span<Vector2> outer = stackalloc Vector2[20];
        Span<Vector2> inner = stackalloc Vector2[20];
        for (int i = 0; i < 20; i++)
        {
            Vector3 o = neutral[FaceTopology.LipsOuter[i]];
            Vector3 n = neutral[FaceTopology.LipsInner[i]];
            outer[i] = new Vector2(o.X, o.Y) * scale;
            inner[i] = new Vector2(n.X, n.Y) * scale;
        }

        Vector3 sum = Vector3.Zero, sum2 = Vector3.Zero;
        int count = 0;
        (Vector2 min, Vector2 max) = Bounds(outer);
        for (int y = Math.Max(0, (int)min.Y); y <= Math.Min(_height - 1, (int)max.Y + 1); y++)
        {
            for (int x = Math.Max(0, (int)min.X); x <= Math.Min(_width - 1, (int)max.X + 1); x++)
            {
                var q = new Vector2(x, y);
                if (!Inside(outer, q) || Inside(inner, q))
                {
                    continue;
                }

                int i = (y * _width) + x;
                var c = new Vector3(image[i], image[_plane + i], image[(2 * _plane) + i]);
                sum += c;
                sum2 += c * c;
                count++;
            }
        }

        if (count < 4)
        {
            _lipMean = new Vector3(0.5f, 0.3f, 0.3f);
            _lipSpread = new Vector3(0.1f);
            return;
        }

        _lipMean = sum / count;
        _lipSpread = Vector3.SquareRoot(Vector3.Max(Vector3.Zero, (sum2 / count) - (_lipMean * _lipMean)));
    }

    private static Vector2 XY(Vector3 p) => new(p.X, p.Y);

    // The performer's mouth can be used: their frame is given, their face was found in it, and
    // their lips are parted by at least 2 px in it.
    private bool PerformerMouth(DrivenFace face)
    {
        if (face.PerformerFrame is not { } frame || !face.PerformerMouthVisible)
        {
            return false;
        }

        Vector2[] p = face.PerformerPoints;
        float gap = Vector2.Distance(p[FaceTopology.UpperLipInner], p[FaceTopology.LowerLipInner]);
        float width = Vector2.Distance(p[FaceTopology.MouthRight], p[FaceTopology.MouthLeft]);
        if (gap < 2 || width < 8)
        {
            return false;
        }

        ReadOnlySpan<int> outer = FaceTopology.LipsOuter;
        ReadOnlySpan<int> inner = FaceTopology.LipsInner;
        for (int i = 0; i < 20; i++)
        {
            _sourceOuter[i] = p[outer[i]];
            _sourceInner[i] = p[inner[i]];
            Vector2 q = p[inner[i]];
            if (q.X < 0 || q.Y < 0 || q.X > frame.Width - 1 || q.Y > frame.Height - 1)
            {
                return false;
            }
        }

        for (int i = 0; i <= 10; i++)
        {
            _sourceLower[i] = _sourceInner[i];
            _sourceUpper[i] = _sourceInner[(20 - i) % 20];
        }

        return true;
    }

    // Mean and spread of the performer's lip colour in their frame (0..1), on at most ~1500 samples.
    private (Vector3 Mean, Vector3 Spread) SourceLipStats(DrivenFace source)
    {
        VideoFrame frame = source.PerformerFrame!;
        ReadOnlySpan<byte> px = frame.ReadOnlyPixels;
        (Vector2 min, Vector2 max) = Bounds(_sourceOuter);
        int x0 = Math.Max(0, (int)min.X), x1 = Math.Min(frame.Width - 1, (int)max.X + 1);
        int y0 = Math.Max(0, (int)min.Y), y1 = Math.Min(frame.Height - 1, (int)max.Y + 1);
        int step = Math.Max(1, (int)MathF.Sqrt((x1 - x0 + 1) * (y1 - y0 + 1) / 1500f));
        Vector3 sum = Vector3.Zero, sum2 = Vector3.Zero;
        int count = 0;
        for (int y = y0; y <= y1; y += step)
        {
            for (int x = x0; x <= x1; x += step)
            {
                var q = new Vector2(x, y);
                if (!Inside(_sourceOuter, q) || Inside(_sourceInner, q))
                {
                    continue;
                }

                int o = (y * frame.Stride) + (x * 3);
                var c = new Vector3(px[o], px[o + 1], px[o + 2]) / 255f;
                sum += c;
                sum2 += c * c;
                count++;
            }
        }

        if (count < 4)
        {
            return (_lipMean, _lipSpread);
        }

        Vector3 mean = sum / count;
        return (mean, Vector3.SquareRoot(Vector3.Max(Vector3.Zero, (sum2 / count) - (mean * mean))));
    }

    // The performer's pixel for driven mouth pixel q: the same fraction along the mouth (corner to
    // corner) and between the inner lips, bilinear in their frame, colour-matched, alpha as given.
    private Vector4 SampleSource(VideoFrame frame, Vector2 q, float top, float bottom, in MouthColourMatch match, float alpha)
    {
        float left = _upper[0].X, right = _upper[10].X;
        float u = Math.Clamp((q.X - left) / MathF.Max(right - left, 1e-3f), 0, 1);
        float v = Math.Clamp((q.Y - top) / MathF.Max(bottom - top, 1e-3f), 0, 1);
        float sl = _sourceUpper[0].X, sr = _sourceUpper[10].X;
        float xs = sl + (u * (sr - sl));
        float ts = Interpolate(_sourceUpper, xs);
        float bs = Interpolate(_sourceLower, xs);
        float ys = ts + (v * (bs - ts));
        float fx = Math.Clamp(xs, 0, frame.Width - 1.001f);
        float fy = Math.Clamp(ys, 0, frame.Height - 1.001f);
        int x0 = (int)fx, y0 = (int)fy;
        float tx = fx - x0, ty = fy - y0;
        ReadOnlySpan<byte> px = frame.ReadOnlyPixels;
        int o = (y0 * frame.Stride) + (x0 * 3);
        int below = frame.Stride;
        Vector3 c = default;
        for (int ch = 0; ch < 3; ch++)
        {
            float a = px[o + ch] + ((px[o + 3 + ch] - px[o + ch]) * tx);
            float b = px[o + below + ch] + ((px[o + below + 3 + ch] - px[o + below + ch]) * tx);
            c[ch] = (a + ((b - a) * ty)) / 255f;
        }

        return new Vector4(match.Apply(c), alpha);
    }

    private static (Vector2 Min, Vector2 Max) Bounds(ReadOnlySpan<Vector2> poly)
    {
        var min = new Vector2(float.MaxValue);
        var max = new Vector2(float.MinValue);
        foreach (Vector2 q in poly)
        {
            min = Vector2.Min(min, q);
            max = Vector2.Max(max, q);
        }

        return (min, max);
    }

    // (x, y) in frame pixels, inside the region (TryBounds clips the rectangles to it).
    private void Write(int x, int y, float cover, Vector4 colour, Span<float> keep, Span<float> add)
    {
        int i = ((y - _region.Top) * _region.Width) + x - _region.Left;
        float m = _mask[i];
        float ms = m * _colourScale;
        keep[i] = m * (1 - cover);
        add[i] = _still[i] + (ms * colour.X);
        add[_area + i] = _still[_area + i] + (ms * colour.Y);
        add[(2 * _area) + i] = _still[(2 * _area) + i] + (ms * colour.Z);
        if (_channels == 4)
        {
            add[(3 * _area) + i] = _still[(3 * _area) + i] + (ms * colour.W);
        }
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

        // Clipped to the region: outside it the mask is 0, so nothing painted there would show.
        int x0 = Math.Max((int)MathF.Floor(min.X) - margin, _region.Left);
        int y0 = Math.Max((int)MathF.Floor(min.Y) - margin, _region.Top);
        int x1 = Math.Min((int)MathF.Ceiling(max.X) + margin, _region.Left + _region.Width - 1);
        int y1 = Math.Min((int)MathF.Ceiling(max.Y) + margin, _region.Top + _region.Height - 1);
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
