using Capture.Testing;

namespace Capture.Cli.Tests;

/// <summary>
/// Runs the built <c>capture</c> command as a child process and captures what a user would see. It runs
/// the CLI from its own output folder (the one that ships ONNX Runtime's CUDA provider, which this test
/// project's bin leaves out), so <c>capture info</c> goes through the real CUDA attempt.
/// </summary>
internal static class CliProcess
{
    /// <summary>The CLI's own build output, recorded at build time in this assembly's metadata.</summary>
    public static string CliDll { get; } = typeof(CliProcess).Assembly
        .GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>()
        .Single(a => a.Key == "CaptureCliDll").Value!;

    public static Task<ToolProcess.Result> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs the CLI with extra environment variables set for the child only (2 minutes at most).</summary>
    public static Task<ToolProcess.Result> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        Assert.True(File.Exists(CliDll), $"the capture CLI is not built at {CliDll}");
        return ToolProcess.RunCaptureAsync(CliDll, args, environment, TimeSpan.FromMinutes(2));
    }
}
