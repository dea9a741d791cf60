using System.Diagnostics;
using Capture.Testing;
using Npgsql;
using RabbitMQ.Client;

namespace Capture.Jobs.Distributed.Tests;

/// <summary>
/// The servers the tests run against: <c>CAPTURE_TEST_PG</c> (a PostgreSQL connection string) and
/// <c>CAPTURE_TEST_AMQP</c> (a RabbitMQ URI). scripts/test.sh starts private instances with
/// scripts/services.sh and sets both; without them every test here is skipped, saying so.
/// </summary>
internal static class ScaleOutEnvironment
{
    public static string? Pg { get; } = Environment.GetEnvironmentVariable("CAPTURE_TEST_PG");

    public static string? Amqp { get; } = Environment.GetEnvironmentVariable("CAPTURE_TEST_AMQP");

    public static string? SkipReason { get; } = string.IsNullOrWhiteSpace(Pg) || string.IsNullOrWhiteSpace(Amqp)
        ? "scale-out: CAPTURE_TEST_PG and CAPTURE_TEST_AMQP are not set (scripts/test.sh sets them after `scripts/services.sh start`; or run `eval \"$(bash scripts/services.sh env)\"`)"
        : null;

    /// <summary>scripts/services.sh of this checkout (found above the test assembly).</summary>
    public static string? ServicesScript { get; } = FindServicesScript();

    /// <summary>
    /// Why the restart tests cannot run: they restart the servers through scripts/services.sh, so the
    /// servers in the environment must be the ones it manages. Null when they are.
    /// </summary>
    public static string? RestartSkipReason { get; } = SkipReason ?? RestartCheck();

    /// <summary>Runs <c>scripts/services.sh</c> with <paramref name="args"/>; asserts success.</summary>
    public static async Task ServicesAsync(params string[] args)
    {
        ToolProcess.Result r = await ToolProcess.RunAsync("bash", [ServicesScript!, .. args]);
        Assert.True(r.ExitCode == 0, $"services.sh {string.Join(' ', args)}: {r.StdOut}{r.StdErr}");
    }

    /// <summary>
    /// Fails at once, naming the server, when PostgreSQL or RabbitMQ does not take a connection within
    /// <paramref name="patience"/>: a server that is down is then one clear failure a test, not minutes of
    /// workers retrying until a job times out. The message carries <c>services.sh status</c> where it manages them.
    /// </summary>
    public static async Task RequireServersAsync(TimeSpan patience)
    {
        Task<string?> pg = TryAsync(patience, async () =>
        {
            await using var c = new NpgsqlConnection(Pg);
            await c.OpenAsync();
        });
        Task<string?> amqp = TryAsync(patience, async () =>
        {
            var factory = new ConnectionFactory { Uri = new Uri(Amqp!), RequestedConnectionTimeout = TimeSpan.FromSeconds(5) };
            await using IConnection connection = await factory.CreateConnectionAsync();
        });
        string? pgProblem = await pg;
        string? amqpProblem = await amqp;
        if (pgProblem is null && amqpProblem is null)
        {
            return;
        }

        string status = string.Empty;
        if (RestartSkipReason is null)
        {
            ToolProcess.Result r = await ToolProcess.RunAsync("bash", [ServicesScript!, "status"]);
            status = $"\nscripts/services.sh status:\n{r.StdOut}(`bash scripts/services.sh logs` shows why)";
        }

        Assert.Fail(string.Join("\n", new[]
        {
            pgProblem is null ? null : $"PostgreSQL (CAPTURE_TEST_PG) takes no connection after {patience.TotalSeconds:0} s: {pgProblem}",
            amqpProblem is null ? null : $"RabbitMQ (CAPTURE_TEST_AMQP, {new Uri(Amqp!).Authority}) takes no connection after {patience.TotalSeconds:0} s: {amqpProblem}",
        }.Where(line => line is not null)) + status);
    }

    private static async Task<string?> TryAsync(TimeSpan patience, Func<Task> connect)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await connect();
                return null;
            }
            catch (Exception ex) when (ex is NpgsqlException or RabbitMQ.Client.Exceptions.RabbitMQClientException or IOException or System.Net.Sockets.SocketException or TimeoutException)
            {
                if (clock.Elapsed >= patience)
                {
                    return ex.InnerException is { } inner ? $"{ex.Message} ({inner.Message})" : ex.Message;
                }
            }

            await Task.Delay(500);
        }
    }

    private static string? FindServicesScript()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string candidate = Path.Combine(d.FullName, "scripts", "services.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string? RestartCheck()
    {
        if (ServicesScript is null)
        {
            return "scale-out restart tests: scripts/services.sh not found above the test assembly";
        }

        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(ServicesScript);
        info.ArgumentList.Add("env");
        using var p = Process.Start(info)!;
        string env = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        // `env` prints shell-quoted values: compare the unquoted forms.
        string plain = env.Replace("\\", string.Empty, StringComparison.Ordinal).Replace("'", string.Empty, StringComparison.Ordinal);
        return plain.Contains(Pg!, StringComparison.Ordinal) && plain.Contains(Amqp!, StringComparison.Ordinal)
            ? null
            : "scale-out restart tests: CAPTURE_TEST_PG/CAPTURE_TEST_AMQP are not the servers scripts/services.sh manages, so the tests cannot restart them";
    }
}

/// <summary>A test that needs the two servers.</summary>
public sealed class ScaleOutFactAttribute : FactAttribute
{
    public ScaleOutFactAttribute()
    {
        if (ScaleOutEnvironment.SkipReason is string reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>A test that restarts the servers (through scripts/services.sh).</summary>
public sealed class ScaleOutRestartFactAttribute : FactAttribute
{
    public ScaleOutRestartFactAttribute()
    {
        if (ScaleOutEnvironment.RestartSkipReason is string reason)
        {
            Skip = reason;
        }
    }
}
