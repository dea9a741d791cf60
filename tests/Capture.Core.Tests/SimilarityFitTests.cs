using System.Numerics;
using Capture.Core.Geometry;

namespace Capture.Core.Tests;

public class SimilarityFitTests
{
    [Fact]
    public void Fit_KnownSimilarity_IsRecovered()
    {
        Vector3[] source = Cloud();
        var rotation = Quaternion.Normalize(Quaternion.CreateFromYawPitchRoll(0.4f, -0.2f, 0.3f));
        var truth = new Similarity(7.5f, rotation, new Vector3(12, -30, 5));
        Vector3[] target = [.. source.Select(truth.Apply)];
        float[] weights = [.. Enumerable.Repeat(1f, source.Length)];

        Similarity fit = SimilarityFit.Fit(source, target, weights);

        Assert.Equal(7.5f, fit.Scale, 3);
        Assert.True(MathF.Abs(Quaternion.Dot(fit.Rotation, rotation)) > 0.99999f);
        Assert.Equal(12, fit.Translation.X, 2);
        Assert.Equal(-30, fit.Translation.Y, 2);
        Assert.Equal(5, fit.Translation.Z, 2);
    }

    [Fact]
    public void Fit_ZeroWeightOutliers_AreIgnored()
    {
        Vector3[] source = Cloud();
        var truth = new Similarity(2, Quaternion.CreateFromAxisAngle(Vector3.UnitY, 0.5f), Vector3.One);
        Vector3[] target = [.. source.Select(truth.Apply)];
        // Every third point carries no weight and is moved far off: the fit must not see it.
        float[] weights = [.. Enumerable.Range(0, source.Length).Select(i => i % 3 == 0 ? 0f : 1f)];
        for (int i = 0; i < target.Length; i++)
        {
            if (weights[i] == 0)
            {
                target[i] += new Vector3(100, 0, 0);
            }
        }

        Similarity fit = SimilarityFit.Fit(source, target, weights);

        Assert.Equal(2, fit.Scale, 3);
        Assert.True(MathF.Abs(Quaternion.Dot(fit.Rotation, truth.Rotation)) > 0.99999f);
    }

    [Fact]
    public void Fit_IndexedPoints_KnownSimilarityIsRecovered()
    {
        var random = new Random(11);
        var from = new Vector3[30];
        var to = new Vector3[30];
        Quaternion rotation = Quaternion.CreateFromYawPitchRoll(0.4f, -0.2f, 0.15f);
        var truth = new Similarity(1.7f, rotation, new Vector3(3, -2, 0.5f));
        int[] indices = new int[30];
        for (int i = 0; i < 30; i++)
        {
            from[i] = new Vector3((float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble() * 0.3f);
            to[i] = truth.Apply(from[i]);
            indices[i] = i;
        }

        Similarity fit = SimilarityFit.Fit(from, to, indices);

        Assert.Equal(1.7f, fit.Scale, 3);
        Assert.True(MathF.Abs(Quaternion.Dot(fit.Rotation, rotation)) > 0.99999f, $"rotation {fit.Rotation} vs {rotation}");
        for (int i = 0; i < 30; i++)
        {
            Assert.True(Vector3.Distance(fit.Apply(from[i]), to[i]) < 1e-4f);
            Assert.True(Vector3.Distance(fit.Invert(to[i]), from[i]) < 1e-4f);
        }
    }

    /// <summary>A face-sized, seeded cloud of 3-D points (not coplanar, so the rotation is well defined).</summary>
    private static Vector3[] Cloud()
    {
        var random = new Random(42);
        return [.. Enumerable.Range(0, 120).Select(_ => new Vector3(
            (random.NextSingle() - 0.5f) * 16, (random.NextSingle() - 0.5f) * 20, (random.NextSingle() - 0.5f) * 8))];
    }
}
