using System.Net;
using System.Text.Json;

namespace Capture.Jobs.Distributed.Tests;

/// <summary>
/// Scale-out end to end on real PostgreSQL and RabbitMQ: the API node (the real host in publish-only
/// mode), real `capture worker` processes, the real render of a 1 s slice of a shared clip at 256².
/// </summary>
public sealed class ScaleOutTests
{
    private static readonly TimeSpan s_patience = TimeSpan.FromMinutes(5);

    [ScaleOutFact]
    public async Task TwoWorkers_TenJobs_EachCompletesOnceWithTheSingleNodeFrames()
    {
        string[] reference = await TestMedia.SingleNodeFramesAsync();
        string clip = await TestMedia.OneSecondAsync();
        await using Cluster cluster = await Cluster.StartAsync();
        WorkerProcess[] workers = await Task.WhenAll(cluster.StartWorkerAsync(), cluster.StartWorkerAsync());

        var ids = new List<string>();
        for (int i = 0; i < 10; i++)
        {
            ids.Add(await cluster.SubmitAsync(clip, TestMedia.Character));
        }

        // The last job's event stream on the API node: its progress comes from a worker process through the store.
        Task<List<JsonElement>> events = JobEventsReader.ReadAsync(cluster.Client, ids[^1], s_patience);
        JsonElement[] finished = await cluster.WaitFinishedAsync(ids, s_patience);

        for (int i = 0; i < ids.Count; i++)
        {
            Assert.True(finished[i].GetProperty("state").GetString() == "succeeded", finished[i].ToString());
            Assert.Equal(1, finished[i].GetProperty("attempts").GetInt32());
            Assert.Equal(1, workers.Sum(w => w.Started(ids[i])));
            Assert.Equal(1, workers.Sum(w => w.Succeeded(ids[i])));
            Assert.Equal(reference, await TestMedia.FrameHashesAsync(await cluster.DownloadResultAsync(ids[i])));
        }

        Assert.All(workers, w => Assert.True(ids.Any(id => w.Succeeded(id) == 1), $"worker {w.Pid} rendered none of the jobs:\n{w.Log}"));
        List<JsonElement> stream = await events;
        // A 1 s clip can finish between two progress writes (at most one each 250 ms), so an intermediate
        // framesDone > 0 is not guaranteed; the running state and the worker's final count must both arrive.
        Assert.Contains(stream, e => e.GetProperty("state").GetString() == "running");
        Assert.Equal("succeeded", stream[^1].GetProperty("state").GetString());
        Assert.Equal(stream[^1].GetProperty("framesTotal").GetInt64(), stream[^1].GetProperty("framesDone").GetInt64());
        Assert.True(stream[^1].GetProperty("framesDone").GetInt64() > 0, stream[^1].ToString());
        Assert.Equal(((uint)0, (uint)0), await cluster.Queue.CountsAsync());
    }

    [ScaleOutFact]
    public async Task KillNine_WorkerMidJob_RedeliveredAndFinishedOnTheOtherOnce()
    {
        // A 7 s slice (210 frames): a 1 s job can finish on a quiet machine between two polls of its progress,
        // leaving no moment to kill a worker mid-job, and a job seen near its end can finish before the kill
        // lands, so the victim is taken only in the first half. The interrupted job's frames are compared with
        // the uninterrupted jobs' (same inputs), frame by frame.
        const long VictimBefore = 105;
        string clip = await TestMedia.SliceAsync(7.0, "slice-7s.mp4");
        await using Cluster cluster = await Cluster.StartAsync();
        WorkerProcess[] workers = await Task.WhenAll(cluster.StartWorkerAsync(), cluster.StartWorkerAsync());
        string[] ids = [await cluster.SubmitAsync(clip, TestMedia.Character), await cluster.SubmitAsync(clip, TestMedia.Character), await cluster.SubmitAsync(clip, TestMedia.Character)];

        (string Id, WorkerProcess Worker)? victim = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (victim is null)
        {
            foreach (string id in ids)
            {
                var row = await cluster.RowAsync(id);
                if (row.State == "running" && row.FramesDone >= 3 && row.FramesDone < VictimBefore && cluster.OwnerOf(row.Owner) is WorkerProcess owner)
                {
                    victim = (id, owner);
                    break;
                }
            }

            Assert.True(clock.Elapsed < s_patience, "no job was seen running mid-way");
            if (victim is null)
            {
                var states = await Task.WhenAll(ids.Select(id => cluster.RowAsync(id)));
                Assert.False(states.All(r => r.State == "succeeded"), "every job finished before one was seen running mid-way");
            }

            await Task.Delay(100);
        }

        victim.Value.Worker.KillHard();
        WorkerProcess survivor = workers.Single(w => w != victim.Value.Worker);
        JsonElement[] finished = await cluster.WaitFinishedAsync(ids, s_patience);

        string[]? reference = null;
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.True(finished[i].GetProperty("state").GetString() == "succeeded", finished[i].ToString());
            Assert.Equal(ids[i] == victim.Value.Id ? 2 : 1, finished[i].GetProperty("attempts").GetInt32());
            Assert.Equal(1, workers.Sum(w => w.Succeeded(ids[i])));
            string[] frames = await TestMedia.FrameHashesAsync(await cluster.DownloadResultAsync(ids[i]));
            Assert.True(frames.Length >= 200, $"{frames.Length} frames in the result of a 7 s clip");
            reference ??= frames;
            Assert.Equal(reference, frames);
        }

        Assert.Equal(1, survivor.Succeeded(victim.Value.Id));
        Assert.False(Directory.Exists(Path.Combine(cluster.Data, "jobs", victim.Value.Id, "work")), "the killed attempt's work folder is left over");
        Assert.Equal(((uint)0, (uint)0), await cluster.Queue.CountsAsync());
    }

    [ScaleOutRestartFact]
    public async Task RabbitMqRestart_WithJobsQueued_NoneLost()
    {
        string clip = await TestMedia.OneSecondAsync();
        await using Cluster cluster = await Cluster.StartAsync();
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            ids.Add(await cluster.SubmitAsync(clip, TestMedia.Character));
        }

        WorkerProcess worker = await cluster.StartWorkerAsync();

        await WaitUntilAsync(async () => (await cluster.RowAsync(ids[0])).State == "running", "the first job to start");
        await ScaleOutEnvironment.ServicesAsync("stop", "rabbitmq");
        // Accepted while the broker is away: stored, published by the sweeper once it is back.
        ids.Add(await cluster.SubmitAsync(clip, TestMedia.Character));
        await ScaleOutEnvironment.ServicesAsync("start", "rabbitmq");

        JsonElement[] finished = await cluster.WaitFinishedAsync(ids, s_patience);
        for (int i = 0; i < ids.Count; i++)
        {
            Assert.True(finished[i].GetProperty("state").GetString() == "succeeded", $"{finished[i]}\n{worker.Log}");
            Assert.Equal(1, worker.Succeeded(ids[i]));
        }

        Assert.Equal(((uint)0, (uint)0), await cluster.Queue.CountsAsync());
    }

    [ScaleOutRestartFact]
    public async Task PostgresRestart_ApiAnswers503MeanwhileAndRecoversByItself()
    {
        string clip = await TestMedia.OneSecondAsync();
        await using Cluster cluster = await Cluster.StartAsync();
        string id = await cluster.SubmitAsync(clip, TestMedia.Character);
        WorkerProcess worker = await cluster.StartWorkerAsync();
        await WaitUntilAsync(async () => (await cluster.RowAsync(id)).State == "running", "the job to start");

        await ScaleOutEnvironment.ServicesAsync("stop", "pg");
        try
        {
            foreach (string path in new[] { $"api/jobs/{id}", "api/jobs" })
            {
                using HttpResponseMessage r = await cluster.Client.GetAsync(path);
                string body = await r.Content.ReadAsStringAsync();
                Assert.True(r.StatusCode == HttpStatusCode.ServiceUnavailable, $"GET {path}: {(int)r.StatusCode} {body}");
                Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
                Assert.True(r.Headers.RetryAfter is not null, "no Retry-After");
                using JsonDocument problem = JsonDocument.Parse(body);
                Assert.Equal("job store unavailable", problem.RootElement.GetProperty("title").GetString());
                Assert.Contains("PostgreSQL at 127.0.0.1", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
            }
        }
        finally
        {
            await ScaleOutEnvironment.ServicesAsync("start", "pg");
        }

        // The first request after the restart may still meet a connection the restart broke; then it recovers.
        await WaitUntilAsync(async () =>
        {
            using HttpResponseMessage r = await cluster.Client.GetAsync($"api/jobs/{id}");
            return r.StatusCode == HttpStatusCode.OK;
        }, "GET to answer 200 again");
        JsonElement[] finished = await cluster.WaitFinishedAsync([id], s_patience);
        Assert.True(finished[0].GetProperty("state").GetString() == "succeeded", $"{finished[0]}\n{worker.Log}");
        Assert.Equal(1, finished[0].GetProperty("attempts").GetInt32());
        Assert.False(worker.HasExited, worker.Log);
        // New work is accepted and done again.
        string after = await cluster.SubmitAsync(clip, TestMedia.Character);
        Assert.Equal("succeeded", (await cluster.WaitFinishedAsync([after], s_patience))[0].GetProperty("state").GetString());
    }

    [ScaleOutFact]
    public async Task PoisonJob_KillsEveryWorkerThatStartsIt_FailsAfterBoundedTriesAndJobsBehindFinish()
    {
        string clip = await TestMedia.OneSecondAsync();
        await using Cluster cluster = await Cluster.StartAsync();
        string poison = await cluster.SubmitAsync(clip, TestMedia.Character);
        string[] behind = [await cluster.SubmitAsync(clip, TestMedia.Character), await cluster.SubmitAsync(clip, TestMedia.Character)];
        // Workers come once all three wait in the queue, the poison first.
        await Task.WhenAll(cluster.StartWorkerAsync(), cluster.StartWorkerAsync());

        // The poison: whichever worker starts it dies at once (as a crash in a native library would make it);
        // a fresh worker takes the dead one's place, so two are always there.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int kills = 0;
        var seen = new List<string>();
        while (true)
        {
            var row = await cluster.RowAsync(poison);
            string observed = $"{row.State} {row.Owner} (workers {string.Join(", ", cluster.Workers.Select(w => w.Pid))})";
            if (seen.Count == 0 || seen[^1] != observed)
            {
                seen.Add(observed);
            }

            if (row.State == "failed")
            {
                break;
            }

            if (row.State == "running" && cluster.OwnerOf(row.Owner) is WorkerProcess holder && !holder.HasExited)
            {
                holder.KillHard();
                kills++;
                await cluster.StartWorkerAsync();
            }

            Assert.True(row.State is "queued" or "running", $"poison job {row.State} after {kills} kills; seen: {string.Join(" | ", seen)}");
            Assert.True(clock.Elapsed < s_patience, $"poison job still {row.State} after {kills} kills");
            await Task.Delay(100);
        }

        JsonElement[] finished = await cluster.WaitFinishedAsync([poison, .. behind], s_patience);
        Assert.Equal("failed", finished[0].GetProperty("state").GetString());
        Assert.Equal(cluster.Options.MaxAttempts, kills);
        Assert.Equal(cluster.Options.MaxAttempts, finished[0].GetProperty("attempts").GetInt32());
        Assert.Contains($"gave up after {cluster.Options.MaxAttempts} tries", finished[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.All(finished.Skip(1), j => Assert.Equal("succeeded", j.GetProperty("state").GetString()));
        // The store records "failed" before the worker rejects the message, and the broker moves it to the
        // dead-letter queue after that: wait for the move rather than read the counts at once.
        await WaitUntilAsync(async () => await cluster.Queue.CountsAsync() == ((uint)0, (uint)1), "the poison message in the dead-letter queue and none waiting");
    }

    [ScaleOutFact]
    public async Task InputThatAlwaysFails_FailsOnceWithTheReason_JobBehindFinishes()
    {
        string clip = await TestMedia.OneSecondAsync();
        await using Cluster cluster = await Cluster.StartAsync();
        string broken = await cluster.SubmitAsync(clip, TestMedia.Character);
        string fine = await cluster.SubmitAsync(clip, TestMedia.Character);
        // The accepted clip is damaged on the shared storage before any worker reads it.
        string stored = Directory.GetFiles(Path.Combine(cluster.Data, "jobs", broken), "driving.*").Single();
        await File.WriteAllTextAsync(stored, "this is not a video any more");
        WorkerProcess worker = await cluster.StartWorkerAsync();

        JsonElement[] finished = await cluster.WaitFinishedAsync([broken, fine], s_patience);
        Assert.Equal("failed", finished[0].GetProperty("state").GetString());
        Assert.Equal(1, finished[0].GetProperty("attempts").GetInt32());
        Assert.Contains("not a video file", finished[0].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("succeeded", finished[1].GetProperty("state").GetString());
        Assert.False(worker.HasExited, worker.Log);
        Assert.Equal(((uint)0, (uint)0), await cluster.Queue.CountsAsync());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < s_patience, $"timed out waiting for {what}");
            await Task.Delay(100);
        }
    }
}
