using Capture.Testing;

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
        ToolProcess.Result r = await ToolProcess.RunCaptureAsync(Path.Combine(AppContext.BaseDirectory, "capture.dll"), args, timeout: TimeSpan.FromMinutes(1));
        string all = r.All;

        Assert.True(r.ExitCode == 1, $"exit {r.ExitCode}: {all}");
        Assert.Contains(expected, all, StringComparison.Ordinal);
    }
}
