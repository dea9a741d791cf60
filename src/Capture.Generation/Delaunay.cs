using System.Numerics;

namespace Capture.Generation;

/// <summary>
/// Delaunay triangulation of a point set (Bowyer–Watson: points inserted one at a time into a
/// triangulation that starts as one super-triangle around them all; the triangles whose
/// circumcircle holds the new point are removed and the hole is fanned from it). Coordinates are
/// computed in double precision. O(n²) for n points (each insertion scans all triangles): a few
/// milliseconds for the ~500 points of a face mesh with its anchors, run once per character.
/// </summary>
public static class Delaunay
{
    /// <summary>
    /// Appends the triangles of <paramref name="points"/> to <paramref name="triangles"/> as index
    /// triples ordered so that <see cref="FoldLimiter.SignedArea"/> is positive (a→b→c turns like x→y).
    /// Points closer than <paramref name="mergeDistance"/> to an earlier point are left out (they get
    /// no triangle); triangles of zero area are not returned.
    /// </summary>
    public static void Triangulate(ReadOnlySpan<Vector2> points, List<(int A, int B, int C)> triangles, float mergeDistance = 1e-6f)
    {
        ArgumentNullException.ThrowIfNull(triangles);
        int n = points.Length;
        if (n < 3)
        {
            return;
        }

        // Coordinates: the points, then the super-triangle's three corners far outside their box.
        var xy = new (double X, double Y)[n + 3];
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity, maxX = double.NegativeInfinity, maxY = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            xy[i] = (points[i].X, points[i].Y);
            minX = Math.Min(minX, points[i].X);
            minY = Math.Min(minY, points[i].Y);
            maxX = Math.Max(maxX, points[i].X);
            maxY = Math.Max(maxY, points[i].Y);
        }

        double span = Math.Max(Math.Max(maxX - minX, maxY - minY), 1e-9);
        double cx = 0.5 * (minX + maxX), cy = 0.5 * (minY + maxY);

        // Far enough that no circumcircle through a super corner and two hull points cuts off a hull point.
        double far = 1e4 * span;
        xy[n] = (cx - far, cy - far);
        xy[n + 1] = (cx + far, cy - far);
        xy[n + 2] = (cx, cy + far);

        var live = new List<Tri> { Tri.Of(xy, n, n + 1, n + 2) };
        var edges = new List<(int A, int B)>();
        double merge2 = (double)mergeDistance * mergeDistance;
        for (int p = 0; p < n; p++)
        {
            (double px, double py) = xy[p];
            bool duplicate = false;
            for (int q = 0; q < p && !duplicate; q++)
            {
                double dx = xy[q].X - px, dy = xy[q].Y - py;
                duplicate = (dx * dx) + (dy * dy) <= merge2;
            }

            if (duplicate)
            {
                continue;
            }

            // The cavity: triangles whose circumcircle holds p; its boundary edges are those not shared.
            edges.Clear();
            for (int t = live.Count - 1; t >= 0; t--)
            {
                Tri tri = live[t];
                double dx = px - tri.Cx, dy = py - tri.Cy;
                if ((dx * dx) + (dy * dy) >= tri.R2)
                {
                    continue;
                }

                ToggleEdge(edges, tri.A, tri.B);
                ToggleEdge(edges, tri.B, tri.C);
                ToggleEdge(edges, tri.C, tri.A);
                live[t] = live[^1];
                live.RemoveAt(live.Count - 1);
            }

            foreach ((int a, int b) in edges)
            {
                live.Add(Tri.Of(xy, a, b, p));
            }
        }

        foreach (Tri t in live)
        {
            if (t.A >= n || t.B >= n || t.C >= n)
            {
                continue;
            }

            double area = Cross(xy, t.A, t.B, t.C);
            if (Math.Abs(area) < 1e-14)
            {
                continue;
            }

            triangles.Add(area > 0 ? (t.A, t.B, t.C) : (t.A, t.C, t.B));
        }
    }

    // An edge seen twice is inside the cavity (shared by two removed triangles): drop it.
    private static void ToggleEdge(List<(int A, int B)> edges, int a, int b)
    {
        for (int i = 0; i < edges.Count; i++)
        {
            (int x, int y) = edges[i];
            if ((x == a && y == b) || (x == b && y == a))
            {
                edges[i] = edges[^1];
                edges.RemoveAt(edges.Count - 1);
                return;
            }
        }

        edges.Add((a, b));
    }

    private static double Cross((double X, double Y)[] p, int a, int b, int c) =>
        ((p[b].X - p[a].X) * (p[c].Y - p[a].Y)) - ((p[b].Y - p[a].Y) * (p[c].X - p[a].X));

    private readonly record struct Tri(int A, int B, int C, double Cx, double Cy, double R2)
    {
        public static Tri Of((double X, double Y)[] p, int a, int b, int c)
        {
            (double ax, double ay) = p[a];
            (double bx, double by) = p[b];
            (double qx, double qy) = p[c];
            double d = 2 * ((ax * (by - qy)) + (bx * (qy - ay)) + (qx * (ay - by)));
            if (Math.Abs(d) < 1e-300)
            {
                // Collinear: in exact arithmetic a cavity's edge is never in line with the new point
                // (the neighbour across it would not hold the point); against rounding, such a sliver
                // holds nothing and is dropped at the end with the other zero-area triangles.
                return new Tri(a, b, c, 0, 0, -1);
            }

            double a2 = (ax * ax) + (ay * ay), b2 = (bx * bx) + (by * by), c2 = (qx * qx) + (qy * qy);
            double cx = ((a2 * (by - qy)) + (b2 * (qy - ay)) + (c2 * (ay - by))) / d;
            double cy = ((a2 * (qx - bx)) + (b2 * (ax - qx)) + (c2 * (bx - ax))) / d;
            double dx = ax - cx, dy = ay - cy;
            return new Tri(a, b, c, cx, cy, (dx * dx) + (dy * dy));
        }
    }
}
