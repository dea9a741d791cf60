using System.Diagnostics;

namespace Capture.Testing;

/// <summary>
/// Runs a program (ffmpeg, ffprobe, bash, the built <c>capture</c> CLI) to its end with its output
/// captured; the caller asserts what it expects of the exit code and output. Compiled into every
/// project under tests/ (tests/Directory.Build.props).
/// </summary>
internal static class ToolProcess
{
    internal sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public string All => StdOut + StdErr;

        /// <summary>
        /// <see cref="All"/> with line breaks (and the spaces before them) made single spaces: the CLI's console
        /// wraps long messages at 80 columns when its output is not a terminal, so a test reads a message whole.
        /// </summary>
        public string Unwrapped => System.Text.RegularExpressions.Regex.Replace(All, @"[ \t]*\r?\n", " ");
    }

    /// <summary>
    /// Runs <paramref name="tool"/> with <paramref name="args"/>, extra <paramref name="environment"/>
    /// variables for the child only; past <paramref name="timeout"/> (none by default) the process
    /// tree is killed and the wait's <see cref="OperationCanceledException"/> thrown.
    /// </summary>
    public static async Task<Result> RunAsync(string tool, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? Timeout.InfiniteTimeSpan);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Runs the built CLI (<paramref name="captureDll"/>) under <c>dotnet</c> with wide, colourless
    /// output, so messages are not wrapped or split by escape codes.
    /// </summary>
    public static Task<Result> RunCaptureAsync(string captureDll, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var env = new Dictionary<string, string> { ["NO_COLOR"] = "1", ["COLUMNS"] = "400" };
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        return RunAsync("dotnet", [captureDll, .. args], env, timeout);
    }
}
