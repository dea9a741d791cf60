using System.Numerics;
using Capture.Core.Geometry;

namespace Capture.Core.Tests;

public class ThinPlateSplineTests
{
    [Fact]
    public void Solve_RandomPoints_InterpolatesEveryCenterExactly()
    {
        var random = new Random(7);
        const int K = 40;
        var centers = new Vector2[K];
        var values = new Vector2[K];
        for (int i = 0; i < K; i++)
        {
            centers[i] = new Vector2((float)random.NextDouble() * 2 - 1, (float)random.NextDouble() * 2 - 1);
            values[i] = centers[i] + new Vector2((float)random.NextDouble() * 0.2f - 0.1f, (float)random.NextDouble() * 0.2f - 0.1f);
        }

        var tps = new ThinPlateSpline(K);
        tps.Solve(centers, values);

        for (int i = 0; i < K; i++)
        {
            Vector2 got = tps.Evaluate(centers[i]);
            Assert.True(Vector2.Distance(got, values[i]) < 1e-4f, $"centre {i}: {got} vs {values[i]}");
        }
    }

    [Fact]
    public void Solve_AffineData_ReproducesTheAffineMapEverywhere()
    {
        var random = new Random(3);
        const int K = 12;
        var centers = new Vector2[K];
        var values = new Vector2[K];
        static Vector2 Affine(Vector2 p) => new(0.1f + (1.2f * p.X) - (0.3f * p.Y), -0.2f + (0.25f * p.X) + (0.9f * p.Y));
        for (int i = 0; i < K; i++)
        {
            centers[i] = new Vector2((float)random.NextDouble() * 2 - 1, (float)random.NextDouble() * 2 - 1);
            values[i] = Affine(centers[i]);
        }

        var tps = new ThinPlateSpline(K);
        tps.Solve(centers, values);

        for (float x = -1; x <= 1; x += 0.25f)
        {
            for (float y = -1; y <= 1; y += 0.25f)
            {
                var p = new Vector2(x, y);
                Assert.True(Vector2.Distance(tps.Evaluate(p), Affine(p)) < 1e-4f);
            }
        }

        for (int i = 0; i < K; i++)
        {
            Assert.True(MathF.Abs(tps.Weights[i * 2]) < 1e-4f && MathF.Abs(tps.Weights[(i * 2) + 1]) < 1e-4f, "no bending for affine data");
        }
    }

    [Fact]
    public void Solve_CollinearCenters_ThrowsSingular()
    {
        Vector2[] centers = [new(0, 0), new(0.5f, 0), new(1, 0)];
        var tps = new ThinPlateSpline(3);

        InvalidOperationException ex = Assert.Throws<InvalidOperationException>(() => tps.Solve(centers, centers));
        Assert.Contains("singular", ex.Message, StringComparison.Ordinal);
    }
}
