namespace Capture.Inference.Tests;

/// <summary>
/// The execution-provider decision, each branch this machine can reach: no GPU and no CUDA libraries
/// here, so CUDA is tried and refused with the reason. The branch that chooses CUDA runs in
/// <see cref="CudaProviderTests"/> on a GPU machine.
/// </summary>
public class InferenceEnvironmentTests
{
    /// <summary>The CUDA provider as restored from NuGet (this test project's bin leaves it out on purpose).</summary>
    private static readonly string s_packagedCudaProvider = Path.Combine(
        typeof(InferenceEnvironmentTests).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .Single(a => a.Key == "OrtNativeDirectory").Value!,
        InferenceEnvironment.CudaProviderFileName);

    [Fact]
    public void OrtVersion_IsTheNuGetRelease()
    {
        Assert.StartsWith("1.31.", InferenceEnvironment.OrtVersion, StringComparison.Ordinal);
    }

    [CudaProviderNotShippedFact]
    public void Provider_InThisTestBin_IsCpuBecauseTheCudaProviderIsNotShippedHere()
    {
        // Lean outputs: only the CLI's output carries libonnxruntime_providers_cuda.so (Directory.Build.targets).
        string? ortDirectory = InferenceEnvironment.OrtLibraryDirectory;
        Assert.NotNull(ortDirectory);
        Assert.True(File.Exists(Path.Combine(ortDirectory, "libonnxruntime.so")), ortDirectory);
        Assert.False(File.Exists(Path.Combine(ortDirectory, InferenceEnvironment.CudaProviderFileName)));

        ExecutionProviderChoice choice = InferenceEnvironment.Decide(forced: null);
        Assert.Equal("CPU", choice.Name);
        Assert.Contains($"no {InferenceEnvironment.CudaProviderFileName} beside libonnxruntime.so", choice.Reason, StringComparison.Ordinal);
        Assert.Equal("CPU", InferenceEnvironment.Provider.Name);
        Assert.Contains("CPUExecutionProvider", InferenceEnvironment.BuiltInProviders);
    }

    [CudaLibrariesAbsentFact]
    public void Decide_ProviderPresentButCudaLibrariesMissing_NamesTheLibraryTheLoaderCouldNotFind()
    {
        Assert.True(File.Exists(s_packagedCudaProvider), s_packagedCudaProvider);

        ExecutionProviderChoice choice = InferenceEnvironment.Decide(forced: null, s_packagedCudaProvider);

        Assert.Equal("CPU", choice.Name);
        // The loader's own words (dlerror): the first NEEDED library it could not open.
        Assert.Matches(@"did not load \(lib[a-zA-Z]+\.so\.\d+: cannot open shared object file", choice.Reason);
        Assert.Contains("libcublasLt.so.13", choice.Reason, StringComparison.Ordinal);
        Assert.Contains("missing: ", choice.Reason, StringComparison.Ordinal);
        Assert.Contains("CUDA 13", choice.Reason, StringComparison.Ordinal);
        Assert.Contains("cuDNN 9", choice.Reason, StringComparison.Ordinal);
        Assert.Contains("LD_LIBRARY_PATH", choice.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', choice.Reason);
    }

    [Fact]
    public void DescribeMissingCudaLibraries_ListsExactlyTheLibrariesThatDoNotLoad()
    {
        string description = InferenceEnvironment.DescribeMissingCudaLibraries();
        foreach (string library in InferenceEnvironment.CudaLibraries)
        {
            Assert.Equal(!InferenceEnvironment.CanLoadLibrary(library), description.Contains(library, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Decide_CaptureEpCpu_ForcesCpuWithoutTrying()
    {
        ExecutionProviderChoice choice = InferenceEnvironment.Decide("cpu", s_packagedCudaProvider);
        Assert.Equal(new ExecutionProviderChoice("CPU", "CAPTURE_EP=cpu"), choice);
    }

    [Fact]
    public void Decide_UnknownCaptureEp_SaysSoAndUsesCpu()
    {
        ExecutionProviderChoice choice = InferenceEnvironment.Decide("tensorrt");
        Assert.Equal("CPU", choice.Name);
        Assert.Contains("CAPTURE_EP=tensorrt is not a provider Capture knows", choice.Reason, StringComparison.Ordinal);
    }
}

/// <summary>Runs only where CUDA's libraries are absent (this machine, CI); skipped with the reason on a CUDA machine.</summary>
public sealed class CudaLibrariesAbsentFactAttribute : FactAttribute
{
    public CudaLibrariesAbsentFactAttribute()
    {
        if (InferenceEnvironment.CanLoadLibrary("libcublasLt.so.13"))
        {
            Skip = "libcublasLt.so.13 loads here: the missing-CUDA-library branch cannot be reached on this machine";
        }
    }
}

/// <summary>Runs where this test build leaves the CUDA provider out (the default); skipped when built with -p:CaptureShipsCudaProvider=true.</summary>
public sealed class CudaProviderNotShippedFactAttribute : FactAttribute
{
    public CudaProviderNotShippedFactAttribute()
    {
        string? ortDirectory = InferenceEnvironment.OrtLibraryDirectory;
        if (ortDirectory is not null && File.Exists(Path.Combine(ortDirectory, InferenceEnvironment.CudaProviderFileName)))
        {
            Skip = "this test build ships the CUDA provider (-p:CaptureShipsCudaProvider=true): the not-shipped branch is not reachable";
        }
    }
}
