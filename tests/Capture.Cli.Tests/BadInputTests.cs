using Capture.Testing;

namespace Capture.Cli.Tests;

/// <summary>
/// The foundation's bad-input list, seen from the command line: one clear error naming the file and
/// the problem, a non-zero exit, no stack trace.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Probe_NonexistentPath_NamesFileAndExitsOne()
    {
        string path = Path.Combine(_dir, "missing.mp4");
        ToolProcess.Result r = await CliProcess.RunAsync("probe", path);
        AssertUserError(r, path, "not found");
    }

    [Fact]
    public async Task Probe_ZeroByteFile_SaysEmpty()
    {
        string path = Path.Combine(_dir, "empty.mp4");
        await File.WriteAllBytesAsync(path, []);
        ToolProcess.Result r = await CliProcess.RunAsync("probe", path);
        AssertUserError(r, path, "empty");
    }

    [Fact]
    public async Task Probe_TextFileNamedMp4_SaysNotAVideo()
    {
        string path = Path.Combine(_dir, "notes.mp4");
        await File.WriteAllTextAsync(path, "this is not a video\n");
        ToolProcess.Result r = await CliProcess.RunAsync("probe", path);
        AssertUserError(r, path, "not a video");
    }

    [Fact]
    public async Task Track_TextFileNamedMp4_OneLineNoStackTrace()
    {
        string path = Path.Combine(_dir, "notes.mp4");
        await File.WriteAllTextAsync(path, "this is not a video\n");
        ToolProcess.Result r = await CliProcess.RunAsync("track", path, "-o", Path.Combine(_dir, "out.mpk"));
        AssertUserError(r, path, "not a video");
    }

    [Fact]
    public async Task Track_UnreadableWebcam_NamesDevice()
    {
        ToolProcess.Result r = await CliProcess.RunAsync("track", "/dev/video9", "-o", Path.Combine(_dir, "out.mpk"));
        AssertUserError(r, "/dev/video9", "device");
    }

    [Fact]
    public async Task Info_PrintsOrtVersionAndProvider()
    {
        ToolProcess.Result r = await CliProcess.RunAsync("info");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"ONNX Runtime\s+1\.31\.\d+", r.StdOut);
        Assert.Contains("CPUExecutionProvider", r.StdOut, StringComparison.Ordinal);
    }

    [CudaLibrariesAbsentFact]
    public async Task Info_CudaProviderShippedButCudaMissing_NamesTheMissingLibraryAndWhatToInstall()
    {
        // The CLI's output carries libonnxruntime_providers_cuda.so, so `capture info` really tries CUDA;
        // this machine has no CUDA 13, so the loader's own error names the first library it could not open.
        string provider = Path.Combine(Path.GetDirectoryName(CliProcess.CliDll)!, "runtimes", "linux-x64", "native", "libonnxruntime_providers_cuda.so");
        Assert.True(File.Exists(provider), $"the CLI's build should ship {provider}");
        ToolProcess.Result r = await CliProcess.RunAsync("info");
        Assert.Equal(0, r.ExitCode);
        string all = string.Join(' ', r.StdOut.Split('\n', StringSplitOptions.TrimEntries));
        Assert.Contains("CPU: libonnxruntime_providers_cuda.so did not load (libcublasLt.so.13: cannot open shared object file", all, StringComparison.Ordinal);
        Assert.Contains("cuDNN 9", all, StringComparison.Ordinal);
        Assert.Contains("LD_LIBRARY_PATH", all, StringComparison.Ordinal);
        // Logged once, on stderr, as one line.
        Assert.Single(r.StdErr.Split('\n'), line => line.StartsWith("[inference] execution provider: CPU (", StringComparison.Ordinal));
        Assert.DoesNotContain("Exception", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Info_CaptureEpCpu_SkipsTheCudaAttempt()
    {
        ToolProcess.Result r = await CliProcess.RunAsync(new Dictionary<string, string> { ["CAPTURE_EP"] = "cpu" }, "info");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"execution provider\s+CPU: CAPTURE_EP=cpu", r.StdOut);
        Assert.DoesNotContain("libcublasLt", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_EveryCommandTeaches()
    {
        ToolProcess.Result r = await CliProcess.RunAsync("--help");
        Assert.Equal(0, r.ExitCode);
        foreach (string command in new[] { "info", "probe", "models", "track", "render" })
        {
            Assert.Contains(command, r.StdOut, StringComparison.Ordinal);
            ToolProcess.Result sub = await CliProcess.RunAsync(command, "--help");
            Assert.Equal(0, sub.ExitCode);
            Assert.Contains("Usage:", sub.StdOut, StringComparison.Ordinal);
        }
    }

    private static void AssertUserError(ToolProcess.Result r, string path, string problem)
    {
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(path, r.All, StringComparison.Ordinal);
        Assert.Contains(problem, r.All, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("error:", r.All, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.All, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.All, StringComparison.Ordinal);
    }
}

/// <summary>Runs only where CUDA's libraries are absent (this machine, CI); skipped with the reason on a CUDA machine.</summary>
public sealed class CudaLibrariesAbsentFactAttribute : FactAttribute
{
    public CudaLibrariesAbsentFactAttribute()
    {
        if (Capture.Inference.InferenceEnvironment.CanLoadLibrary("libcublasLt.so.13"))
        {
            Skip = "libcublasLt.so.13 loads here: the missing-CUDA-library branch cannot be reached on this machine";
        }
    }
}
