using System.Collections.Concurrent;
using Capture.Media;
using Capture.Pipeline.Rendering;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Capture.Jobs;

/// <summary>
/// Renders queued jobs, <see cref="JobsOptions.Concurrency"/> at a time. At start it prepares the
/// data folder and the store and puts every job that was queued or running when the last process
/// ended back on the queue. A job's output is written to its work folder and renamed to
/// <c>result/</c> in one step before the store says succeeded, so a kill at any moment leaves
/// either no result (the job runs again) or one whole result (the restart only records it).
/// Progress goes to the store and the event listeners at most every
/// <see cref="JobsOptions.ProgressInterval"/>; cancel reaches the pipeline through its token.
/// </summary>
public sealed class JobRunner : BackgroundService
{
    private readonly IJobStore _store;
    private readonly IJobQueue _queue;
    private readonly IJobEvents _events;
    private readonly DataFolder _data;
    private readonly JobsOptions _options;
    private readonly ILogger<JobRunner> _log;
    private readonly ConcurrentDictionary<string, Running> _running = new(StringComparer.Ordinal);

    public JobRunner(IJobStore store, IJobQueue queue, IJobEvents events, DataFolder data, IOptions<JobsOptions> options, ILogger<JobRunner> log)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _queue = queue;
        _events = events;
        _data = data;
        _options = options.Value;
        _log = log;
    }

    /// <summary>Jobs being rendered by this process now.</summary>
    public int RunningCount => _running.Count;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        _options.Validate();
        IReadOnlyList<string> pending;
        try
        {
            _data.Prepare();
            await _store.InitializeAsync(cancellationToken).ConfigureAwait(false);
            pending = await _store.RecoverAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or Microsoft.Data.Sqlite.SqliteException)
        {
            // The live side of the server does not need the data folder: it runs on, and the
            // jobs API answers 503 with this reason.
            _data.MarkUnavailable($"jobs are unavailable: {ex.Message}");
            _log.LogError("jobs: {Reason}", _data.Unavailable);
            return;
        }

        _log.LogInformation(_data.IsTemporary ? "jobs: data folder {Root} (temporary: no data folder configured, deleted at stop)" : "jobs: data folder {Root}", _data.Root);
        foreach (string id in pending)
        {
            await _queue.EnqueueAsync(id, cancellationToken).ConfigureAwait(false);
        }

        if (pending.Count > 0)
        {
            _log.LogInformation("jobs: {Count} queued job(s) from the last run put back on the queue", pending.Count);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops a job this process is rendering and waits (up to <paramref name="timeout"/>) until the
    /// pipeline has let go of its files. False when this process is not rendering it.
    /// </summary>
    public async Task<bool> CancelAsync(string id, TimeSpan timeout)
    {
        if (!_running.TryGetValue(id, out Running? running))
        {
            return false;
        }

        await running.Cancel.CancelAsync().ConfigureAwait(false);
        await Task.WhenAny(running.Done.Task, Task.Delay(timeout)).ConfigureAwait(false);
        return true;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var loops = new Task[_options.Concurrency];
        for (int i = 0; i < loops.Length; i++)
        {
            loops[i] = Task.Run(() => LoopAsync(stoppingToken), CancellationToken.None);
        }

        return Task.WhenAll(loops);
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            IJobLease lease;
            try
            {
                lease = await _queue.DequeueAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                await RunOneAsync(lease, stop).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The store itself failed (its disk, say): the job stays queued/running in the
                // store and is recovered at the next start; this loop goes on with the next one.
                _log.LogError(ex, "jobs: job {Id} could not be run", lease.JobId);
                await lease.AbandonAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task RunOneAsync(IJobLease lease, CancellationToken stop)
    {
        string id = lease.JobId;
        JobRecord? job = DataFolder.IsJobId(id) ? await _store.TryStartAsync(id, stop).ConfigureAwait(false) : null;
        if (job is null)
        {
            // Canceled, deleted or already finished while it waited: nothing to do.
            await lease.CompleteAsync().ConfigureAwait(false);
            return;
        }

        _events.Publish(job);
        if (File.Exists(_data.ResultVideo(id)))
        {
            // The last process finished the render and renamed the result, then died before
            // the store said so: record it, do not render a second result.
            JobRecord? done = await _store.FinishAsync(id, JobState.Succeeded, null, ct: stop).ConfigureAwait(false);
            await PublishAsync(done, id).ConfigureAwait(false);
            await lease.CompleteAsync().ConfigureAwait(false);
            return;
        }

        var running = new Running(CancellationTokenSource.CreateLinkedTokenSource(stop));
        _running[id] = running;
        string work = _data.WorkDirectory(id);
        try
        {
            string? error = null;
            JobState final = JobState.Succeeded;
            long? frames = null;
            using var progress = new ProgressPump(this, job, running.Cancel);
            progress.Start();
            try
            {
                if (Directory.Exists(work))
                {
                    Directory.Delete(work, recursive: true);
                }

                Directory.CreateDirectory(work);
                _log.LogInformation("jobs: job {Id} started (attempt {Attempt})", id, job.Attempts);
                RenderResult result = await JobPipeline.RenderAsync(job, _data.JobDirectory(id), work, progress, running.Cancel.Token).ConfigureAwait(false);
                await progress.StopAsync().ConfigureAwait(false);
                await _store.ReportProgressAsync(id, result.Frames, result.Frames, result.FramesPerSecond, stop).ConfigureAwait(false);
                frames = result.Frames; // the finishing write carries it: that progress report may not have reached the store
                // One rename makes the whole result visible at once.
                Directory.Move(work, _data.ResultDirectory(id));
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                // Whatever the pipeline threw while being stopped (a cancellation, or a pipe to a
                // killed ffmpeg), it was the shutdown.
                await progress.StopAsync().ConfigureAwait(false);
                DeleteQuietly(work);
                // Shutdown: the job goes back to queued and runs again at the next start.
                await _store.RequeueAsync(id, CancellationToken.None).ConfigureAwait(false);
                await lease.AbandonAsync().ConfigureAwait(false);
                _log.LogInformation("jobs: job {Id} stopped by shutdown, queued again", id);
                return;
            }
            catch (Exception) when (running.Cancel.IsCancellationRequested)
            {
                final = JobState.Canceled;
                error = "canceled";
            }
            catch (Exception ex)
            {
                final = JobState.Failed;
                error = Describe(ex, id);
                _log.LogWarning("jobs: job {Id} failed: {Reason}", id, error);
            }

            await progress.StopAsync().ConfigureAwait(false);
            if (final != JobState.Succeeded)
            {
                DeleteQuietly(work);
            }

            // Canceled jobs were already marked by CancelAsync; FinishAsync then changes nothing.
            JobRecord? finished = await _store.FinishAsync(id, final, error, final == JobState.Succeeded ? frames : null, CancellationToken.None).ConfigureAwait(false);
            await PublishAsync(finished, id).ConfigureAwait(false);
            await lease.CompleteAsync().ConfigureAwait(false);
            _log.LogInformation("jobs: job {Id} {State}", id, JobStatus.StateName(finished?.State ?? final));
        }
        finally
        {
            _running.TryRemove(id, out _);
            running.Done.TrySetResult();
            running.Cancel.Dispose();
        }
    }

    private async Task PublishAsync(JobRecord? job, string id)
    {
        if (job is not null)
        {
            _events.Publish(job);
            return;
        }

        // The job changed under us (canceled or deleted): publish what the store has now.
        JobRecord? now = await _store.GetAsync(id).ConfigureAwait(false);
        if (now is not null)
        {
            _events.Publish(now);
        }
    }

    private string Describe(Exception ex, string id)
    {
        if (DiskFull.Is(ex))
        {
            return "disk full: no space left for the job's output in the data folder; free space (delete finished jobs, shorten Jobs:Retention) and submit it again";
        }

        string message = ex is MediaInputException media ? media.Problem : ex.Message;
        string dir = _data.JobDirectory(id);
        message = message.Replace(Path.Combine(dir, "work") + Path.DirectorySeparatorChar, string.Empty, StringComparison.Ordinal)
            .Replace(dir + Path.DirectorySeparatorChar, string.Empty, StringComparison.Ordinal)
            .Replace(_data.Root, "DATA", StringComparison.Ordinal);
        return ex is InvalidDataException or MediaInputException or ArgumentException
            ? message
            : $"render failed ({ex.GetType().Name}): {message}";
    }

    private static void DeleteQuietly(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException)
        {
            // Deleted again when the job is next started or removed.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed class Running(CancellationTokenSource cancel)
    {
        public CancellationTokenSource Cancel { get; } = cancel;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// Takes the pipeline's per-frame progress (stores the latest numbers, nothing else, on the
    /// render thread) and writes it to the store and listeners on its own timer. A write that
    /// finds the job no longer running (canceled elsewhere, e.g. by another API node) cancels the render.
    /// </summary>
    private sealed class ProgressPump(JobRunner owner, JobRecord job, CancellationTokenSource cancel) : IProgress<RenderProgress>, IDisposable
    {
        private readonly Lock _gate = new();
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(cancel.Token);
        private RenderProgress _latest = new(0, job.FramesTotal, 0);
        private long _written = -1;
        private Task _pump = Task.CompletedTask;

        public void Report(RenderProgress value)
        {
            lock (_gate)
            {
                _latest = value;
            }
        }

        public void Start() => _pump = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);

        /// <summary>Ends the timer and waits for a write in flight.</summary>
        public async Task StopAsync()
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            await _pump.ConfigureAwait(false);
        }

        public void Dispose() => _stop.Dispose();

        private async Task RunAsync(CancellationToken ct)
        {
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    await Task.Delay(owner._options.ProgressInterval, ct).ConfigureAwait(false);
                    await FlushAsync(ct).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // The render ended or was canceled.
            }
            catch (Exception ex)
            {
                owner._log.LogWarning(ex, "jobs: progress of job {Id} could not be written", job.Id);
            }
        }

        private async Task FlushAsync(CancellationToken ct)
        {
            RenderProgress p;
            lock (_gate)
            {
                p = _latest;
            }

            if (p.Frame == _written)
            {
                return;
            }

            _written = p.Frame;
            bool wanted = await owner._store.ReportProgressAsync(job.Id, p.Frame, p.TotalFrames, p.FramesPerSecond, ct).ConfigureAwait(false);
            if (!wanted)
            {
                await cancel.CancelAsync().ConfigureAwait(false);
                return;
            }

            owner._events.Publish(job with { State = JobState.Running, FramesDone = p.Frame, FramesTotal = p.TotalFrames ?? job.FramesTotal, Fps = p.FramesPerSecond });
        }
    }
}
