namespace Capture.Jobs.Distributed;

/// <summary>
/// Scale-out settings (docs/deployment.md): where the store and the queue are, and the timings that
/// decide when a job's holder is presumed dead. Bound from the command line (<c>--store</c>,
/// <c>--queue</c>, <c>--prefetch</c>) or configuration section <c>Distributed</c>.
/// </summary>
public sealed class DistributedJobsOptions
{
    public const string Section = "Distributed";

    /// <summary>PostgreSQL connection string, e.g. <c>Host=db;Port=5432;Database=capture;Username=capture;Password=…</c>.</summary>
    public string Store { get; set; } = string.Empty;

    /// <summary>RabbitMQ URI, e.g. <c>amqp://capture:…@mq:5672/</c>.</summary>
    public string Queue { get; set; } = string.Empty;

    /// <summary>
    /// True on workers: take deliveries and render. False on API nodes: publish only (the runner on an
    /// API node then never receives work).
    /// </summary>
    public bool Consume { get; set; } = true;

    /// <summary>Unacknowledged deliveries a worker holds at once. 1 (default) with one render at a time leaves every other job to other workers.</summary>
    public ushort Prefetch { get; set; } = 1;

    /// <summary>Starts of one job before it counts as poison and ends <c>failed</c> (its message goes to the dead-letter queue).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How often a node tells the store it still holds its running jobs.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A running job whose heartbeat is older than this may be taken over by a worker that received its
    /// message again (its first holder died). 10 heartbeats: a loaded 2-core machine can stall a few seconds.
    /// </summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the sweeper republishes jobs the broker never confirmed and reclaims stale ones.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a publish waits for the broker's confirm before the job is left to the sweeper.</summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The durable work queue.</summary>
    public string QueueName { get; set; } = "capture.jobs";

    /// <summary>Where poison jobs' messages end (through the exchange of the same name).</summary>
    public string DeadLetterQueueName { get; set; } = "capture.jobs.dead";

    /// <summary>The PostgreSQL NOTIFY channel that carries job changes between nodes.</summary>
    public string NotifyChannel { get; set; } = "capture_jobs";

    /// <summary>Throws naming the first setting that makes no sense (called at start).</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Store))
        {
            throw new InvalidDataException("--store: a PostgreSQL connection string is needed (Host=…;Database=…;Username=…;Password=…)");
        }

        if (!Uri.TryCreate(Queue, UriKind.Absolute, out Uri? uri) || uri.Scheme is not ("amqp" or "amqps"))
        {
            throw new InvalidDataException($"--queue: '{Queue}' is not an amqp:// or amqps:// URI");
        }

        if (Prefetch < 1)
        {
            throw new InvalidDataException($"--prefetch {Prefetch} must be at least 1");
        }

        if (MaxAttempts is < 1 or > 100)
        {
            throw new InvalidDataException($"Distributed:MaxAttempts {MaxAttempts} must be 1..100");
        }

        if (HeartbeatInterval <= TimeSpan.Zero || StaleAfter < 2 * HeartbeatInterval)
        {
            throw new InvalidDataException($"Distributed:StaleAfter ({StaleAfter}) must be at least two heartbeats ({HeartbeatInterval})");
        }

        if (SweepInterval <= TimeSpan.Zero || PublishTimeout <= TimeSpan.Zero)
        {
            throw new InvalidDataException("Distributed:SweepInterval and Distributed:PublishTimeout must be positive");
        }
    }
}
