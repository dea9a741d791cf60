using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Capture.Jobs;

/// <summary>
/// Deletes finished jobs (record and files) <see cref="JobsOptions.Retention"/> after they
/// finished, checking every <see cref="JobsOptions.RetentionSweep"/>; also removes a job on request.
/// </summary>
public sealed class JobRetention : BackgroundService
{
    private readonly IJobStore _store;
    private readonly DataFolder _data;
    private readonly JobsOptions _options;
    private readonly ILogger<JobRetention> _log;

    public JobRetention(IJobStore store, DataFolder data, IOptions<JobsOptions> options, ILogger<JobRetention> log)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _data = data;
        _options = options.Value;
        _log = log;
    }

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
            await RemoveAsync(id, ct).ConfigureAwait(false);
        }

        if (expired.Count > 0)
        {
            _log.LogInformation("jobs: retention removed {Count} finished job(s)", expired.Count);
        }

        return expired.Count;
    }

    /// <summary>Deletes a job's files, then its record.</summary>
    public async Task RemoveAsync(string id, CancellationToken ct = default)
    {
        _data.DeleteJob(id);
        await _store.DeleteAsync(id, ct).ConfigureAwait(false);
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
