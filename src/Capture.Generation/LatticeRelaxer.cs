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
        for (int it = 0; it < maxIterations; it++)
        {
            Array.Clear(_marked);
            bool any = false;
            for (int gy = 0; gy < _height - 1; gy++)
            {
                for (int gx = 0; gx < w - 1; gx++)
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
                    }
                }
            }

            if (!any)
            {
                return it;
            }

            map.CopyTo(_previous);
            for (int gy = 1; gy < _height - 1; gy++)
            {
                for (int gx = 1; gx < w - 1; gx++)
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
        }

        return maxIterations;
    }
}
