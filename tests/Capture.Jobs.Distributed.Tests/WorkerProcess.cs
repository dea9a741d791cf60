using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Capture.Jobs.Distributed.Tests;

/// <summary>A real <c>capture worker</c> child process; its output kept for the assertions and for failure messages.</summary>
internal sealed partial class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<WorkerProcess> StartAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "capture.dll"));
        info.ArgumentList.Add("worker");
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["NO_COLOR"] = "1";
        foreach ((string k, string v) in environment)
        {
            info.Environment[k] = v;
        }

        var worker = new WorkerProcess(new Process { StartInfo = info });
        worker._process.OutputDataReceived += (_, e) => worker.OnLine(e.Data);
        worker._process.ErrorDataReceived += (_, e) => worker.OnLine(e.Data);
        worker._process.Exited += (_, _) => worker._ready.TrySetException(new InvalidOperationException("the worker exited before it was ready"));
        worker._process.EnableRaisingEvents = true;
        worker._process.Start();
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        try
        {
            await worker._ready.Task.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
        {
            worker.Dispose();
            Assert.Fail($"capture worker did not start: {ex.Message}\n{worker.Log}");
        }

        return worker;
    }

    /// <summary>How many times this worker's log says it finished job <paramref name="id"/> as succeeded.</summary>
    public int Succeeded(string id) => Regex.Matches(Log, $@"job {id} succeeded").Count;

    /// <summary>How many times this worker started job <paramref name="id"/>.</summary>
    public int Started(string id) => Regex.Matches(Log, $@"job {id} started").Count;

    /// <summary><c>kill -9</c>: no shutdown code runs, the broker connection just drops.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }

        if (line.Contains(" ready: jobs from ", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }
}
