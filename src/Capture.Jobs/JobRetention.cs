using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Capture.Jobs;

/// <summary>
/// Deletes finished jobs (record and files) <see cref="JobsOptions.Retention"/> after they
/// finished, checking every <see cref="JobsOptions.RetentionSweep"/>; also deletes a job on request
/// (<see cref="DeleteAsync"/>, the API's DELETE), canceling it first if it is still queued or running.
/// </summary>
public sealed class JobRetention : BackgroundService
{
    private readonly IJobStore _store;
    private readonly DataFolder _data;
    private readonly JobRunner _runner;
    private readonly IJobEvents _events;
    private readonly JobsOptions _options;
    private readonly ILogger<JobRetention> _log;

    // Deletions under way, by job id: a second request for the same job joins the first instead of racing it.
    private readonly ConcurrentDictionary<string, Lazy<Task<bool>>> _deleting = new(StringComparer.Ordinal);

    public JobRetention(IJobStore store, DataFolder data, JobRunner runner, IJobEvents events, IOptions<JobsOptions> options, ILogger<JobRetention> log)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _data = data;
        _runner = runner;
        _events = events;
        _options = options.Value;
        _log = log;
    }

    /// <summary>How long a delete waits for this process's runner to let go of a running job's files.</summary>
    public static TimeSpan RunnerGrace { get; } = TimeSpan.FromSeconds(30);

    /// <summary>One sweep: removes every job that finished before now − retention. Returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken ct = default)
    {
        if (_data.Unavailable is not null)
        {
            return 0;
        }

        IReadOnlyList<string> expired = await _store.ListFinishedBeforeAsync(DateTimeOffset.UtcNow - _options.Retention, ct).ConfigureAwait(false);
        foreach (string id in expired)
        {
            await DeleteAsync(id, "removed by retention", ct).ConfigureAwait(false);
        }

        if (expired.Count > 0)
        {
            _log.LogInformation("jobs: retention removed {Count} finished job(s)", expired.Count);
        }

        return expired.Count;
    }

    /// <summary>
    /// Deletes a job, the one way it is done (the API's DELETE and retention): a queued or running job is
    /// canceled first and, when this process renders it, its runner is waited for (up to <see cref="RunnerGrace"/>)
    /// until it has let go of the files; then the files go, then the record. Calls for a job whose deletion is
    /// under way join that deletion (so the files are removed once, after the runner); the deletion itself runs
    /// to its end even if the caller stops waiting. False when there is no such job (never was, or already deleted).
    /// </summary>
    public Task<bool> DeleteAsync(string id, string reason, CancellationToken ct = default)
    {
        Lazy<Task<bool>> mine = new(() => RunDeleteAsync(id, reason));
        Lazy<Task<bool>> deletion = _deleting.GetOrAdd(id, mine);
        return deletion.Value.WaitAsync(ct);
    }

    private async Task<bool> RunDeleteAsync(string id, string reason)
    {
        try
        {
            JobRecord? before = await _store.CancelAsync(id, reason, CancellationToken.None).ConfigureAwait(false);
            if (before is null)
            {
                return false;
            }

            if (before.State == JobState.Running)
            {
                // Its token is canceled at once; the files are removed only after the pipeline has let go.
                await _runner.CancelAsync(id, RunnerGrace).ConfigureAwait(false);
            }

            if (!before.IsFinished && await _store.GetAsync(id, CancellationToken.None).ConfigureAwait(false) is JobRecord canceled)
            {
                _events.Publish(canceled);
            }

            _data.DeleteJob(id);
            await _store.DeleteAsync(id, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _deleting.TryRemove(id, out _);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.RetentionSweep);
        do
        {
            try
            {
                await SweepAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
            {
                _log.LogWarning(ex, "jobs: retention sweep failed; trying again in {Interval}", _options.RetentionSweep);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}
