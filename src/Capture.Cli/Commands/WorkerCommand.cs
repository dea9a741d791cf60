using System.CommandLine;
using Capture.Jobs;
using Capture.Jobs.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Capture.Cli.Commands;

/// <summary>
/// <c>capture worker --store … --queue … [--prefetch 1] [--concurrency 1] [--data DIR]</c>: renders jobs
/// from the RabbitMQ queue, state in PostgreSQL, files on the shared data folder (docs/deployment.md).
/// Runs until Ctrl+C / SIGTERM; a job it is rendering then goes back to the queue.
/// </summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var scale = new ScaleOutOptions();
        var prefetch = new Option<int>("--prefetch")
        {
            Description = "Jobs the broker hands this worker before it acknowledges one. 1 leaves every other job to other workers.",
            DefaultValueFactory = _ => 1,
        };
        var concurrency = new Option<int>("--concurrency")
        {
            Description = "Jobs rendered at once by this worker (one render already keeps two cores busy).",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("worker",
            "Render jobs in scale-out mode: take them from the RabbitMQ queue (--queue), keep their state in PostgreSQL (--store), " +
            "read inputs and write results in the shared data folder (--data). Start as many as the machines allow; see docs/deployment.md.")
        {
            prefetch, concurrency,
        };
        scale.AddTo(command);
        // Bad input (CaptureUserException, InvalidDataException, IOException) goes to CliErrors: one red line, exit 1.
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            DistributedJobsOptions options = scale.Read(parseResult, consume: true)
                ?? throw new CaptureUserException("capture worker needs --store (PostgreSQL) and --queue (RabbitMQ)");
            int p = parseResult.GetValue(prefetch);
            if (p is < 1 or > 1000)
            {
                throw new CaptureUserException($"--prefetch {p} must be 1..1000");
            }

            int n = parseResult.GetValue(concurrency);
            if (n is < 1 or > 64)
            {
                throw new CaptureUserException($"--concurrency {n} must be 1..64");
            }

            options.Prefetch = (ushort)p;
            string data = scale.DataFolder(parseResult) ?? Path.GetFullPath(JobsOptions.DefaultDataDirectory);
            return await RunAsync(options, data, n, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(DistributedJobsOptions options, string data, int concurrency, CancellationToken ct)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c =>
        {
            c.SingleLine = true;
            c.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Services.AddDistributedJobs(options, "worker");
        builder.Services.AddJobMachinery(builder.Configuration, o =>
        {
            o.DataDirectory = data;
            o.Concurrency = concurrency;
        });
        using IHost host = builder.Build();
        await host.StartAsync(ct);
        DistributedNode node = host.Services.GetRequiredService<DistributedNode>();
        PostgresJobStore store = host.Services.GetRequiredService<PostgresJobStore>();
        RabbitMqJobQueue queue = host.Services.GetRequiredService<RabbitMqJobQueue>();
        // Plain lines: scripts and the tests read them.
        Console.WriteLine($"worker {node.Id} ready: jobs from {queue.Where} (queue {options.QueueName}, prefetch {options.Prefetch}), state in {store.Where}, data {data}");
        Console.Out.Flush();
        try
        {
            await host.WaitForShutdownAsync(ct);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C.
        }

        await host.StopAsync(CancellationToken.None);
        return 0;
    }
}
