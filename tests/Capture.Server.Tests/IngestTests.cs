using System.Net.WebSockets;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Schema;
using Capture.Server.Client;

namespace Capture.Server.Tests;

/// <summary>The ingest WebSocket's faults: each refused with a reason, and the server stays up.</summary>
public sealed class IngestTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Frames_FlowToAViewer_InOrder_WithTimestamps()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        await using var viewer = new LiveViewer();
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s);
        for (int i = 0; i < 20; i++)
        {
            await performer.SendFrameAsync(i);
            await Task.Delay(33);
        }

        await WaitUntilAsync(() => viewer.Frames.Count >= 10);
        IReadOnlyList<ViewedFrame> frames = viewer.Frames;
        for (int i = 1; i < frames.Count; i++)
        {
            Assert.True(frames[i].Header.Sequence > frames[i - 1].Header.Sequence);
        }

        foreach (ViewedFrame f in frames)
        {
            Assert.True(f.Header.CaptureTimestampUs <= f.Header.RenderedTimestampUs && f.Header.RenderedTimestampUs <= f.ArrivedUs);
            Assert.Equal((256, 256), (f.Header.Width, f.Header.Height));
            Assert.True(f.JpegBytes > 1000);
        }

        await server.DeleteAsync(s.Id);
        await viewer.Completion.WaitAsync(s_wait);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, viewer.Close.Status);
        Assert.Contains("session ended: deleted", viewer.Close.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hello_WrongToken_ClosedAsPolicyViolation()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s, token: s.ViewerToken);
        (WebSocketCloseStatus? status, string? reason) = await performer.WaitForCloseAsync(s_wait);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Contains("performer token", reason, StringComparison.Ordinal);
        Assert.False((await server.StateAsync(s.Id))!.PerformerConnected);
        await server.DeleteAsync(s.Id);
    }

    [Fact]
    public async Task Hello_WrongMajor_ClosedNamingBothVersions()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        await using var performer = new TestPerformer();
        await performer.Socket.ConnectAsync(new Uri(s.IngestUrl), CancellationToken.None);
        using var packet = new PooledBufferWriter();
        var w = new MessagePack.MessagePackWriter(packet);
        w.WriteArrayHeader(6);
        w.Write(2);
        w.Write((int)MessageKind.Hello);
        w.Write(3);
        w.WriteArrayHeader(0);
        w.Write("future");
        w.Write(s.PerformerToken);
        w.Flush();
        await performer.SendRawAsync(packet.WrittenMemory);
        (WebSocketCloseStatus? status, string? reason) = await performer.WaitForCloseAsync(s_wait);
        Assert.Equal(WebSocketCloseStatus.ProtocolError, status);
        Assert.Contains("2.3", reason, StringComparison.Ordinal);
        Assert.Contains($"{ProtocolVersion.Major}.{ProtocolVersion.Minor}", reason, StringComparison.Ordinal);
        await server.DeleteAsync(s.Id);
    }

    [Fact]
    public async Task FirstPacket_NotAHello_Closed()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        await using var performer = new TestPerformer();
        await performer.Socket.ConnectAsync(new Uri(s.IngestUrl), CancellationToken.None);
        await performer.SendFrameAsync(0);
        (WebSocketCloseStatus? status, string? reason) = await performer.WaitForCloseAsync(s_wait);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Contains("must be a Hello", reason, StringComparison.Ordinal);
        await server.DeleteAsync(s.Id);
    }

    [Fact]
    public async Task MalformedPacket_IsDroppedAndCounted_ConnectionStays()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        await using var viewer = new LiveViewer();
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s);
        await performer.SendRawAsync(new byte[] { 0x93, 0x01, 0x02 });            // an envelope cut short
        await performer.SendRawAsync("not msgpack"u8.ToArray(), WebSocketMessageType.Text);
        await performer.SendFrameAsync(0);
        await WaitUntilAsync(() => viewer.Frames.Count >= 1);
        SessionState state = (await server.StateAsync(s.Id))!;
        Assert.Equal(2, state.Drops.Malformed);
        Assert.True(state.PerformerConnected);
        Assert.Equal(WebSocketState.Open, performer.Socket.State);
        await server.DeleteAsync(s.Id);
    }

    [Fact]
    public async Task NonFiniteLandmarks_AreDroppedAsMalformed_ConnectionStays()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        await using var viewer = new LiveViewer();
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s);
        var poisoned = new Core.Tracking.TrackingFrame { ImageWidth = 640, ImageHeight = 480 };
        poisoned.Face.Present = true;
        poisoned.Face.Landmarks[10] = new System.Numerics.Vector3(float.NaN, 0.5f, 0);
        await performer.SendFrameAsync(0, poisoned, LandmarkEncoding.Float32);
        await performer.SendFrameAsync(1);
        await WaitUntilAsync(() => viewer.Frames.Count >= 1);
        SessionState state = (await server.StateAsync(s.Id))!;
        Assert.Equal(1, state.Drops.Malformed);
        Assert.Equal(1, state.FramesReceived);
        await server.DeleteAsync(s.Id);
    }

    [Fact]
    public async Task MalformedPackets_ManyInARow_CloseTheConnection()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s);
        for (int i = 0; i < server.Options.MaxConsecutiveBadPackets; i++)
        {
            await performer.SendRawAsync(new byte[] { 0xc1 });                     // 0xc1 is never used in MessagePack
        }

        (WebSocketCloseStatus? status, string? reason) = await performer.WaitForCloseAsync(s_wait);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, status);
        Assert.Contains("malformed packets in a row", reason, StringComparison.Ordinal);
        await server.DeleteAsync(s.Id);
    }

    [Fact]
    public async Task OversizePacket_ClosesWithMessageTooBig_AndTheServerStaysUp()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        await using (TestPerformer performer = await TestPerformer.ConnectAsync(s))
        {
            byte[] huge = new byte[server.Options.MaxIngestPacketBytes + 1];
            huge[0] = 0xc6;                                                       // bin32 header: looks like a start
            await performer.SendRawAsync(huge);
            (WebSocketCloseStatus? status, string? reason) = await performer.WaitForCloseAsync(s_wait);
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
            Assert.Contains("message too big", reason, StringComparison.Ordinal);
        }

        await server.DeleteAsync(s.Id);

        // The next session works end to end.
        LiveSessionInfo next = await server.CreateSessionAsync();
        await using var viewer = new LiveViewer();
        await viewer.ConnectAsync(new Uri(next.FramesUrl));
        await using TestPerformer again = await TestPerformer.ConnectAsync(next);
        await again.SendFrameAsync(0);
        await WaitUntilAsync(() => viewer.Frames.Count >= 1);
        await server.DeleteAsync(next.Id);
    }

    [Fact]
    public async Task SecondPerformer_IsRefused_FirstKeepsStreaming()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        await using TestPerformer first = await TestPerformer.ConnectAsync(s);
        await first.SendFrameAsync(0);
        await WaitUntilAsync(async () => (await server.StateAsync(s.Id))!.PerformerConnected);
        await using TestPerformer second = await TestPerformer.ConnectAsync(s);
        (WebSocketCloseStatus? status, string? reason) = await second.WaitForCloseAsync(s_wait);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Contains("already has a performer", reason, StringComparison.Ordinal);
        await first.SendFrameAsync(1);
        Assert.Equal(WebSocketState.Open, first.Socket.State);
        await server.DeleteAsync(s.Id);
    }

    [Fact]
    public async Task Bye_EndsTheSession_ViewersAreToldWhy()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        await using var viewer = new LiveViewer();
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s);
        await performer.SendFrameAsync(0);
        await performer.SendByeAsync("done for today");
        (WebSocketCloseStatus? status, string? reason) = await performer.WaitForCloseAsync(s_wait);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.Contains("done for today", reason, StringComparison.Ordinal);
        await viewer.Completion.WaitAsync(s_wait);
        Assert.Contains("the performer said bye", viewer.Close.Reason, StringComparison.Ordinal);
        Assert.Null(await server.StateAsync(s.Id));
    }

    [Fact]
    public async Task PerformerVanishes_SessionEndsAfterTheTimeout()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        await using var viewer = new LiveViewer();
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        TestPerformer performer = await TestPerformer.ConnectAsync(s);
        await performer.SendFrameAsync(0);
        await WaitUntilAsync(() => viewer.Frames.Count >= 1);
        performer.Socket.Abort();                                                   // no Bye, no close: gone
        await performer.DisposeAsync();
        await WaitUntilAsync(async () => !(await server.StateAsync(s.Id))?.PerformerConnected ?? true);
        Assert.NotNull(await server.StateAsync(s.Id));                            // still waiting for the performer…
        await viewer.Completion.WaitAsync(ServerFixture.PerformerTimeout + s_wait);  // …until the timeout ends it
        Assert.Contains("no performer connected for", viewer.Close.Reason, StringComparison.Ordinal);
        Assert.Null(await server.StateAsync(s.Id));
        Assert.Null(server.Sessions.Find(s.Id));
    }

    [Fact]
    public async Task UnknownSession_Ingest_Returns404()
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"ws://{server.BaseAddress.Authority}/live/nope/ingest"), CancellationToken.None));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, socket.HttpStatusCode);
    }

    internal static async Task WaitUntilAsync(Func<bool> condition) => await WaitUntilAsync(() => Task.FromResult(condition()));

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + s_wait;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(20);
        }
    }
}
