using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Capture.Server.Client;

namespace Capture.Server.Tests;

/// <summary>Viewers: a stuck one drops its own frames and never slows the performer or the other viewers.</summary>
public sealed class ViewerTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task ViewerThatNeverReads_DropsItsOwnFrames_PerformerAndOtherViewerUnaffected()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        // The stuck viewer: a bare TCP socket with a tiny receive window that upgrades and then never reads.
        using var stuck = new TcpClient { ReceiveBufferSize = 2048 };
        await stuck.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        NetworkStream stream = stuck.GetStream();
        Uri frames = new(s.FramesUrl);
        string request = $"GET {frames.PathAndQuery} HTTP/1.1\r\nHost: {frames.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        byte[] head = new byte[12];
        await stream.ReadExactlyAsync(head);
        Assert.Equal("HTTP/1.1 101", Encoding.ASCII.GetString(head));

        await using var good = new LiveViewer();
        await good.ConnectAsync(frames);
        await IngestTests.WaitUntilAsync(async () => (await server.StateAsync(s.Id))!.Viewers == 2);

        await using TestPerformer performer = await TestPerformer.ConnectAsync(s);
        const int Frames = 150;                                                     // 5 s at 30 fps
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Frames; i++)
        {
            await performer.SendFrameAsync(i);
            TimeSpan due = TimeSpan.FromSeconds((i + 1) / 30.0) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }
        }

        double seconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(500);
        SessionState state = (await server.StateAsync(s.Id))!;
        // The performer kept its 30 fps (the 5 s of sending took no longer than the schedule, with slack for a loaded machine)…
        Assert.True(seconds < (Frames / 30.0) + 1.0, $"sending {Frames} frames at 30 fps took {seconds:F2} s");
        Assert.Equal(Frames, state.FramesReceived);
        // …the good viewer got every frame that was rendered (but the last one or two in flight)…
        Assert.True(state.FramesRendered > 0);
        Assert.True(good.Frames.Count >= state.FramesRendered - 2, $"good viewer got {good.Frames.Count} of {state.FramesRendered} rendered");
        // …and the stuck viewer's frames were dropped and counted.
        Assert.True(state.Drops.Viewer > 0, "the stuck viewer dropped nothing");
        Assert.True(state.Drops.Viewer >= state.FramesRendered - 40, $"{state.Drops.Viewer} viewer drops of {state.FramesRendered} rendered");
        await server.DeleteAsync(s.Id);
    }
}
