using System.Diagnostics;
using System.Security.Cryptography;
using Npgsql;

namespace Capture.Jobs.Distributed.Tests;

/// <summary>
/// The store's transitions between nodes, on a real PostgreSQL (a schema of its own): who may start,
/// report and finish a job, take-over after a holder falls silent, poison after the bounded tries.
/// Several stores with their own node ids play several processes.
/// </summary>
public sealed class PostgresJobStoreTests : IAsyncLifetime
{
    private readonly string _schema = $"t_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    public async Task InitializeAsync()
    {
        if (ScaleOutEnvironment.SkipReason is null)
        {
            await ExecAsync($"CREATE SCHEMA {_schema}");
        }
    }

    public async Task DisposeAsync()
    {
        if (ScaleOutEnvironment.SkipReason is null)
        {
            await ExecAsync($"DROP SCHEMA IF EXISTS {_schema} CASCADE");
        }
    }

    [ScaleOutFact]
    public async Task InitializeAsync_TwoNodesAtOnceAndAgain_CreatesTheSchemaOnce()
    {
        await using PostgresJobStore a = Store(out _), b = Store(out _);
        await Task.WhenAll(a.InitializeAsync(), b.InitializeAsync());
        await a.InitializeAsync();
        JobRecord job = NewJob();
        await a.CreateAsync(job);
        Assert.Equal(JobState.Queued, (await b.GetAsync(job.Id))!.State);
    }

    [ScaleOutFact]
    public async Task TakeOver_AfterTheHolderFellSilent_FormerHolderCanNeitherReportNorFinish()
    {
        await using PostgresJobStore a = Store(out _), b = Store(out _), c = Store(out _);
        await a.InitializeAsync();
        JobRecord job = NewJob();
        await a.CreateAsync(job);
        Assert.Equal(1, (await a.TryStartAsync(job.Id))!.Attempts);

        await Task.Delay(TimeSpan.FromSeconds(1.3)); // a sends no heartbeat: stale after 1 s
        JobRecord? taken = await b.TryStartAsync(job.Id);

        Assert.Equal(2, taken!.Attempts);
        Assert.False(await a.ReportProgressAsync(job.Id, 10, 30, 5));
        Assert.Null(await a.FinishAsync(job.Id, JobState.Succeeded, null));
        Assert.True(await b.ReportProgressAsync(job.Id, 30, 30, 5));
        JobRecord done = (await b.FinishAsync(job.Id, JobState.Succeeded, null))!;
        Assert.Equal((JobState.Succeeded, 2, 30L), (done.State, done.Attempts, done.FramesDone));
        // A copy of the message delivered after the end: nothing to start.
        Assert.Null(await c.TryStartAsync(job.Id));
        Assert.Equal(JobState.Succeeded, (await c.GetAsync(job.Id))!.State);
    }

    [ScaleOutFact]
    public async Task TryStart_WhileTheHolderHeartbeats_SecondTakerWaitsThenLeavesItToTheHolder()
    {
        await using PostgresJobStore a = Store(out _), b = Store(out _);
        await a.InitializeAsync();
        JobRecord job = NewJob();
        await a.CreateAsync(job);
        await a.TryStartAsync(job.Id);
        using var beating = new CancellationTokenSource();
        Task heart = Task.Run(async () =>
        {
            for (int frame = 1; !beating.IsCancellationRequested; frame++)
            {
                await a.ReportProgressAsync(job.Id, frame, 100, 10);
                await Task.Delay(200);
            }
        });

        var clock = Stopwatch.StartNew();
        JobRecord? second = await b.TryStartAsync(job.Id);
        TimeSpan waited = clock.Elapsed;
        await beating.CancelAsync();
        await heart;

        Assert.Null(second);
        Assert.True(waited >= TimeSpan.FromSeconds(1), $"gave up after {waited.TotalSeconds:0.00} s, before the holder could have been stale");
        JobRecord now = (await a.GetAsync(job.Id))!;
        Assert.Equal((JobState.Running, 1), (now.State, now.Attempts));
    }

    [ScaleOutFact]
    public async Task TryStart_AfterTheBoundedTries_FailsThePoisonAndMarksItsDeliveryForTheDeadLetterQueue()
    {
        await using PostgresJobStore a = Store(out _), b = Store(out _), c = Store(out DistributedNode cNode);
        await a.InitializeAsync();
        JobRecord job = NewJob();
        await a.CreateAsync(job);
        await a.TryStartAsync(job.Id);
        await Task.Delay(TimeSpan.FromSeconds(1.3));
        Assert.Equal(2, (await b.TryStartAsync(job.Id))!.Attempts);
        await Task.Delay(TimeSpan.FromSeconds(1.3));

        Assert.Null(await c.TryStartAsync(job.Id));

        JobRecord failed = (await c.GetAsync(job.Id))!;
        Assert.Equal((JobState.Failed, 2), (failed.State, failed.Attempts));
        Assert.Contains("gave up after 2 tries", failed.Error, StringComparison.Ordinal);
        Assert.True(cNode.TakeDeadLetter(job.Id));
        Assert.Null(await b.FinishAsync(job.Id, JobState.Succeeded, null));
    }

    [ScaleOutFact]
    public async Task Requeue_AtShutdown_DoesNotCountAsATry()
    {
        await using PostgresJobStore a = Store(out _);
        await a.InitializeAsync();
        JobRecord job = NewJob();
        await a.CreateAsync(job);
        await a.TryStartAsync(job.Id);

        Assert.True(await a.RequeueAsync(job.Id));

        JobRecord queued = (await a.GetAsync(job.Id))!;
        Assert.Equal((JobState.Queued, 0), (queued.State, queued.Attempts));
        Assert.Equal(1, (await a.TryStartAsync(job.Id))!.Attempts);
    }

    [ScaleOutFact]
    public async Task CountQueued_CountsOnlyWaitingJobs()
    {
        await using PostgresJobStore a = Store(out _);
        await a.InitializeAsync();
        JobRecord first = NewJob(), second = NewJob(), third = NewJob();
        foreach (JobRecord job in new[] { first, second, third })
        {
            await a.CreateAsync(job);
        }

        Assert.Equal(3, await a.CountQueuedAsync());
        await a.TryStartAsync(first.Id);
        await a.CancelAsync(second.Id, "canceled");
        Assert.Equal(1, await a.CountQueuedAsync());
    }

    [ScaleOutFact]
    public async Task Cancel_ARunningJob_ItsHolderLearnsAtItsNextWrite()
    {
        await using PostgresJobStore a = Store(out _), api = Store(out _);
        await a.InitializeAsync();
        JobRecord job = NewJob();
        await a.CreateAsync(job);
        await a.TryStartAsync(job.Id);

        JobRecord before = (await api.CancelAsync(job.Id, "canceled (deleted through the API)"))!;

        Assert.Equal(JobState.Running, before.State);
        Assert.False(await a.ReportProgressAsync(job.Id, 5, 30, 5));
        Assert.Null(await a.FinishAsync(job.Id, JobState.Canceled, "canceled"));
        Assert.Equal(JobState.Canceled, (await api.GetAsync(job.Id))!.State);
    }

    [ScaleOutFact]
    public async Task FinishAsync_ProgressLostWhileTheDatabaseWasAway_RecordsTheRendersOwnFrameCount()
    {
        // The node reaches the real server through a relay the test cuts, as a network or database outage would.
        var pg = new Npgsql.NpgsqlConnectionStringBuilder(ScaleOutEnvironment.Pg);
        await using var relay = new TcpCutter(pg.Host!, pg.Port);
        await using PostgresJobStore setup = Store(out _);
        await setup.InitializeAsync();
        pg.Port = relay.Port;
        pg.Pooling = false;
        await using PostgresJobStore node = Store(out _, pg.ConnectionString);
        JobRecord job = NewJob() with { FramesTotal = 51 };
        await node.CreateAsync(job);
        await node.TryStartAsync(job.Id);
        Assert.True(await node.ReportProgressAsync(job.Id, 51, 51, 20));

        relay.Cut();
        bool stillMine = await node.ReportProgressAsync(job.Id, 136, 136, 20); // advisory: swallowed while away
        relay.Mend();
        JobRecord? before = await setup.GetAsync(job.Id);
        JobRecord done = (await node.FinishAsync(job.Id, JobState.Succeeded, null, frames: 136))!;

        Assert.True(stillMine);
        Assert.Equal(51, before!.FramesDone); // what reached the store: the 136 never did
        Assert.Equal((JobState.Succeeded, 136L, 136L), (done.State, done.FramesDone, done.FramesTotal));
        JobRecord stored = (await setup.GetAsync(job.Id))!;
        Assert.Equal((136L, 136L), (stored.FramesDone, stored.FramesTotal));
    }

    private PostgresJobStore Store(out DistributedNode node, string? connection = null)
    {
        node = new DistributedNode("test");
        return new PostgresJobStore(
            new DistributedJobsOptions
            {
                Store = $"{connection ?? ScaleOutEnvironment.Pg};Search Path={_schema}",
                Queue = "amqp://unused/",
                HeartbeatInterval = TimeSpan.FromMilliseconds(200),
                StaleAfter = TimeSpan.FromSeconds(1),
                MaxAttempts = 2,
            },
            node);
    }

    private static JobRecord NewJob() => new()
    {
        Id = DataFolder.NewJobId(),
        DrivingFile = "driving.mp4",
        CharacterFile = "character.png",
        CreatedAt = DateTimeOffset.UtcNow,
        FramesTotal = 30,
    };

    private static async Task ExecAsync(string sql)
    {
        await using var c = new NpgsqlConnection(ScaleOutEnvironment.Pg);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }
}
