using System.Numerics;
using Capture.Retargeting.Generation;

namespace Capture.Retargeting.Warping;

/// <summary>
/// Finds where a backward map folds over: the map the warp graph samples is the spline evaluated on
/// a G×G lattice over the rendered region and interpolated bilinearly between lattice nodes, so in
/// each lattice cell its Jacobian determinant is affine in each coordinate and its sign is decided
/// by the four corners (the cross product of the cell's two edges at each corner). A cell with a
/// non-positive corner determinant mirrors or tears the picture. Only cells whose centre lies inside
/// a polygon (the driven face outline) and outside another (the driven inner lips, which the painted
/// mouth interior covers) count. Owns its lattice buffer; allocation-free per call.
/// </summary>
public sealed class FoldOverCheck
{
    private readonly int _gridSize;
    private readonly Vector2[] _lattice;

    public FoldOverCheck(int gridSize = WarpGenerator.DefaultGridSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(gridSize, 2);
        _gridSize = gridSize;
        _lattice = new Vector2[gridSize * gridSize];
    }

    /// <summary>The most negative (or smallest) corner determinant of the last <see cref="Count"/>, relative to the identity map's.</summary>
    public float MinDeterminant { get; private set; }

    /// <summary>Centre (normalized output coordinates) of the cell with <see cref="MinDeterminant"/>.</summary>
    public Vector2 WorstCell { get; private set; }

    /// <summary>
    /// Counts the folded lattice cells of <paramref name="spline"/> (a backward map in normalized
    /// align-corners coordinates) over <paramref name="region"/> of a <paramref name="size"/>² frame.
    /// </summary>
    /// <param name="inside">Polygon (normalized coordinates) a cell's centre must lie in to count.</param>
    /// <param name="outside">Polygon a cell's centre must not lie in (may be empty).</param>
    public int Count(ThinPlateSpline spline, WarpRegion region, int size, ReadOnlySpan<Vector2> inside, ReadOnlySpan<Vector2> outside)
    {
        ArgumentNullException.ThrowIfNull(spline);
        int g = _gridSize;
        for (int gy = 0; gy < g; gy++)
        {
            for (int gx = 0; gx < g; gx++)
            {
                _lattice[(gy * g) + gx] = spline.Evaluate(Node(region, size, gx, gy));
            }
        }

        Vector2 step = Node(region, size, 1, 1) - Node(region, size, 0, 0);
        float identity = step.X * step.Y;
        float min = float.PositiveInfinity;
        int folded = 0;
        for (int gy = 0; gy + 1 < g; gy++)
        {
            for (int gx = 0; gx + 1 < g; gx++)
            {
                Vector2 centre = (Node(region, size, gx, gy) + Node(region, size, gx + 1, gy + 1)) * 0.5f;
                if (!Contains(inside, centre) || (outside.Length >= 3 && Contains(outside, centre)))
                {
                    continue;
                }

                Vector2 p00 = _lattice[(gy * g) + gx];
                Vector2 p10 = _lattice[(gy * g) + gx + 1];
                Vector2 p01 = _lattice[((gy + 1) * g) + gx];
                Vector2 p11 = _lattice[((gy + 1) * g) + gx + 1];
                float d = MathF.Min(
                    MathF.Min(Cross(p10 - p00, p01 - p00), Cross(p11 - p01, p01 - p00)),
                    MathF.Min(Cross(p10 - p00, p11 - p10), Cross(p11 - p01, p11 - p10))) / identity;
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

        MinDeterminant = min;
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

    private Vector2 Node(WarpRegion r, int size, int gx, int gy) => new(
        -1f + (2f * (r.Left + ((r.Width - 1) * (float)gx / (_gridSize - 1))) / (size - 1)),
        -1f + (2f * (r.Top + ((r.Height - 1) * (float)gy / (_gridSize - 1))) / (size - 1)));

    private static float Cross(Vector2 a, Vector2 b) => (a.X * b.Y) - (a.Y * b.X);
}
