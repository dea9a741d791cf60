using System.Buffers;
using System.Numerics;
using Capture.Core.Tracking;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Schema;
using MessagePack;

namespace Capture.Protocol.Tests;

public class SchemaTests
{
    private static byte[] Encode(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void TrackingFrame_Float32Landmarks_RoundTripsExactly()
    {
        TrackingFrame frame = TestFrames.Make(42);
        byte[] bytes = Encode(b => ProtocolWriter.WriteTrackingFrame(b, frame, LandmarkEncoding.Float32));
        var reader = new ProtocolReader();
        Assert.Equal(MessageKind.TrackingFrame, reader.Read(bytes));
        TrackingFrame got = reader.Frame;
        Assert.Equal(frame.Sequence, got.Sequence);
        Assert.Equal(frame.CaptureTimestampUs, got.CaptureTimestampUs);
        Assert.Equal((1280, 720), (got.ImageWidth, got.ImageHeight));
        Assert.True(got.Face.Present);
        Assert.Equal(frame.Face.Score, got.Face.Score);
        Assert.Equal(frame.Face.Landmarks, got.Face.Landmarks);
        Assert.Equal(frame.Face.Blendshapes, got.Face.Blendshapes);
        Assert.Equal(frame.Face.HeadPose, got.Face.HeadPose);
        Assert.True(got.Body.Present);
        Assert.Equal(frame.Body.Landmarks, got.Body.Landmarks);
    }

    [Fact]
    public void TrackingFrame_Int16Landmarks_WithinQuantizationError()
    {
        TrackingFrame frame = TestFrames.Make(7);
        byte[] bytes = Encode(b => ProtocolWriter.WriteTrackingFrame(b, frame));
        var got = new TrackingFrame();
        ProtocolReader.ReadTrackingFrame(bytes, got);
        float maxError = 0;
        for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
        {
            Vector3 d = Vector3.Abs(got.Face.Landmarks[i] - frame.Face.Landmarks[i]);
            maxError = MathF.Max(maxError, MathF.Max(d.X, MathF.Max(d.Y, d.Z)));
        }

        Assert.True(maxError <= 0.5f / ProtocolWriter.LandmarkQuantScale + 1e-7f, $"max error {maxError}");
        Assert.Equal(frame.Face.Blendshapes, got.Face.Blendshapes);
    }

    [Fact]
    public void TrackingFrame_Int16Landmarks_OutOfRangeSaturatesAndNaNBecomesZero()
    {
        TrackingFrame frame = TestFrames.Make(1, body: false);
        frame.Face.Landmarks[0] = new Vector3(5f, -5f, float.NaN);
        byte[] bytes = Encode(b => ProtocolWriter.WriteTrackingFrame(b, frame));
        var got = new TrackingFrame();
        ProtocolReader.ReadTrackingFrame(bytes, got);
        Assert.Equal(new Vector3(32767 / 16384f, -32768 / 16384f, 0), got.Face.Landmarks[0]);
        Assert.False(got.Body.Present);
    }

    [Fact]
    public void TrackingFrame_NoFaceNoBody_ClearsPreviousContents()
    {
        var reader = new ProtocolReader();
        reader.Read(Encode(b => ProtocolWriter.WriteTrackingFrame(b, TestFrames.Make(1))));
        Assert.True(reader.Frame.Face.Present);
        reader.Read(Encode(b => ProtocolWriter.WriteTrackingFrame(b, TestFrames.Make(2, face: false, body: false))));
        Assert.False(reader.Frame.Face.Present);
        Assert.False(reader.Frame.Body.Present);
        Assert.Equal(Vector3.Zero, reader.Frame.Face.Landmarks[100]);
        Assert.Equal(2, reader.Frame.Sequence);
    }

    [Fact]
    public void EveryOtherMessage_RoundTrips()
    {
        var reader = new ProtocolReader();
        var hello = new HelloMessage(0, ["face", "body", "audio"], "performer-1", "secret");
        Assert.Equal(MessageKind.Hello, reader.Read(Encode(b => ProtocolWriter.WriteHello(b, hello))));
        Assert.Equal(hello.PerformerId, reader.Hello!.PerformerId);
        Assert.Equal(hello.Capabilities, reader.Hello.Capabilities);
        Assert.Equal("secret", reader.Hello.AuthToken);

        byte[] pcm = [.. Enumerable.Range(0, 1920 * 2).Select(i => (byte)i)];
        var audio = new AudioChunkHeader(9, 123_456, 48_000, 2);
        Assert.Equal(MessageKind.AudioChunk, reader.Read(Encode(b => ProtocolWriter.WriteAudioChunk(b, audio, pcm))));
        Assert.Equal(audio, reader.Audio);
        Assert.Equal(pcm, reader.AudioPcm.ToArray());

        var stats = new StatsMessage(5, 100, 3, 2, 29.97f, 41_000);
        Assert.Equal(MessageKind.Stats, reader.Read(Encode(b => ProtocolWriter.WriteStats(b, stats))));
        Assert.Equal(stats, reader.Stats);

        var ack = new AckMessage(MessageKind.TrackingFrame, 77);
        Assert.Equal(MessageKind.Ack, reader.Read(Encode(b => ProtocolWriter.WriteAck(b, ack))));
        Assert.Equal(ack, reader.Ack);

        Assert.Equal(MessageKind.Bye, reader.Read(Encode(b => ProtocolWriter.WriteBye(b, new ByeMessage("done")))));
        Assert.Equal("done", reader.Bye!.Reason);
        Assert.Equal(MessageKind.Bye, reader.Read(Encode(b => ProtocolWriter.WriteBye(b, new ByeMessage(null)))));
        Assert.Null(reader.Bye!.Reason);
    }

    [Fact]
    public void RenderedFrame_RoundTripsHeaderAndJpegBytes()
    {
        byte[] jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9];
        var header = new RenderedFrameHeader(7, 1_764_000_000_000_001, 1_764_000_000_020_002, 512, 256);
        byte[] bytes = Encode(b => ProtocolWriter.WriteRenderedFrame(b, header, jpeg));

        // [1, 7, 7, 1764000000000001, 1764000000020002, 512, 256, bin8(9)]: fixarray(8), two fixints, then the fields.
        Assert.Equal(new byte[] { 0x98, 0x01, 0x07, 0x07 }, bytes[..4]);
        var reader = new ProtocolReader();
        Assert.Equal(MessageKind.RenderedFrame, reader.Read(bytes));
        Assert.Equal(header, reader.Rendered);
        Assert.Equal(jpeg, reader.RenderedJpeg.ToArray());
    }

    [Fact]
    public void RenderedFrameWithAlpha_RoundTripsAlphaAndMatte_AndAFrameWithoutAlphaClearsThem()
    {
        byte[] jpeg = [0xFF, 0xD8, 1, 2, 0xFF, 0xD9];
        byte[] alpha = [0xFF, 0xD8, 9, 8, 7, 0xFF, 0xD9];
        var header = new RenderedFrameHeader(8, 10, 20, 256, 256);
        var reader = new ProtocolReader();

        Assert.Equal(MessageKind.RenderedFrame, reader.Read(Encode(b => ProtocolWriter.WriteRenderedFrame(b, header, jpeg, alpha, new RenderedMatte(235, 10, 0)))));
        Assert.Equal(jpeg, reader.RenderedJpeg.ToArray());
        Assert.Equal(alpha, reader.RenderedAlpha.ToArray());
        Assert.Equal(new RenderedMatte(235, 10, 0), reader.RenderedMatte);

        // A cut-out's frame: alpha, no matte.
        Assert.Equal(MessageKind.RenderedFrame, reader.Read(Encode(b => ProtocolWriter.WriteRenderedFrame(b, header, jpeg, alpha, null))));
        Assert.Equal(alpha, reader.RenderedAlpha.ToArray());
        Assert.Null(reader.RenderedMatte);

        // A v1.2 frame after them: no alpha left over from the last one.
        Assert.Equal(MessageKind.RenderedFrame, reader.Read(Encode(b => ProtocolWriter.WriteRenderedFrame(b, header, jpeg))));
        Assert.True(reader.RenderedAlpha.IsEmpty);
        Assert.Null(reader.RenderedMatte);
    }

    [Theory]
    [InlineData(new byte[] { 0x93, 0xcd, 0x01, 0x00, 0x00, 0x00 }, "component 256 is not in 0..255")]
    [InlineData(new byte[] { 0x92, 0x00, 0x00 }, "matte is not nil or [r, g, b]")]
    [InlineData(new byte[] { 0xa3, 0x61, 0x62, 0x63 }, "matte is not nil or [r, g, b]")]
    public void RenderedFrameWithAlpha_BadMatte_IsRefusedNamingIt(byte[] matte, string expected)
    {
        var header = new RenderedFrameHeader(1, 2, 3, 4, 4);
        byte[] bytes = Encode(b => ProtocolWriter.WriteRenderedFrame(b, header, [1], [2], null));
        byte[] bad = [.. bytes[..^1], .. matte]; // the last byte is the matte's nil

        var ex = Assert.Throws<MessagePackFormatException>(() => new ProtocolReader().Read(bad));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderedFrameWithAlpha_AlphaNotBinary_IsRefused()
    {
        var header = new RenderedFrameHeader(1, 2, 3, 4, 4);
        byte[] bytes = Encode(b => ProtocolWriter.WriteRenderedFrame(b, header, [1], [2], null));
        // Replace the alpha bin (c4 01 02) with the string "x".
        int at = bytes.Length - 4;
        Assert.Equal(new byte[] { 0xc4, 0x01, 0x02, 0xc0 }, bytes[at..]);
        byte[] bad = [.. bytes[..at], 0xa1, 0x78, 0xc0];

        var ex = Assert.Throws<MessagePackFormatException>(() => new ProtocolReader().Read(bad));
        Assert.Contains("Expected binary", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderedFrame_ZeroSize_IsRefusedNamingTheSize()
    {
        var header = new RenderedFrameHeader(1, 2, 3, 512, 256);
        byte[] bytes = Encode(b => ProtocolWriter.WriteRenderedFrame(b, header, [1, 2, 3]));
        // Patch the width (positive fixint 0x?? is not used for 512: it is uint16 0xcd 0x02 0x00) to zero.
        int at = Array.IndexOf(bytes, (byte)0xcd);
        bytes[at + 1] = 0;
        bytes[at + 2] = 0;
        var ex = Assert.Throws<MessagePackFormatException>(() => new ProtocolReader().Read(bytes));
        Assert.Contains("0x256", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MajorVersionMismatch_RefusesNamingBothVersions()
    {
        // A v2.3 Hello: [2, 1, 3, [], "p", nil]
        byte[] bytes = Encode(b =>
        {
            var w = new MessagePackWriter(b);
            w.WriteArrayHeader(6);
            w.Write(2);
            w.Write(1);
            w.Write(3);
            w.WriteArrayHeader(0);
            w.Write("p");
            w.WriteNil();
            w.Flush();
        });
        var ex = Assert.Throws<ProtocolVersionException>(() => new ProtocolReader().Read(bytes));
        Assert.Contains("peer speaks 2.3", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"this build speaks 1.{ProtocolVersion.Minor}", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LandmarkEncoding.Float32)]
    [InlineData(LandmarkEncoding.Int16)]
    public void TrackingFrame_WithIris_RoundTripsAndAFrameWithoutClearsIt(LandmarkEncoding encoding)
    {
        TrackingFrame frame = TestFrames.Make(5);
        frame.Face.HasIris = true;
        for (int i = 0; i < TrackingFrame.IrisLandmarkCount; i++)
        {
            frame.Face.Iris[i] = new Vector3(0.4f + (i * 0.01f), 0.45f - (i * 0.002f), -0.02f + (i * 0.001f));
        }

        var reader = new ProtocolReader();
        Assert.Equal(MessageKind.TrackingFrame, reader.Read(Encode(b => ProtocolWriter.WriteTrackingFrame(b, frame, encoding))));

        Assert.True(reader.Frame.Face.HasIris);
        float tolerance = encoding == LandmarkEncoding.Float32 ? 0 : (0.5f / ProtocolWriter.LandmarkQuantScale) + 1e-7f;
        for (int i = 0; i < TrackingFrame.IrisLandmarkCount; i++)
        {
            Vector3 d = Vector3.Abs(reader.Frame.Face.Iris[i] - frame.Face.Iris[i]);
            Assert.True(MathF.Max(d.X, MathF.Max(d.Y, d.Z)) <= tolerance, $"iris {i}: {reader.Frame.Face.Iris[i]} vs {frame.Face.Iris[i]}");
        }

        Assert.Equal(frame.Face.Blendshapes, reader.Frame.Face.Blendshapes);
        Assert.True(reader.Frame.Body.Present);

        // The next frame has a face without iris: the reused destination must not keep the old points.
        reader.Read(Encode(b => ProtocolWriter.WriteTrackingFrame(b, TestFrames.Make(6), encoding)));
        Assert.False(reader.Frame.Face.HasIris);
        Assert.All(reader.Frame.Face.Iris, p => Assert.Equal(Vector3.Zero, p));
    }

    [Fact]
    public void TrackingFrame_WithWorld_RoundTripsExactlyAndABodyWithoutClearsIt()
    {
        TrackingFrame frame = TestFrames.Make(5, world: true);
        var reader = new ProtocolReader();
        Assert.Equal(MessageKind.TrackingFrame, reader.Read(Encode(b => ProtocolWriter.WriteTrackingFrame(b, frame))));
        Assert.True(reader.Frame.Body.HasWorld);
        Assert.Equal(frame.Body.WorldLandmarks, reader.Frame.Body.WorldLandmarks);
        Assert.Equal(frame.Body.Landmarks, reader.Frame.Body.Landmarks);

        // The next frame's body has no world points (a v1.0–v1.2 sender): the reused destination must not keep the old ones.
        reader.Read(Encode(b => ProtocolWriter.WriteTrackingFrame(b, TestFrames.Make(6))));
        Assert.True(reader.Frame.Body.Present);
        Assert.False(reader.Frame.Body.HasWorld);
        Assert.All(reader.Frame.Body.WorldLandmarks, p => Assert.Equal(Vector3.Zero, p));
    }

    [Fact]
    public void TrackingFrame_BodyWithoutWorld_TwoBodyFieldsAsInV10()
    {
        byte[] bytes = Encode(b => ProtocolWriter.WriteTrackingFrame(b, TestFrames.Make(9)));
        var r = new MessagePackReader(bytes);
        Assert.Equal(9, r.ReadArrayHeader());
        for (int i = 0; i < 7; i++)
        {
            r.Skip();
        }

        Assert.Equal(ProtocolWriter.BodyFields, r.ReadArrayHeader());
    }

    [Fact]
    public void Read_WorldBinOfWrongLength_ThrowsNamingWorld()
    {
        byte[] bytes = Encode(b => ProtocolWriter.WriteTrackingFrame(b, TestFrames.Make(4, face: false, world: true)));

        // The world bin is bin 16 (c5 01 8c, 396 bytes) right before the hands' nil at the end: declare 392 and drop 4 bytes.
        int at = bytes.Length - 1 - 396 - 3;
        Assert.Equal(new byte[] { 0xc5, 0x01, 0x8c }, bytes[at..(at + 3)]);
        byte[] bad = [.. bytes[..at], 0xc5, 0x01, 0x88, .. bytes[(at + 3)..(at + 3 + 392)], 0xc0];

        var ex = Assert.Throws<MessagePackFormatException>(() => ProtocolReader.ReadTrackingFrame(bad, new TrackingFrame()));
        Assert.Contains("world", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NilInTheWorldSlot_ReadsAsNoWorld()
    {
        // A writer that fills the v1.3 slot with nil (or anything but a bin) has no world points; the body still reads.
        TrackingFrame frame = TestFrames.Make(3, face: false);
        byte[] bytes = Encode(b => ProtocolWriter.WriteTrackingFrame(b, frame));
        var r = new MessagePackReader(bytes);
        r.ReadArrayHeader();
        for (int i = 0; i < 7; i++)
        {
            r.Skip();   // major, type, sequence, time, width, height, the face's nil
        }

        int body = (int)r.Consumed;
        Assert.Equal((byte)0x92, bytes[body]);
        byte[] withNil = [.. bytes[..body], 0x93, .. bytes[(body + 1)..^1], 0xc0, 0xc0];
        var target = new TrackingFrame();
        target.Body.HasWorld = true;
        target.Body.WorldLandmarks[0] = Vector3.One;

        ProtocolReader.ReadTrackingFrame(withNil, target);

        Assert.True(target.Body.Present);
        Assert.False(target.Body.HasWorld);
        Assert.Equal(Vector3.Zero, target.Body.WorldLandmarks[0]);
        Assert.Equal(frame.Body.Landmarks, target.Body.Landmarks);
    }

    [Fact]
    public void TrackingFrame_WithoutIris_BytesUnchangedFromV10()
    {
        // A frame without iris is written exactly as before v1.1: four face fields.
        byte[] bytes = Encode(b => ProtocolWriter.WriteTrackingFrame(b, TestFrames.Make(9)));
        var r = new MessagePackReader(bytes);
        Assert.Equal(9, r.ReadArrayHeader());
        for (int i = 0; i < 6; i++)
        {
            r.Skip();
        }

        Assert.Equal(ProtocolWriter.FaceFields, r.ReadArrayHeader());
    }

    [Fact]
    public void Read_IrisBinOfWrongLength_ThrowsNamingIris()
    {
        TrackingFrame frame = TestFrames.Make(4);
        frame.Face.HasIris = true;
        byte[] bytes = Encode(b => ProtocolWriter.WriteTrackingFrame(b, frame));

        // Int16 iris: bin8 header c4 3c then 60 bytes; shorten the declared length to 58 and drop two bytes.
        int at = FindIrisBin(bytes);
        byte[] bad = [.. bytes[..(at + 1)], 58, .. bytes[(at + 2)..(at + 2 + 58)], .. bytes[(at + 2 + 60)..]];

        var ex = Assert.Throws<MessagePackFormatException>(() => ProtocolReader.ReadTrackingFrame(bad, new TrackingFrame()));
        Assert.Contains("Iris", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Where the face's field 5 starts: after the envelope's first 6 elements and the face's first 4.</summary>
    private static int FindIrisBin(byte[] bytes)
    {
        var r = new MessagePackReader(bytes);
        r.ReadArrayHeader();
        for (int i = 0; i < 6; i++)
        {
            r.Skip();
        }

        Assert.Equal(ProtocolWriter.FaceFieldsWithIris, r.ReadArrayHeader());
        for (int i = 0; i < ProtocolWriter.FaceFields; i++)
        {
            r.Skip();
        }

        int at = (int)r.Consumed;
        Assert.Equal(0xc4, bytes[at]);
        Assert.Equal(60, bytes[at + 1]);
        return at;
    }

    [Fact]
    public void Read_V1xWriterWithTrailingFields_AcceptsAndIgnoresThem()
    {
        TrackingFrame frame = TestFrames.Make(3);
        byte[] v10 = Encode(b => ProtocolWriter.WriteTrackingFrame(b, frame));

        // A v1.x writer appends fields at each level: the envelope, the face array and the body array.
        byte[] v1x = Encode(b =>
        {
            var w = new MessagePackWriter(b);
            var r = new MessagePackReader(v10);
            int n = r.ReadArrayHeader();
            w.WriteArrayHeader(n + 2);
            for (int i = 0; i < 6; i++)
            {
                w.WriteRaw(r.ReadRaw());
            }

            int faceCount = r.ReadArrayHeader();
            w.WriteArrayHeader(faceCount + 1);
            for (int i = 0; i < faceCount; i++)
            {
                w.WriteRaw(r.ReadRaw());
            }

            w.WriteMapHeader(1);
            w.Write("irises");
            w.Write(new byte[40]);
            w.WriteRaw(r.ReadRaw());
            w.WriteRaw(r.ReadRaw());
            w.Write("future field");
            w.WriteArrayHeader(2);
            w.Write(1.0);
            w.Write(DateTime.UtcNow);
            w.Flush();
        });
        var reader = new ProtocolReader();
        Assert.Equal(MessageKind.TrackingFrame, reader.Read(v1x));
        Assert.Equal(3, reader.Frame.Sequence);
        Assert.Equal(frame.Face.Blendshapes, reader.Frame.Face.Blendshapes);

        // An unknown message type from a newer minor version is reported, not an error.
        byte[] unknown = Encode(b =>
        {
            var w = new MessagePackWriter(b);
            w.WriteArrayHeader(3);
            w.Write(1);
            w.Write(99);
            w.Write("whatever");
            w.Flush();
        });
        Assert.Equal(MessageKind.Unknown, reader.Read(unknown));
        Assert.Equal(99, reader.LastTypeNumber);
    }

    [Fact]
    public void Read_EveryTruncationOfAFrame_ThrowsFormatError()
    {
        byte[] bytes = Encode(b => ProtocolWriter.WriteTrackingFrame(b, TestFrames.Make(5)));
        var reader = new ProtocolReader();
        for (int len = 0; len < bytes.Length; len++)
        {
            Assert.Throws<MessagePackFormatException>(() => reader.Read(bytes.AsSpan(0, len)));
        }

        var extra = bytes.Append((byte)0xc0).ToArray();
        var ex = Assert.Throws<MessagePackFormatException>(() => reader.Read(extra));
        Assert.Contains("follow the end", ex.Message, StringComparison.Ordinal);
        Assert.Equal(MessageKind.TrackingFrame, reader.Read(bytes));
    }

    [Fact]
    public void Read_WrongLandmarkLength_ThrowsNamingExpectedSizes()
    {
        byte[] bytes = Encode(b =>
        {
            var w = new MessagePackWriter(b);
            w.WriteArrayHeader(9);
            w.Write(1);
            w.Write(2);
            w.Write(0);
            w.Write(0);
            w.Write(640);
            w.Write(480);
            w.WriteArrayHeader(4);
            w.Write(1f);
            w.Write(new byte[100]);
            w.Flush();
        });
        var ex = Assert.Throws<MessagePackFormatException>(() => new ProtocolReader().Read(bytes));
        Assert.Contains("expected 2808 (int16) or 5616 (float32)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EncodeDecode_SteadyState_AllocatesNothingPerFrame()
    {
        TrackingFrame frame = TestFrames.Make(1);
        using var buffer = new PooledBufferWriter();
        var reader = new ProtocolReader();
        void Once(long i)
        {
            frame.Sequence = i;
            buffer.Reset();
            ProtocolWriter.WriteTrackingFrame(buffer, frame);
            reader.Read(buffer.WrittenSpan);
        }

        for (int i = 0; i < 100; i++)
        {
            Once(i);
        }

        // Three measured rounds of 1,000 frames: a per-frame allocation shows in every round (≥ 1,000 bytes); a
        // one-off runtime event on this thread while the suite runs in parallel (seen once in ten full runs) does not.
        var rounds = new long[3];
        for (int round = 0; round < rounds.Length; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                Once(i);
            }

            rounds[round] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.True(rounds.Min() == 0, $"bytes allocated per 1,000 frames in each round: {string.Join(", ", rounds)}");
        Assert.Equal(999, reader.Frame.Sequence);
    }
}
