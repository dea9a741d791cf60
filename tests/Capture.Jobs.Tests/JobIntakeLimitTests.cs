using Microsoft.Extensions.Options;

namespace Capture.Jobs.Tests;

/// <summary>
/// The intake's limits count and add in one step: uploads racing each other can never pass
/// Jobs:MaxConcurrentUploads or Jobs:MaxDataBytes together, and a full queue refuses before any work.
/// </summary>
public sealed class JobIntakeLimitTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-jobs-intake-").FullName;
    private SqliteJobStore _store = null!;
    private DataFolder _data = null!;

    public async Task InitializeAsync()
    {
        _data = new DataFolder(Path.Combine(_dir, "data"));
        _data.Prepare();
        _store = new SqliteJobStore(_data.DatabasePath);
        await _store.InitializeAsync();
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private JobIntake Intake(Action<JobsOptions> configure)
    {
        var options = new JobsOptions { DataDirectory = _data.Root };
        configure(options);
        return new JobIntake(_store, new ChannelJobQueue(), new InProcessJobEvents(), _data, Options.Create(options));
    }

    [Fact]
    public async Task BeginUpload_ManyAtOnce_NeverMoreThanTheLimitInFlight()
    {
        JobIntake intake = Intake(o => o.MaxConcurrentUploads = 5);
        using var start = new Barrier(40);
        IDisposable?[] slots = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            try
            {
                return intake.BeginUpload(1000);
            }
            catch (JobInputException ex) when (ex.Status == 503)
            {
                Assert.Contains("Jobs:MaxConcurrentUploads", ex.Message, StringComparison.Ordinal);
                return null;
            }
        })));

        Assert.Equal(5, slots.Count(s => s is not null));
        Assert.Equal(5, intake.UploadsInFlight);
        foreach (IDisposable? slot in slots)
        {
            slot?.Dispose();
        }

        Assert.Equal(0, intake.UploadsInFlight);
        intake.BeginUpload(1000).Dispose();
    }

    [Fact]
    public void BeginUpload_TwoThatTogetherPassMaxDataBytes_SecondRefusedUntilTheFirstEnds()
    {
        JobIntake intake = Intake(o =>
        {
            o.MaxUploadBytes = 600 * 1024;
            o.MaxDataBytes = 1024 * 1024;
        });
        long used = _data.UsedBytes();
        IDisposable first = intake.BeginUpload(600 * 1024 - used);

        // Each alone fits; the two together do not: the first's bytes are reserved although none is written yet.
        JobInputException ex = Assert.Throws<JobInputException>(() => intake.BeginUpload(600 * 1024));
        Assert.Equal(507, ex.Status);
        Assert.Contains("uploads in flight may add", ex.Message, StringComparison.Ordinal);

        first.Dispose();
        first.Dispose(); // twice is harmless: the slot is given back once
        Assert.Equal(0, intake.UploadsInFlight);
        intake.BeginUpload(600 * 1024).Dispose();
    }

    [Fact]
    public async Task AcceptAsync_QueueAtItsLimit_RefusedBeforeAnyCheck()
    {
        JobIntake intake = Intake(o => o.MaxQueuedJobs = 2);
        for (int i = 0; i < 2; i++)
        {
            await _store.CreateAsync(new JobRecord
            {
                Id = DataFolder.NewJobId(),
                DrivingFile = "driving.mp4",
                CharacterFile = "character.png",
                CreatedAt = DateTimeOffset.UtcNow,
            });
        }

        Assert.Equal(2, await _store.CountQueuedAsync());
        string driving = Path.Combine(_data.UploadsDirectory, "u1");
        string character = Path.Combine(_data.UploadsDirectory, "u2");
        await File.WriteAllTextAsync(driving, "not even a video: the queue is full before anything is probed");
        await File.WriteAllTextAsync(character, "x");

        JobInputException ex = await Assert.ThrowsAsync<JobInputException>(() =>
            intake.AcceptAsync(new StagedUpload { DrivingPath = driving, CharacterPath = character }, CancellationToken.None));

        Assert.Equal(503, ex.Status);
        Assert.Contains("2 jobs are already waiting", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(driving), "a refused upload's files are deleted");
        Assert.Equal(2, await _store.CountQueuedAsync());
    }
}
