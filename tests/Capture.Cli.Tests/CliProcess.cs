using System.Diagnostics;

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

    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public string All => StdOut + StdErr;
    }

    public static Task<Result> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs the CLI with extra environment variables set for the child only.</summary>
    public static async Task<Result> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        Assert.True(File.Exists(CliDll), $"the capture CLI is not built at {CliDll}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(CliDll);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        // Wide, colourless output so messages are not wrapped or split by escape codes.
        info.Environment["NO_COLOR"] = "1";
        info.Environment["COLUMNS"] = "400";
        foreach ((string key, string value) in environment)
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
