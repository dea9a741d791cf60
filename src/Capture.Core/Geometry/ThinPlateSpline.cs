using System.Numerics;

namespace Capture.Core.Geometry;

/// <summary>
/// A 2-D thin-plate spline f(p) = a0 + a1·x + a2·y + Σ wᵢ·φ(|p − cᵢ|²) with φ(r²) = r²·ln r², fitted so
/// that f(cᵢ) = vᵢ (exactly when <see cref="Regularization"/> is 0). One instance owns all its working
/// memory for a fixed number of centres, so <see cref="Solve"/> can run every frame without allocating.
/// </summary>
/// <remarks>
/// The generator graph evaluates the same kernel (<see cref="Kernel"/>), so the weights this class
/// produces are fed to it unchanged. The system is (K+3)² and solved by LU with partial pivoting:
/// for the ~120 control points of a face that is well under a millisecond.
/// </remarks>
public sealed class ThinPlateSpline
{
    private readonly int _count;
    private readonly double[] _matrix;
    private readonly double[] _rhs;
    private readonly Vector2[] _centers;
    private readonly float[] _weights;

    public ThinPlateSpline(int centerCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(centerCount, 3);
        _count = centerCount;
        int n = centerCount + 3;
        _matrix = new double[n * n];
        _rhs = new double[n * 2];
        _centers = new Vector2[centerCount];
        _weights = new float[n * 2];
    }

    /// <summary>Number of centres K.</summary>
    public int CenterCount => _count;

    /// <summary>Added to the kernel diagonal: 0 interpolates exactly; larger values smooth (units of φ).</summary>
    public double Regularization { get; set; }

    /// <summary>The centres of the last <see cref="Solve"/>. Owned by this instance; valid until the next solve.</summary>
    public ReadOnlySpan<Vector2> Centers => _centers;

    /// <summary>
    /// K+3 rows of (x, y): first the K kernel weights, then the affine part a0, a1 (×x), a2 (×y).
    /// Owned by this instance; valid until the next <see cref="Solve"/>.
    /// </summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>The radial kernel on a squared distance: r²·ln r² (0 at 0).</summary>
    public static float Kernel(float squaredDistance) =>
        squaredDistance <= 1e-20f ? 0f : squaredDistance * MathF.Log(squaredDistance);

    /// <summary>
    /// Fits the spline mapping each <paramref name="centers"/>[i] to <paramref name="values"/>[i].
    /// Throws <see cref="InvalidOperationException"/> when the system is singular (e.g. all centres on a line).
    /// </summary>
    public void Solve(ReadOnlySpan<Vector2> centers, ReadOnlySpan<Vector2> values)
    {
        if (centers.Length != _count || values.Length != _count)
        {
            throw new ArgumentException($"expected {_count} centres and values, got {centers.Length} and {values.Length}");
        }

        centers.CopyTo(_centers);
        int k = _count;
        int n = k + 3;
        double[] a = _matrix;
        for (int i = 0; i < k; i++)
        {
            for (int j = 0; j < k; j++)
            {
                a[(i * n) + j] = i == j ? Regularization : Kernel(Vector2.DistanceSquared(centers[i], centers[j]));
            }

            a[(i * n) + k] = 1;
            a[(i * n) + k + 1] = centers[i].X;
            a[(i * n) + k + 2] = centers[i].Y;
            a[((k) * n) + i] = 1;
            a[((k + 1) * n) + i] = centers[i].X;
            a[((k + 2) * n) + i] = centers[i].Y;
            _rhs[i * 2] = values[i].X;
            _rhs[(i * 2) + 1] = values[i].Y;
        }

        for (int i = k; i < n; i++)
        {
            for (int j = k; j < n; j++)
            {
                a[(i * n) + j] = 0;
            }

            _rhs[i * 2] = 0;
            _rhs[(i * 2) + 1] = 0;
        }

        Factor(n);
        Substitute(n);
        for (int i = 0; i < n * 2; i++)
        {
            _weights[i] = (float)_rhs[i];
        }
    }

    /// <summary>Evaluates the fitted spline at <paramref name="point"/>.</summary>
    public Vector2 Evaluate(Vector2 point)
    {
        int k = _count;
        float x = _weights[k * 2] + (_weights[(k + 1) * 2] * point.X) + (_weights[(k + 2) * 2] * point.Y);
        float y = _weights[(k * 2) + 1] + (_weights[((k + 1) * 2) + 1] * point.X) + (_weights[((k + 2) * 2) + 1] * point.Y);
        for (int i = 0; i < k; i++)
        {
            float u = Kernel(Vector2.DistanceSquared(point, _centers[i]));
            x += _weights[i * 2] * u;
            y += _weights[(i * 2) + 1] * u;
        }

        return new Vector2(x, y);
    }

    private void Factor(int n)
    {
        double[] a = _matrix;
        for (int col = 0; col < n; col++)
        {
            int best = col;
            double bestAbs = Math.Abs(a[(col * n) + col]);
            for (int r = col + 1; r < n; r++)
            {
                double v = Math.Abs(a[(r * n) + col]);
                if (v > bestAbs)
                {
                    bestAbs = v;
                    best = r;
                }
            }

            if (bestAbs < 1e-12)
            {
                throw new InvalidOperationException("thin-plate spline system is singular: control points are repeated or collinear");
            }

            if (best != col)
            {
                for (int j = 0; j < n; j++)
                {
                    (a[(col * n) + j], a[(best * n) + j]) = (a[(best * n) + j], a[(col * n) + j]);
                }

                (_rhs[col * 2], _rhs[best * 2]) = (_rhs[best * 2], _rhs[col * 2]);
                (_rhs[(col * 2) + 1], _rhs[(best * 2) + 1]) = (_rhs[(best * 2) + 1], _rhs[(col * 2) + 1]);
            }

            double inv = 1.0 / a[(col * n) + col];
            for (int r = col + 1; r < n; r++)
            {
                double f = a[(r * n) + col] * inv;
                if (f == 0)
                {
                    continue;
                }

                a[(r * n) + col] = f;
                EliminateRow(a.AsSpan((r * n) + col + 1, n - col - 1), a.AsSpan((col * n) + col + 1, n - col - 1), f);

                _rhs[r * 2] -= f * _rhs[col * 2];
                _rhs[(r * 2) + 1] -= f * _rhs[(col * 2) + 1];
            }
        }
    }

    // row −= f · pivot, vectorized (the LU's inner loop, ~⅔ of a solve): the same operations per
    // element as the scalar loop (no fused multiply-add), so the same result to the bit.
    private static void EliminateRow(Span<double> row, ReadOnlySpan<double> pivot, double f)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vf = new Vector<double>(f);
            for (; j <= row.Length - Vector<double>.Count; j += Vector<double>.Count)
            {
                (new Vector<double>(row[j..]) - (vf * new Vector<double>(pivot[j..]))).CopyTo(row[j..]);
            }
        }

        for (; j < row.Length; j++)
        {
            row[j] -= f * pivot[j];
        }
    }

        private void Substitute(int n)
    {
        double[] a = _matrix;
        for (int r = n - 1; r >= 0; r--)
        {
            double sx = _rhs[r * 2];
            double sy = _rhs[(r * 2) + 1];
            for (int j = r + 1; j < n; j++)
            {
                sx -= a[(r * n) + j] * _rhs[j * 2];
                sy -= a[(r * n) + j] * _rhs[(j * 2) + 1];
            }

            double d = a[(r * n) + r];
            _rhs[r * 2] = sx / d;
            _rhs[(r * 2) + 1] = sy / d;
        }
    }
}
