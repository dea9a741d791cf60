using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Capture.Server.Tests.Jobs;

/// <summary>Nothing accepted is lost: the server killed mid-job and started again finishes every job, once.</summary>
[Collection(JobsCollection.Name)]
public sealed class RestartTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-jobs-restart-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task KillDash9MidJob_ThenRestart_TheJobAndTheQueuedOneFinishWithExactlyOneResult()
    {
        string data = Path.Combine(_dir, "data");
        string clip = JobClient.Media("vid_expr_man_d18.mp4");
        string mona = JobClient.Media("char_painting_mona_lisa_s9.jpg");
        string shortClip = await JobClient.TrimAsync(clip, 1.5, Path.Combine(_dir, "short.mp4"));
        string interrupted, queued;
        await using (JobServeProcess first = await JobServeProcess.StartAsync(data))
        {
            interrupted = await JobClient.SubmitAsync(first.Client, JobClient.Form(clip, mona, fields: new() { ["size"] = "256", ["motionData"] = "true" }));
            queued = await JobClient.SubmitAsync(first.Client, JobClient.Form(shortClip, mona, fields: new() { ["size"] = "256", ["motionData"] = "false" }));
            var clock = Stopwatch.StartNew();
            while ((await JobClient.GetAsync(first.Client, interrupted)).GetProperty("framesDone").GetInt64() < 30)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "the job never got 30 frames in");
                await Task.Delay(100);
            }

            await first.KillHardAsync();
        }

        Assert.True(Directory.Exists(Path.Combine(data, "jobs", interrupted, "work")), "the killed render left no work folder (was it really mid-job?)");
        Assert.False(Directory.Exists(Path.Combine(data, "jobs", interrupted, "result")));

        await using JobServeProcess second = await JobServeProcess.StartAsync(data);
        JsonElement a = await JobClient.WaitFinishedAsync(second.Client, interrupted, TimeSpan.FromMinutes(3));
        JsonElement b = await JobClient.WaitFinishedAsync(second.Client, queued, TimeSpan.FromMinutes(2));

        Assert.True(a.GetProperty("state").GetString() == "succeeded", a.ToString());
        Assert.True(b.GetProperty("state").GetString() == "succeeded", b.ToString());
        Assert.Equal(2, a.GetProperty("attempts").GetInt32());
        Assert.Equal(1, b.GetProperty("attempts").GetInt32());
        string jobDir = Path.Combine(data, "jobs", interrupted);
        Assert.Equal(["character.jpg", "driving.mp4"], Directory.GetFiles(jobDir).Select(Path.GetFileName).Order());
        Assert.Equal(["result"], Directory.GetDirectories(jobDir).Select(Path.GetFileName));
        Assert.Equal(["result.mp4"], Directory.GetFiles(Path.Combine(jobDir, "result")).Select(Path.GetFileName));
        Assert.Equal(216, a.GetProperty("framesDone").GetInt64());
        var (duration, audio, _, _) = await JobClient.ProbeAsync(Path.Combine(jobDir, "result", "result.mp4"));
        Assert.True(Math.Abs(duration - 7.22) < 0.2 && audio, $"{duration} s, audio {audio}");
        string[] csv = await File.ReadAllLinesAsync(Path.Combine(jobDir, "result", "motion", "motion.csv"));
        Assert.Equal(217, csv.Length);
    }

    [Fact]
    public async Task GracefulStopMidJob_PutsItBackToQueued_AndTheNextStartFinishesIt()
    {
        string data = Path.Combine(_dir, "data3");
        string id;
        await using (JobServer server = await JobServer.StartAsync(data))
        {
            id = await JobClient.SubmitAsync(server.Client, JobClient.Form(JobClient.Media("vid_expr_man_d18.mp4"), JobClient.Media("char_painting_mona_lisa_s9.jpg"), fields: new() { ["size"] = "256", ["motionData"] = "false" }));
            var clock = Stopwatch.StartNew();
            while ((await JobClient.GetAsync(server.Client, id)).GetProperty("framesDone").GetInt64() < 10)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "the job never got 10 frames in");
                await Task.Delay(100);
            }
        }

        await using (var c = new SqliteConnection($"Data Source={Path.Combine(data, "jobs.db")};Pooling=False"))
        {
            await c.OpenAsync();
            await using SqliteCommand cmd = c.CreateCommand();
            cmd.CommandText = "SELECT state FROM jobs WHERE id = $id;";
            cmd.Parameters.AddWithValue("$id", id);
            Assert.Equal("queued", await cmd.ExecuteScalarAsync());
        }

        Assert.False(Directory.Exists(Path.Combine(data, "jobs", id, "work")));
        await using JobServer again = await JobServer.StartAsync(data);
        JsonElement job = await JobClient.WaitFinishedAsync(again.Client, id, TimeSpan.FromMinutes(3));
        Assert.True(job.GetProperty("state").GetString() == "succeeded", job.ToString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task KilledAfterTheResultWasRenamed_RestartRecordsItWithoutRenderingASecondOne()
    {
        string data = Path.Combine(_dir, "data2");
        string shortClip = await JobClient.TrimAsync(JobClient.Media("vid_expr_man_d18.mp4"), 1, Path.Combine(_dir, "short.mp4"));
        string id;
        await using (JobServer server = await JobServer.StartAsync(data))
        {
            id = await JobClient.SubmitAsync(server.Client, JobClient.Form(shortClip, JobClient.Media("char_painting_mona_lisa_s9.jpg"), fields: new() { ["size"] = "256", ["motionData"] = "false" }));
            Assert.Equal("succeeded", (await JobClient.WaitFinishedAsync(server.Client, id, TimeSpan.FromMinutes(2))).GetProperty("state").GetString());
        }

        // The state a kill between the rename and the store's update leaves: result/ there, job still running.
        string result = Path.Combine(data, "jobs", id, "result", "result.mp4");
        DateTime written = File.GetLastWriteTimeUtc(result);
        await using (var c = new SqliteConnection($"Data Source={Path.Combine(data, "jobs.db")};Pooling=False"))
        {
            await c.OpenAsync();
            await using SqliteCommand cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE jobs SET state = 'running', finished_ms = NULL WHERE id = $id;";
            cmd.Parameters.AddWithValue("$id", id);
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }

        await using (JobServer again = await JobServer.StartAsync(data))
        {
            JsonElement job = await JobClient.WaitFinishedAsync(again.Client, id, TimeSpan.FromMinutes(1));
            Assert.Equal("succeeded", job.GetProperty("state").GetString());
            Assert.Equal(2, job.GetProperty("attempts").GetInt32());
        }

        Assert.Equal(written, File.GetLastWriteTimeUtc(result));
        Assert.False(Directory.Exists(Path.Combine(data, "jobs", id, "work")));
    }
}
