using System.Numerics;

namespace Capture.Core.Geometry;

/// <summary>A similarity transform <c>target ≈ Scale · Rotation · source + Translation</c>.</summary>
public readonly record struct Similarity(float Scale, Quaternion Rotation, Vector3 Translation)
{
    public static Similarity Identity { get; } = new(1, Quaternion.Identity, Vector3.Zero);

    public Vector3 Apply(Vector3 p) => (Scale * Vector3.Transform(p, Rotation)) + Translation;

    /// <summary>The inverse map, target space back to source space.</summary>
    public Vector3 Invert(Vector3 p) => Vector3.Transform(p - Translation, Quaternion.Conjugate(Rotation)) / Scale;
}

/// <summary>
/// Weighted least-squares similarity fit (Umeyama's scale and translation, rotation by Horn's
/// unit-quaternion method: the eigenvector of the largest eigenvalue of a 4×4 symmetric matrix,
/// found by Jacobi sweeps). No allocation. Used for head pose (tracking) and for the character's
/// head motion and performer-to-character mapping (retargeting).
/// </summary>
public static class SimilarityFit
{
    /// <summary>The unweighted fit of <paramref name="source"/>[i] onto <paramref name="target"/>[i] for every i in <paramref name="indices"/>.</summary>
    public static Similarity Fit(ReadOnlySpan<Vector3> source, ReadOnlySpan<Vector3> target, ReadOnlySpan<int> indices)
    {
        if (indices.Length < 3)
        {
            throw new ArgumentException("a similarity needs at least three points", nameof(indices));
        }

        // Weight 1 on the chosen points, 0 elsewhere: on the stack, since point sets here are face meshes (≤ 478).
        Span<float> weights = source.Length <= 1024 ? stackalloc float[source.Length] : new float[source.Length];
        weights.Clear();
        foreach (int i in indices)
        {
            weights[i] = 1;
        }

        return Fit(source, target, weights);
    }

    /// <summary>The weighted fit of <paramref name="source"/>[i] onto <paramref name="target"/>[i]; points with weight ≤ 0 are ignored.</summary>
    public static Similarity Fit(ReadOnlySpan<Vector3> source, ReadOnlySpan<Vector3> target, ReadOnlySpan<float> weights)
    {
        double wsum = 0;
        double sx = 0, sy = 0, sz = 0, tx = 0, ty = 0, tz = 0;
        for (int i = 0; i < source.Length; i++)
        {
            double w = weights[i];
            if (w <= 0)
            {
                continue;
            }

            wsum += w;
            sx += w * source[i].X; sy += w * source[i].Y; sz += w * source[i].Z;
            tx += w * target[i].X; ty += w * target[i].Y; tz += w * target[i].Z;
        }

        if (wsum <= 0)
        {
            return Similarity.Identity;
        }

        sx /= wsum; sy /= wsum; sz /= wsum; tx /= wsum; ty /= wsum; tz /= wsum;
        Span<double> m = stackalloc double[9];
        m.Clear();
        double sourceVar = 0;
        for (int i = 0; i < source.Length; i++)
        {
            double w = weights[i];
            if (w <= 0)
            {
                continue;
            }

            double ax = source[i].X - sx, ay = source[i].Y - sy, az = source[i].Z - sz;
            double bx = target[i].X - tx, by = target[i].Y - ty, bz = target[i].Z - tz;
            m[0] += w * ax * bx; m[1] += w * ax * by; m[2] += w * ax * bz;
            m[3] += w * ay * bx; m[4] += w * ay * by; m[5] += w * ay * bz;
            m[6] += w * az * bx; m[7] += w * az * by; m[8] += w * az * bz;
            sourceVar += w * ((ax * ax) + (ay * ay) + (az * az));
        }

        double sxx = m[0], sxy = m[1], sxz = m[2], syx = m[3], syy = m[4], syz = m[5], szx = m[6], szy = m[7], szz = m[8];
        Span<double> n = stackalloc double[16];
        n[0] = sxx + syy + szz; n[1] = syz - szy; n[2] = szx - sxz; n[3] = sxy - syx;
        n[5] = sxx - syy - szz; n[6] = sxy + syx; n[7] = szx + sxz;
        n[10] = -sxx + syy - szz; n[11] = syz + szy;
        n[15] = -sxx - syy + szz;
        n[4] = n[1]; n[8] = n[2]; n[12] = n[3]; n[9] = n[6]; n[13] = n[7]; n[14] = n[11];
        Span<double> q = stackalloc double[4];
        LargestEigenvector4(n, q);
        var rotation = Quaternion.Normalize(new Quaternion((float)q[1], (float)q[2], (float)q[3], (float)q[0]));

        // Scale = Σ w (b · R a) / Σ w |a|²: the least-squares scale for the found rotation.
        double dot = 0;
        for (int i = 0; i < source.Length; i++)
        {
            double w = weights[i];
            if (w <= 0)
            {
                continue;
            }

            Vector3 ra = Vector3.Transform(new Vector3((float)(source[i].X - sx), (float)(source[i].Y - sy), (float)(source[i].Z - sz)), rotation);
            dot += w * ((ra.X * (target[i].X - tx)) + (ra.Y * (target[i].Y - ty)) + (ra.Z * (target[i].Z - tz)));
        }

        float scale = sourceVar > 0 ? (float)(dot / sourceVar) : 1;
        Vector3 translation = new Vector3((float)tx, (float)ty, (float)tz) -
            (scale * Vector3.Transform(new Vector3((float)sx, (float)sy, (float)sz), rotation));
        return new Similarity(scale, rotation, translation);
    }

    /// <summary>Cyclic Jacobi on a symmetric 4×4 (row-major, overwritten); writes the unit eigenvector of the largest eigenvalue.</summary>
    internal static void LargestEigenvector4(Span<double> a, Span<double> result)
    {
        Span<double> v = stackalloc double[16];
        v.Clear();
        v[0] = v[5] = v[10] = v[15] = 1;
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
