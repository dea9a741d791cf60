using System.Buffers;
using System.Net;
using Capture.Protocol.MessagePack;
using MessagePack;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Protocol.Transport;

namespace Capture.Protocol.Tests;

public sealed class RecordingTests
{
    internal static byte[] MakeRecording(int frames, long frameIntervalUs = 33_333)
    {
        using var ms = new MemoryStream();
        using (var writer = new RecordingWriter(ms, "test"))
        {
            var buffer = new ArrayBufferWriter<byte>();
            ProtocolWriter.WriteHello(buffer, new HelloMessage(0, ["face", "body"], "rec", null));
            writer.Write(buffer.WrittenSpan);
            for (int i = 0; i < frames; i++)
            {
                buffer.Clear();
                var frame = TestFrames.Make(i);
                frame.CaptureTimestampUs = 1_000_000 + (i * frameIntervalUs);
                ProtocolWriter.WriteTrackingFrame(buffer, frame);
                writer.Write(buffer.WrittenSpan);
            }

            buffer.Clear();
            ProtocolWriter.WriteBye(buffer, new ByeMessage("end"));
            writer.Write(buffer.WrittenSpan);
        }

        return ms.ToArray();
    }

    [Fact]
    public void ReadAll_WholeRecording_ReturnsHeaderAndEveryPacket()
    {
        byte[] file = MakeRecording(50);
        using var reader = new RecordingReader(new MemoryStream(file), "rec.mpk");
        Assert.Equal(1, reader.Header.Major);
        Assert.Equal("test", reader.Header.Source);
        Assert.True((DateTime.UtcNow - reader.Header.CreatedUtc).Duration() < TimeSpan.FromMinutes(5));
        var protocol = new ProtocolReader();
        var kinds = new List<MessageKind>();
        while (reader.TryReadNext(out ReadOnlyMemory<byte> packet))
        {
            kinds.Add(protocol.Read(packet.Span));
        }

        Assert.Equal(52, kinds.Count);
        Assert.Equal(MessageKind.Hello, kinds[0]);
        Assert.All(kinds.Skip(1).Take(50), k => Assert.Equal(MessageKind.TrackingFrame, k));
        Assert.Equal(MessageKind.Bye, kinds[^1]);
    }

    [Fact]
    public void ReadAll_TruncatedLastValue_ReturnsEarlierPacketsThenErrorNamingOffset()
    {
        byte[] file = MakeRecording(10);
        byte[] cut = file.AsSpan(0, file.Length - 3).ToArray();
        using var reader = new RecordingReader(new MemoryStream(cut), "cut.mpk");
        int count = 0;
        long lastGoodEnd = 0;
        var ex = Assert.Throws<InvalidDataException>(() =>
        {
            while (reader.TryReadNext(out _))
            {
                count++;
                lastGoodEnd = reader.Offset;
            }
        });
        Assert.Equal(11, count);
        Assert.Contains("cut.mpk", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"byte offset {lastGoodEnd}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("11 packets before it were read", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NotARecording_ClearError()
    {
        var buffer = new ArrayBufferWriter<byte>();
        ProtocolWriter.WriteBye(buffer, new ByeMessage("x"));
        var ex = Assert.Throws<InvalidDataException>(() => new RecordingReader(new MemoryStream(buffer.WrittenSpan.ToArray()), "x.mpk"));
        Assert.Contains("not a Capture recording", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => new RecordingReader(new MemoryStream([]), "empty.mpk"));
    }

    [Fact]
    public void Read_SmallChunksFromStream_SamePacketsAsWhole()
    {
        byte[] file = MakeRecording(20);
        using var reader = new RecordingReader(new TrickleStream(file, 7), "trickle.mpk");
        int count = 0;
        while (reader.TryReadNext(out ReadOnlyMemory<byte> packet))
        {
            var r = new MessagePackReader(packet);
            r.Skip();
            Assert.True(r.End);
            count++;
        }

        Assert.Equal(22, count);
        Assert.Equal(file.Length, reader.Offset);
    }

    [Fact]
    public async Task Replay_Fast_OverTcp_DeliversEveryPacketInOrder()
    {
        byte[] file = MakeRecording(30);
        using var listener = new TcpPacketListener(new IPEndPoint(IPAddress.Loopback, 0));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        Task<TcpPacketTransport> accept = listener.AcceptAsync(cts.Token);
        await using IPacketTransport client = await PacketTransports.ConnectAsync(new Uri($"tcp://127.0.0.1:{listener.Port}"), cts.Token);
        await using TcpPacketTransport server = await accept;
        using var recording = new RecordingReader(new MemoryStream(file), "rec.mpk");
        ReplayResult result = await RecordingReplayer.ReplayAsync(recording, client, fast: true, cancellationToken: cts.Token);
        Assert.Equal(32, result.Packets);

        var protocol = new ProtocolReader();
        byte[] buffer = new byte[65536];
        Assert.Equal(MessageKind.Hello, protocol.Read(buffer.AsSpan(0, await server.ReceiveAsync(buffer, cts.Token))));
        for (int i = 0; i < 30; i++)
        {
            Assert.Equal(MessageKind.TrackingFrame, protocol.Read(buffer.AsSpan(0, await server.ReceiveAsync(buffer, cts.Token))));
            Assert.Equal(i, protocol.Frame.Sequence);
        }
    }

    [Fact]
    public async Task Replay_OriginalTiming_OverUdp_TakesTheRecordedDuration()
    {
        byte[] file = MakeRecording(11, frameIntervalUs: 30_000);
        await using UdpPacketTransport server = UdpPacketTransport.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using IPacketTransport client = await PacketTransports.ConnectAsync(new Uri($"udp://127.0.0.1:{server.LocalEndPoint.Port}"));
        using var recording = new RecordingReader(new MemoryStream(file), "rec.mpk");
        ReplayResult result = await RecordingReplayer.ReplayAsync(recording, client, fast: false);
        Assert.Equal(13, result.Packets);
        Assert.True(result.Elapsed >= TimeSpan.FromMilliseconds(280), $"took {result.Elapsed}");
    }

    [Fact]
    public async Task Connect_UnknownSchemeOrNoPort_ClearError()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() => PacketTransports.ConnectAsync(new Uri("http://127.0.0.1:80/")));
        Assert.Contains("Unsupported transport 'http'", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(() => PacketTransports.ConnectAsync(new Uri("tcp://127.0.0.1")));
    }

    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));
    }
}
