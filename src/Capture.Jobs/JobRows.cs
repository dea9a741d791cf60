using System.Data.Common;
using System.Text.Json;

namespace Capture.Jobs;

/// <summary>
/// Reads job rows for the SQL job stores (SQLite here, PostgreSQL in Capture.Jobs.Distributed): both
/// select <see cref="Columns"/> in this order and differ only in how a timestamp is stored.
/// </summary>
public static class JobRows
{
    /// <summary>
    /// The columns every job query selects, in the order <see cref="ReadAllAsync"/> reads them;
    /// <paramref name="timeSuffix"/> names the timestamp columns (<c>_ms</c> or <c>_at</c>).
    /// </summary>
    public static string Columns(string timeSuffix) =>
        "id, state, settings, driving_file, character_file, rig_file, profile_file, driving_name, duration_s, " +
        $"created{timeSuffix}, started{timeSuffix}, finished{timeSuffix}, frames_done, frames_total, fps, error, attempts";

    /// <summary>Runs <paramref name="cmd"/> and reads every row; <paramref name="time"/> reads a non-null timestamp column.</summary>
    public static async Task<IReadOnlyList<JobRecord>> ReadAllAsync(DbCommand cmd, Func<DbDataReader, int, DateTimeOffset> time, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        ArgumentNullException.ThrowIfNull(time);
        var list = new List<JobRecord>();
        await using DbDataReader r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new JobRecord
            {
                Id = r.GetString(0),
                State = JobStatus.ParseState(r.GetString(1)),
                Settings = JsonSerializer.Deserialize<JobSettings>(r.GetString(2)) ?? new JobSettings(),
                DrivingFile = r.GetString(3),
                CharacterFile = r.GetString(4),
                RigFile = Text(r, 5),
                ProfileFile = Text(r, 6),
                DrivingName = Text(r, 7),
                DurationSeconds = r.IsDBNull(8) ? null : r.GetDouble(8),
                CreatedAt = time(r, 9),
                StartedAt = r.IsDBNull(10) ? null : time(r, 10),
                FinishedAt = r.IsDBNull(11) ? null : time(r, 11),
                FramesDone = r.GetInt64(12),
                FramesTotal = r.IsDBNull(13) ? null : r.GetInt64(13),
                Fps = r.GetDouble(14),
                Error = Text(r, 15),
                Attempts = r.GetInt32(16),
            });
        }

        return list;
    }

    private static string? Text(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
