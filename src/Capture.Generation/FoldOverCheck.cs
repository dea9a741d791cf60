using System.Numerics;
using Capture.Core.Geometry;
using Capture.Core.Tracking;

namespace Capture.Generation;

/// <summary>
/// Finds where a backward map folds over: the map the warp graph samples is a G×G lattice of source
/// positions over the rendered region (the spline evaluated there, or the mesh warp's lattice)
/// interpolated bilinearly between lattice nodes, so in
/// each lattice cell its Jacobian determinant is affine in each coordinate and its sign is decided
/// by the four corners (the cross product of the cell's two edges at each corner). A cell with a
/// non-positive corner determinant mirrors or tears the picture. Only cells whose centre lies inside
/// a polygon (the driven face outline) and outside another (the driven inner lips, which the painted
/// mouth interior covers) count. Owns its lattice buffer (spline maps); allocation-free per call.
/// </summary>
public sealed class FoldOverCheck
{
    private readonly int _gridSize;
    private readonly float[] _map;

    public FoldOverCheck(int gridSize = WarpGenerator.DefaultGridSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gridSize, 2);
        _gridSize = gridSize;
        _map = new float[2 * gridSize * gridSize];
    }

    /// <summary>The most negative (or smallest) corner determinant of the last <see cref="Count"/>, relative to the identity map's.</summary>
    public float MinDeterminant { get; private set; }

    /// <summary>Centre (normalized output coordinates) of the cell with <see cref="MinDeterminant"/>.</summary>
    public Vector2 WorstCell { get; private set; }

    /// <summary>
    /// Counts the folded lattice cells of <paramref name="spline"/> (a backward map in normalized
    /// align-corners coordinates) over <paramref name="region"/> of a <paramref name="size"/>² frame.
    /// Only the lattice nodes around <paramref name="inside"/> are evaluated.
    /// </summary>
    /// <param name="inside">Polygon (normalized coordinates) a cell's centre must lie in to count.</param>
    /// <param name="outside">Polygon a cell's centre must not lie in (may be empty).</param>
    public int Count(ThinPlateSpline spline, WarpRegion region, int size, ReadOnlySpan<Vector2> inside, ReadOnlySpan<Vector2> outside)
    {
        ArgumentNullException.ThrowIfNull(spline);
        int g = _gridSize;
        int gg = g * g;
        (int x0, int x1, int y0, int y1) = Window(region, size, inside);
        for (int gy = y0; gy <= y1; gy++)
        {
            for (int gx = x0; gx <= x1; gx++)
            {
                Vector2 p = spline.Evaluate(Node(region, size, gx, gy));
                _map[(gy * g) + gx] = p.X;
                _map[gg + (gy * g) + gx] = p.Y;
            }
        }

        return CountCells(_map, region, size, x0, x1, y0, y1, inside, outside);
    }

    /// <summary>
    /// Counts the folded lattice cells of a backward map given as its G×G lattice of source
    /// positions, planar [2, G²] (all x, then all y; row-major nodes, normalized align-corners
    /// coordinates: what the mesh warp feeds the graph), over <paramref name="region"/> of a
    /// <paramref name="size"/>² frame.
    /// </summary>
    /// <inheritdoc cref="Count(ThinPlateSpline, WarpRegion, int, ReadOnlySpan{Vector2}, ReadOnlySpan{Vector2})"/>
    public int Count(ReadOnlySpan<float> map, WarpRegion region, int size, ReadOnlySpan<Vector2> inside, ReadOnlySpan<Vector2> outside)
    {
        if (map.Length != 2 * _gridSize * _gridSize)
        {
            throw new ArgumentException($"expected a [2, {_gridSize}²] lattice, got {map.Length} values", nameof(map));
        }

        (int x0, int x1, int y0, int y1) = Window(region, size, inside);
        return CountCells(map, region, size, x0, x1, y0, y1, inside, outside);
    }

    // Only the lattice cells around the polygon can count.
    private (int X0, int X1, int Y0, int Y1) Window(WarpRegion region, int size, ReadOnlySpan<Vector2> inside)
    {
        Vector2 lo = new(float.PositiveInfinity), hi = new(float.NegativeInfinity);
        foreach (Vector2 p in inside)
        {
            lo = Vector2.Min(lo, p);
            hi = Vector2.Max(hi, p);
        }

        (int x0, int x1) = Cells(lo.X, hi.X, region.Left, region.Width, size);
        (int y0, int y1) = Cells(lo.Y, hi.Y, region.Top, region.Height, size);
        return (x0, x1, y0, y1);
    }

    private int CountCells(ReadOnlySpan<float> map, WarpRegion region, int size, int x0, int x1, int y0, int y1, ReadOnlySpan<Vector2> inside, ReadOnlySpan<Vector2> outside)
    {
        int g = _gridSize;
        int gg = g * g;
        Vector2 step = Node(region, size, 1, 1) - Node(region, size, 0, 0);
        float identity = step.X * step.Y;
        float min = float.PositiveInfinity;
        int folded = 0;
        for (int gy = y0; gy < y1; gy++)
        {
            for (int gx = x0; gx < x1; gx++)
            {
                Vector2 centre = (Node(region, size, gx, gy) + Node(region, size, gx + 1, gy + 1)) * 0.5f;
                if (!Contains(inside, centre) || (outside.Length >= 3 && Contains(outside, centre)))
                {
                    continue;
                }

                float d = CellDeterminant(map, g, gx, gy) / identity;
                if (d < min)
                {
                    min = d;
                    WorstCell = centre;
                }

                if (d <= 0)
                {
                    folded++;
                }
            }
        }

        MinDeterminant = float.IsPositiveInfinity(min) ? 1 : min;
        return folded;
    }

    /// <summary>Even-odd test of <paramref name="p"/> against a closed polygon.</summary>
    public static bool Contains(ReadOnlySpan<Vector2> polygon, Vector2 p)
    {
        bool inside = false;
        for (int i = 0, j = polygon.Length - 1; i < polygon.Length; j = i++)
        {
            Vector2 a = polygon[i];
            Vector2 b = polygon[j];
            if ((a.Y > p.Y) != (b.Y > p.Y) && p.X < a.X + ((p.Y - a.Y) * (b.X - a.X) / (b.Y - a.Y)))
            {
                inside = !inside;
            }
        }

        return inside;
    }

    /// <summary>The driven face outline and inner lips as polygons in normalized coordinates, from crop-space points.</summary>
    public static void WriteFacePolygons(ReadOnlySpan<Vector2> points, Span<Vector2> outline, Span<Vector2> innerLips)
    {
        ReadOnlySpan<int> oval = FaceTopology.FaceOval;
        for (int i = 0; i < oval.Length; i++)
        {
            outline[i] = (2 * points[oval[i]]) - Vector2.One;
        }

        ReadOnlySpan<int> lips = FaceTopology.LipsInner;
        for (int i = 0; i < lips.Length; i++)
        {
            innerLips[i] = (2 * points[lips[i]]) - Vector2.One;
        }
    }

    // Lattice indices [first, last] whose cells cover normalized [lo, hi] along one axis.
    private (int First, int Last) Cells(float lo, float hi, int start, int length, int size)
    {
        float scale = (_gridSize - 1) / (float)(length - 1);
        float a = ((((lo + 1) * 0.5f * (size - 1)) - start) * scale) - 1;
        float b = ((((hi + 1) * 0.5f * (size - 1)) - start) * scale) + 1;
        int first = Math.Clamp((int)MathF.Floor(a), 0, _gridSize - 1);
        int last = Math.Clamp((int)MathF.Ceiling(b), 0, _gridSize - 1);
        return (first, Math.Max(first, last));
    }

    private Vector2 Node(WarpRegion r, int size, int gx, int gy) => new(
        -1f + (2f * (r.Left + ((r.Width - 1) * (float)gx / (_gridSize - 1))) / (size - 1)),
        -1f + (2f * (r.Top + ((r.Height - 1) * (float)gy / (_gridSize - 1))) / (size - 1)));

    /// <summary>
    /// The smallest of the four corner determinants (cross products of the cell's edges) of lattice
    /// cell (<paramref name="gx"/>, <paramref name="gy"/>) of a planar [2, G²] map: ≤ 0 where the
    /// bilinearly interpolated map turns over inside the cell.
    /// </summary>
    public static float CellDeterminant(ReadOnlySpan<float> map, int g, int gx, int gy) => CellDeterminant(map, g, g, gx, gy);

    /// <summary>As <see cref="CellDeterminant(ReadOnlySpan{float}, int, int, int)"/> on a lattice of <paramref name="width"/> columns and <paramref name="height"/> rows.</summary>
    public static float CellDeterminant(ReadOnlySpan<float> map, int width, int height, int gx, int gy)
    {
        int gg = width * height;
        int i = (gy * width) + gx;
        Vector2 p00 = new(map[i], map[gg + i]);
        Vector2 p10 = new(map[i + 1], map[gg + i + 1]);
        Vector2 p01 = new(map[i + width], map[gg + i + width]);
        Vector2 p11 = new(map[i + width + 1], map[gg + i + width + 1]);
        return MathF.Min(
            MathF.Min(Cross(p10 - p00, p01 - p00), Cross(p11 - p01, p01 - p00)),
            MathF.Min(Cross(p10 - p00, p11 - p10), Cross(p11 - p01, p11 - p10)));
    }

    private static float Cross(Vector2 a, Vector2 b) => (a.X * b.Y) - (a.Y * b.X);
}
