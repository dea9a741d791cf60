using System.Numerics;

namespace Capture.Generation;

/// <summary>
/// Keeps a warp's control points from crossing each other. At rest the control points are
/// triangulated (<see cref="Delaunay"/>: every triangle's circumcircle holds no other point); per frame, each
/// triangle whose driven signed area falls below <see cref="MinAreaRatio"/> of its rest area (a lid
/// pushed through the other lid, a lip corner through the cheek, the far side of a turned face
/// sliding over the nose) has its free corners' displacements pulled toward the triangle's mean
/// displacement, just far enough (bisection), for a few passes over all triangles. Points marked
/// pinned (anchors) are never moved. A spline through control points whose triangles all keep their
/// orientation no longer folds where the points are dense (measured with <see cref="FoldOverCheck"/>,
/// docs/generator.md). Allocation-free per frame.
/// </summary>
public sealed class FoldLimiter
{
    private readonly int _count;
    private readonly List<(int A, int B, int C)> _scratch = [];
    private (int A, int B, int C, float Area)[] _triangles = [];
    private readonly bool[] _pinned;
    private readonly Vector2[] _rest;

    // Normalized units: 1e-9 is about 1e-4 px² in a 512² crop.
    private const float MinRestArea = 1e-9f;

    public FoldLimiter(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 3);
        _count = count;
        _pinned = new bool[count];
        _rest = new Vector2[count];
    }

    /// <summary>Smallest driven/rest area ratio a triangle may keep (it keeps its orientation).</summary>
    public float MinAreaRatio { get; set; } = 0.15f;

    /// <summary>Passes over all triangles per frame.</summary>
    public int Passes { get; set; } = 4;

    /// <summary>Triangles of the rest triangulation (tests).</summary>
    public int TriangleCount => _triangles.Length;

    /// <summary>Smallest driven/rest area ratio of any triangle after the last <see cref="Limit"/>.</summary>
    public float MinRatio { get; private set; } = 1;

    /// <summary>Largest driven/rest area ratio of any triangle after the last <see cref="Limit"/>.</summary>
    public float MaxRatio { get; private set; } = 1;

    /// <summary>Triangles corrected in the last <see cref="Limit"/>, counted once per pass.</summary>
    public int Corrected { get; private set; }

    /// <summary>Triangulates the rest points; <paramref name="pinned"/> (same length) marks points never moved.</summary>
    public void SetRest(ReadOnlySpan<Vector2> rest, ReadOnlySpan<bool> pinned)
    {
        if (rest.Length != _count || pinned.Length != _count)
        {
            throw new ArgumentException($"expected {_count} points and flags");
        }

        rest.CopyTo(_rest);
        pinned.CopyTo(_pinned);
        _scratch.Clear();
        Delaunay.Triangulate(rest, _scratch);
        // Slivers (a closed mouth's inner lips nearly on each other) are left out below a rest area
        // no float ratio can follow; they cover no lattice node a frame could see.
        var kept = new List<(int, int, int, float)>(_scratch.Count);
        foreach ((int a, int b, int c) in _scratch)
        {
            float area = SignedArea(rest[a], rest[b], rest[c]);
            if (area > MinRestArea)
            {
                kept.Add((a, b, c, area));
            }
        }

        _triangles = [.. kept];
    }

    /// <summary>
    /// Takes <paramref name="triangles"/> (corner indices, counter-clockwise in x→y at rest) as the rest
    /// triangulation instead of triangulating the points (a mesh that is cut apart between parts, which
    /// a Delaunay triangulation would join); slivers under the minimum rest area are left out.
    /// </summary>
    public void SetRest(ReadOnlySpan<Vector2> rest, ReadOnlySpan<bool> pinned, ReadOnlySpan<int> triangles)
    {
        if (rest.Length != _count || pinned.Length != _count || triangles.Length % 3 != 0)
        {
            throw new ArgumentException($"expected {_count} points and flags, and corner triples");
        }

        rest.CopyTo(_rest);
        pinned.CopyTo(_pinned);
        var kept = new List<(int, int, int, float)>(triangles.Length / 3);
        for (int t = 0; t < triangles.Length; t += 3)
        {
            int a = triangles[t], b = triangles[t + 1], c = triangles[t + 2];
            float area = SignedArea(rest[a], rest[b], rest[c]);
            if (area > MinRestArea)
            {
                kept.Add((a, b, c, area));
            }
        }

        _triangles = [.. kept];
    }

    /// <summary>The rest triangulation: corner indices (counter-clockwise in x→y) and rest area. Valid until the next <see cref="SetRest"/>.</summary>
    public ReadOnlySpan<(int A, int B, int C, float Area)> Triangles => _triangles;

    /// <summary>Moves <paramref name="driven"/> (same order as the rest points) until no triangle folds.</summary>
    public void Limit(Span<Vector2> driven)
    {
        if (driven.Length != _count)
        {
            throw new ArgumentException($"expected {_count} points", nameof(driven));
        }

        int corrected = 0;
        float min = float.PositiveInfinity, max = 0;
        for (int pass = 0; pass < Passes; pass++)
        {
            int before = corrected;
            min = float.PositiveInfinity;
            max = 0;
            foreach ((int a, int b, int c, float area) in _triangles)
            {
                float floor = MinAreaRatio * area;
                float now = SignedArea(driven[a], driven[b], driven[c]);
                min = MathF.Min(min, now / area);
                max = MathF.Max(max, now / area);
                if (now >= floor)
                {
                    continue;
                }

                corrected++;
                Vector2 da = driven[a] - _rest[a];
                Vector2 db = driven[b] - _rest[b];
                Vector2 dc = driven[c] - _rest[c];
                Vector2 mean = (da + db + dc) / 3;
                float lo = 0, hi = 1;
                if (SignedArea(At(a, da, mean, 0), At(b, db, mean, 0), At(c, dc, mean, 0)) < floor)
                {
                    hi = 0;
                }
                else
                {
                    for (int it = 0; it < 8; it++)
                    {
                        float t = 0.5f * (lo + hi);
                        if (SignedArea(At(a, da, mean, t), At(b, db, mean, t), At(c, dc, mean, t)) >= floor)
                        {
                            lo = t;
                        }
                        else
                        {
                            hi = t;
                        }
                    }

                    hi = lo;
                }

                driven[a] = At(a, da, mean, hi);
                driven[b] = At(b, db, mean, hi);
                driven[c] = At(c, dc, mean, hi);
            }

            if (corrected == before)
            {
                break;
            }
        }

        Corrected = corrected;
        MinRatio = min;
        MaxRatio = max;
    }

    private Vector2 At(int i, Vector2 d, Vector2 mean, float t) =>
        _pinned[i] ? _rest[i] + d : _rest[i] + mean + (t * (d - mean));

    /// <summary>The signed area of triangle (a, b, c), positive when a→b→c turns like x→y.</summary>
    public static float SignedArea(Vector2 a, Vector2 b, Vector2 c) =>
        0.5f * (((b.X - a.X) * (c.Y - a.Y)) - ((b.Y - a.Y) * (c.X - a.X)));
}
