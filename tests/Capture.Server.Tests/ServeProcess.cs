using System.Diagnostics;
using System.Text;

namespace Capture.Server.Tests;

/// <summary>`capture serve` as a child process on a free loopback port, as a user would start it; killed on dispose.</summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServeProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    public Uri Address { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<ServeProcess> StartAsync(string apiKey, params string[] extra)
    {
        ProcessStartInfo info = CliRun.StartInfo(["serve", "--urls", "http://127.0.0.1:0", "--api-key", apiKey, .. extra]);
        var process = Process.Start(info)!;
        var address = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new StringBuilder();
        void OnLine(object? _, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                address.TrySetException(new InvalidOperationException("capture serve exited before listening:\n" + output));
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            const string Listening = "listening on ";
            if (e.Data.StartsWith(Listening, StringComparison.Ordinal))
            {
                address.TrySetResult(new Uri(e.Data[Listening.Length..].Trim()));
            }
        }

        process.OutputDataReceived += OnLine;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            Uri url = await address.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var serve = new ServeProcess(process, url);
            process.OutputDataReceived += (_, e) =>
            {
                lock (serve._output)
                {
                    serve._output.AppendLine(e.Data);
                }
            };
            return serve;
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}

/// <summary>Runs the built <c>capture</c> command (beside the tests) and captures what a user would see.</summary>
internal static class CliRun
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr)
    {
        public string All => StdOut + StdErr;
    }

    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "capture.dll"));
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        // Wide, colourless output so messages are not wrapped or split by escape codes.
        info.Environment["NO_COLOR"] = "1";
        info.Environment["COLUMNS"] = "400";
        return info;
    }

    public static async Task<Result> RunAsync(params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
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
