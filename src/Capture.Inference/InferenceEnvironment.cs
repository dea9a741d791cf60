using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Capture.Inference.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Capture.Inference;

/// <summary>Which execution provider Capture's sessions run on, and why.</summary>
/// <param name="Name">"CUDA" or "CPU".</param>
/// <param name="Reason">One sentence a person can act on (what loaded, or which library was missing and what to install).</param>
public sealed record ExecutionProviderChoice(string Name, string Reason)
{
    public bool IsCuda => Name == "CUDA";
}

/// <summary>
/// The one place that decides the execution provider: CUDA when ONNX Runtime's CUDA provider and the
/// CUDA libraries it needs load and a real session runs on it, otherwise CPU. Decided once per
/// process, logged once with the reason, and used by every session Capture creates
/// (<see cref="CreateSessionOptions"/>).
/// </summary>
/// <remarks>
/// ONNX Runtime 1.31 (NuGet <c>Microsoft.ML.OnnxRuntime.Gpu.Linux</c>) loads its CUDA provider,
/// <c>libonnxruntime_providers_cuda.so</c>, from the folder of <c>libonnxruntime.so</c> when
/// <c>SessionOptions.AppendExecutionProvider_CUDA</c> is called. Only the <c>capture</c> CLI ships that
/// file (Directory.Build.targets). When the append fails, ONNX Runtime's exception says only "Failed to
/// load shared library" and writes the cause to stderr, so the decision finds the cause itself: it loads
/// the provider with <see cref="NativeLibrary"/> (whose message carries the loader's error, e.g.
/// "libcublasLt.so.13: cannot open shared object file") and probes each CUDA library by name.
/// <c>CAPTURE_EP=cpu</c> forces the CPU without trying.
/// </remarks>
public static partial class InferenceEnvironment
{
    /// <summary>ONNX Runtime's CUDA execution-provider library; it must sit beside <c>libonnxruntime.so</c>.</summary>
    public const string CudaProviderFileName = "libonnxruntime_providers_cuda.so";

    /// <summary>What to install when a CUDA library is missing; part of every such reason.</summary>
    public const string CudaInstallHint =
        "install the NVIDIA driver (libcuda.so.1), CUDA 13 (runtime, cuBLAS, cuRAND) and cuDNN 9 for CUDA 13 (e.g. pip nvidia-cuda-runtime, nvidia-cublas, " +
        "nvidia-curand, nvidia-cudnn-cu13) and put their lib folders on LD_LIBRARY_PATH";

    /// <summary>
    /// The libraries the CUDA provider needs, by the names the loader looks for: the ones it links
    /// (driver, runtime, cuBLAS, cuBLASLt, cuRAND) and cuDNN, which it opens when a session starts.
    /// </summary>
    public static IReadOnlyList<string> CudaLibraries { get; } =
        ["libcuda.so.1", "libcudart.so.13", "libcublas.so.13", "libcublasLt.so.13", "libcurand.so.10", "libcudnn.so.9"];

    private static readonly Lazy<ExecutionProviderChoice> s_choice = new(Choose, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Called once with the chosen provider and its reason; defaults to a line on stderr.</summary>
    public static Action<ExecutionProviderChoice> Log { get; set; } =
        c => Console.Error.WriteLine($"[inference] execution provider: {c.Name} ({c.Reason})");

    /// <summary>The provider every session uses, decided on first use.</summary>
    public static ExecutionProviderChoice Provider => s_choice.Value;

    /// <summary>The ONNX Runtime version of the loaded native library, e.g. "1.31.0".</summary>
    public static string OrtVersion => OrtEnv.Instance().GetVersionString();

    /// <summary>
    /// The providers compiled into the loaded ONNX Runtime build. Lists CUDA whenever the GPU build is
    /// loaded, with or without CUDA: not a detection (<see cref="Provider"/> is).
    /// </summary>
    public static IReadOnlyList<string> BuiltInProviders => OrtEnv.Instance().GetAvailableProviders();

    /// <summary>The folder of the <c>libonnxruntime.so</c> this process loaded (where ORT looks for its providers), or null if unknown.</summary>
    public static string? OrtLibraryDirectory
    {
        get
        {
            _ = OrtEnv.Instance();
            return FindLoadedLibraryDirectory("libonnxruntime.so");
        }
    }

    /// <summary>
    /// New session options on the chosen provider. <paramref name="intraOpThreads"/> 0 lets ORT pick
    /// (one a physical core). The caller owns the options and disposes them after creating its session.
    /// </summary>
    public static SessionOptions CreateSessionOptions(int intraOpThreads = 0)
    {
        ExecutionProviderChoice choice = s_choice.Value;
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
            options.AppendExecutionProvider_CUDA(0);
        }

        return options;
    }

    /// <summary>
    /// Makes the decision (not cached, not logged): <paramref name="forced"/> is the value of
    /// <c>CAPTURE_EP</c>; <paramref name="providerPath"/> the CUDA provider library to try, or null for
    /// the one beside the loaded <c>libonnxruntime.so</c>. A provider elsewhere can be checked for
    /// loadability, but ONNX Runtime itself only ever loads the one beside its core.
    /// </summary>
    public static ExecutionProviderChoice Decide(string? forced, string? providerPath = null)
    {
        if (string.Equals(forced, "cpu", StringComparison.OrdinalIgnoreCase))
        {
            return new("CPU", "CAPTURE_EP=cpu");
        }

        if (!string.IsNullOrEmpty(forced) && !string.Equals(forced, "cuda", StringComparison.OrdinalIgnoreCase))
        {
            return new("CPU", $"CAPTURE_EP={forced} is not a provider Capture knows (use cpu or cuda); CUDA not tried");
        }

        string? ortDirectory = OrtLibraryDirectory;
        providerPath ??= ortDirectory is null ? null : Path.Combine(ortDirectory, CudaProviderFileName);
        if (providerPath is null || !File.Exists(providerPath))
        {
            return new("CPU", $"no {CudaProviderFileName} beside libonnxruntime.so in {ortDirectory ?? "(not found)"}: " +
                "this build does not ship the CUDA provider (the capture CLI and its dotnet publish do)");
        }

        // Load the provider the way ORT would: if a CUDA library it links is missing, the loader's message names it.
        if (!NativeLibrary.TryLoad(providerPath, out IntPtr handle))
        {
            return new("CPU", $"{CudaProviderFileName} did not load ({LoaderError(providerPath)}); {DescribeMissingCudaLibraries()}");
        }

        NativeLibrary.Free(handle);
        string? failure;
        try
        {
            failure = RunTinySessionOnCuda();
        }
        catch (OnnxRuntimeException ex)
        {
            failure = FirstLine(ex.Message);
        }

        if (failure is not null)
        {
            // The provider linked, so what fails now is the driver, cuDNN (opened at session start) or the device.
            return new("CPU", $"a session on CUDA failed: {failure}; {DescribeMissingCudaLibraries()}");
        }

        return new("CUDA", $"{providerPath} loaded and ran a test session on device 0");
    }

    /// <summary>
    /// "missing: A, B — install …" for the CUDA libraries the loader cannot find by name, or a note
    /// that all were found (then the GPU or driver itself is the problem).
    /// </summary>
    public static string DescribeMissingCudaLibraries()
    {
        string[] missing = [.. CudaLibraries.Where(name => !CanLoadLibrary(name))];
        return missing.Length == 0
            ? "all CUDA libraries load (libcuda, libcudart, cuBLAS, cuRAND, cuDNN): check the GPU and its driver (nvidia-smi)"
            : $"missing: {string.Join(", ", missing)} — {CudaInstallHint}";
    }

    private static ExecutionProviderChoice Choose()
    {
        ExecutionProviderChoice choice = Decide(Environment.GetEnvironmentVariable("CAPTURE_EP"));
        Log(choice);
        return choice;
    }

    /// <summary>One Add node on CUDA, built and run: the provider registers, cuDNN opens, a kernel runs. Null when it computed the right sum.</summary>
    private static string? RunTinySessionOnCuda()
    {
        var graph = new OnnxGraphBuilder("cuda_probe");
        string x = graph.Input("x", OnnxDataType.Float, 1, 4);
        string one = graph.Initializer("one", [1f, 1f, 1f, 1f], 1, 4);
        graph.Node("Add", [x, one], "y");
        graph.Output("y", OnnxDataType.Float, 1, 4);

        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL };
        options.AppendExecutionProvider_CUDA(0);
        using var session = new InferenceSession(graph.ToModelBytes(), options);
        using OrtValue input = OrtValue.CreateTensorValueFromMemory(new float[] { 1, 2, 3, 4 }, [1, 4]);
        using var run = new RunOptions();
        using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(run, ["x"], [input], ["y"]);
        ReadOnlySpan<float> y = outputs[0].GetTensorDataAsSpan<float>();
        return y[0] == 2f && y[3] == 5f ? null : $"the CUDA test session computed [{y[0]}, …, {y[3]}] instead of [2, …, 5]";
    }

    /// <summary>Whether the dynamic loader finds and loads <paramref name="name"/> (a file name or path); unloaded again at once.</summary>
    public static bool CanLoadLibrary(string name)
    {
        if (!NativeLibrary.TryLoad(name, out IntPtr handle))
        {
            return false;
        }

        NativeLibrary.Free(handle);
        return true;
    }

    /// <summary>
    /// The loader's own message (dlerror, e.g. "libcublasLt.so.13: cannot open shared object file: No such
    /// file or directory") for a library that does not load, cut out of .NET's longer exception message.
    /// </summary>
    private static string LoaderError(string path)
    {
        string message;
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(path));
            return "it loads on a second try";
        }
        catch (DllNotFoundException ex)
        {
            message = ex.Message;
        }
        catch (BadImageFormatException ex)
        {
            message = ex.Message;
        }

        Match dlerror = DlErrorPattern().Match(message);
        return dlerror.Success ? dlerror.Value.Trim() : FirstLine(message);
    }

    /// <summary>"name.so[.N]: cannot open shared object file…" or another dlerror line ("…: undefined symbol: …").</summary>
    [GeneratedRegex(@"[^\s'/:]+\.so[.\d]*: (cannot open shared object file[^\r\n]*|undefined symbol[^\r\n]*|[^\r\n]*ELF[^\r\n]*)")]
    private static partial Regex DlErrorPattern();

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    /// <summary>The folder of a shared library this process has mapped (from /proc/self/maps), or null.</summary>
    private static string? FindLoadedLibraryDirectory(string fileName)
    {
        const string Maps = "/proc/self/maps";
        if (!File.Exists(Maps))
        {
            return null;
        }

        foreach (string line in File.ReadLines(Maps))
        {
            int slash = line.IndexOf('/', StringComparison.Ordinal);
            if (slash >= 0 && line.EndsWith("/" + fileName, StringComparison.Ordinal))
            {
                return Path.GetDirectoryName(line[slash..]);
            }
        }

        return null;
    }
}
