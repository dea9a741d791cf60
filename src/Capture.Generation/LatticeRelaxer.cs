namespace Capture.Generation;

/// <summary>
/// Unfolds a backward map's lattice where sampling it folds: each cell whose smallest corner
/// determinant (<see cref="FoldOverCheck.CellDeterminant(ReadOnlySpan{float}, int, int, int, int)"/>)
/// is at or under a floor has its corners moved halfway toward the mean of their four lattice
/// neighbours, repeated (the region grows while cells still fold). The lattice's outer nodes stay.
/// With part labels per node (the body's lattice), only cells one part drew are tested and a node is
/// pulled only toward neighbours of its own part, so a seam between two parts is left as drawn.
/// Owns its buffers (one lattice size); allocation-free per call.
/// </summary>
public sealed class LatticeRelaxer
{
    private readonly int _width;
    private readonly int _height;
    private readonly bool[] _marked;
    private readonly float[] _previous;

    /// <param name="width">Lattice columns.</param>
    /// <param name="height">Lattice rows.</param>
    public LatticeRelaxer(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 2);
        _width = width;
        _height = height;
        _marked = new bool[width * height];
        _previous = new float[2 * width * height];
    }

    /// <summary>
    /// Relaxes <paramref name="map"/> ([2, W·H], all x then all y) until no cell's corner determinant
    /// is at or under <paramref name="floor"/>, at most <paramref name="maxIterations"/> times; returns
    /// the iterations run (0 when nothing folded). <paramref name="parts"/>: empty, or a label per node
    /// (255 = not drawn): see the class remarks.
    /// </summary>
    public int Relax(Span<float> map, float floor, int maxIterations, ReadOnlySpan<byte> parts = default)
    {
        int w = _width;
        int gg = w * _height;
        if (map.Length != 2 * gg || (!parts.IsEmpty && parts.Length != gg))
        {
            throw new ArgumentException($"expected a [2, {w}x{_height}] map and labels");
        }

        bool labelled = !parts.IsEmpty;

        // Cells to test: all at first; after a round, only cells with a corner that round moved (a cell's determinant
        // depends on its four corners alone), so a fold at an elbow costs its neighbourhood, not the whole lattice, a round.
        int cx0 = 0, cx1 = w - 2, cy0 = 0, cy1 = _height - 2;
        for (int it = 0; it < maxIterations; it++)
        {
            Array.Clear(_marked);
            bool any = false;
            int nx0 = int.MaxValue, nx1 = -1, ny0 = int.MaxValue, ny1 = -1;
            for (int gy = cy0; gy <= cy1; gy++)
            {
                for (int gx = cx0; gx <= cx1; gx++)
                {
                    int i = (gy * w) + gx;
                    if (labelled && (parts[i] == 255 || parts[i + 1] != parts[i] || parts[i + w] != parts[i] || parts[i + w + 1] != parts[i]))
                    {
                        continue;
                    }

                    if (FoldOverCheck.CellDeterminant(map, w, _height, gx, gy) <= floor)
                    {
                        _marked[i] = _marked[i + 1] = _marked[i + w] = _marked[i + w + 1] = true;
                        any = true;
                        nx0 = Math.Min(nx0, gx);
                        nx1 = Math.Max(nx1, gx + 1);
                        ny0 = Math.Min(ny0, gy);
                        ny1 = Math.Max(ny1, gy + 1);
                    }
                }
            }

            if (!any)
            {
                return it;
            }

            // The marked nodes read their four neighbours: the rows from one above to one below them, in both planes.
            int rowFrom = Math.Max(0, ny0 - 1) * w, rowCount = (Math.Min(_height - 1, ny1 + 1) * w) + w - rowFrom;
            map.Slice(rowFrom, rowCount).CopyTo(_previous.AsSpan(rowFrom, rowCount));
            map.Slice(gg + rowFrom, rowCount).CopyTo(_previous.AsSpan(gg + rowFrom, rowCount));
            for (int gy = Math.Max(1, ny0); gy <= Math.Min(_height - 2, ny1); gy++)
            {
                for (int gx = Math.Max(1, nx0); gx <= Math.Min(w - 2, nx1); gx++)
                {
                    int i = (gy * w) + gx;
                    if (!_marked[i])
                    {
                        continue;
                    }

                    if (!labelled)
                    {
                        map[i] = (0.5f * _previous[i]) + (0.125f * (_previous[i - 1] + _previous[i + 1] + _previous[i - w] + _previous[i + w]));
                        int j = gg + i;
                        map[j] = (0.5f * _previous[j]) + (0.125f * (_previous[j - 1] + _previous[j + 1] + _previous[j - w] + _previous[j + w]));
                        continue;
                    }

                    float sx = 0, sy = 0;
                    int n = 0;
                    byte own = parts[i];
                    foreach (int k in (ReadOnlySpan<int>)[i - 1, i + 1, i - w, i + w])
                    {
                        if (parts[k] == own)
                        {
                            sx += _previous[k];
                            sy += _previous[gg + k];
                            n++;
                        }
                    }

                    if (n > 0)
                    {
                        map[i] = 0.5f * (_previous[i] + (sx / n));
                        map[gg + i] = 0.5f * (_previous[gg + i] + (sy / n));
                    }
                }
            }

            cx0 = Math.Max(0, nx0 - 1);
            cx1 = Math.Min(w - 2, nx1);
            cy0 = Math.Max(0, ny0 - 1);
            cy1 = Math.Min(_height - 2, ny1);
        }

        return maxIterations;
    }
}
