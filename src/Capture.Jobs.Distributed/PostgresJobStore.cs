using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Capture.Jobs.Distributed;

/// <summary>
/// The job store on PostgreSQL, shared by every API node and worker. Each transition is one
/// conditional <c>UPDATE</c>, and a running job carries its holder (<c>owner</c> = a
/// <see cref="DistributedNode.Id"/>, and the attempt number) and a heartbeat, so:
/// <list type="bullet">
/// <item>a message delivered twice starts the job once: the second taker finds it running with a fresh
/// heartbeat and waits (up to <see cref="DistributedJobsOptions.StaleAfter"/>) instead of rendering it again;</item>
/// <item>a job whose holder died (heartbeat stale) is taken over by the worker its message is redelivered to;</item>
/// <item>only the current holder can record progress or the final state, so a late finisher never overwrites;</item>
/// <item>a job started <see cref="DistributedJobsOptions.MaxAttempts"/> times without finishing is poison: it ends
/// <c>failed</c> with the reason, and its message goes to the dead-letter queue.</item>
/// </list>
/// Calls made for the API (create, get, list, cancel, delete) try twice, then throw
/// <see cref="JobStoreUnavailableException"/> (the API answers 503). Calls a worker makes about a job it
/// renders (start, finish, requeue) wait for the database to come back, so a PostgreSQL restart costs a
/// pause, not a job. Progress writes that fail are skipped (the render goes on).
/// </summary>
public sealed class PostgresJobStore : IJobStore, IAsyncDisposable
{
    private static readonly string s_columns = JobRows.Columns("_at");

    /// <summary>Serialises schema changes between nodes that start together (an arbitrary, fixed 64-bit key).</summary>
    private const long SchemaLockKey = 0x43415054_4A4F4253; // "CAPTJOBS"

    private const int SchemaVersion = 1;

    /// <summary>
    /// Since when a running job's holder has been silent: its last heartbeat, but never before the
    /// database itself started. While PostgreSQL was down or restarting nobody could heartbeat, so a
    /// restart of the database must not make every running job look abandoned.
    /// </summary>
    private const string StaleSince = "GREATEST(COALESCE(heartbeat_at, '-infinity'), pg_postmaster_start_time())";

    /// <summary>How long a worker waits for the database to come back before giving up on a call about its job.</summary>
    private static readonly TimeSpan s_durableDeadline = TimeSpan.FromMinutes(10);

    private readonly NpgsqlDataSource _dataSource;
    private readonly DistributedNode _node;
    private readonly DistributedJobsOptions _options;
    private readonly ILogger _log;
    private readonly string _where;
    private int _progressFailing;
    private int _disposed;

    public PostgresJobStore(DistributedJobsOptions options, DistributedNode node, ILogger<PostgresJobStore>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(node);
        _options = options;
        _node = node;
        _log = (ILogger?)log ?? NullLogger.Instance;
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(options.Store);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"--store: not a PostgreSQL connection string ({ex.Message})", ex);
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new InvalidDataException("--store: the connection string names no Host");
        }

        // Fail fast while the server is down (the API answers 503 at once, not after 15 s).
        if (!options.Store.Contains("Timeout", StringComparison.OrdinalIgnoreCase))
        {
            builder.Timeout = 5;
        }

        builder.ApplicationName ??= "capture";
        _where = $"PostgreSQL at {builder.Host}:{builder.Port}/{builder.Database}";
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    /// <summary>Host, port and database, for messages (never the password).</summary>
    public string Where => _where;

    internal NpgsqlDataSource DataSource => _dataSource;

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        // A node may start before the database: wait for it a while, saying so once.
        await DurableAsync("create the schema", TimeSpan.FromSeconds(60), async (c, t) =>
        {
            await using NpgsqlTransaction tx = await c.BeginTransactionAsync(t).ConfigureAwait(false);
            await ExecAsync(c, "SELECT pg_advisory_xact_lock(@k)", t, ("k", SchemaLockKey)).ConfigureAwait(false);
            await ExecAsync(c, "CREATE TABLE IF NOT EXISTS capture_schema (name text PRIMARY KEY, version integer NOT NULL)", t).ConfigureAwait(false);
            object? found = await ScalarAsync(c, "SELECT version FROM capture_schema WHERE name = 'jobs'", t).ConfigureAwait(false);
            int version = found is int v ? v : 0;
            if (version > SchemaVersion)
            {
                throw new InvalidDataException($"{_where} holds jobs schema version {version}, newer than this build's {SchemaVersion}: update this node");
            }

            if (version < 1)
            {
                await ExecAsync(c, """
                    CREATE TABLE IF NOT EXISTS jobs (
                        id text PRIMARY KEY,
                        state text NOT NULL,
                        settings text NOT NULL,
                        driving_file text NOT NULL,
                        character_file text NOT NULL,
                        rig_file text NULL,
                        profile_file text NULL,
                        driving_name text NULL,
                        duration_s double precision NULL,
                        created_at timestamptz NOT NULL,
                        started_at timestamptz NULL,
                        finished_at timestamptz NULL,
                        frames_done bigint NOT NULL DEFAULT 0,
                        frames_total bigint NULL,
                        fps double precision NOT NULL DEFAULT 0,
                        error text NULL,
                        attempts integer NOT NULL DEFAULT 0,
                        owner text NULL,
                        heartbeat_at timestamptz NULL,
                        queued_at timestamptz NOT NULL DEFAULT now(),
                        published_at timestamptz NULL);
                    CREATE INDEX IF NOT EXISTS jobs_created ON jobs (created_at DESC);
                    CREATE INDEX IF NOT EXISTS jobs_open ON jobs (state) WHERE state IN ('queued', 'running');
                    CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;
                    INSERT INTO capture_schema (name, version) VALUES ('jobs', 1)
                        ON CONFLICT (name) DO UPDATE SET version = 1;
                    """, t).ConfigureAwait(false);
            }

            await tx.CommitAsync(t).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);
    }

    public Task CreateAsync(JobRecord job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return ApiAsync(async (c, t) =>
        {
            await ExecAsync(c,
                "INSERT INTO jobs (id, state, settings, driving_file, character_file, rig_file, profile_file, driving_name, duration_s, created_at, frames_total) " +
                "VALUES (@id, @state, @settings, @driving, @character, @rig, @profile, @name, @duration, @created, @total)",
                t,
                ("id", job.Id), ("state", JobStatus.StateName(job.State)), ("settings", JsonSerializer.Serialize(job.Settings)),
                ("driving", job.DrivingFile), ("character", job.CharacterFile), ("rig", job.RigFile), ("profile", job.ProfileFile),
                ("name", job.DrivingName), ("duration", job.DurationSeconds), ("created", job.CreatedAt.ToUniversalTime()), ("total", job.FramesTotal)).ConfigureAwait(false);
            return true;
        }, ct);
    }

    public Task<JobRecord?> GetAsync(string id, CancellationToken ct = default) =>
        ApiAsync((c, t) => GetAsync(c, id, t), ct);

    public async Task<IReadOnlyList<JobRecord>> ListAsync(int limit, CancellationToken ct = default) =>
        await ApiAsync(async (c, t) =>
        {
            await using NpgsqlCommand cmd = Command(c, $"SELECT {s_columns} FROM jobs ORDER BY created_at DESC, id LIMIT @limit", ("limit", Math.Max(0, limit)));
            return await ReadAllAsync(cmd, t).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

    public Task<int> CountQueuedAsync(CancellationToken ct = default) =>
        ApiAsync(async (c, t) =>
        {
            await using NpgsqlCommand cmd = Command(c, "SELECT COUNT(*) FROM jobs WHERE state = 'queued'");
            return Convert.ToInt32(await cmd.ExecuteScalarAsync(t).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
        }, ct);

    public async Task<JobRecord?> TryStartAsync(string id, CancellationToken ct = default)
    {
        // How long to wait for another holder's heartbeat to go stale (it may be rendering it still,
        // e.g. it lost the broker, not its life): after that, the sweeper reclaims it if its holder dies.
        DateTime giveUpAt = DateTime.UtcNow + _options.StaleAfter + (2 * _options.HeartbeatInterval);
        bool saidWaiting = false;
        while (true)
        {
            JobRecord? started = await DurableAsync("start a job", s_durableDeadline, async (c, t) =>
            {
                await using NpgsqlCommand cmd = Command(c,
                    "UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = now(), frames_done = 0, fps = 0, error = NULL, " +
                    "owner = @node, heartbeat_at = now() " +
                    "WHERE id = @id AND attempts < @max AND (state = 'queued' OR (state = 'running' AND " + StaleSince + " < now() - @stale)) " +
                    $"RETURNING {s_columns}",
                    ("id", id), ("node", _node.Id), ("max", _options.MaxAttempts), ("stale", _options.StaleAfter));
                IReadOnlyList<JobRecord> rows = await ReadAllAsync(cmd, t).ConfigureAwait(false);
                return rows.Count == 1 ? rows[0] : null;
            }, ct).ConfigureAwait(false);
            if (started is not null)
            {
                _node.Hold(id, started.Attempts);
                return started;
            }

            (string State, int Attempts, bool Stale)? now = await DurableAsync("read a job", s_durableDeadline, async (c, t) =>
            {
                await using NpgsqlCommand cmd = Command(c,
                    "SELECT state, attempts, (" + StaleSince + " < now() - @stale) FROM jobs WHERE id = @id",
                    ("id", id), ("stale", _options.StaleAfter));
                await using NpgsqlDataReader r = await cmd.ExecuteReaderAsync(t).ConfigureAwait(false);
                return await r.ReadAsync(t).ConfigureAwait(false) ? (r.GetString(0), r.GetInt32(1), r.GetBoolean(2)) : ((string, int, bool)?)null;
            }, ct).ConfigureAwait(false);
            if (now is not { } job || job.State is not ("queued" or "running"))
            {
                // Deleted, or finished already (a redelivery after the result was recorded): nothing to do.
                return null;
            }

            if (job.State == "queued" || job.Stale)
            {
                if (job.Attempts >= _options.MaxAttempts)
                {
                    await GiveUpAsync(id, job.Attempts, ct).ConfigureAwait(false);
                    return null;
                }

                continue; // It went stale or back to queued between the two statements: try again.
            }

            if (_node.TryGetAttempt(id, out _) || DateTime.UtcNow >= giveUpAt)
            {
                // This process renders it already (a second copy of its message), or its live holder keeps
                // it: leave it to that holder; should the holder die, the sweeper reclaims and republishes it.
                return null;
            }

            if (!saidWaiting)
            {
                _log.LogInformation("jobs: job {Id} is running elsewhere with a fresh heartbeat; waiting to see whether its holder is alive", id);
                saidWaiting = true;
            }

            await Task.Delay(_options.HeartbeatInterval, ct).ConfigureAwait(false);
        }
    }

    public async Task<bool> ReportProgressAsync(string id, long framesDone, long? framesTotal, double fps, CancellationToken ct = default)
    {
        if (!_node.TryGetAttempt(id, out int attempt))
        {
            return false;
        }

        try
        {
            bool mine = await ApiAsync(async (c, t) => await ExecAsync(c,
                "UPDATE jobs SET frames_done = @done, frames_total = COALESCE(@total, frames_total), fps = @fps, heartbeat_at = now() " +
                "WHERE id = @id AND state = 'running' AND owner = @node AND attempts = @attempt",
                t, ("id", id), ("done", framesDone), ("total", framesTotal), ("fps", double.IsFinite(fps) ? fps : 0), ("node", _node.Id), ("attempt", attempt)).ConfigureAwait(false) == 1, ct).ConfigureAwait(false);
            Interlocked.Exchange(ref _progressFailing, 0);
            return mine;
        }
        catch (JobStoreUnavailableException ex)
        {
            // Progress is advisory: keep rendering while the database is away; the final state waits for it.
            if (Interlocked.Exchange(ref _progressFailing, 1) == 0)
            {
                _log.LogWarning("jobs: progress of job {Id} not stored ({Reason}); rendering on", id, ex.Message);
            }

            return true;
        }
    }

    public async Task<JobRecord?> FinishAsync(string id, JobState state, string? error, long? frames = null, CancellationToken ct = default)
    {
        if (state is JobState.Queued or JobState.Running)
        {
            throw new ArgumentOutOfRangeException(nameof(state), "a job finishes as succeeded, failed or canceled");
        }

        if (!_node.TryGetAttempt(id, out int attempt))
        {
            return null;
        }

        try
        {
            return await DurableAsync("record a job's end", s_durableDeadline, async (c, t) =>
            {
                await using NpgsqlCommand cmd = Command(c,
                    "UPDATE jobs SET state = @state, error = @error, finished_at = now(), owner = NULL, heartbeat_at = NULL, " +
                    // The render's own count when given: progress is advisory, and what last reached the store
                    // while it was away can be far behind (a 136-frame render recorded as 51/51).
                    "frames_done = CASE WHEN @state = 'succeeded' THEN COALESCE(@frames, frames_done) ELSE frames_done END, " +
                    "frames_total = CASE WHEN @state = 'succeeded' THEN COALESCE(@frames, frames_done) ELSE frames_total END " +
                    $"WHERE id = @id AND state = 'running' AND owner = @node AND attempts = @attempt RETURNING {s_columns}",
                    ("id", id), ("state", JobStatus.StateName(state)), ("error", error), ("frames", frames), ("node", _node.Id), ("attempt", attempt));
                IReadOnlyList<JobRecord> rows = await ReadAllAsync(cmd, t).ConfigureAwait(false);
                return rows.Count == 1 ? rows[0] : null;
            }, ct).ConfigureAwait(false);
        }
        finally
        {
            _node.Release(id);
        }
    }

    public async Task<bool> RequeueAsync(string id, CancellationToken ct = default)
    {
        if (!_node.TryGetAttempt(id, out int attempt))
        {
            return false;
        }

        try
        {
            // A deliberate stop (shutdown) does not count as a try; the delivery goes back to the broker with a nack.
            return await DurableAsync("requeue a job", TimeSpan.FromSeconds(30), async (c, t) => await ExecAsync(c,
                "UPDATE jobs SET state = 'queued', frames_done = 0, fps = 0, owner = NULL, heartbeat_at = NULL, attempts = attempts - 1, queued_at = now() " +
                "WHERE id = @id AND state = 'running' AND owner = @node AND attempts = @attempt",
                t, ("id", id), ("node", _node.Id), ("attempt", attempt)).ConfigureAwait(false) == 1, ct).ConfigureAwait(false);
        }
        finally
        {
            _node.Release(id);
        }
    }

    public Task<JobRecord?> CancelAsync(string id, string reason, CancellationToken ct = default) =>
        ApiAsync(async (c, t) =>
        {
            await using NpgsqlTransaction tx = await c.BeginTransactionAsync(t).ConfigureAwait(false);
            await using NpgsqlCommand select = Command(c, $"SELECT {s_columns} FROM jobs WHERE id = @id FOR UPDATE", ("id", id));
            IReadOnlyList<JobRecord> rows = await ReadAllAsync(select, t).ConfigureAwait(false);
            JobRecord? before = rows.Count == 1 ? rows[0] : null;
            if (before is not null && !before.IsFinished)
            {
                await ExecAsync(c,
                    "UPDATE jobs SET state = 'canceled', error = @error, finished_at = now(), owner = NULL, heartbeat_at = NULL WHERE id = @id AND state IN ('queued', 'running')",
                    t, ("id", id), ("error", reason)).ConfigureAwait(false);
            }

            await tx.CommitAsync(t).ConfigureAwait(false);
            return before;
        }, ct);

    public Task<bool> DeleteAsync(string id, CancellationToken ct = default) =>
        ApiAsync(async (c, t) => await ExecAsync(c, "DELETE FROM jobs WHERE id = @id", t, ("id", id)).ConfigureAwait(false) == 1, ct);

    /// <summary>
    /// Nothing to hand back: unlike the single-node store, a starting node must not touch jobs others
    /// run. Queued jobs wait in the broker; those it never confirmed and those whose holder died are
    /// republished by <see cref="JobSweeper"/>, on any node.
    /// </summary>
    public Task<IReadOnlyList<string>> RecoverAsync(CancellationToken ct = default) => Task.FromResult<IReadOnlyList<string>>([]);

    public async Task<IReadOnlyList<string>> ListFinishedBeforeAsync(DateTimeOffset before, CancellationToken ct = default) =>
        await ApiAsync(async (c, t) =>
        {
            await using NpgsqlCommand cmd = Command(c,
                "SELECT id FROM jobs WHERE state IN ('succeeded', 'failed', 'canceled') AND finished_at < @before ORDER BY finished_at",
                ("before", before.ToUniversalTime()));
            return await ReadIdsAsync(cmd, t).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

    /// <summary>The broker confirmed the job's message.</summary>
    internal Task MarkPublishedAsync(string id, CancellationToken ct) =>
        ApiAsync(async (c, t) => await ExecAsync(c, "UPDATE jobs SET published_at = now() WHERE id = @id AND state = 'queued'", t, ("id", id)).ConfigureAwait(false), ct);

    /// <summary>
    /// Claims queued jobs no broker confirmed (published_at null) for longer than <paramref name="grace"/>
    /// and marks them published; the caller publishes them (and clears the mark when that fails).
    /// SKIP LOCKED: two sweepers never claim the same job.
    /// </summary>
    internal async Task<IReadOnlyList<string>> ClaimUnpublishedAsync(TimeSpan grace, CancellationToken ct) =>
        await ApiAsync(async (c, t) =>
        {
            await using NpgsqlCommand cmd = Command(c,
                "UPDATE jobs SET published_at = now() WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' AND published_at IS NULL " +
                "AND queued_at < now() - @grace ORDER BY queued_at LIMIT 100 FOR UPDATE SKIP LOCKED) RETURNING id",
                ("grace", grace));
            return await ReadIdsAsync(cmd, t).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

    internal Task UnmarkPublishedAsync(string id, CancellationToken ct) =>
        ApiAsync(async (c, t) => await ExecAsync(c, "UPDATE jobs SET published_at = NULL WHERE id = @id AND state = 'queued'", t, ("id", id)).ConfigureAwait(false), ct);

    /// <summary>
    /// Running jobs whose holder stopped heartbeating long ago (<paramref name="after"/>) and whose message
    /// was not redelivered to anyone: back to queued (to be republished), or failed when they used up their tries.
    /// Returns the jobs changed, as they are now.
    /// </summary>
    internal async Task<IReadOnlyList<JobRecord>> ReclaimStaleAsync(TimeSpan after, CancellationToken ct) =>
        await ApiAsync(async (c, t) =>
        {
            await using NpgsqlCommand requeue = Command(c,
                "UPDATE jobs SET state = 'queued', owner = NULL, heartbeat_at = NULL, frames_done = 0, fps = 0, queued_at = now(), published_at = NULL " +
                $"WHERE state = 'running' AND {StaleSince} < now() - @after AND attempts < @max RETURNING {s_columns}",
                ("after", after), ("max", _options.MaxAttempts));
            var changed = new List<JobRecord>(await ReadAllAsync(requeue, t).ConfigureAwait(false));
            await using NpgsqlCommand fail = Command(c,
                "UPDATE jobs SET state = 'failed', error = @error, finished_at = now(), owner = NULL, heartbeat_at = NULL " +
                $"WHERE state = 'running' AND {StaleSince} < now() - @after AND attempts >= @max RETURNING {s_columns}",
                ("after", after), ("max", _options.MaxAttempts), ("error", PoisonReason(_options.MaxAttempts)));
            changed.AddRange(await ReadAllAsync(fail, t).ConfigureAwait(false));
            return changed;
        }, ct).ConfigureAwait(false);

    /// <summary>Refreshes the heartbeat of the jobs this process holds; returns those the store no longer gives it (canceled, deleted, taken over).</summary>
    internal async Task<IReadOnlyList<string>> HeartbeatAsync(IReadOnlyList<string> held, CancellationToken ct)
    {
        if (held.Count == 0)
        {
            return [];
        }

        IReadOnlyList<string> alive = await ApiAsync(async (c, t) =>
        {
            await using NpgsqlCommand cmd = Command(c,
                "UPDATE jobs SET heartbeat_at = now() WHERE id = ANY(@ids) AND state = 'running' AND owner = @node RETURNING id",
                ("ids", held.ToArray()), ("node", _node.Id));
            return await ReadIdsAsync(cmd, t).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        return [.. held.Except(alive, StringComparer.Ordinal)];
    }

    /// <summary>The error a poison job ends with.</summary>
    public static string PoisonReason(int attempts) =>
        $"gave up after {attempts} tries: every worker that started this job stopped before finishing it (process killed or crashed, or it lost the store); " +
        "its message is in the dead-letter queue";

    /// <summary>Idempotent (registered as itself and as IJobStore, so disposed twice).</summary>
    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _disposed, 1) == 0 ? _dataSource.DisposeAsync() : ValueTask.CompletedTask;

    private async Task GiveUpAsync(string id, int attempts, CancellationToken ct)
    {
        JobRecord? failed = await DurableAsync("fail a poison job", s_durableDeadline, async (c, t) =>
        {
            await using NpgsqlCommand cmd = Command(c,
                "UPDATE jobs SET state = 'failed', error = @error, finished_at = now(), owner = NULL, heartbeat_at = NULL " +
                "WHERE id = @id AND attempts >= @max AND (state = 'queued' OR (state = 'running' AND " + StaleSince + " < now() - @stale)) " +
                $"RETURNING {s_columns}",
                ("id", id), ("max", _options.MaxAttempts), ("stale", _options.StaleAfter), ("error", PoisonReason(attempts)));
            IReadOnlyList<JobRecord> rows = await ReadAllAsync(cmd, t).ConfigureAwait(false);
            return rows.Count == 1 ? rows[0] : null;
        }, ct).ConfigureAwait(false);
        if (failed is not null)
        {
            _node.MarkDeadLetter(id);
            GaveUp?.Invoke(failed);
            _log.LogWarning("jobs: job {Id} failed as poison after {Attempts} tries; its message goes to the dead-letter queue", id, attempts);
        }
    }

    /// <summary>Raised when this store fails a poison job (the runner is not told; the events are).</summary>
    internal Action<JobRecord>? GaveUp { get; set; }

    // --- plumbing --------------------------------------------------------------------------------------

    /// <summary>Two tries (the first failure clears the pool of broken connections), then 503.</summary>
    private async Task<T> ApiAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> op, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await using NpgsqlConnection c = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
                return await op(c, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex) && !ct.IsCancellationRequested)
            {
                _dataSource.Clear();
                if (attempt >= 2)
                {
                    throw Unavailable(ex);
                }
            }
        }
    }

    /// <summary>Retries with back-off until the database answers, <paramref name="deadline"/> passes or <paramref name="ct"/> fires.</summary>
    private async Task<T> DurableAsync<T>(string what, TimeSpan deadline, Func<NpgsqlConnection, CancellationToken, Task<T>> op, CancellationToken ct)
    {
        DateTime until = DateTime.UtcNow + deadline;
        var backoff = new ReconnectBackoff();
        bool said = false;
        while (true)
        {
            try
            {
                await using NpgsqlConnection c = await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
                T result = await op(c, ct).ConfigureAwait(false);
                if (said)
                {
                    _log.LogInformation("jobs: {Where} is back", _where);
                }

                return result;
            }
            catch (Exception ex) when (IsTransient(ex) && !ct.IsCancellationRequested)
            {
                _dataSource.Clear();
                if (DateTime.UtcNow >= until)
                {
                    throw Unavailable(ex);
                }

                if (!said)
                {
                    _log.LogWarning("jobs: cannot {What}: {Where} is not reachable ({Reason}); retrying until it is", what, _where, ex.Message);
                    said = true;
                }

                if (!await backoff.WaitAsync(ct).ConfigureAwait(false))
                {
                    ct.ThrowIfCancellationRequested();
                }
            }
        }
    }

    private JobStoreUnavailableException Unavailable(Exception ex) =>
        new($"the job store ({_where}) is not reachable: {FirstLine(ex)}", ex);

    private static string FirstLine(Exception ex)
    {
        string m = ex.InnerException is SocketException s ? s.Message : ex.Message;
        int nl = m.IndexOf('\n', StringComparison.Ordinal);
        return nl < 0 ? m : m[..nl];
    }

    /// <summary>Connection-level failures (server down, restarting, network): worth a retry. Anything else (SQL errors) is a bug and propagates.</summary>
    internal static bool IsTransient(Exception ex) => ex switch
    {
        NpgsqlException { IsTransient: true } => true,
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("57P", StringComparison.Ordinal),
        NpgsqlException { InnerException: IOException or SocketException or TimeoutException } => true,
        TimeoutException or SocketException => true,
        _ => false,
    };

    private static NpgsqlCommand Command(NpgsqlConnection c, string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = new NpgsqlCommand(sql, c);
        foreach ((string name, object? value) in parameters)
        {
            cmd.Parameters.Add(value switch
            {
                // Untyped: the server infers the column's type (a typed text null would not fit a bigint column).
                null => new NpgsqlParameter { ParameterName = name, Value = DBNull.Value },
                TimeSpan span => new NpgsqlParameter(name, NpgsqlDbType.Interval) { Value = span },
                _ => new NpgsqlParameter(name, value),
            });
        }

        return cmd;
    }

    private static async Task<int> ExecAsync(NpgsqlConnection c, string sql, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using NpgsqlCommand cmd = Command(c, sql, parameters);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection c, string sql, CancellationToken ct)
    {
        await using NpgsqlCommand cmd = Command(c, sql);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }

    private static async Task<JobRecord?> GetAsync(NpgsqlConnection c, string id, CancellationToken ct)
    {
        await using NpgsqlCommand cmd = Command(c, $"SELECT {s_columns} FROM jobs WHERE id = @id", ("id", id));
        IReadOnlyList<JobRecord> rows = await ReadAllAsync(cmd, ct).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<IReadOnlyList<string>> ReadIdsAsync(NpgsqlCommand cmd, CancellationToken ct)
    {
        var ids = new List<string>();
        await using NpgsqlDataReader r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            ids.Add(r.GetString(0));
        }

        return ids;
    }

    private static Task<IReadOnlyList<JobRecord>> ReadAllAsync(NpgsqlCommand cmd, CancellationToken ct) =>
        JobRows.ReadAllAsync(cmd, static (r, i) => r.GetFieldValue<DateTimeOffset>(i), ct);
}
