using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Capture.Jobs;

/// <summary>
/// The embedded job store: one SQLite file (<see cref="DataFolder.DatabasePath"/>) in WAL mode,
/// a connection per call (Microsoft.Data.Sqlite pools them). Each transition is one conditional
/// UPDATE, so it is atomic and survives a kill at any moment; times are Unix milliseconds.
/// </summary>
public sealed class SqliteJobStore : IJobStore
{
    // PRAGMA user_version: bumped with each schema change; InitializeAsync migrates step by step.
    private const int SchemaVersion = 1;

    private static readonly string s_columns = JobRows.Columns("_ms");

    private readonly string _connectionString;

    public SqliteJobStore(string databasePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public async Task InitializeAsync(CancellationToken ct = default)
    {
        await using SqliteConnection c = await OpenAsync(ct).ConfigureAwait(false);
        await ExecuteAsync(c, "PRAGMA journal_mode=WAL;", ct).ConfigureAwait(false);
        long version = (long)(await ScalarAsync(c, "PRAGMA user_version;", ct).ConfigureAwait(false) ?? 0L);
        if (version > SchemaVersion)
        {
            throw new InvalidDataException($"the job database has schema version {version}, newer than this Capture ({SchemaVersion}); use a newer Capture or another data folder");
        }

        if (version < 1)
        {
            await ExecuteAsync(c, """
                CREATE TABLE IF NOT EXISTS jobs (
                    id TEXT PRIMARY KEY NOT NULL,
                    state TEXT NOT NULL,
                    settings TEXT NOT NULL,
                    driving_file TEXT NOT NULL,
                    character_file TEXT NOT NULL,
                    rig_file TEXT NULL,
                    profile_file TEXT NULL,
                    driving_name TEXT NULL,
                    duration_s REAL NULL,
                    created_ms INTEGER NOT NULL,
                    started_ms INTEGER NULL,
                    finished_ms INTEGER NULL,
                    frames_done INTEGER NOT NULL DEFAULT 0,
                    frames_total INTEGER NULL,
                    fps REAL NOT NULL DEFAULT 0,
                    error TEXT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0);
                CREATE INDEX IF NOT EXISTS jobs_state_created ON jobs(state, created_ms);
                CREATE INDEX IF NOT EXISTS jobs_created ON jobs(created_ms);
                PRAGMA user_version = 1;
                """, ct).ConfigureAwait(false);
        }
    }

    public async Task CreateAsync(JobRecord job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        await using SqliteConnection c = await OpenAsync(ct).ConfigureAwait(false);
        await using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = $"INSERT INTO jobs ({s_columns}) VALUES ($id, $state, $settings, $driving, $character, $rig, $profile, $name, $duration, $created, NULL, NULL, 0, $total, 0, NULL, 0);";
        cmd.Parameters.AddWithValue("$id", job.Id);
        cmd.Parameters.AddWithValue("$state", JobStatus.StateName(job.State));
        cmd.Parameters.AddWithValue("$settings", JsonSerializer.Serialize(job.Settings));
        cmd.Parameters.AddWithValue("$driving", job.DrivingFile);
        cmd.Parameters.AddWithValue("$character", job.CharacterFile);
        cmd.Parameters.AddWithValue("$rig", (object?)job.RigFile ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$profile", (object?)job.ProfileFile ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$name", (object?)job.DrivingName ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$duration", (object?)job.DurationSeconds ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$created", job.CreatedAt.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$total", (object?)job.FramesTotal ?? DBNull.Value);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<JobRecord?> GetAsync(string id, CancellationToken ct = default)
    {
        await using SqliteConnection c = await OpenAsync(ct).ConfigureAwait(false);
        return await GetAsync(c, id, ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<JobRecord>> ListAsync(int limit, CancellationToken ct = default)
    {
        await using SqliteConnection c = await OpenAsync(ct).ConfigureAwait(false);
        await using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {s_columns} FROM jobs ORDER BY created_ms DESC, rowid DESC LIMIT $limit;";
        cmd.Parameters.AddWithValue("$limit", Math.Max(0, limit));
        return await ReadAllAsync(cmd, ct).ConfigureAwait(false);
    }

    public async Task<int> CountQueuedAsync(CancellationToken ct = default)
    {
        await using SqliteConnection c = await OpenAsync(ct).ConfigureAwait(false);
        await using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM jobs WHERE state = 'queued';";
        return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<JobRecord?> TryStartAsync(string id, CancellationToken ct = default)
    {
        await using SqliteConnection c = await OpenAsync(ct).ConfigureAwait(false);
        await using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE jobs SET state = 'running', attempts = attempts + 1, started_ms = $now, frames_done = 0, fps = 0, error = NULL WHERE id = $id AND state = 'queued';";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1 ? await GetAsync(c, id, ct).ConfigureAwait(false) : null;
    }

    public async Task<bool> ReportProgressAsync(string id, long framesDone, long? framesTotal, double fps, CancellationToken ct = default)
    {
        await using SqliteConnection c = await OpenAsync(ct).ConfigureAwait(false);
        await using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE jobs SET frames_done = $done, frames_total = COALESCE($total, frames_total), fps = $fps WHERE id = $id AND state = 'running';";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$done", framesDone);
        cmd.Parameters.AddWithValue("$total", (object?)framesTotal ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$fps", double.IsFinite(fps) ? fps : 0);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public async Task<JobRecord?> FinishAsync(string id, JobState state, string? error, long? frames = null, CancellationToken ct = default)
    {
        if (state is JobState.Queued or JobState.Running)
        {
            throw new ArgumentOutOfRangeException(nameof(state), "a job finishes as succeeded, failed or canceled");
        }

        await using SqliteConnection c = await OpenAsync(ct).ConfigureAwait(false);
        await using SqliteCommand cmd = c.CreateCommand();
        // A succeeded job's frame count is final: the render's own count when given, else frames_total = frames_done.
        cmd.CommandText = "UPDATE jobs SET state = $state, error = $error, finished_ms = $now, " +
            "frames_done = CASE WHEN $state = 'succeeded' THEN COALESCE($frames, frames_done) ELSE frames_done END, " +
            "frames_total = CASE WHEN $state = 'succeeded' THEN COALESCE($frames, frames_done) ELSE frames_total END WHERE id = $id AND state = 'running';";
        cmd.Parameters.AddWithValue("$frames", (object?)frames ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$state", JobStatus.StateName(state));
        cmd.Parameters.AddWithValue("$error", (object?)error ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1 ? await GetAsync(c, id, ct).ConfigureAwait(false) : null;
    }

    public async Task<bool> RequeueAsync(string id, CancellationToken ct = default)
    {
        await using SqliteConnection c = await OpenAsync(ct).ConfigureAwait(false);
        await using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE jobs SET state = 'queued', frames_done = 0, fps = 0 WHERE id = $id AND state = 'running';";
        cmd.Parameters.AddWithValue("$id", id);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public async Task<JobRecord?> CancelAsync(string id, string reason, CancellationToken ct = default)
    {
        await using SqliteConnection c = await OpenAsync(ct).ConfigureAwait(false);
        await using SqliteTransaction tx = (SqliteTransaction)await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        JobRecord? before = await GetAsync(c, id, ct).ConfigureAwait(false);
        if (before is not null && !before.IsFinished)
        {
            await using SqliteCommand cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE jobs SET state = 'canceled', error = $error, finished_ms = $now WHERE id = $id AND state IN ('queued', 'running');";
            cmd.Parameters.AddWithValue("$id", id);
            cmd.Parameters.AddWithValue("$error", reason);
            cmd.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
        return before;
    }

    public async Task<bool> DeleteAsync(string id, CancellationToken ct = default)
    {
        await using SqliteConnection c = await OpenAsync(ct).ConfigureAwait(false);
        await using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM jobs WHERE id = $id;";
        cmd.Parameters.AddWithValue("$id", id);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 1;
    }

    public async Task<IReadOnlyList<string>> RecoverAsync(CancellationToken ct = default)
    {
        await using SqliteConnection c = await OpenAsync(ct).ConfigureAwait(false);
        await ExecuteAsync(c, "UPDATE jobs SET state = 'queued', frames_done = 0, fps = 0 WHERE state = 'running';", ct).ConfigureAwait(false);
        await using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id FROM jobs WHERE state = 'queued' ORDER BY created_ms, rowid;";
        var ids = new List<string>();
        await using SqliteDataReader r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            ids.Add(r.GetString(0));
        }

        return ids;
    }

    public async Task<IReadOnlyList<string>> ListFinishedBeforeAsync(DateTimeOffset before, CancellationToken ct = default)
    {
        await using SqliteConnection c = await OpenAsync(ct).ConfigureAwait(false);
        await using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id FROM jobs WHERE state IN ('succeeded', 'failed', 'canceled') AND finished_ms < $before ORDER BY finished_ms;";
        cmd.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
        var ids = new List<string>();
        await using SqliteDataReader r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            ids.Add(r.GetString(0));
        }

        return ids;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var c = new SqliteConnection(_connectionString);
        try
        {
            await c.OpenAsync(ct).ConfigureAwait(false);
            // Per connection: WAL readers never block the writer; NORMAL sync is durable across a
            // process kill (only an OS crash can lose the last commits).
            await ExecuteAsync(c, "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;", ct).ConfigureAwait(false);
            return c;
        }
        catch
        {
            await c.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task ExecuteAsync(SqliteConnection c, string sql, CancellationToken ct)
    {
        await using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection c, string sql, CancellationToken ct)
    {
        await using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }

    private static async Task<JobRecord?> GetAsync(SqliteConnection c, string id, CancellationToken ct)
    {
        await using SqliteCommand cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {s_columns} FROM jobs WHERE id = $id;";
        cmd.Parameters.AddWithValue("$id", id);
        IReadOnlyList<JobRecord> all = await ReadAllAsync(cmd, ct).ConfigureAwait(false);
        return all.Count == 0 ? null : all[0];
    }

    private static Task<IReadOnlyList<JobRecord>> ReadAllAsync(SqliteCommand cmd, CancellationToken ct) =>
        JobRows.ReadAllAsync(cmd, static (r, i) => DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(i)), ct);
}
