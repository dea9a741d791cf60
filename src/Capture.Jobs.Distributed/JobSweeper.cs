using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Capture.Jobs.Distributed;

/// <summary>
/// Runs on every node. Each <see cref="DistributedJobsOptions.HeartbeatInterval"/> it refreshes the
/// heartbeat of the jobs this process renders and cancels those the store no longer gives it (canceled
/// through the API on another node, deleted). Each <see cref="DistributedJobsOptions.SweepInterval"/> it
/// publishes queued jobs the broker never confirmed (it was down when they were accepted) and reclaims
/// running jobs whose holder stopped heartbeating long ago and whose message nobody took over (queued
/// again and republished, or failed once they used up their tries). Conditional updates make concurrent
/// sweepers on several nodes safe.
/// </summary>
public sealed class JobSweeper : BackgroundService
{
    private readonly PostgresJobStore _store;
    private readonly RabbitMqJobQueue _queue;
    private readonly IJobEvents _events;
    private readonly DistributedNode _node;
    private readonly DistributedJobsOptions _options;
    private readonly ILogger<JobSweeper> _log;

    public JobSweeper(PostgresJobStore store, RabbitMqJobQueue queue, IJobEvents events, DistributedNode node, DistributedJobsOptions options, ILogger<JobSweeper> log)
    {
        _store = store;
        _queue = queue;
        _events = events;
        _node = node;
        _options = options;
        _log = log;
    }

    /// <summary>Reclaim only well after a take-over by redelivery had its chance (that one keeps the broker's own message).</summary>
    private TimeSpan ReclaimAfter => (2 * _options.StaleAfter) + _options.SweepInterval;

    /// <summary>A job just accepted is being published by the node that accepted it: leave it that long.</summary>
    private TimeSpan PublishGrace => 2 * _options.PublishTimeout;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await _store.InitializeAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        using var timer = new PeriodicTimer(_options.HeartbeatInterval);
        DateTime nextSweep = DateTime.UtcNow;
        bool failing = false;
        try
        {
            do
            {
                try
                {
                    await BeatAsync(stoppingToken).ConfigureAwait(false);
                    if (DateTime.UtcNow >= nextSweep)
                    {
                        await SweepAsync(stoppingToken).ConfigureAwait(false);
                        nextSweep = DateTime.UtcNow + _options.SweepInterval;
                    }

                    failing = false;
                }
                catch (JobStoreUnavailableException ex)
                {
                    if (!failing)
                    {
                        _log.LogWarning("jobs: sweeper paused: {Reason}", ex.Message);
                        failing = true;
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One heartbeat of the jobs held here; cancels those lost.</summary>
    internal async Task BeatAsync(CancellationToken ct)
    {
        IReadOnlyList<string> lost = await _store.HeartbeatAsync(_node.HeldJobs(), ct).ConfigureAwait(false);
        foreach (string id in lost)
        {
            _log.LogInformation("jobs: job {Id} is no longer this node's (canceled or deleted); stopping its render", id);
            if (_node.OnLost is { } onLost)
            {
                await onLost(id).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One sweep: reclaim stale jobs, publish unconfirmed ones. Returns how many jobs it published.</summary>
    internal async Task<int> SweepAsync(CancellationToken ct)
    {
        int published = 0;
        foreach (JobRecord job in await _store.ReclaimStaleAsync(ReclaimAfter, ct).ConfigureAwait(false))
        {
            _events.Publish(job);
            _log.LogWarning("jobs: job {Id} had no live holder; {What}", job.Id, job.State == JobState.Queued ? "queued again" : "failed: " + job.Error);
        }

        foreach (string id in await _store.ClaimUnpublishedAsync(PublishGrace, ct).ConfigureAwait(false))
        {
            if (await _queue.TryPublishAsync(id, ct).ConfigureAwait(false))
            {
                published++;
                continue;
            }

            // The broker is still away: give the claim back and try at the next sweep.
            await _store.UnmarkPublishedAsync(id, ct).ConfigureAwait(false);
            break;
        }

        if (published > 0)
        {
            _log.LogInformation("jobs: published {Count} job(s) the broker had not confirmed", published);
        }

        return published;
    }
}
