using System.Runtime.CompilerServices;
using Capture.Core.Frames;
using Capture.Server.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Capture.Server.Tests.Jobs;

/// <summary>
/// Many jobs and many live sessions in one server leave nothing behind: after they end and a full GC,
/// every frame pool a job decoded into and every live session object is gone (weak references). Each job
/// used to keep its 16 decoded frames for good (the pools' ConcurrentBag kept them in thread-pool threads'
/// storage). The soak benchmark (<c>Capture.Benchmarks soak</c>) measures the same over 100 of each.
/// </summary>
[Collection(JobsCollection.Name)]
public sealed class ResourceLeakTests : IAsyncLifetime
{
    // An odd frame size no other test decodes, so the pools counted here are this test's own.
    private const int ClipWidth = 346;
    private const int ClipHeight = 260;
    private const int Jobs = 4;
    private const int Sessions = 6;

    private readonly string _dir = Directory.CreateTempSubdirectory("capture-leak-").FullName;
    private JobServer _server = null!;

    public async Task InitializeAsync() => _server = await JobServer.StartAsync(Path.Combine(_dir, "data"));

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task ManyJobsAndSessions_AfterAFullGc_PoolsFramesAndSessionsAreCollected()
    {
        string clip = Path.Combine(_dir, "small.mp4");
        await JobClient.RunToolAsync("ffmpeg", "-v", "error", "-y", "-i", JobClient.Media("vid_expr_man_d18.mp4"), "-t", "0.5",
            "-vf", $"scale={ClipWidth}:{ClipHeight}", "-an", "-c:v", "libx264", "-preset", "ultrafast", clip);
        string mona = JobClient.Media("char_painting_mona_lisa_s9.jpg");
        var pools = new List<WeakReference>();
        var seen = new HashSet<int>();
        var sessions = new List<WeakReference>();

        for (int i = 0; i < Jobs; i++)
        {
            string id = await JobClient.SubmitAsync(_server.Client, JobClient.Form(clip, mona, fields: new() { ["size"] = "256", ["motionData"] = "false" }));
            while (true)
            {
                Watch(pools, seen);
                string state = (await JobClient.GetAsync(_server.Client, id)).GetProperty("state").GetString()!;
                if (state is "succeeded" or "failed" or "canceled")
                {
                    Assert.Equal("succeeded", state);
                    break;
                }

                await Task.Delay(50);
            }

            Assert.Equal(System.Net.HttpStatusCode.NoContent, (await _server.Client.DeleteAsync($"api/jobs/{id}")).StatusCode);
        }

        using var api = new LiveApi(_server.Address, JobServer.Key);
        for (int i = 0; i < Sessions; i++)
        {
            sessions.Add(await RunSessionAsync(api, byBye: i % 2 == 0));
        }

        // The pools of the last job and the sessions may be let go a moment after their end is reported.
        string alive = "";
        for (int attempt = 0; attempt < 20; attempt++)
        {
            FullGc();
            alive = Describe(pools, sessions);
            if (alive.Length == 0)
            {
                break;
            }

            await Task.Delay(250);
        }

        // Three pools a job (the intake's face check, the calibration pass, the render): seen while each job ran.
        Assert.True(pools.Count >= Jobs, $"only {pools.Count} frame pools of {ClipWidth}x{ClipHeight} were seen while {Jobs} jobs ran");
        Assert.True(alive.Length == 0, $"still reachable after {Jobs} jobs and {Sessions} sessions and a full GC: {alive}");
    }

    private static void Watch(List<WeakReference> pools, HashSet<int> seen)
    {
        foreach (FramePool pool in FramePool.LivePools())
        {
            if (pool.Width == ClipWidth && pool.Height == ClipHeight && seen.Add(RuntimeHelpers.GetHashCode(pool)))
            {
                pools.Add(new WeakReference(pool));
            }
        }
    }

    /// <summary>A session with a performer sending frames and a viewer receiving them, ended by a Bye or by DELETE.</summary>
    private async Task<WeakReference> RunSessionAsync(LiveApi api, bool byBye)
    {
        LiveSessionInfo info = await api.CreateSessionAsync(JobClient.Media("char_painting_mona_lisa_s9.jpg"));
        WeakReference session = Track(info.Id);
        await using var viewer = new LiveViewer();
        await viewer.ConnectAsync(new Uri(info.FramesUrl));
        await using (TestPerformer performer = await TestPerformer.ConnectAsync(info))
        {
            for (int f = 0; f < 15; f++)
            {
                await performer.SendFrameAsync(f);
                await Task.Delay(20);
            }

            var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (viewer.Frames.Count == 0 && DateTime.UtcNow < until)
            {
                await Task.Delay(50);
            }

            Assert.True(viewer.Frames.Count > 0, $"session {info.Id}: no rendered frame reached the viewer");
            if (byBye)
            {
                await performer.SendByeAsync("done");
                await performer.WaitForCloseAsync(TimeSpan.FromSeconds(10));
            }
            else
            {
                Assert.True(await api.DeleteSessionAsync(info.Id));
            }
        }

        await viewer.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        return session;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private WeakReference Track(string id) =>
        new(_server.App.Services.GetRequiredService<Live.LiveSessionManager>().Find(id) ?? throw new InvalidOperationException($"session {id} is not in the manager"));

    private static void FullGc()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private static string Describe(List<WeakReference> pools, List<WeakReference> sessions)
    {
        int livePools = pools.Count(w => w.IsAlive);
        int liveSessions = sessions.Count(w => w.IsAlive);
        return livePools + liveSessions == 0 ? "" : $"{livePools} of {pools.Count} frame pools, {liveSessions} of {sessions.Count} live sessions";
    }
}
