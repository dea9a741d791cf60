using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Schema;
using Capture.Protocol.Transport;

namespace Capture.Protocol.Tests;

public sealed class TransportTests
{
    private static readonly IPEndPoint s_loopback = new(IPAddress.Loopback, 0);

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    private static byte[] FramePacket(long seq)
    {
        var buffer = new ArrayBufferWriter<byte>();
        ProtocolWriter.WriteTrackingFrame(buffer, TestFrames.Make(seq));
        return buffer.WrittenSpan.ToArray();
    }

    private static async Task<(IPacketTransport Client, IPacketTransport Server, IDisposable Listener)> PairAsync(string kind, int serverMax, int clientMax, CancellationToken ct)
    {
        switch (kind)
        {
            case "tcp":
                {
                    var listener = new TcpPacketListener(s_loopback, serverMax);
                    Task<TcpPacketTransport> accept = listener.AcceptAsync(ct);
                    TcpPacketTransport client = await TcpPacketTransport.ConnectAsync("127.0.0.1", listener.Port, clientMax, ct);
                    return (client, await accept, listener);
                }

            case "ws":
                {
                    var listener = new WebSocketPacketListener(s_loopback, "/capture", serverMax);
                    Task<WebSocketPacketTransport> accept = listener.AcceptAsync(ct);
                    var client = await WebSocketPacketTransport.ConnectAsync(new Uri($"ws://127.0.0.1:{listener.Port}/capture"), clientMax, ct);
                    return (client, await accept, listener);
                }

            default:
                {
                    UdpPacketTransport server = UdpPacketTransport.Bind(s_loopback, serverMax);
                    UdpPacketTransport client = UdpPacketTransport.Connect(new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port), clientMax);
                    return (client, server, new NoopDisposable());
                }
        }
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ws")]
    [InlineData("udp")]
    public async Task SendReceive_FramesBothWays_ArriveWholeAndDecode(string kind)
    {
        CancellationToken ct = Timeout();
        var (client, server, listener) = await PairAsync(kind, 8192, 8192, ct);
        await using (client)
        await using (server)
        using (listener)
        {
            var reader = new ProtocolReader();
            byte[] buffer = new byte[8192];
            for (long i = 0; i < 20; i++)
            {
                byte[] packet = FramePacket(i);
                await client.SendAsync(packet, ct);
                int n = await server.ReceiveAsync(buffer, ct);
                Assert.Equal(packet, buffer.AsSpan(0, n).ToArray());
                Assert.Equal(MessageKind.TrackingFrame, reader.Read(buffer.AsSpan(0, n)));
                Assert.Equal(i, reader.Frame.Sequence);
            }

            var ackBuffer = new ArrayBufferWriter<byte>();
            ProtocolWriter.WriteAck(ackBuffer, new AckMessage(MessageKind.TrackingFrame, 19));
            await server.SendAsync(ackBuffer.WrittenMemory, ct);
            int m = await client.ReceiveAsync(buffer, ct);
            Assert.Equal(MessageKind.Ack, reader.Read(buffer.AsSpan(0, m)));
            Assert.Equal(19, reader.Ack.Sequence);
        }
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ws")]
    [InlineData("udp")]
    public async Task Receive_OversizePacket_ClearErrorThenNextPacketArrives(string kind)
    {
        CancellationToken ct = Timeout();
        var (client, server, listener) = await PairAsync(kind, 1000, 60_000, ct);
        await using (client)
        await using (server)
        using (listener)
        {
            byte[] buffer = new byte[60_000];
            await client.SendAsync(new byte[] { 0x90 | 1, 0x01 }, ct);
            Assert.Equal(2, await server.ReceiveAsync(buffer, ct));

            await client.SendAsync(new byte[5000], ct);
            await client.SendAsync(new byte[] { 0xc0 }, ct);
            var ex = await Assert.ThrowsAsync<PacketTooLargeException>(async () => await server.ReceiveAsync(buffer, ct));
            Assert.Equal(5000, ex.Size);
            Assert.Contains("exceeds the limit of 1000 bytes", ex.Message, StringComparison.Ordinal);

            int n = await server.ReceiveAsync(buffer, ct);
            Assert.Equal(1, n);
            Assert.Equal(0xc0, buffer[0]);
        }
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ws")]
    [InlineData("udp")]
    public async Task Send_OverLimitOrEmpty_ThrowsAndSendsNothing(string kind)
    {
        CancellationToken ct = Timeout();
        var (client, server, listener) = await PairAsync(kind, 1000, 1000, ct);
        await using (client)
        await using (server)
        using (listener)
        {
            await Assert.ThrowsAsync<PacketTooLargeException>(async () => await client.SendAsync(new byte[1001], ct));
            await Assert.ThrowsAsync<ArgumentException>(async () => await client.SendAsync(ReadOnlyMemory<byte>.Empty, ct));
            await client.SendAsync(new byte[] { 7 }, ct);
            byte[] buffer = new byte[1000];
            Assert.Equal(1, await server.ReceiveAsync(buffer, ct));
            Assert.Equal(7, buffer[0]);
        }
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ws")]
    [InlineData("udp")]
    public async Task MalformedPacket_DecoderErrorsButLinkCarriesOn(string kind)
    {
        CancellationToken ct = Timeout();
        var (client, server, listener) = await PairAsync(kind, 8192, 8192, ct);
        await using (client)
        await using (server)
        using (listener)
        {
            var reader = new ProtocolReader();
            byte[] buffer = new byte[8192];
            byte[] good = FramePacket(1);
            await client.SendAsync(good, ct);
            await client.SendAsync(good.AsMemory(0, 100), ct);
            await client.SendAsync(new byte[] { 0xc1, 0xff }, ct);
            await client.SendAsync(FramePacket(2), ct);

            Assert.Equal(MessageKind.TrackingFrame, reader.Read(buffer.AsSpan(0, await server.ReceiveAsync(buffer, ct))));
            var accepted = new Core.Tracking.TrackingFrame();
            reader.Frame.CopyTo(accepted);
            int n = await server.ReceiveAsync(buffer, ct);
            Assert.Throws<MessagePackFormatException>(() => reader.Read(buffer.AsSpan(0, n)));
            n = await server.ReceiveAsync(buffer, ct);
            Assert.Throws<MessagePackFormatException>(() => reader.Read(buffer.AsSpan(0, n)));
            n = await server.ReceiveAsync(buffer, ct);
            Assert.Equal(MessageKind.TrackingFrame, reader.Read(buffer.AsSpan(0, n)));
            Assert.Equal(2, reader.Frame.Sequence);
            Assert.Equal(1, accepted.Sequence);
        }
    }

    [Theory]
    [InlineData("tcp")]
    [InlineData("ws")]
    public async Task Receive_PeerCloses_ReturnsZero(string kind)
    {
        CancellationToken ct = Timeout();
        var (client, server, listener) = await PairAsync(kind, 1000, 1000, ct);
        await using (server)
        using (listener)
        {
            await client.SendAsync(new byte[] { 1 }, ct);
            await client.DisposeAsync();
            byte[] buffer = new byte[1000];
            Assert.Equal(1, await server.ReceiveAsync(buffer, ct));
            Assert.Equal(0, await server.ReceiveAsync(buffer, ct));
        }
    }

    [Fact]
    public async Task Tcp_TruncatedStream_ThrowsEndOfStream()
    {
        CancellationToken ct = Timeout();
        using var listener = new TcpPacketListener(s_loopback, 1000);
        Task<TcpPacketTransport> accept = listener.AcceptAsync(ct);
        using var raw = new TcpClient();
        await raw.ConnectAsync(IPAddress.Loopback, listener.Port, ct);
        await using TcpPacketTransport server = await accept;
        byte[] bytes = new byte[4 + 10];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, 100);
        await raw.GetStream().WriteAsync(bytes, ct);
        raw.Client.Shutdown(SocketShutdown.Send);
        var ex = await Assert.ThrowsAsync<EndOfStreamException>(async () => await server.ReceiveAsync(new byte[1000], ct));
        Assert.Contains("after 10 of 100 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WebSocket_TextMessageAndWrongPath_RefusedClearly()
    {
        CancellationToken ct = Timeout();
        using var listener = new WebSocketPacketListener(s_loopback, "/capture", 1000);
        using (var wrong = new ClientWebSocket())
        {
            Task<WebSocketPacketTransport> pending = listener.AcceptAsync(ct);
            await Assert.ThrowsAnyAsync<WebSocketException>(() => wrong.ConnectAsync(new Uri($"ws://127.0.0.1:{listener.Port}/other"), ct));
            using var text = new ClientWebSocket();
            await text.ConnectAsync(new Uri($"ws://127.0.0.1:{listener.Port}/capture"), ct);
            await using WebSocketPacketTransport server = await pending;
            await text.SendAsync("hello"u8.ToArray(), WebSocketMessageType.Text, true, ct);
            await text.SendAsync(new byte[] { 0xc0 }, WebSocketMessageType.Binary, true, ct);
            byte[] buffer = new byte[1000];
            var ex = await Assert.ThrowsAsync<InvalidDataException>(async () => await server.ReceiveAsync(buffer, ct));
            Assert.Contains("text message", ex.Message, StringComparison.Ordinal);
            Assert.Equal(1, await server.ReceiveAsync(buffer, ct));
        }
    }

    [Fact]
    public async Task Udp_LostAndReorderedFrames_GateCountsAndDropsStale()
    {
        CancellationToken ct = Timeout();
        await using UdpPacketTransport server = UdpPacketTransport.Bind(s_loopback);
        await using UdpPacketTransport client = UdpPacketTransport.Connect(new IPEndPoint(IPAddress.Loopback, server.LocalEndPoint.Port));
        long[] order = [0, 1, 2, 5, 4, 6, 9];
        foreach (long s in order)
        {
            await client.SendAsync(FramePacket(s), ct);
        }

        var gate = new SequenceGate();
        var reader = new ProtocolReader();
        var kept = new List<long>();
        byte[] buffer = new byte[PacketTransportDefaults.MaxUdpPacketSize];
        for (int i = 0; i < order.Length; i++)
        {
            int n = await server.ReceiveAsync(buffer, ct);
            reader.Read(buffer.AsSpan(0, n));
            if (gate.Accept(reader.Frame.Sequence))
            {
                kept.Add(reader.Frame.Sequence);
            }
        }

        Assert.Equal(new long[] { 0, 1, 2, 5, 6, 9 }, kept);
        Assert.Equal(1, gate.Stale);
        Assert.Equal(4, gate.Lost);
        Assert.False(gate.Accept(3));
        Assert.True(gate.Accept(-5000), "a sequence far below the last is a sender restart");
    }

    private sealed class NoopDisposable : IDisposable
    {
        public void Dispose()
        {
        }
    }
}

public sealed class WebSocketInteropTests
{
    [Fact]
    public async Task WebSocketServer_NodeWsClient_HandshakeFramesAndAcksBothWays()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var listener = new WebSocketPacketListener(new IPEndPoint(IPAddress.Loopback, 0), "/live");
        Task<WebSocketPacketTransport> accept = listener.AcceptAsync(cts.Token);
        using System.Diagnostics.Process node = NodeInterop.Start("ws-client.mjs", $"ws://127.0.0.1:{listener.Port}/live", "3");
        Task<string> stdout = node.StandardOutput.ReadToEndAsync(cts.Token);
        Task<string> stderr = node.StandardError.ReadToEndAsync(cts.Token);
        await using WebSocketPacketTransport server = await accept;

        var reader = new ProtocolReader();
        byte[] buffer = new byte[65536];
        Assert.Equal(MessageKind.Hello, reader.Read(buffer.AsSpan(0, await server.ReceiveAsync(buffer, cts.Token))));
        Assert.Equal("ws-node", reader.Hello!.PerformerId);
        var ack = new ArrayBufferWriter<byte>();
        for (int s = 0; s < 3; s++)
        {
            Assert.Equal(MessageKind.TrackingFrame, reader.Read(buffer.AsSpan(0, await server.ReceiveAsync(buffer, cts.Token))));
            Assert.Equal(s, reader.Frame.Sequence);
            Assert.Equal(1_700_000_000_000_000 + (s * 33_333), reader.Frame.CaptureTimestampUs);
            Assert.Equal(5 / 16384f, reader.Frame.Face.Landmarks[1].Z);
            Assert.Equal(0.5f, reader.Frame.Face.Blendshapes[(int)Core.Tracking.ArkitBlendshape.JawOpen]);
            ack.Clear();
            ProtocolWriter.WriteAck(ack, new AckMessage(MessageKind.TrackingFrame, s));
            await server.SendAsync(ack.WrittenMemory, cts.Token);
        }

        Assert.Equal(0, await server.ReceiveAsync(buffer, cts.Token));
        await node.WaitForExitAsync(cts.Token);
        Assert.True(node.ExitCode == 0, $"node exited {node.ExitCode}: {await stderr}");
        string[] lines = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            ["[{\"i\":\"1\"},{\"i\":\"5\"},{\"i\":\"2\"},{\"i\":\"0\"}]", "[{\"i\":\"1\"},{\"i\":\"5\"},{\"i\":\"2\"},{\"i\":\"1\"}]", "[{\"i\":\"1\"},{\"i\":\"5\"},{\"i\":\"2\"},{\"i\":\"2\"}]"],
            lines);
    }
}
