using System.Diagnostics;

namespace Capture.Jobs.Distributed.Tests;

/// <summary>Bad scale-out command lines: one line naming the problem, exit code 1, before anything connects.</summary>
public sealed class WorkerCommandTests
{
    [Theory]
    [InlineData("needs --store (PostgreSQL) and --queue (RabbitMQ)", "worker")]
    [InlineData("scale-out needs both --store (PostgreSQL) and --queue (RabbitMQ)", "worker", "--store", "Host=127.0.0.1")]
    [InlineData("scale-out needs both --store (PostgreSQL) and --queue (RabbitMQ)", "serve", "--queue", "amqp://127.0.0.1/")]
    [InlineData("--queue: 'http://127.0.0.1/' is not an amqp:// or amqps:// URI", "worker", "--store", "Host=127.0.0.1", "--queue", "http://127.0.0.1/")]
    [InlineData("--prefetch 0 must be 1..1000", "worker", "--store", "Host=127.0.0.1", "--queue", "amqp://127.0.0.1/", "--prefetch", "0")]
    [InlineData("--store: not a PostgreSQL connection string", "worker", "--store", "Hots=127.0.0.1", "--queue", "amqp://127.0.0.1/")]
    public async Task BadArguments_ExitOneNamingTheProblem(string expected, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "capture.dll"));
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["NO_COLOR"] = "1";
        info.Environment["COLUMNS"] = "400";
        using var p = Process.Start(info)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await p.WaitForExitAsync(timeout.Token);
        string all = await stdout + await stderr;

        Assert.True(p.ExitCode == 1, $"exit {p.ExitCode}: {all}");
        Assert.Contains(expected, all, StringComparison.Ordinal);
    }
}
