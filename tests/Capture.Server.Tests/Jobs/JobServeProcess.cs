using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Capture.Server.Tests.Jobs;

/// <summary>The real <c>capture serve</c> as a child process, with its data folder set through configuration (<c>Jobs__DataDirectory</c>).</summary>
internal sealed partial class JobServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    private JobServeProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromMinutes(2) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", JobServer.Key);
    }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public int Pid => _process.Id;

    public static async Task<JobServeProcess> StartAsync(string dataDirectory)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(dataDirectory)! };
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "capture.dll"), "serve", "--urls", "http://127.0.0.1:0", "--api-key", JobServer.Key })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["Jobs__DataDirectory"] = dataDirectory;
        info.Environment["Jobs__ProgressInterval"] = "00:00:00.1";
        info.Environment["NO_COLOR"] = "1";
        var process = Process.Start(info)!;
        var address = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                address.TrySetException(new InvalidOperationException($"capture serve exited: {log}"));
                return;
            }

            lock (log)
            {
                log.AppendLine(e.Data);
            }

            Match m = Listening().Match(e.Data);
            if (m.Success)
            {
                address.TrySetResult(new Uri(m.Groups[1].Value.TrimEnd('/') + "/"));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Task done = await Task.WhenAny(address.Task, Task.Delay(TimeSpan.FromSeconds(60)));
        if (done != address.Task)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"capture serve did not say where it listens within 60 s: {log}");
        }

        return new JobServeProcess(process, await address.Task);
    }

    /// <summary>SIGKILL, as <c>kill -9</c>: no shutdown code runs.</summary>
    public async Task KillHardAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    [GeneratedRegex("listening on (http://\\S+)")]
    private static partial Regex Listening();
}
