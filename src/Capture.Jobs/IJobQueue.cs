using System.Threading.Channels;

namespace Capture.Jobs;

/// <summary>
/// Work to do, by job id. The embedded default is <see cref="ChannelJobQueue"/> (in-process; the
/// store is the durable record and <see cref="IJobStore.RecoverAsync"/> refills it at start); the
/// scale-out mode backs it with a durable RabbitMQ queue, where a lease is a delivery that is acked
/// only after the job's final state is stored (at-least-once; the store makes completion idempotent).
/// </summary>
public interface IJobQueue
{
    ValueTask EnqueueAsync(string jobId, CancellationToken ct = default);

    /// <summary>Waits for the next job. The caller must end the lease with <see cref="IJobLease.CompleteAsync"/> or <see cref="IJobLease.AbandonAsync"/>.</summary>
    ValueTask<IJobLease> DequeueAsync(CancellationToken ct = default);
}

/// <summary>One job taken from a queue.</summary>
public interface IJobLease
{
    string JobId { get; }

    /// <summary>The job's final state is stored: the queue may forget it (an ack).</summary>
    ValueTask CompleteAsync();

    /// <summary>The runner stopped without finishing (shutdown): give it back to be run again (a nack with requeue).</summary>
    ValueTask AbandonAsync();
}

/// <summary>The embedded queue: an unbounded in-process channel of job ids (the store holds the jobs themselves).</summary>
public sealed class ChannelJobQueue : IJobQueue
{
    private readonly Channel<string> _channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });

    public ValueTask EnqueueAsync(string jobId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        return _channel.Writer.WriteAsync(jobId, ct);
    }

    public async ValueTask<IJobLease> DequeueAsync(CancellationToken ct = default)
    {
        string id = await _channel.Reader.ReadAsync(ct).ConfigureAwait(false);
        return new Lease(id);
    }

    /// <summary>Jobs waiting (not counting those a runner holds).</summary>
    public int Count => _channel.Reader.Count;

    private sealed class Lease(string jobId) : IJobLease
    {
        public string JobId { get; } = jobId;

        public ValueTask CompleteAsync() => ValueTask.CompletedTask;

        // In-process, abandoning happens only at shutdown; the store keeps the job queued and
        // RecoverAsync enqueues it at the next start, so nothing is written back here.
        public ValueTask AbandonAsync() => ValueTask.CompletedTask;
    }
}
