namespace Capture.Inference.Tests;

public class InferenceEnvironmentTests
{
    [Fact]
    public void OrtVersion_IsTheRestoredRelease()
    {
        Assert.Equal("1.29.0", InferenceEnvironment.OrtVersion);
    }

    [Fact]
    public void Provider_WithoutCudaLibrary_FallsBackToCpuWithReason()
    {
        // No GPU and no CUDA provider library on this machine or in CI: the choice must say CPU and why.
        Assert.Equal("CPU", InferenceEnvironment.Provider.Name);
        Assert.False(string.IsNullOrWhiteSpace(InferenceEnvironment.Provider.Reason));
        Assert.Contains("CPUExecutionProvider", InferenceEnvironment.BuiltInProviders);
    }
}
