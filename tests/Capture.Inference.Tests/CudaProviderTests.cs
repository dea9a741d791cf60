using Capture.Inference.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Capture.Inference.Tests;

/// <summary>
/// A hardware test: runs only where the CUDA provider library and a GPU are present, and is
/// reported as skipped, with the reason, everywhere else (this machine and CI have no GPU). Test bins
/// leave the 284 MB provider out (Directory.Build.targets): on a GPU machine run
/// <c>dotnet test tests/Capture.Inference.Tests -p:CaptureShipsCudaProvider=true</c>.
/// </summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!InferenceEnvironment.Provider.IsCuda)
        {
            Skip = $"GPU test: CUDA execution provider not available here ({InferenceEnvironment.Provider.Reason}); " +
                   "on a GPU machine build the tests with -p:CaptureShipsCudaProvider=true";
        }
    }
}

[Trait("Hardware", "GPU")]
public class CudaProviderTests
{
    [CudaFact]
    public void CreateSessionOptions_OnGpuMachine_RunsAGraphOnCuda()
    {
        var graph = new OnnxGraphBuilder("cuda_smoke");
        string x = graph.Input("x", OnnxDataType.Float, 1, 4);
        string two = graph.Initializer("two", [2f, 2f, 2f, 2f], 1, 4);
        graph.Node("Mul", [x, two], "y");
        graph.Output("y", OnnxDataType.Float, 1, 4);

        using SessionOptions options = InferenceEnvironment.CreateSessionOptions();
        using var session = new InferenceSession(graph.ToModelBytes(), options);
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(new float[] { 1, 2, 3, 4 }, [1, 4]);
        using var run = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(run, ["x"], [input], ["y"]);
        Assert.Equal([2f, 4f, 6f, 8f], outputs[0].GetTensorDataAsSpan<float>().ToArray());
    }
}
