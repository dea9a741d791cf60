namespace Capture.Jobs;

/// <summary>
/// Where job state lives. The embedded default is <see cref="SqliteJobStore"/>; the scale-out mode
/// backs it with PostgreSQL. Every transition is a single conditional update (only from the state
/// it expects), so two processes racing on one job cannot both win, and a redelivered job that
/// already finished is recognised.
/// </summary>
public interface IJobStore
{
    /// <summary>Creates or migrates the schema. Called once at start.</summary>
    Task InitializeAsync(CancellationToken ct = default);

    /// <summary>Adds a new job (state <see cref="JobState.Queued"/>).</summary>
    Task CreateAsync(JobRecord job, CancellationToken ct = default);

    Task<JobRecord?> GetAsync(string id, CancellationToken ct = default);

    /// <summary>The newest <paramref name="limit"/> jobs, newest first.</summary>
    Task<IReadOnlyList<JobRecord>> ListAsync(int limit, CancellationToken ct = default);

    /// <summary>Jobs waiting to run (state <see cref="JobState.Queued"/>): what <see cref="JobsOptions.MaxQueuedJobs"/> limits.</summary>
    Task<int> CountQueuedAsync(CancellationToken ct = default);

    /// <summary>queued → running (attempts + 1). Null when the job is not queued (canceled, deleted, already taken).</summary>
    Task<JobRecord?> TryStartAsync(string id, CancellationToken ct = default);

    /// <summary>Writes progress of a running job. False when the job is no longer running (canceled or deleted): stop work.</summary>
    Task<bool> ReportProgressAsync(string id, long framesDone, long? framesTotal, double fps, CancellationToken ct = default);

    /// <summary>
    /// running → <paramref name="state"/> (succeeded, failed or canceled) with an optional reason. Null when the job
    /// was not running. <paramref name="frames"/>: a succeeded render's own frame count, recorded as its frames done
    /// and total whatever progress last reached the store (progress is advisory and may have been lost while the
    /// store was away); null keeps the stored progress (a success then takes its frames done as the total).
    /// </summary>
    Task<JobRecord?> FinishAsync(string id, JobState state, string? error, long? frames = null, CancellationToken ct = default);

    /// <summary>running → queued (a runner stopped without finishing it, e.g. at shutdown).</summary>
    Task<bool> RequeueAsync(string id, CancellationToken ct = default);

    /// <summary>queued or running → canceled. Returns the job as it was before, or null if unknown.</summary>
    Task<JobRecord?> CancelAsync(string id, string reason, CancellationToken ct = default);

    /// <summary>Removes the job's record (its files are the caller's).</summary>
    Task<bool> DeleteAsync(string id, CancellationToken ct = default);

    /// <summary>
    /// Start-up recovery for a single-node server: every <c>running</c> job (its process died) goes
    /// back to <c>queued</c>; returns all queued job ids, oldest first, to be enqueued again.
    /// </summary>
    Task<IReadOnlyList<string>> RecoverAsync(CancellationToken ct = default);

    /// <summary>Ids of finished jobs that finished before <paramref name="before"/> (retention).</summary>
    Task<IReadOnlyList<string>> ListFinishedBeforeAsync(DateTimeOffset before, CancellationToken ct = default);
}
