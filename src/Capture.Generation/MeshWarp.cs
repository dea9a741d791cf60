using System.Numerics;

namespace Capture.Generation;

/// <summary>
/// A piecewise-affine backward map on the triangulated control points, written as the G×G lattice
/// of source positions the warp graph samples (<see cref="WarpKind.Mesh"/>). The rest points are
/// triangulated once (<see cref="Delaunay"/>, through <see cref="FoldLimiter"/>); per frame the
/// driven points are limited so no triangle flips (<see cref="Limit"/>), then every lattice node
/// inside a driven triangle reads the picture at the same barycentric place in that triangle's rest
/// shape (<see cref="WriteMap"/>). A map whose triangles all keep their orientation, over a mesh whose
/// outer boundary (the crop's border anchors) stays put, is one-to-one: it cannot fold. Nodes in no
/// triangle keep the identity map. Owns its buffers; allocation-free per frame.
/// </summary>
public sealed class MeshWarp
{
    // Barycentric tolerance: a node on a shared edge is written by both triangles (the same value).
    private const float Edge = 1e-5f;

    private readonly int _count;
    private readonly int _gridSize;
    private readonly FoldLimiter _limiter;
    private readonly Vector2[] _rest;
    private readonly float[] _xs;
    private readonly float[] _ys;
    private readonly Vector2[] _shift;
    private readonly LatticeRelaxer _relaxer;
    private readonly bool[] _pinned;
    private int[] _neighbourStart = [];
    private int[] _neighbours = [];

    /// <param name="count">Control points (rest and driven arrays have this length).</param>
    /// <param name="gridSize">Lattice side G.</param>
    public MeshWarp(int count, int gridSize = WarpGenerator.DefaultGridSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gridSize, 2);
        _count = count;
        _gridSize = gridSize;
        // 32 passes: on ~500 dense points a correction squeezes a neighbour, and 8 passes left triangles
        // at 1-6% of their rest area (some flipped) on a turned face; 32 reach the 15% floor.
        _limiter = new FoldLimiter(count) { Passes = 32 };
        _rest = new Vector2[count];
        _xs = new float[gridSize];
        _ys = new float[gridSize];
        _shift = new Vector2[count];
        _relaxer = new LatticeRelaxer(gridSize, gridSize);
        _pinned = new bool[count];
        SetLattice(new WarpRegion(0, 0, 2, 2), 2);
    }

    /// <summary>The triangulation and the per-frame limiter (its <see cref="FoldLimiter.MinRatio"/> and <see cref="FoldLimiter.Corrected"/> describe the last <see cref="Limit"/>).</summary>
    public FoldLimiter Limiter => _limiter;

    /// <summary>Lattice side G.</summary>
    public int GridSize => _gridSize;

    /// <summary>Triangulates the rest points (normalized coordinates); <paramref name="pinned"/> marks points <see cref="Limit"/> never moves.</summary>
    public void SetRest(ReadOnlySpan<Vector2> rest, ReadOnlySpan<bool> pinned)
    {
        if (rest.Length != _count)
        {
            throw new ArgumentException($"expected {_count} points", nameof(rest));
        }

        rest.CopyTo(_rest);
        pinned.CopyTo(_pinned);
        _limiter.SetRest(rest, pinned);

        // Each point's neighbours along the triangles' edges (each edge is in one or two triangles: duplicates removed).
        var edges = new HashSet<(int, int)>();
        foreach ((int a, int b, int c, _) in _limiter.Triangles)
        {
            edges.Add((Math.Min(a, b), Math.Max(a, b)));
            edges.Add((Math.Min(b, c), Math.Max(b, c)));
            edges.Add((Math.Min(c, a), Math.Max(c, a)));
        }

        var degree = new int[_count + 1];
        foreach ((int a, int b) in edges)
        {
            degree[a]++;
            degree[b]++;
        }

        _neighbourStart = new int[_count + 1];
        for (int i = 0; i < _count; i++)
        {
            _neighbourStart[i + 1] = _neighbourStart[i] + degree[i];
        }

        _neighbours = new int[_neighbourStart[_count]];
        Array.Clear(degree);
        foreach ((int a, int b) in edges)
        {
            _neighbours[_neighbourStart[a] + degree[a]++] = b;
            _neighbours[_neighbourStart[b] + degree[b]++] = a;
        }
    }

    /// <summary>
    /// Smooths the displacements (driven − rest) of the free points over the mesh:
    /// <paramref name="iterations"/> times, each point's displacement becomes the mean of its own and
    /// its neighbours' mean. The mesh's counterpart of a smoother spline fit: neighbouring triangles
    /// then bend less against each other, so the lattice sampled across them folds less.
    /// </summary>
    public void Smooth(Span<Vector2> driven, int iterations)
    {
        if (driven.Length != _count)
        {
            throw new ArgumentException($"expected {_count} points", nameof(driven));
        }

        for (int it = 0; it < iterations; it++)
        {
            for (int i = 0; i < _count; i++)
            {
                _shift[i] = driven[i] - _rest[i];
            }

            for (int i = 0; i < _count; i++)
            {
                int start = _neighbourStart[i], end = _neighbourStart[i + 1];
                if (_pinned[i] || end == start)
                {
                    continue;
                }

                Vector2 sum = Vector2.Zero;
                for (int j = start; j < end; j++)
                {
                    sum += _shift[_neighbours[j]];
                }

                driven[i] = _rest[i] + (0.5f * (_shift[i] + (sum / (end - start))));
            }
        }
    }

    /// <summary>Places the lattice: G×G nodes over <paramref name="region"/> of a <paramref name="size"/>² frame, as the warp graph spans it.</summary>
    public void SetLattice(WarpRegion region, int size)
    {
        for (int i = 0; i < _gridSize; i++)
        {
            _xs[i] = WarpGraph.LatticeX(region, size, _gridSize, i);
            _ys[i] = WarpGraph.LatticeY(region, size, _gridSize, i);
        }
    }

    /// <summary>Moves <paramref name="driven"/> until no triangle is squeezed under the limiter's area ratio (see <see cref="FoldLimiter.Limit"/>).</summary>
    public void Limit(Span<Vector2> driven) => _limiter.Limit(driven);

    /// <summary>
    /// Writes the backward map for <paramref name="driven"/> into <paramref name="map"/>, planar
    /// [2, G²] (all x, then all y, row-major nodes, normalized align-corners coordinates). Triangles
    /// that are flipped or flat when driven are skipped (their nodes keep what another triangle or
    /// the identity wrote): call <see cref="Limit"/> first.
    /// </summary>
    public void WriteMap(ReadOnlySpan<Vector2> driven, Span<float> map)
    {
        int g = _gridSize;
        int gg = g * g;
        if (driven.Length != _count || map.Length != 2 * gg)
        {
            throw new ArgumentException($"expected {_count} points and a [2, {g}²] map");
        }

        for (int gy = 0; gy < g; gy++)
        {
            _xs.CopyTo(map.Slice(gy * g, g));
            map.Slice(gg + (gy * g), g).Fill(_ys[gy]);
        }

        float x0 = _xs[0], y0 = _ys[0];
        float toX = (g - 1) / (_xs[g - 1] - x0);
        float toY = (g - 1) / (_ys[g - 1] - y0);
        foreach ((int ia, int ib, int ic, _) in _limiter.Triangles)
        {
            Vector2 a = driven[ia], b = driven[ib], c = driven[ic];
            Vector2 ab = b - a, ac = c - a;
            float d = Cross(ab, ac);
            if (d <= 0)
            {
                continue;
            }

            // Lattice rows and columns the triangle's box covers.
            Vector2 lo = Vector2.Min(a, Vector2.Min(b, c));
            Vector2 hi = Vector2.Max(a, Vector2.Max(b, c));
            int gx0 = Math.Max(0, (int)MathF.Ceiling(((lo.X - x0) * toX) - Edge));
            int gx1 = Math.Min(g - 1, (int)MathF.Floor(((hi.X - x0) * toX) + Edge));
            int gy0 = Math.Max(0, (int)MathF.Ceiling(((lo.Y - y0) * toY) - Edge));
            int gy1 = Math.Min(g - 1, (int)MathF.Floor(((hi.Y - y0) * toY) + Edge));
            if (gx0 > gx1 || gy0 > gy1)
            {
                continue;
            }

            Vector2 ra = _rest[ia], rb = _rest[ib], rc = _rest[ic];
            float inv = 1 / d;
            for (int gy = gy0; gy <= gy1; gy++)
            {
                float py = _ys[gy] - a.Y;
                for (int gx = gx0; gx <= gx1; gx++)
                {
                    var p = new Vector2(_xs[gx] - a.X, py);
                    float wb = Cross(p, ac) * inv;
                    float wc = Cross(ab, p) * inv;
                    float wa = 1 - wb - wc;
                    if (wa < -Edge || wb < -Edge || wc < -Edge)
                    {
                        continue;
                    }

                    Vector2 source = (wa * ra) + (wb * rb) + (wc * rc);
                    int i = (gy * g) + gx;
                    map[i] = source.X;
                    map[gg + i] = source.Y;
                }
            }
        }
    }

    /// <summary>
    /// Unfolds the lattice where sampling the map folds it: the map is piecewise affine and bends at
    /// every triangle edge, and where several small triangles (an eye, a lip) bend differently inside
    /// one lattice cell, the four corners the graph interpolates between can form a quad that turns
    /// over, though the map itself does not. Each cell whose smallest corner determinant is under
    /// <paramref name="minDeterminant"/> of the identity's has its corners moved halfway toward the
    /// mean of their four lattice neighbours, repeated (the region grows while cells still fold) up
    /// to <paramref name="maxIterations"/> times. The lattice's outer nodes stay. Returns the
    /// iterations run: 0 when nothing folded.
    /// </summary>
    public int RelaxFolds(Span<float> map, float minDeterminant = 0.02f, int maxIterations = 64)
    {
        int g = _gridSize;
        if (map.Length != 2 * g * g)
        {
            throw new ArgumentException($"expected a [2, {g}²] map", nameof(map));
        }

        return _relaxer.Relax(map, minDeterminant * (_xs[1] - _xs[0]) * (_ys[1] - _ys[0]), maxIterations);
    }

    /// <summary>
    /// The map at one point, by a search over all triangles (tests and references; slow): the rest
    /// position at <paramref name="p"/>'s barycentric place in the first driven triangle that holds
    /// it, or <paramref name="p"/> itself outside them all.
    /// </summary>
    public Vector2 Evaluate(ReadOnlySpan<Vector2> driven, Vector2 p)
    {
        foreach ((int ia, int ib, int ic, _) in _limiter.Triangles)
        {
            Vector2 a = driven[ia], ab = driven[ib] - a, ac = driven[ic] - a;
            float d = Cross(ab, ac);
            if (d <= 0)
            {
                continue;
            }

            float wb = Cross(p - a, ac) / d;
            float wc = Cross(ab, p - a) / d;
            float wa = 1 - wb - wc;
            if (wa >= -Edge && wb >= -Edge && wc >= -Edge)
            {
                return (wa * _rest[ia]) + (wb * _rest[ib]) + (wc * _rest[ic]);
            }
        }

        return p;
    }

    private static float Cross(Vector2 a, Vector2 b) => (a.X * b.Y) - (a.Y * b.X);
}
