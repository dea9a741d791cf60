using System.Diagnostics;
using Capture.Core.Timing;
using Capture.Core.Tracking;
using Capture.Server.Client;

namespace Capture.Server.Tests;

/// <summary>
/// A connected performer who sends nothing (page paused, camera stalled): the session keeps the character breathing
/// with idle frames, and stops when frames return; with idle=0 the viewer gets nothing new.
/// </summary>
public sealed class IdleFramesTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task SilentPerformer_ViewerKeepsGettingChangingFrames_UntilFramesReturn()
    {
        // Tracked first (a cold tracker takes seconds): the performer below must not stay silent past the timeout.
        var face = new TrackingFrame();
        (await LiveFaceFrames.FaceAsync()).CopyTo(face);           // a copy: sending stamps it
        LiveSessionInfo s = await server.CreateSessionAsync();
        var jpegs = new List<(long ArrivedUs, byte[] Jpeg)>();
        await using var viewer = new LiveViewer
        {
            OnFrame = (_, jpeg, arrived) =>
            {
                lock (jpegs)
                {
                    jpegs.Add((arrived, jpeg.ToArray()));
                }
            },
        };
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s);
        // 1 s of the same face (calibrates the neutral in the first 0.2 s), then silence, connected, for 2.2 s (under
        // the fixture's 3 s performer timeout), then frames again.
        int sequence = await SendAsync(performer, face, 0, 30);
        long silentFromUs = UnixClock.NowUs;
        var silence = Stopwatch.StartNew();
        await IngestTests.WaitUntilAsync(async () => (await server.StateAsync(s.Id))!.FramesReceived == 30);
        Assert.True(silence.Elapsed < TimeSpan.FromSeconds(1.5), $"the performer's frames took {silence.Elapsed.TotalSeconds:F1} s to reach the server");
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, 2.2 - silence.Elapsed.TotalSeconds)));
        Assert.True((await server.StateAsync(s.Id))?.PerformerConnected, "the session ended during the silence");
        long idleUntilUs = UnixClock.NowUs;
        await SendAsync(performer, face, sequence, 15);
        await Task.Delay(300);

        SessionState state = (await server.StateAsync(s.Id))!;
        List<byte[]> idle;
        lock (jpegs)
        {
            // Idle frames start IdleAfter (1 s) into the silence.
            idle = [.. jpegs.Where(j => j.ArrivedUs > silentFromUs + 1_100_000 && j.ArrivedUs < idleUntilUs).Select(j => j.Jpeg)];
        }

        // ~1.1 s of idle frames at 15 fps: well over 8 even on a loaded machine, each a new picture most of the time.
        Assert.True(idle.Count >= 8, $"{idle.Count} frames during the silence");
        int changed = idle.Zip(idle.Skip(1)).Count(p => !p.First.AsSpan().SequenceEqual(p.Second));
        Assert.True(changed >= idle.Count / 2, $"only {changed} of {idle.Count - 1} idle frames differ from the one before");
        Assert.True(state.IdleFrames >= idle.Count, $"state counts {state.IdleFrames} idle frames, the viewer got {idle.Count}");
        Assert.Equal(30 + 15, state.FramesReceived);
        Assert.Equal(0, state.Drops.Order);                 // the performer's frames after the idle ones are still in order
        // Frames returned: the idle ticker stopped (no more idle frames counted).
        long after = state.IdleFrames;
        await Task.Delay(300);
        Assert.Equal(after, (await server.StateAsync(s.Id))!.IdleFrames);
        await server.DeleteAsync(s.Id);
    }

    [Fact]
    public async Task SilentPerformer_IdleOff_NoFramesWhileSilent()
    {
        var face = new TrackingFrame();
        (await LiveFaceFrames.FaceAsync()).CopyTo(face);
        LiveSessionInfo s;
        using (var api = new LiveApi(server.BaseAddress, ServerFixture.ApiKey))
        {
            s = await api.CreateSessionAsync(ServerFixture.FaceCharacter, 256, idle: false);
        }

        await using var viewer = new LiveViewer();
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s);
        await SendAsync(performer, face, 0, 30);
        var silence = Stopwatch.StartNew();
        // Every frame rendered from what was sent has reached the viewer (a loaded machine renders late)…
        await IngestTests.WaitUntilAsync(async () =>
        {
            SessionState st = (await server.StateAsync(s.Id))!;
            return st.FramesReceived == 30 && st.FramesRendered + st.Drops.Ingest == 30 && viewer.Frames.Count == st.FramesRendered;
        });
        int before = viewer.Frames.Count;
        // …and nothing more comes while the performer stays silent, well past IdleAfter (under the 3 s timeout).
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, 2.5 - silence.Elapsed.TotalSeconds)));
        Assert.True(silence.Elapsed > TimeSpan.FromSeconds(1.5), $"waiting for the rendered frames took {silence.Elapsed.TotalSeconds:F1} s");
        SessionState? end = await server.StateAsync(s.Id);
        Assert.Equal(before, viewer.Frames.Count);

        // On a loaded machine the rendered frames may take so long to arrive that the 3 s performer timeout ends the
        // session before this reads it: the viewer's count above still covers the silence past IdleAfter.
        Assert.True(end is null || end.IdleFrames == 0, $"{end?.IdleFrames} idle frames with idle=0");
        if (end is not null)
        {
            await server.DeleteAsync(s.Id);
        }
    }

    // Sends `count` copies of the face at 30 fps, stamped now; returns the next sequence number.
    private static async Task<int> SendAsync(TestPerformer performer, TrackingFrame face, int first, int count)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
        {
            await performer.SendFrameAsync(first + i, face);
            TimeSpan due = TimeSpan.FromSeconds((i + 1) / 30.0) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }
        }

        return first + count;
    }
}
