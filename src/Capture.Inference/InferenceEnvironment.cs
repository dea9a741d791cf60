using Microsoft.ML.OnnxRuntime;

namespace Capture.Inference;

/// <summary>Which execution provider Capture's sessions run on, and why.</summary>
/// <param name="Name">"CUDA" or "CPU".</param>
/// <param name="Reason">One sentence a person can act on (what loaded, or what was missing).</param>
public sealed record ExecutionProviderChoice(string Name, string Reason)
{
    public bool IsCuda => Name == "CUDA";
}

/// <summary>
/// The one place that decides the execution provider: CUDA when its provider library and the CUDA
/// libraries load, otherwise CPU. Decided once per process, logged once with the reason, and used
/// by every session Capture creates (<see cref="CreateSessionOptions"/>).
/// </summary>
/// <remarks>
/// The ONNX Runtime core restored here (npm, 1.29.0) is a CPU build. CUDA comes as a plugin
/// execution-provider library (<c>libonnxruntime_providers_cuda.so</c>, from npm
/// <c>com.github.asus4.onnxruntime.linux-x64-gpu</c> or a user's own install), registered with
/// <c>OrtEnv.RegisterExecutionProviderLibrary</c>; it needs the CUDA 13 runtime, cuBLAS and cuDNN
/// on the library path. Set <c>CAPTURE_CUDA_PROVIDER</c> to the provider library's path, or
/// <c>CAPTURE_EP=cpu</c> to force the CPU.
/// </remarks>
public static class InferenceEnvironment
{
    private const string CudaProviderFileName = "libonnxruntime_providers_cuda.so";
    private static readonly Lazy<(ExecutionProviderChoice Choice, IReadOnlyList<OrtEpDevice> CudaDevices)> s_choice =
        new(Choose, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Called once with the chosen provider and its reason; defaults to a line on stderr.</summary>
    public static Action<ExecutionProviderChoice> Log { get; set; } =
        c => Console.Error.WriteLine($"[inference] execution provider: {c.Name} ({c.Reason})");

    /// <summary>The provider every session uses, decided on first use.</summary>
    public static ExecutionProviderChoice Provider => s_choice.Value.Choice;

    /// <summary>The ONNX Runtime version of the loaded native library, e.g. "1.29.0".</summary>
    public static string OrtVersion => OrtEnv.Instance().GetVersionString();

    /// <summary>The providers compiled into the loaded ONNX Runtime core (plugin libraries not included).</summary>
    public static IReadOnlyList<string> BuiltInProviders => OrtEnv.Instance().GetAvailableProviders();

    /// <summary>
    /// New session options on the chosen provider. <paramref name="intraOpThreads"/> 0 lets ORT pick
    /// (one a physical core). The caller owns the options and disposes them after creating its session.
    /// </summary>
    public static SessionOptions CreateSessionOptions(int intraOpThreads = 0)
    {
        (ExecutionProviderChoice choice, IReadOnlyList<OrtEpDevice> cudaDevices) = s_choice.Value;
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = intraOpThreads,
        };
        options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;

        // Every Capture session runs inside a pipeline that does other work between runs (cropping,
        // spline solving, encoding) on a machine with few cores: idle ORT workers must sleep, not spin.
        // Measured on 2 cores: the warp generator at 512² went from 33 to 61 fps with spinning off.
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (choice.IsCuda)
        {
            options.AppendExecutionProvider(OrtEnv.Instance(), cudaDevices, new Dictionary<string, string>());
        }

        return options;
    }

    private static (ExecutionProviderChoice, IReadOnlyList<OrtEpDevice>) Choose()
    {
        (ExecutionProviderChoice choice, IReadOnlyList<OrtEpDevice> devices) = TryCuda();
        Log(choice);
        return (choice, devices);
    }

    private static (ExecutionProviderChoice, IReadOnlyList<OrtEpDevice>) TryCuda()
    {
        string? forced = Environment.GetEnvironmentVariable("CAPTURE_EP");
        if (string.Equals(forced, "cpu", StringComparison.OrdinalIgnoreCase))
        {
            return (new("CPU", "CAPTURE_EP=cpu"), []);
        }

        string? library = FindCudaProviderLibrary();
        if (library is null)
        {
            return (new("CPU", $"no {CudaProviderFileName} found (set CAPTURE_CUDA_PROVIDER to its path to use a GPU)"), []);
        }

        try
        {
            OrtEnv env = OrtEnv.Instance();
            env.RegisterExecutionProviderLibrary("CUDA", library);
            OrtEpDevice[] cuda = [.. env.GetEpDevices().Where(d => d.EpName.Contains("CUDA", StringComparison.OrdinalIgnoreCase))];
            if (cuda.Length == 0)
            {
                return (new("CPU", $"{library} loaded but reported no CUDA device"), []);
            }

            return (new("CUDA", $"{library}, {cuda.Length} device(s): {cuda[0].HardwareDevice.Vendor} {cuda[0].HardwareDevice.DeviceId:x}"), cuda);
        }
        catch (OnnxRuntimeException ex)
        {
            // Typical: the provider library is there but libcudart/libcublas/libcudnn (CUDA 13) are not on the loader path.
            return (new("CPU", $"{library} did not load: {ex.Message.Split('\n')[0]}"), []);
        }
    }

    private static string? FindCudaProviderLibrary()
    {
        string? configured = Environment.GetEnvironmentVariable("CAPTURE_CUDA_PROVIDER");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(configured) ? configured : null;
        }

        string beside = Path.Combine(AppContext.BaseDirectory, CudaProviderFileName);
        return File.Exists(beside) ? beside : null;
    }
}
