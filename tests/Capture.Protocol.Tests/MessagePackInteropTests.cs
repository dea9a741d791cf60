using System.Buffers;
using System.Text.Json.Nodes;
using Capture.Core.Tracking;
using Capture.Protocol.Schema;
using MessagePack;

namespace Capture.Protocol.Tests;

/// <summary>Golden cross-tests against npm @msgpack/msgpack 3.1.3, a MessagePack implementation we did not write.</summary>
public sealed class MessagePackInteropTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-mp-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every format the writer has, each with the value it should decode to.</summary>
    private static List<(Writes Write, object? Expected)> KitchenSink()
    {
        byte[] Bytes(int n) => [.. Enumerable.Range(0, n).Select(i => (byte)(i * 7))];
        DateTime At(long seconds, long nanos) => DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(nanos / 100);
        var list = new List<(Writes, object?)>
        {
            ((ref MessagePackWriter w) => w.WriteNil(), null),
            ((ref MessagePackWriter w) => w.Write(true), true),
            ((ref MessagePackWriter w) => w.Write(false), false),
            ((ref MessagePackWriter w) => w.WriteUInt8(200), 200L),
            ((ref MessagePackWriter w) => w.WriteUInt16(60000), 60000L),
            ((ref MessagePackWriter w) => w.WriteUInt32(4000000000), 4000000000L),
            ((ref MessagePackWriter w) => w.WriteUInt64(ulong.MaxValue), ulong.MaxValue),
            ((ref MessagePackWriter w) => w.WriteInt8(-100), -100L),
            ((ref MessagePackWriter w) => w.WriteInt16(-30000), -30000L),
            ((ref MessagePackWriter w) => w.WriteInt32(-2000000000), -2000000000L),
            ((ref MessagePackWriter w) => w.WriteInt64(long.MinValue), long.MinValue),
            ((ref MessagePackWriter w) => w.Write(5L), 5L),
            ((ref MessagePackWriter w) => w.Write(-7L), -7L),
            ((ref MessagePackWriter w) => w.WriteUInt8(1), 1L),
            ((ref MessagePackWriter w) => w.Write(1.5f), 1.5f),
            ((ref MessagePackWriter w) => w.Write(0.1f), 0.1f),
            ((ref MessagePackWriter w) => w.Write(-1e-300), -1e-300),
            ((ref MessagePackWriter w) => w.Write(Math.PI), Math.PI),
            ((ref MessagePackWriter w) => w.Write(-0.0), -0.0),
            ((ref MessagePackWriter w) => w.Write(""), ""),
            ((ref MessagePackWriter w) => w.Write(new string('a', 31)), new string('a', 31)),
            ((ref MessagePackWriter w) => w.Write(new string('b', 200)), new string('b', 200)),
            ((ref MessagePackWriter w) => w.Write(new string('c', 300)), new string('c', 300)),
            ((ref MessagePackWriter w) => w.Write(new string('d', 70000)), new string('d', 70000)),
            ((ref MessagePackWriter w) => w.Write("héllo ✓ 日本"), "héllo ✓ 日本"),
            ((ref MessagePackWriter w) => w.Write(Bytes(0).AsSpan()), Bytes(0)),
            ((ref MessagePackWriter w) => w.Write(Bytes(255).AsSpan()), Bytes(255)),
            ((ref MessagePackWriter w) => w.Write(Bytes(256).AsSpan()), Bytes(256)),
            ((ref MessagePackWriter w) => w.Write(Bytes(70000).AsSpan()), Bytes(70000)),
            ((ref MessagePackWriter w) => w.Write(At(1_700_000_000, 0)), new MessagePackTimestamp(1_700_000_000, 0)),
            ((ref MessagePackWriter w) => w.Write(At(1_700_000_000, 123_456_700)), new MessagePackTimestamp(1_700_000_000, 123_456_700)),
            ((ref MessagePackWriter w) => w.Write(At(17_179_869_184, 500)), new MessagePackTimestamp(17_179_869_184, 500)),
            ((ref MessagePackWriter w) => w.Write(At(-2, 500_000_000)), new MessagePackTimestamp(-2, 500_000_000)),
        };
        foreach (int n in new[] { 1, 2, 4, 8, 16, 3, 300, 70000 })
        {
            byte[] data = Bytes(n);
            list.Add(((ref MessagePackWriter w) => w.WriteExtensionFormat(new ExtensionResult(9, data)), new MessagePackExtension(9, data)));
        }

        foreach (int n in new[] { 0, 15, 16, 70000 })
        {
            list.Add(((ref MessagePackWriter w) =>
            {
                w.WriteArrayHeader(n);
                for (int i = 0; i < n; i++)
                {
                    w.Write(i % 5);
                }
            }, Enumerable.Range(0, n).Select(i => (object?)(long)(i % 5)).ToArray()));
            list.Add(((ref MessagePackWriter w) =>
            {
                w.WriteMapHeader(n);
                for (int i = 0; i < n; i++)
                {
                    w.Write("k" + i);
                    w.Write(i % 2 == 0);
                }
            }, Enumerable.Range(0, n).Select(i => new KeyValuePair<object?, object?>("k" + i, i % 2 == 0)).ToList()));
        }

        return list;
    }

    private static List<byte[]> MessagePackets()
    {
        var packets = new List<byte[]>();
        void Add(Action<IBufferWriter<byte>> write)
        {
            var b = new ArrayBufferWriter<byte>();
            write(b);
            packets.Add(b.WrittenSpan.ToArray());
        }

        Add(b => ProtocolWriter.WriteHello(b, new HelloMessage(0, ["face", "body"], "p1", null)));
        Add(b => ProtocolWriter.WriteTrackingFrame(b, TestFrames.Make(4)));
        Add(b => ProtocolWriter.WriteTrackingFrame(b, TestFrames.Make(5, world: true), LandmarkEncoding.Float32));
        Add(b => ProtocolWriter.WriteTrackingFrame(b, TestFrames.Make(6, face: false)));
        Add(b => ProtocolWriter.WriteAudioChunk(b, new AudioChunkHeader(1, 2, 16000, 1), new byte[640]));
        Add(b => ProtocolWriter.WriteStats(b, new StatsMessage(1, 2, 3, 4, 5.5f, 6)));
        Add(b => ProtocolWriter.WriteAck(b, new AckMessage(MessageKind.TrackingFrame, 4)));
        Add(b => ProtocolWriter.WriteBye(b, new ByeMessage("bye")));
        Add(b => ProtocolWriter.WriteRenderedFrame(b, new RenderedFrameHeader(3, 1_764_000_000_000_001, 1_764_000_000_020_002, 64, 48), [0xff, 0xd8, 0xff, 0xd9]));
        Add(b => ProtocolWriter.WriteTrackingFrame(b, TestFrames.Make(7, face: false, body: false, leftHand: true)));
        return packets;
    }

    [Fact]
    public void NodeDecode_EveryFormatAndMessageWeWrite_SameValues()
    {
        var sink = KitchenSink();
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        foreach (var (write, _) in sink)
        {
            write(ref writer);
        }

        List<byte[]> packets = MessagePackets();
        foreach (byte[] p in packets)
        {
            writer.WriteRaw(p);
        }

        writer.Flush();

        string file = Path.Combine(_dir, "ours.mpk");
        File.WriteAllBytes(file, buffer.WrittenSpan.ToArray());
        var decoded = JsonNode.Parse(NodeInterop.Run("msgpack-decode.mjs", file))!.AsArray();
        Assert.Equal(sink.Count + packets.Count, decoded.Count);
        for (int i = 0; i < sink.Count; i++)
        {
            JsonNode? expected = NodeInterop.Canonical(sink[i].Expected);
            Assert.True(JsonNode.DeepEquals(expected, decoded[i]), $"value {i}: node decoded {Trim(decoded[i])}, expected {Trim(expected)}");
        }

        // Messages: node's view equals our own decoder's generic view of the same bytes.
        for (int i = 0; i < packets.Count; i++)
        {
            var r = new MessagePackReader(packets[i]);
            JsonNode? ours = NodeInterop.Canonical(GenericValue.Read(ref r));
            Assert.True(JsonNode.DeepEquals(ours, decoded[sink.Count + i]), $"message {i} differs");
        }
    }

    [Fact]
    public void NodeSchemaView_FrameWeWrite_MatchesDocumentedLayout()
    {
        List<byte[]> packets = MessagePackets();
        string file = Path.Combine(_dir, "frames.mpk");
        File.WriteAllBytes(file, [.. packets[1], .. packets[2], .. packets[3]]);
        var frames = JsonNode.Parse(NodeInterop.Run("msgpack-decode.mjs", file, "--schema"))!.AsArray();
        for (int k = 0; k < 2; k++)
        {
            TrackingFrame expected = TestFrames.Make(4 + k, world: k == 1);
            JsonNode f = frames[k]!;
            Assert.Equal(expected.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), (string)f["seq"]!);
            Assert.Equal(1280, (int)f["w"]!);
            var lm = f["face"]!["landmarks"]!.AsArray();
            Assert.Equal(468 * 3, lm.Count);
            double tolerance = k == 0 ? 0.5 / 16384 + 1e-7 : 0;
            for (int i = 0; i < 468; i++)
            {
                Assert.InRange((double)lm[i * 3]! - expected.Face.Landmarks[i].X, -tolerance, tolerance);
                Assert.InRange((double)lm[(i * 3) + 2]! - expected.Face.Landmarks[i].Z, -tolerance, tolerance);
            }

            var shapes = f["face"]!["blendshapes"]!.AsArray();
            Assert.Equal(expected.Face.Blendshapes.Select(v => (double)v), shapes.Select(v => (double)v!));
            var pose = f["face"]!["pose"]!.AsArray();
            Assert.Equal((double)expected.Face.HeadPose.Rotation.W, (double)pose[3]!);
            Assert.Equal((double)expected.Face.HeadPose.Translation.Z, (double)pose[6]!);
            var body = f["body"]!["landmarks"]!.AsArray();
            Assert.Equal((double)expected.Body.Landmarks[32].W, (double)body[(32 * 4) + 3]!);

            // v1.3: the world points are the body's third field, 33 × (x, y, z) float32, only when the frame has them.
            JsonNode? world = f["body"]!["world"];
            if (k == 1)
            {
                var w = world!.AsArray();
                Assert.Equal(33 * 3, w.Count);
                for (int i = 0; i < 33; i++)
                {
                    Assert.Equal((double)expected.Body.WorldLandmarks[i].X, (double)w[i * 3]!);
                    Assert.Equal((double)expected.Body.WorldLandmarks[i].Y, (double)w[(i * 3) + 1]!);
                    Assert.Equal((double)expected.Body.WorldLandmarks[i].Z, (double)w[(i * 3) + 2]!);
                }
            }
            else
            {
                Assert.Null(world);
            }
        }

        Assert.Null(frames[2]!["face"]);
        Assert.NotNull(frames[2]!["body"]);
        Assert.Null(frames[0]!["hands"]);
    }

    [Fact]
    public void NodeSchemaView_FrameWithHandsWeWrite_MatchesDocumentedLayout()
    {
        string file = Path.Combine(_dir, "hands.mpk");
        File.WriteAllBytes(file, MessagePackets()[^1]);
        JsonNode f = JsonNode.Parse(NodeInterop.Run("msgpack-decode.mjs", file, "--schema"))!.AsArray()[0]!;
        TrackingFrame expected = TestFrames.Make(7, face: false, body: false, leftHand: true);
        var hands = f["hands"]!.AsArray();
        Assert.Equal(2, hands.Count);
        Assert.Null(hands[1]);
        JsonNode left = hands[0]!;
        Assert.Equal(0.95f, (float)(double)left["score"]!);
        Assert.Equal(0.875, (double)left["handedness"]!);
        var points = left["landmarks"]!.AsArray();
        var world = left["world"]!.AsArray();
        Assert.Equal(21 * 3, points.Count);
        Assert.Equal(21 * 3, world.Count);
        for (int i = 0; i < 21; i++)
        {
            Assert.InRange((double)points[i * 3]! - expected.LeftHand.Landmarks[i].X, -0.5 / 16384 - 1e-7, 0.5 / 16384 + 1e-7);
            Assert.InRange((double)points[(i * 3) + 2]! - expected.LeftHand.Landmarks[i].Z, -0.5 / 16384 - 1e-7, 0.5 / 16384 + 1e-7);
            Assert.Equal(expected.LeftHand.WorldLandmarks[i].Y, (float)(double)world[(i * 3) + 1]!);
        }
    }

    [Fact]
    public void WeDecode_EveryFormatAndMessageNodeWrites_SameValues()
    {
        string file = Path.Combine(_dir, "node.mpk");
        var expected = JsonNode.Parse(NodeInterop.Run("msgpack-encode.mjs", file))!;
        int count = (int)expected["count"]!;
        var values = expected["values"]!.AsArray();
        byte[] bytes = File.ReadAllBytes(file);
        var reader = new MessagePackReader(bytes);
        var starts = new List<int>();
        for (int i = 0; i < count; i++)
        {
            starts.Add((int)reader.Consumed);
            JsonNode? ours = NodeInterop.Canonical(GenericValue.Read(ref reader));
            Assert.True(JsonNode.DeepEquals(values[i], ours), $"value {i}: we decoded {Trim(ours)}, node wrote {Trim(values[i])}");
        }

        Assert.True(reader.End);

        // The last 7 values are Capture messages node built from docs/protocol.md.
        var protocol = new ProtocolReader();
        ReadOnlySpan<byte> Packet(int index) => bytes.AsSpan(starts[index], (index + 1 < count ? starts[index + 1] : bytes.Length) - starts[index]);
        int m = count - 8;
        Assert.Equal(MessageKind.Hello, protocol.Read(Packet(m)));
        Assert.Equal("node-performer", protocol.Hello!.PerformerId);
        Assert.Equal(["face", "body"], protocol.Hello.Capabilities);
        Assert.Equal("tok", protocol.Hello.AuthToken);

        TrackingFrame want = TestFrames.Make(12, world: true);
        for (int k = 1; k <= 2; k++)
        {
            Assert.Equal(MessageKind.TrackingFrame, protocol.Read(Packet(m + k)));
            TrackingFrame got = protocol.Frame;
            Assert.Equal(12, got.Sequence);
            Assert.Equal(want.CaptureTimestampUs, got.CaptureTimestampUs);
            float tolerance = k == 1 ? (1f / 16384) + 1e-6f : 1e-6f;
            for (int i = 0; i < 468; i++)
            {
                Assert.True(System.Numerics.Vector3.Distance(want.Face.Landmarks[i], got.Face.Landmarks[i]) <= tolerance * 2, $"landmark {i}: {got.Face.Landmarks[i]} vs {want.Face.Landmarks[i]}");
            }

            Assert.Equal(want.Face.Blendshapes, got.Face.Blendshapes);
            Assert.Equal(new System.Numerics.Vector3(1.5f, -2f, -45f), got.Face.HeadPose.Translation);
            Assert.Equal(k == 1, got.Body.Present);
            if (k == 1)
            {
                for (int i = 0; i < 33; i++)
                {
                    Assert.True(System.Numerics.Vector4.Distance(want.Body.Landmarks[i], got.Body.Landmarks[i]) < 1e-6f, $"body {i}");
                    Assert.True(System.Numerics.Vector3.Distance(want.Body.WorldLandmarks[i], got.Body.WorldLandmarks[i]) < 1e-6f, $"world {i}");
                }

                Assert.True(got.Body.HasWorld);
            }
        }

        Assert.Equal(MessageKind.AudioChunk, protocol.Read(Packet(m + 3)));
        Assert.Equal(new AudioChunkHeader(5, 123456, 48000, 1), protocol.Audio);
        Assert.Equal(new byte[] { 1, 0, 255, 127 }, protocol.AudioPcm.ToArray());
        Assert.Equal(MessageKind.Stats, protocol.Read(Packet(m + 4)));
        Assert.Equal(new StatsMessage(99, 1000, 3, 2, 29.97f, 41000), protocol.Stats);
        Assert.Equal(MessageKind.Ack, protocol.Read(Packet(m + 5)));
        Assert.Equal(new AckMessage(MessageKind.TrackingFrame, 12), protocol.Ack);
        Assert.Equal(MessageKind.Bye, protocol.Read(Packet(m + 6)));
        Assert.Equal("node says bye", protocol.Bye!.Reason);

        // v1.4 hands as a JavaScript writer sends them (scores as float 64, points int16, world float32).
        Assert.Equal(MessageKind.TrackingFrame, protocol.Read(Packet(m + 7)));
        TrackingFrame withHands = protocol.Frame;
        Assert.False(withHands.Face.Present);
        Assert.True(withHands.LeftHand.Present);
        Assert.False(withHands.RightHand.Present);
        Assert.Equal(0.95f, withHands.LeftHand.Score);
        Assert.Equal(0.875f, withHands.LeftHand.HandednessScore);
        for (int i = 0; i < 21; i++)
        {
            Assert.True(System.Numerics.Vector3.Distance(TestFrames.HandLandmark(i, 12), withHands.LeftHand.Landmarks[i]) <= 2f / 16384, $"hand landmark {i}");
            Assert.True(System.Numerics.Vector3.Distance(TestFrames.HandWorldLandmark(i), withHands.LeftHand.WorldLandmarks[i]) <= 1e-6f, $"hand world landmark {i}");
        }
    }

    private static string Trim(JsonNode? n)
    {
        string s = n?.ToJsonString() ?? "null";
        return s.Length > 200 ? s[..200] + "…" : s;
    }
}
