using System.Diagnostics;
using Capture.Server.Client;

namespace Capture.Server.Tests;

/// <summary>Runs alone: the other classes' child processes and sockets would blur the process-wide counts.</summary>
[CollectionDefinition(nameof(LifecycleTests), DisableParallelization = true)]
public sealed class LifecycleCollection;

/// <summary>Sessions free everything they take: opened and closed 100 times, the process does not grow.</summary>
[Collection(nameof(LifecycleTests))]
public sealed class LifecycleTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task HundredSessions_OpenedStreamedAndClosed_NoGrowth()
    {
        // Warm-up: the character cache, ORT, Kestrel's pools, the JIT.
        for (int i = 0; i < 5; i++)
        {
            await OneSessionAsync(i);
        }

        Snapshot before = await Snapshot.TakeAsync();
        for (int i = 0; i < 100; i++)
        {
            await OneSessionAsync(i);
        }

        Snapshot after = await Snapshot.TakeAsync();
        Assert.Equal(0, server.Sessions.Count);
        // Bounds: a session at 256² holds ~6 MB of generator buffers; 100 leaked ones would be 600 MB.
        Assert.True(after.ManagedBytes - before.ManagedBytes < 24L * 1024 * 1024, $"managed memory grew {before.ManagedBytes:N0} → {after.ManagedBytes:N0}");
        Assert.True(after.Threads - before.Threads <= 8, $"threads grew {before.Threads} → {after.Threads}");
        Assert.True(after.Handles - before.Handles <= 8, $"open file descriptors grew {before.Handles} → {after.Handles}: {string.Join(", ", after.Kinds.Except(before.Kinds))}");
        Assert.Equal(before.Children, after.Children);
    }

    private async Task OneSessionAsync(int i)
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        await using var viewer = new LiveViewer();
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        await using (TestPerformer performer = await TestPerformer.ConnectAsync(s))
        {
            await performer.SendFrameAsync(0);
            await IngestTests.WaitUntilAsync(() => viewer.Frames.Count >= 1);
            if (i % 2 == 0)
            {
                await performer.SendByeAsync("next");
                await viewer.Completion.WaitAsync(TimeSpan.FromSeconds(10));
            }
        }

        await server.DeleteAsync(s.Id);
        await IngestTests.WaitUntilAsync(() => server.Sessions.Find(s.Id) is null);
    }

    private sealed record Snapshot(long ManagedBytes, int Threads, int Handles, int Children, string[] Kinds)
    {
        public static async Task<Snapshot> TakeAsync()
        {
            // Let sockets finish closing and the thread pool settle before counting.
            await Task.Delay(1500);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using Process self = Process.GetCurrentProcess();
            string[] fds = Directory.GetFiles("/proc/self/fd");
            string[] kinds = [.. fds.Select(f => new FileInfo(f).LinkTarget ?? "?").GroupBy(k => k.Split(':')[0]).Select(g => $"{g.Key}×{g.Count()}")];
            return new Snapshot(GC.GetTotalMemory(forceFullCollection: true), self.Threads.Count, fds.Length, CountChildren(self.Id), kinds);
        }

        private static int CountChildren(int pid)
        {
            int n = 0;
            foreach (string dir in Directory.GetDirectories("/proc"))
            {
                string stat = Path.Combine(dir, "stat");
                try
                {
                    string text = File.ReadAllText(stat);
                    // Fields after the command's closing parenthesis: state, ppid, …
                    string[] rest = text[(text.LastIndexOf(')') + 2)..].Split(' ');
                    if (rest.Length > 1 && rest[1] == pid.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    {
                        n++;
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // The process ended while we looked.
                }
            }

            return n;
        }
    }
}

/// <summary>Stopping the server with a performer and a viewer connected ends their session at once, with the reason.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Stop_WithLiveSockets_EndsSessionsAndStopsQuickly()
    {
        var fixture = new ServerFixture();
        await fixture.InitializeAsync();
        LiveSessionInfo s = await fixture.CreateSessionAsync();
        await using var viewer = new LiveViewer();
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s);
        await performer.SendFrameAsync(0);
        await IngestTests.WaitUntilAsync(() => viewer.Frames.Count >= 1);
        var clock = Stopwatch.StartNew();
        await fixture.DisposeAsync();
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {clock.Elapsed.TotalSeconds:F1} s");
        await viewer.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Contains("shutting down", viewer.Close.Reason, StringComparison.Ordinal);
    }
}
