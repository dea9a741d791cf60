using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Capture.Server.Client;
using Capture.Server.Live;

namespace Capture.Server.Tests;

/// <summary>
/// Viewers across a network: a viewer whose socket drains slowly gets its frames stepped down (quality, then size) and
/// back up once it keeps up; the performer and a fast viewer beside it are not affected.
/// </summary>
public sealed class AdaptiveViewerTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task ThrottledViewer_StepsDownAndRecovers_PerformerAndFastViewerUnaffected()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        // The slow viewer: a bare TCP socket with a small receive window that reads ~20 KB/s (a 256² frame is ~10–15 KB,
        // 300–450 KB/s at 30 fps), until the throttle is lifted. adapt=1: loopback viewers do not adapt by default.
        using var slow = new TcpClient { ReceiveBufferSize = 4096 };
        await slow.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        NetworkStream stream = slow.GetStream();
        Uri frames = new(s.FramesUrl + "&adapt=1");
        string request = $"GET {frames.PathAndQuery} HTTP/1.1\r\nHost: {frames.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        byte[] head = new byte[12];
        await stream.ReadExactlyAsync(head);
        Assert.Equal("HTTP/1.1 101", Encoding.ASCII.GetString(head));
        await IngestTests.WaitUntilAsync(async () => (await server.StateAsync(s.Id))!.Viewers == 1);

        await using var fast = new LiveViewer();
        await fast.ConnectAsync(frames);
        await IngestTests.WaitUntilAsync(async () => (await server.StateAsync(s.Id))!.Viewers == 2);

        using var stop = new CancellationTokenSource();
        int throttled = 1;
        long slowBytes = 0;
        Task reading = Task.Run(async () =>
        {
            byte[] buffer = new byte[64 * 1024];
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    bool slowNow = Volatile.Read(ref throttled) == 1;
                    int n = await stream.ReadAsync(buffer.AsMemory(0, slowNow ? 1024 : buffer.Length), stop.Token);
                    if (n == 0)
                    {
                        return;
                    }

                    Interlocked.Add(ref slowBytes, n);
                    if (slowNow)
                    {
                        await Task.Delay(50, stop.Token);
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Done.
            }
        });

        await using TestPerformer performer = await TestPerformer.ConnectAsync(s);
        int sent = 0;
        var clock = Stopwatch.StartNew();
        Task performing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await performer.SendFrameAsync(sent);
                sent++;
                TimeSpan due = TimeSpan.FromSeconds(sent / 30.0) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due);
                }
            }
        });

        try
        {
            // Throttled: its frames step down (at least past the quality steps, to a smaller picture); the fast one's do not.
            await WaitForAsync(s.Id, links => links.Max(l => l.Step) >= 3, TimeSpan.FromSeconds(20), "the throttled viewer never stepped down to a smaller picture");
            SessionState down = (await server.StateAsync(s.Id))!;
            ViewerLinkState slowLink = down.ViewerLinks!.MaxBy(l => l.Step)!;
            ViewerLinkState fastLink = down.ViewerLinks!.MinBy(l => l.Step)!;
            Assert.True(slowLink.Adapts && fastLink.Adapts);
            Assert.Equal(0, fastLink.Step);
            Assert.Equal(256, fastLink.Side);
            Assert.True(slowLink.Side < 256 && slowLink.Quality < server.Options.JpegQuality, $"stepped-down link {slowLink}");

            // The throttle lifted: it climbs back to the session's own frames.
            Volatile.Write(ref throttled, 0);
            await WaitForAsync(s.Id, links => links.All(l => l.Step == 0), TimeSpan.FromSeconds(20), "the viewer did not recover after the throttle was lifted");
            SessionState up = (await server.StateAsync(s.Id))!;
            Assert.Contains(up.ViewerLinks!, l => l.StepsDown >= 3 && l.StepsUp >= 3);
        }
        finally
        {
            await stop.CancelAsync();
            await performing;
            await reading;
        }

        double seconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(500);
        SessionState state = (await server.StateAsync(s.Id))!;
        // The performer kept its 30 fps, every frame was received…
        Assert.True(seconds < (sent / 30.0) + 1.0, $"sending {sent} frames at 30 fps took {seconds:F2} s");
        Assert.Equal(sent, state.FramesReceived);
        // …and the fast viewer got (nearly) every rendered frame, each the session's own: full size, full quality.
        IReadOnlyList<ViewedFrame> got = fast.Frames;
        Assert.True(got.Count >= state.FramesRendered - 2, $"fast viewer got {got.Count} of {state.FramesRendered} rendered");
        Assert.All(got, f => Assert.True(f.Header.Width == 256 && f.Quality == 0, $"fast viewer frame {f.Header.Sequence}: {f.Header.Width}² q{f.Quality}"));
        Assert.True(Interlocked.Read(ref slowBytes) > 0);
        await server.DeleteAsync(s.Id);
    }

    [Theory]
    [InlineData("adapt=2")]
    [InlineData("alpha=maybe")]
    public async Task FramesSocket_BadOption_400NamesIt(string option)
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        Uri frames = new(s.FramesUrl);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{frames.AbsolutePath}?token={Uri.EscapeDataString(s.ViewerToken)}&{option}");
        using HttpResponseMessage r = await server.Anonymous.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, r.StatusCode);
        string problem = await r.Content.ReadAsStringAsync();
        Assert.Contains(option.Split('=')[0] + " not understood", problem);
        Assert.Contains("is not true or false (1/0, on/off, yes/no)", problem);
        await server.DeleteAsync(s.Id);
    }

    [Fact]
    public async Task AlphaOff_FramesComeWithoutTheAlphaPlane()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        await using var plain = new LiveViewer();
        await plain.ConnectAsync(new Uri(s.FramesUrl + "&alpha=0"));
        await using var withAlpha = new LiveViewer();
        await withAlpha.ConnectAsync(new Uri(s.FramesUrl));
        await IngestTests.WaitUntilAsync(async () => (await server.StateAsync(s.Id))!.Viewers == 2);
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s);
        for (int i = 0; i < 15; i++)
        {
            await performer.SendFrameAsync(i);
            await Task.Delay(33);
        }

        await IngestTests.WaitUntilAsync(() => plain.Frames.Count >= 3 && withAlpha.Frames.Count >= 3);
        // The shared face picture is cut out: its frames carry alpha, except to the viewer that asked for none.
        Assert.All(withAlpha.Frames, f => Assert.True(f.AlphaBytes > 0));
        Assert.All(plain.Frames, f => Assert.Equal(0, f.AlphaBytes));
        Assert.True(plain.Frames[0].MessageBytes < withAlpha.Frames[0].MessageBytes);
        await server.DeleteAsync(s.Id);
    }

    private async Task WaitForAsync(string id, Func<IReadOnlyList<ViewerLinkState>, bool> condition, TimeSpan limit, string failure)
    {
        var deadline = Stopwatch.StartNew();
        SessionState? last = null;
        while (deadline.Elapsed < limit)
        {
            last = await server.StateAsync(id);
            if (last?.ViewerLinks is { Count: > 0 } links && condition(links))
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{failure} within {limit.TotalSeconds:F0} s; links: {string.Join("; ", last?.ViewerLinks ?? [])}");
    }
}

/// <summary><see cref="ViewerAdaptation"/>'s decisions, window by window (no server, no clock: the windows are given).</summary>
public sealed class ViewerAdaptationTests
{
    private static readonly TimeSpan s_window = TimeSpan.FromSeconds(1);
    private static readonly long s_windowTicks = Stopwatch.Frequency;

    [Fact]
    public void Disabled_NeverLeavesStepZero()
    {
        var a = new ViewerAdaptation(enabled: false, s_window);
        long t = Stopwatch.GetTimestamp();
        for (int w = 1; w <= 10; w++)
        {
            Feed(a, 30, 30);
            Assert.Equal(0, a.Next(t + (w * s_windowTicks)));
        }
    }

    [Fact]
    public void Drops_StepDownOneAWindow_ToTheLowest_CleanWindows_StepBackUp()
    {
        var a = new ViewerAdaptation(enabled: true, s_window);
        long t = Stopwatch.GetTimestamp();
        int w = 0;
        for (int i = 1; i <= ViewerLadder.Lowest + 2; i++)
        {
            Feed(a, 30, 10);
            Assert.Equal(Math.Min(i, ViewerLadder.Lowest), a.Next(t + (++w * s_windowTicks)));
        }

        // A drop now and then (under one in seven) neither steps down nor counts as clean.
        Feed(a, 30, 2);
        Assert.Equal(ViewerLadder.Lowest, a.Next(t + (++w * s_windowTicks)));
        // Clean windows: one step up every HoldWindows.
        for (int step = ViewerLadder.Lowest - 1; step >= 0; step--)
        {
            for (int k = 0; k < ViewerAdaptation.HoldWindows; k++)
            {
                Feed(a, 30, 0);
                a.Next(t + (++w * s_windowTicks));
            }

            Assert.Equal(step, a.Step);
        }

        Assert.Equal(ViewerLadder.Lowest, a.StepsDown);
        Assert.Equal(ViewerLadder.Lowest, a.StepsUp);
    }

    [Fact]
    public void FailedStepUp_DoublesTheWaitBeforeTheNextTry()
    {
        var a = new ViewerAdaptation(enabled: true, s_window);
        long t = Stopwatch.GetTimestamp();
        int w = 0;
        Feed(a, 30, 10);
        Assert.Equal(1, a.Next(t + (++w * s_windowTicks)));
        // Two clean windows: up to 0; it fails at once: back to 1.
        for (int k = 0; k < ViewerAdaptation.HoldWindows; k++)
        {
            Feed(a, 30, 0);
            a.Next(t + (++w * s_windowTicks));
        }

        Assert.Equal(0, a.Step);
        Feed(a, 30, 10);
        Assert.Equal(1, a.Next(t + (++w * s_windowTicks)));
        // Now two clean windows are not enough: four are.
        for (int k = 0; k < (2 * ViewerAdaptation.HoldWindows) - 1; k++)
        {
            Feed(a, 30, 0);
            a.Next(t + (++w * s_windowTicks));
            Assert.Equal(1, a.Step);
        }

        Feed(a, 30, 0);
        Assert.Equal(0, a.Next(t + (++w * s_windowTicks)));
    }

    [Fact]
    public void QuietWindow_DecidesNothing()
    {
        var a = new ViewerAdaptation(enabled: true, s_window);
        long t = Stopwatch.GetTimestamp();
        Feed(a, 3, 3);                                    // three frames, all dropped: too few to judge the link
        Assert.Equal(0, a.Next(t + s_windowTicks));
    }

    // A window's frames as the render loop offers them: `dropped` of `offered` pushed an older one out.
    private static void Feed(ViewerAdaptation a, int offered, int dropped)
    {
        for (int i = 0; i < offered; i++)
        {
            a.Offered(i < dropped);
        }
    }
}

public sealed class FrameScalingTests
{
    [Fact]
    public void Halve_AveragesEachTwoByTwoBlock_RoundingToNearest()
    {
        // 4×2 RGB with a padded stride of 14: blocks (10,20,30,41)→25.25→25 and (0,0,255,255)→127.5→128, per channel.
        byte[] src = new byte[14 * 2];
        byte[] top = [10, 10, 10, 20, 20, 20, 0, 0, 0, 255, 255, 255];
        byte[] bottom = [30, 30, 30, 41, 41, 41, 0, 0, 0, 255, 255, 255];
        top.CopyTo(src, 0);
        bottom.CopyTo(src, 14);
        byte[] dst = new byte[2 * 3];
        FrameScaling.Halve(src, 4, 2, 14, 3, dst);
        Assert.Equal(new byte[] { 25, 25, 25, 128, 128, 128 }, dst);
    }

    [Fact]
    public void Halve_DestinationTooSmall_Throws() =>
        Assert.Throws<ArgumentException>(() => FrameScaling.Halve(new byte[16], 4, 4, 4, 1, new byte[3]));
}
