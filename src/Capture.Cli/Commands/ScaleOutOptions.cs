using System.CommandLine;
using Capture.Jobs.Distributed;
using Microsoft.Extensions.Configuration;

namespace Capture.Cli.Commands;

/// <summary>
/// <c>--store</c>, <c>--queue</c> and <c>--data</c>: the scale-out settings `capture serve` and
/// `capture worker` share (docs/deployment.md). Neither store nor queue: the embedded default. The other
/// <see cref="DistributedJobsOptions"/> come from <c>CAPTURE_Distributed__…</c> environment variables.
/// </summary>
internal sealed class ScaleOutOptions
{
    public Option<string?> Store { get; } = new("--store")
    {
        Description = "PostgreSQL connection string for job state (Host=…;Port=…;Database=…;Username=…;Password=…). With --queue: scale-out mode.",
    };

    public Option<string?> Queue { get; } = new("--queue")
    {
        Description = "RabbitMQ URI for the work queue (amqp://user:password@host:port/). With --store: scale-out mode.",
    };

    public Option<string?> Data { get; } = new("--data")
    {
        Description = "The jobs data folder (uploads, inputs, results). In scale-out mode every node must see the same folder (shared storage).",
    };

    public void AddTo(Command command, bool includeData = true)
    {
        command.Options.Add(Store);
        command.Options.Add(Queue);
        if (includeData)
        {
            command.Options.Add(Data);
        }
    }

    /// <summary>The scale-out settings, or null for the embedded default. Throws naming the problem when only one of --store/--queue is given.</summary>
    public DistributedJobsOptions? Read(ParseResult parseResult, bool consume)
    {
        string? store = parseResult.GetValue(Store);
        string? queue = parseResult.GetValue(Queue);
        if (string.IsNullOrWhiteSpace(store) && string.IsNullOrWhiteSpace(queue))
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(store) || string.IsNullOrWhiteSpace(queue))
        {
            throw new CaptureUserException("scale-out needs both --store (PostgreSQL) and --queue (RabbitMQ); give both, or neither for the embedded default");
        }

        // Timings and names from the environment (CAPTURE_Distributed__StaleAfter=00:00:05, …), then the command line.
        var options = new DistributedJobsOptions();
        new ConfigurationBuilder().AddEnvironmentVariables("CAPTURE_").Build().GetSection(DistributedJobsOptions.Section).Bind(options);
        options.Store = store;
        options.Queue = queue;
        options.Consume = consume;
        try
        {
            options.Validate();
        }
        catch (InvalidDataException ex)
        {
            throw new CaptureUserException(ex.Message, ex);
        }

        return options;
    }

    public string? DataFolder(ParseResult parseResult) => parseResult.GetValue(Data) is { Length: > 0 } d ? Path.GetFullPath(d) : null;
}
