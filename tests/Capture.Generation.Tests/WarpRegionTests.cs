using Capture.Inference;
using Microsoft.ML.OnnxRuntime;

namespace Capture.Generation.Tests;

public class WarpRegionTests
{
    [Fact]
    public void OfMask_Blob_IsItsBoundingBox()
    {
        const int Size = 20;
        var mask = new float[Size * Size];
        mask[(5 * Size) + 7] = 0.1f;
        mask[(9 * Size) + 3] = 1f;
        mask[(12 * Size) + 11] = 0.5f;

        WarpRegion region = WarpRegion.OfMask(mask, Size);

        Assert.Equal(new WarpRegion(3, 5, 9, 8), region);
    }

    [Fact]
    public void OfMask_EmptyMask_IsTheWholeFrame()
    {
        Assert.Equal(new WarpRegion(0, 0, 16, 16), WarpRegion.OfMask(new float[16 * 16], 16));
    }

    [Fact]
    public void OfMask_SinglePixelAtTheEdge_GrowsToTwoByTwoInside()
    {
        var mask = new float[10 * 10];
        mask[99] = 1;

        Assert.Equal(new WarpRegion(8, 8, 2, 2), WarpRegion.OfMask(mask, 10));
    }

    [Fact]
    public void Build_RegionOutsideTheFrame_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => WarpGraph.Build(16, 4, 4, 3, new WarpRegion(10, 0, 8, 8)));
    }

    [Fact]
    public void Build_Region_MatchesTheFullFrameInsideIt()
    {
        const int Size = 32;
        const int K = 6;
        const int Grid = 5;
        var region = new WarpRegion(5, 9, 17, 12);
        var random = new Random(3);
        float[] image = Enumerable.Range(0, 3 * Size * Size).Select(_ => (float)random.NextDouble()).ToArray();
        float[] keep = Enumerable.Range(0, Size * Size).Select(_ => (float)random.NextDouble()).ToArray();
        float[] add = Enumerable.Range(0, 3 * Size * Size).Select(_ => (float)random.NextDouble() * 0.5f).ToArray();
        float[] centers = Enumerable.Range(0, 2 * K).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        float[] norms = new float[K];

        // Kernel weights 0: a pure affine map, which the lattice upsampling reproduces exactly at any lattice.
        float[] weights = new float[2 * K];
        float[] affine = [0.03f, 0.9f, 0.12f, -0.05f, -0.1f, 1.08f];

        float[] full = Run(WarpGraph.Build(Size, K, Grid, 3), image, keep, add, centers, norms, weights, affine, Size, Size);
        float[] regionKeep = Crop(keep, 1, Size, region);
        float[] regionAdd = Crop(add, 3, Size, region);
        float[] part = Run(WarpGraph.Build(Size, K, Grid, 3, region), image, regionKeep, regionAdd, centers, norms, weights, affine, region.Width, region.Height);

        float[] expected = Crop(full, 3, Size, region);
        float worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = MathF.Max(worst, MathF.Abs(expected[i] - part[i]));
        }

        Assert.True(worst < 1e-3f, $"region render differs from the full frame by {worst}");
    }

    private static float[] Crop(float[] planes, int channels, int size, WarpRegion r)
    {
        var result = new float[channels * r.Width * r.Height];
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < r.Height; y++)
            {
                Array.Copy(planes, (c * size * size) + ((r.Top + y) * size) + r.Left, result, (c * r.Width * r.Height) + (y * r.Width), r.Width);
            }
        }

        return result;
    }

    private static float[] Run(byte[] model, float[] image, float[] keep, float[] add, float[] centers, float[] norms, float[] weights, float[] affine, int width, int height)
    {
        int size = (int)Math.Sqrt(image.Length / 3);
        int k = norms.Length;
        var output = new float[3 * width * height];
        using SessionOptions options = InferenceEnvironment.CreateSessionOptions(1);
        using var session = new InferenceSession(model, options);
        OrtValue[] inputs =
        [
            OrtValue.CreateTensorValueFromMemory(image, [1, 3, size, size]),
            OrtValue.CreateTensorValueFromMemory(keep, [1, 1, height, width]),
            OrtValue.CreateTensorValueFromMemory(add, [1, 3, height, width]),
            OrtValue.CreateTensorValueFromMemory(centers, [k, 2]),
            OrtValue.CreateTensorValueFromMemory(norms, [k, 1]),
            OrtValue.CreateTensorValueFromMemory(weights, [2, k]),
            OrtValue.CreateTensorValueFromMemory(affine, [2, 3]),
        ];
        using OrtValue result = OrtValue.CreateTensorValueFromMemory(output, [1, 3, height, width]);
        using var run = new RunOptions();
        session.Run(run, WarpGraph.InputNames, inputs, [WarpGraph.Frame], [result]);
        foreach (OrtValue v in inputs)
        {
            v.Dispose();
        }

        return output;
    }
}
