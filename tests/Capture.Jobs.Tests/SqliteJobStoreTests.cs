namespace Capture.Jobs.Tests;

/// <summary>The SQLite store's transitions on a real database file.</summary>
public sealed class SqliteJobStoreTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-jobs-store-").FullName;
    private SqliteJobStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteJobStore(Path.Combine(_dir, "jobs.db"));
        await _store.InitializeAsync();
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private static JobRecord NewJob(DateTimeOffset? created = null) => new()
    {
        Id = DataFolder.NewJobId(),
        DrivingFile = "driving.mp4",
        CharacterFile = "character.png",
        DrivingName = "take 1.mp4",
        Settings = new JobSettings { Size = 256, SideBySide = true, Intensity = 4, MotionData = false },
        CreatedAt = created ?? DateTimeOffset.UtcNow,
        FramesTotal = 100,
    };

    [Fact]
    public async Task CreateAndGet_RoundTripsEveryField()
    {
        JobRecord job = NewJob();
        await _store.CreateAsync(job);

        JobRecord? read = await _store.GetAsync(job.Id);

        Assert.NotNull(read);
        Assert.Equal(job.Settings, read.Settings);
        Assert.Equal((job.DrivingFile, job.CharacterFile, job.DrivingName, job.FramesTotal, JobState.Queued), (read.DrivingFile, read.CharacterFile, read.DrivingName, read.FramesTotal, read.State));
        Assert.Equal(job.CreatedAt.ToUnixTimeMilliseconds(), read.CreatedAt.ToUnixTimeMilliseconds());
        Assert.Null(await _store.GetAsync(DataFolder.NewJobId()));
    }

    [Fact]
    public async Task TryStart_OnlyOnceAndOnlyFromQueued()
    {
        JobRecord job = NewJob();
        await _store.CreateAsync(job);

        JobRecord? first = await _store.TryStartAsync(job.Id);
        JobRecord? second = await _store.TryStartAsync(job.Id);

        Assert.Equal(JobState.Running, first?.State);
        Assert.Equal(1, first?.Attempts);
        Assert.Null(second);
    }

    [Fact]
    public async Task ReportProgress_AfterCancel_SaysStop()
    {
        JobRecord job = NewJob();
        await _store.CreateAsync(job);
        await _store.TryStartAsync(job.Id);

        Assert.True(await _store.ReportProgressAsync(job.Id, 10, 100, 25));
        JobRecord? before = await _store.CancelAsync(job.Id, "canceled by test");

        Assert.Equal(JobState.Running, before?.State);
        Assert.False(await _store.ReportProgressAsync(job.Id, 11, 100, 25));
        JobRecord? after = await _store.GetAsync(job.Id);
        Assert.Equal((JobState.Canceled, "canceled by test"), (after?.State, after?.Error));
        Assert.Null(await _store.FinishAsync(job.Id, JobState.Succeeded, null));
    }

    [Fact]
    public async Task FinishAsync_WithTheRendersFrameCount_RecordsItOverStaleProgress()
    {
        JobRecord job = NewJob(DateTimeOffset.UtcNow);
        await _store.CreateAsync(job);
        await _store.TryStartAsync(job.Id);
        await _store.ReportProgressAsync(job.Id, 51, 51, 20);

        JobRecord? done = await _store.FinishAsync(job.Id, JobState.Succeeded, null, frames: 136);

        Assert.Equal((JobState.Succeeded, 136L, 136L), (done?.State, done?.FramesDone, done?.FramesTotal));
    }

    [Fact]
    public async Task Recover_PutsRunningJobsBackAndListsQueuedOldestFirst()
    {
        DateTimeOffset t = DateTimeOffset.UtcNow;
        JobRecord a = NewJob(t.AddSeconds(-3)), b = NewJob(t.AddSeconds(-2)), c = NewJob(t.AddSeconds(-1)), d = NewJob(t);
        foreach (JobRecord j in new[] { a, b, c, d })
        {
            await _store.CreateAsync(j);
        }

        await _store.TryStartAsync(b.Id);
        await _store.ReportProgressAsync(b.Id, 50, 100, 20);
        await _store.TryStartAsync(c.Id);
        await _store.FinishAsync(c.Id, JobState.Succeeded, null);

        IReadOnlyList<string> queued = await _store.RecoverAsync();

        Assert.Equal([a.Id, b.Id, d.Id], queued);
        JobRecord? recovered = await _store.GetAsync(b.Id);
        Assert.Equal((JobState.Queued, 0L), (recovered?.State, recovered?.FramesDone));
        Assert.Equal(JobState.Succeeded, (await _store.GetAsync(c.Id))?.State);
    }

    [Fact]
    public async Task FinishedBefore_ListsOnlyFinishedJobsOlderThanTheCutoff()
    {
        JobRecord done = NewJob(), running = NewJob();
        await _store.CreateAsync(done);
        await _store.CreateAsync(running);
        await _store.TryStartAsync(done.Id);
        await _store.FinishAsync(done.Id, JobState.Failed, "bad");
        await _store.TryStartAsync(running.Id);

        Assert.Equal([done.Id], await _store.ListFinishedBeforeAsync(DateTimeOffset.UtcNow.AddSeconds(1)));
        Assert.Empty(await _store.ListFinishedBeforeAsync(DateTimeOffset.UtcNow.AddMinutes(-1)));
        Assert.True(await _store.DeleteAsync(done.Id));
        Assert.Null(await _store.GetAsync(done.Id));
    }

    [Fact]
    public async Task Initialize_OnANewerSchema_RefusesNamingTheVersion()
    {
        string path = Path.Combine(_dir, "newer.db");
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await c.OpenAsync();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA user_version = 99;";
            await cmd.ExecuteNonQueryAsync();
        }

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => new SqliteJobStore(path).InitializeAsync());
        Assert.Contains("schema version 99", ex.Message, StringComparison.Ordinal);
    }
}
