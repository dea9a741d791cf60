using System.Numerics;

namespace Capture.Retargeting.Generation;

/// <summary>
/// Rasterizes, per frame, where the warp needs help: the mouth opening (inside the driven inner-lip
/// contour), the teeth along its upper and lower edges, and eyelid skin over a closing eye. Writes
/// coverage 0..1 on an L×L lattice (align-corners: lattice point i sits at u = i/(L-1)); the graph
/// upsamples it, which also feathers the edges. Allocation-free after construction.
/// </summary>
public sealed class LayerPainter
{
    private readonly int _size;
    private readonly Vector2[] _polygon = new Vector2[32];
    private readonly Vector2[] _upper = new Vector2[16];
    private readonly Vector2[] _lower = new Vector2[16];

    public LayerPainter(int latticeSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(latticeSize, 2);
        _size = latticeSize;
    }

    public int Size => _size;

    /// <summary>
    /// Paints the three layers (mouth, teeth, lid planes, each L·L floats) for <paramref name="face"/>.
    /// <paramref name="layers"/> is fully overwritten.
    /// </summary>
    public void Paint(DrivenFace face, Span<float> layers)
    {
        int plane = _size * _size;
        layers[..(plane * 3)].Clear();
        Vector2[] p = face.Points;
        PaintMouth(p, layers[..plane], layers.Slice(plane, plane));
        Span<float> lid = layers.Slice(2 * plane, plane);
        PaintLid(p, FaceTopology.RightEye, face.BlinkRight, lid);
        PaintLid(p, FaceTopology.LeftEye, face.BlinkLeft, lid);
    }

    /// <summary>How much lid colour a blink amount paints: none below 0.35 (the warp alone closes a half-blink), full from 0.8.</summary>
    public static float LidCoverage(float blink)
    {
        float t = Math.Clamp((blink - 0.35f) / 0.45f, 0, 1);
        return t * t * (3 - (2 * t));
    }

    private void PaintMouth(Vector2[] p, Span<float> mouth, Span<float> teeth)
    {
        ReadOnlySpan<int> ring = FaceTopology.LipsInner;
        for (int i = 0; i < ring.Length; i++)
        {
            _polygon[i] = p[ring[i]];
        }

        ReadOnlySpan<Vector2> poly = _polygon.AsSpan(0, ring.Length);

        // Upper inner lip runs from the left corner (index 10 of the ring) back to the right (index 0);
        // the lower one from the right corner (0) to the left (10). Both stored left to right in u.
        for (int i = 0; i <= 10; i++)
        {
            _lower[i] = poly[i];
            _upper[i] = poly[(20 - i) % 20];
        }

        float mouthWidth = Vector2.Distance(p[FaceTopology.MouthRight], p[FaceTopology.MouthLeft]);
        (int x0, int y0, int x1, int y1) = Bounds(poly, 1);
        float scale = _size - 1;
        for (int y = y0; y <= y1; y++)
        {
            float v = y / scale;
            for (int x = x0; x <= x1; x++)
            {
                float u = x / scale;
                var q = new Vector2(u, v);
                if (!Inside(poly, q))
                {
                    continue;
                }

                int o = (y * _size) + x;
                mouth[o] = 1;
                float top = Interpolate(_upper.AsSpan(0, 11), u);
                float bottom = Interpolate(_lower.AsSpan(0, 11), u);
                float opening = MathF.Max(0, bottom - top);
                float upperTeeth = MathF.Min(0.4f * opening, 0.09f * mouthWidth);
                float lowerTeeth = MathF.Min(0.15f * opening, 0.04f * mouthWidth);
                if (v - top < upperTeeth || bottom - v < lowerTeeth)
                {
                    teeth[o] = 0.9f;
                }
            }
        }
    }

    private void PaintLid(Vector2[] p, ReadOnlySpan<int> ring, float blink, Span<float> lid)
    {
        float coverage = LidCoverage(blink);
        if (coverage <= 0)
        {
            return;
        }

        Vector2 centroid = Vector2.Zero;
        for (int i = 0; i < ring.Length; i++)
        {
            centroid += p[ring[i]];
        }

        centroid /= ring.Length;

        // Grow the opening by 15% and one lattice step, so the lid also hides the squashed lashes.
        float step = 1f / (_size - 1);
        for (int i = 0; i < ring.Length; i++)
        {
            Vector2 d = p[ring[i]] - centroid;
            float len = d.Length();
            _polygon[i] = centroid + (len > 1e-9f ? d * (1.15f + (step / len)) : Vector2.Zero);
        }

        ReadOnlySpan<Vector2> poly = _polygon.AsSpan(0, ring.Length);
        (int x0, int y0, int x1, int y1) = Bounds(poly, 1);
        float scale = _size - 1;
        for (int y = y0; y <= y1; y++)
        {
            for (int x = x0; x <= x1; x++)
            {
                if (Inside(poly, new Vector2(x / scale, y / scale)))
                {
                    int o = (y * _size) + x;
                    lid[o] = MathF.Max(lid[o], coverage);
                }
            }
        }
    }

    private (int X0, int Y0, int X1, int Y1) Bounds(ReadOnlySpan<Vector2> poly, int margin)
    {
        var min = new Vector2(float.MaxValue);
        var max = new Vector2(float.MinValue);
        foreach (Vector2 q in poly)
        {
            min = Vector2.Min(min, q);
            max = Vector2.Max(max, q);
        }

        float scale = _size - 1;
        int x0 = Math.Clamp((int)MathF.Floor(min.X * scale) - margin, 0, _size - 1);
        int y0 = Math.Clamp((int)MathF.Floor(min.Y * scale) - margin, 0, _size - 1);
        int x1 = Math.Clamp((int)MathF.Ceiling(max.X * scale) + margin, 0, _size - 1);
        int y1 = Math.Clamp((int)MathF.Ceiling(max.Y * scale) + margin, 0, _size - 1);
        if (float.IsNaN(min.X) || float.IsNaN(max.X))
        {
            return (1, 1, 0, 0);
        }

        return (x0, y0, x1, y1);
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

    // y of a polyline (sorted roughly by x) at x; clamps to the ends.
    private static float Interpolate(ReadOnlySpan<Vector2> line, float x)
    {
        Vector2 first = line[0];
        Vector2 last = line[^1];
        bool increasing = last.X >= first.X;
        for (int i = 0; i < line.Length - 1; i++)
        {
            Vector2 a = line[i];
            Vector2 b = line[i + 1];
            float lo = MathF.Min(a.X, b.X);
            float hi = MathF.Max(a.X, b.X);
            if (x >= lo && x <= hi)
            {
                float t = hi - lo < 1e-9f ? 0.5f : (x - a.X) / (b.X - a.X);
                return a.Y + (t * (b.Y - a.Y));
            }
        }

        return (x < first.X) == increasing ? first.Y : last.Y;
    }
}
