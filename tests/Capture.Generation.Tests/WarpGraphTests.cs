using Capture.Inference;
using Microsoft.ML.OnnxRuntime;

namespace Capture.Generation.Tests;

public class WarpGraphTests
{
    [Fact]
    public void Build_RandomInputs_MatchesTheCSharpReferenceWarp()
    {
        const int Size = 24;
        const int Grid = 7;
        const int K = 10;
        var random = new Random(5);
        float[] Fill(int n, float lo, float hi) => Enumerable.Range(0, n).Select(_ => lo + ((float)random.NextDouble() * (hi - lo))).ToArray();
        float[] image = Fill(4 * Size * Size, 0, 1);
        float[] keep = Fill(Size * Size, 0, 1);
        float[] add = Fill(4 * Size * Size, 0, 0.5f);
        float[] centers = Fill(K * 2, -1, 1);
        float[] graphCenters = centers.Select(c => -2 * c).ToArray();
        float[] norms = Enumerable.Range(0, K).Select(i => (centers[i * 2] * centers[i * 2]) + (centers[(i * 2) + 1] * centers[(i * 2) + 1])).ToArray();
        float[] weights = Fill(2 * K, -0.05f, 0.05f);
        float[] affine = [0.02f, 0.95f, 0.1f, -0.03f, -0.08f, 1.05f];
        byte[] model = WarpGraph.Build(Size, K, Grid);
        var output = new float[4 * Size * Size];

        using (SessionOptions options = InferenceEnvironment.CreateSessionOptions(1))
        using (var session = new InferenceSession(model, options))
        {
            OrtValue[] inputs =
            [
                OrtValue.CreateTensorValueFromMemory(image, [1, 4, Size, Size]),
                OrtValue.CreateTensorValueFromMemory(keep, [1, 1, Size, Size]),
                OrtValue.CreateTensorValueFromMemory(add, [1, 4, Size, Size]),
                OrtValue.CreateTensorValueFromMemory(graphCenters, [K, 2]),
                OrtValue.CreateTensorValueFromMemory(norms, [K, 1]),
                OrtValue.CreateTensorValueFromMemory(weights, [2, K]),
                OrtValue.CreateTensorValueFromMemory(affine, [2, 3]),
            ];
            using OrtValue result = OrtValue.CreateTensorValueFromMemory(output, [1, 4, Size, Size]);
            using var run = new RunOptions();
            session.Run(run, WarpGraph.InputNames, inputs, [WarpGraph.Frame], [result]);
            foreach (OrtValue v in inputs)
            {
                v.Dispose();
            }
        }

        float[] expected = ReferenceWarp.Run(Size, Grid, image, keep, add, centers, weights, affine);
        float worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = MathF.Max(worst, MathF.Abs(expected[i] - output[i]));
        }

        Assert.True(worst < 2e-3f, $"largest difference graph vs reference: {worst}");
    }
}
