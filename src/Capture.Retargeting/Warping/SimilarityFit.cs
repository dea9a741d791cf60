using System.Numerics;

namespace Capture.Retargeting.Warping;

/// <summary>A similarity transform p ↦ Scale·(Rotation·p) + Translation.</summary>
public readonly record struct Similarity3(float Scale, Quaternion Rotation, Vector3 Translation)
{
    public static Similarity3 Identity { get; } = new(1, Quaternion.Identity, Vector3.Zero);

    public Vector3 Apply(Vector3 p) => (Scale * Vector3.Transform(p, Rotation)) + Translation;

    /// <summary>The inverse map.</summary>
    public Vector3 Invert(Vector3 q) => Vector3.Transform((q - Translation) / Scale, Quaternion.Conjugate(Rotation));
}

/// <summary>
/// Least-squares similarity between two corresponding point sets (Horn's closed form with unit
/// quaternions: the rotation is the top eigenvector of a symmetric 4×4 matrix, found by Jacobi
/// sweeps). Allocation-free.
/// </summary>
public static class SimilarityFit
{
    /// <summary>The similarity that best maps <paramref name="from"/>[idx] onto <paramref name="to"/>[idx] for every idx in <paramref name="indices"/>.</summary>
    public static Similarity3 Fit(ReadOnlySpan<Vector3> from, ReadOnlySpan<Vector3> to, ReadOnlySpan<int> indices)
    {
        int n = indices.Length;
        if (n < 3)
        {
            throw new ArgumentException("a similarity needs at least three points", nameof(indices));
        }

        Vector3 ca = Vector3.Zero;
        Vector3 cb = Vector3.Zero;
        foreach (int i in indices)
        {
            ca += from[i];
            cb += to[i];
        }

        ca /= n;
        cb /= n;
        double sxx = 0, sxy = 0, sxz = 0, syx = 0, syy = 0, syz = 0, szx = 0, szy = 0, szz = 0, normA = 0;
        foreach (int i in indices)
        {
            Vector3 a = from[i] - ca;
            Vector3 b = to[i] - cb;
            sxx += a.X * b.X;
            sxy += a.X * b.Y;
            sxz += a.X * b.Z;
            syx += a.Y * b.X;
            syy += a.Y * b.Y;
            syz += a.Y * b.Z;
            szx += a.Z * b.X;
            szy += a.Z * b.Y;
            szz += a.Z * b.Z;
            normA += a.LengthSquared();
        }

        Span<double> m = stackalloc double[16];
        m[0] = sxx + syy + szz;
        m[1] = m[4] = syz - szy;
        m[2] = m[8] = szx - sxz;
        m[3] = m[12] = sxy - syx;
        m[5] = sxx - syy - szz;
        m[6] = m[9] = sxy + syx;
        m[7] = m[13] = szx + sxz;
        m[10] = -sxx + syy - szz;
        m[11] = m[14] = syz + szy;
        m[15] = -sxx - syy + szz;
        Span<double> q = stackalloc double[4];
        TopEigenvector(m, q);
        var rotation = Quaternion.Normalize(new Quaternion((float)q[1], (float)q[2], (float)q[3], (float)q[0]));

        double dot = 0;
        foreach (int i in indices)
        {
            dot += Vector3.Dot(to[i] - cb, Vector3.Transform(from[i] - ca, rotation));
        }

        float scale = normA > 0 ? (float)(dot / normA) : 1f;
        Vector3 translation = cb - (scale * Vector3.Transform(ca, rotation));
        return new Similarity3(scale, rotation, translation);
    }

    // Jacobi eigen-decomposition of a symmetric 4×4 (row-major, destroyed); writes the eigenvector of the largest eigenvalue.
    private static void TopEigenvector(Span<double> a, Span<double> result)
    {
        Span<double> v = stackalloc double[16];
        for (int i = 0; i < 4; i++)
        {
            v[(i * 4) + i] = 1;
        }

        for (int sweep = 0; sweep < 50; sweep++)
        {
            double off = 0;
            for (int p = 0; p < 4; p++)
            {
                for (int r = p + 1; r < 4; r++)
                {
                    off += a[(p * 4) + r] * a[(p * 4) + r];
                }
            }

            if (off < 1e-22)
            {
                break;
            }

            for (int p = 0; p < 3; p++)
            {
                for (int r = p + 1; r < 4; r++)
                {
                    double apr = a[(p * 4) + r];
                    if (Math.Abs(apr) < 1e-300)
                    {
                        continue;
                    }

                    double theta = (a[(r * 4) + r] - a[(p * 4) + p]) / (2 * apr);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt((theta * theta) + 1));
                    if (theta == 0)
                    {
                        t = 1;
                    }

                    double c = 1 / Math.Sqrt((t * t) + 1);
                    double s = t * c;
                    for (int k = 0; k < 4; k++)
                    {
                        double akp = a[(k * 4) + p];
                        double akr = a[(k * 4) + r];
                        a[(k * 4) + p] = (c * akp) - (s * akr);
                        a[(k * 4) + r] = (s * akp) + (c * akr);
                    }

                    for (int k = 0; k < 4; k++)
                    {
                        double apk = a[(p * 4) + k];
                        double ark = a[(r * 4) + k];
                        a[(p * 4) + k] = (c * apk) - (s * ark);
                        a[(r * 4) + k] = (s * apk) + (c * ark);
                    }

                    for (int k = 0; k < 4; k++)
                    {
                        double vkp = v[(k * 4) + p];
                        double vkr = v[(k * 4) + r];
                        v[(k * 4) + p] = (c * vkp) - (s * vkr);
                        v[(k * 4) + r] = (s * vkp) + (c * vkr);
                    }
                }
            }
        }

        int best = 0;
        for (int i = 1; i < 4; i++)
        {
            if (a[(i * 4) + i] > a[(best * 4) + best])
            {
                best = i;
            }
        }

        for (int k = 0; k < 4; k++)
        {
            result[k] = v[(k * 4) + best];
        }
    }
}
