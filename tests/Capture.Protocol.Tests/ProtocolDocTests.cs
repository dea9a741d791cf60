using System.Buffers;
using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using Capture.Core.Tracking;
using Capture.Protocol.Schema;

namespace Capture.Protocol.Tests;

/// <summary>
/// docs/protocol.md says its hex is exactly what <see cref="ProtocolWriter"/> writes: these tests read the hex out of
/// the document itself (the code block or inline code after a marker sentence) and compare it with what the writer
/// writes for the message the sentence describes. Annotations after the hex on each line are ignored.
/// </summary>
public partial class ProtocolDocTests
{
    private static readonly string s_doc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "protocol.md"));

    private static byte[] Encode(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void Hello_DocHex_IsWhatTheWriterWrites()
    {
        byte[] written = Encode(b => ProtocolWriter.WriteHello(b, new HelloMessage(0, ["face", "body"], "alice", "s3cret")));
        AssertExact("`Hello(minor 0, [\"face\",\"body\"], \"alice\", \"s3cret\")`, 28 bytes:", written);
        Assert.Equal(28, written.Length);
    }

    [Fact]
    public void TrackingFrame7_DocHex_IsInTheWrittenBytesInOrder()
    {
        TrackingFrame frame = Frame7();
        byte[] written = Encode(b => ProtocolWriter.WriteTrackingFrame(b, frame));
        Assert.Equal(3_080, written.Length);
        List<byte[]> lines = BlockLines("identity pose, no body — 3,080 bytes:");

        // Lines elide the bulk of the bins ("… 467 more points", "208 bytes: 52 float32"), so each shown line must
        // follow the previous one; the first starts the packet and the last ends it.
        int at = 0;
        foreach (byte[] line in lines)
        {
            int found = written.AsSpan(at).IndexOf(line);
            Assert.True(found >= 0, $"doc line {Convert.ToHexStringLower(line)} not found after byte {at}");
            Assert.True(at > 0 || found == 0, "the first doc line must start the packet");
            at += found + line.Length;
        }

        Assert.Equal(written.Length, at);

        // jawOpen (index 17) = 00 00 80 3f at offset 68 of the blendshape bin.
        int bin = Array.IndexOf(written, (byte)0xc4, 2808);
        Assert.Equal(new byte[] { 0x00, 0x00, 0x80, 0x3f }, written[(bin + 2 + 68)..(bin + 2 + 72)]);
    }

    [Fact]
    public void TrackingFrame8_NothingSeen_DocHex_IsWhatTheWriterWrites()
    {
        var frame = new TrackingFrame { Sequence = 8, CaptureTimestampUs = 1_033_333, ImageWidth = 640, ImageHeight = 480 };
        AssertExact("Frame 8 with nothing seen, 18 bytes:", Encode(b => ProtocolWriter.WriteTrackingFrame(b, frame)));
    }

    [Fact]
    public void TrackingFrame7WithIris_DocHex_IsInTheWrittenBytes()
    {
        TrackingFrame frame = Frame7();
        frame.Face.HasIris = true;
        frame.Face.Iris[0] = new Vector3(0.375f, 0.4375f, -0.03125f);
        byte[] written = Encode(b => ProtocolWriter.WriteTrackingFrame(b, frame));
        Assert.Equal(3_142, written.Length);
        Assert.Equal(0x95, written[15]);
        List<byte[]> lines = BlockLines("the face array header becomes `95` (array of 5) and after the pose comes");
        byte[] shown = [.. lines.SelectMany(l => l)];
        int pose = written.AsSpan().IndexOf(Convert.FromHexString("ca3f800000ca00000000ca00000000ca00000000"));
        Assert.Equal(shown, written[(pose + 20)..(pose + 20 + shown.Length)]);
    }

    [Fact]
    public void TrackingFrame9WithWorld_DocHex_IsInTheWrittenBytesInOrder()
    {
        var frame = new TrackingFrame { Sequence = 9, CaptureTimestampUs = 1_000_000, ImageWidth = 1280, ImageHeight = 720 };
        frame.Body.Present = true;
        frame.Body.Score = 0.75f;
        frame.Body.Landmarks[0] = new Vector4(0.5f, 0.25f, -0.125f, 1f);
        frame.Body.HasWorld = true;
        frame.Body.WorldLandmarks[0] = new Vector3(0.0625f, -0.5f, -0.25f);
        byte[] written = Encode(b => ProtocolWriter.WriteTrackingFrame(b, frame));
        Assert.Equal(953, written.Length);
        int at = 0;
        foreach (byte[] line in BlockLines("the other points zero — 953 bytes:"))
        {
            int found = written.AsSpan(at).IndexOf(line);
            Assert.True(found >= 0, $"doc line {Convert.ToHexStringLower(line)} not found after byte {at}");
            Assert.True(at > 0 || found == 0, "the first doc line must start the packet");
            at += found + line.Length;
        }

        Assert.Equal(written.Length, at);
        var reader = new ProtocolReader();
        reader.Read(written);
        Assert.Equal(frame.Body.WorldLandmarks, reader.Frame.Body.WorldLandmarks);
    }

    [Fact]
    public void TrackingFrame10WithLeftHand_DocHex_IsInTheWrittenBytesInOrder()
    {
        var frame = new TrackingFrame { Sequence = 10, CaptureTimestampUs = 1_000_000, ImageWidth = 640, ImageHeight = 480 };
        frame.LeftHand.Present = true;
        frame.LeftHand.Score = 0.875f;
        frame.LeftHand.HandednessScore = 0.75f;
        frame.LeftHand.Landmarks[0] = new Vector3(0.5f, 0.25f, 0);
        frame.LeftHand.WorldLandmarks[0] = new Vector3(0, 0.0625f, -0.03125f);
        byte[] written = Encode(b => ProtocolWriter.WriteTrackingFrame(b, frame));
        Assert.Equal(412, written.Length);
        int at = 0;
        foreach (byte[] line in BlockLines("the other points 0 — 412 bytes:"))
        {
            int found = written.AsSpan(at).IndexOf(line);
            Assert.True(found >= 0, $"doc line {Convert.ToHexStringLower(line)} not found after byte {at}");
            Assert.True(at > 0 || found == 0, "the first doc line must start the packet");
            at += found + line.Length;
        }

        Assert.Equal(written.Length, at);
        var reader = new ProtocolReader();
        reader.Read(written);
        Assert.Equal(frame.LeftHand.WorldLandmarks[0], reader.Frame.LeftHand.WorldLandmarks[0]);
    }

    [Fact]
    public void AudioChunk_DocHex_IsWhatTheWriterWrites() =>
        AssertExact("Rate 1…768,000, channels 1…32.", Encode(b => ProtocolWriter.WriteAudioChunk(b, new AudioChunkHeader(3, 1_000_000, 48_000, 1), [0x00, 0x00, 0xff, 0x7f])));

    [Fact]
    public void Stats_DocHex_IsWhatTheWriterWrites() =>
        AssertExact("framesPerSecond: f32, latencyUs]`", Encode(b => ProtocolWriter.WriteStats(b, new StatsMessage(2_000_000, 60, 1, 2, 29.5f, 41_000))));

    [Fact]
    public void AckAndBye_DocHex_IsWhatTheWriterWrites()
    {
        AssertExact("`[1, 5, ackedType, sequence]` —", Encode(b => ProtocolWriter.WriteAck(b, new AckMessage(MessageKind.TrackingFrame, 7))));
        AssertExact("`[1, 6, reason: str|nil]` —", Encode(b => ProtocolWriter.WriteBye(b, new ByeMessage("done"))));
    }

    [Fact]
    public void RenderedFrame_DocHex_IsWhatTheWriterWritesAndReadsBack()
    {
        var header = new RenderedFrameHeader(7, 1_000_000, 1_012_500, 640, 360);
        byte[] jpeg = [0xff, 0xd8, 0xff, 0xd9];
        byte[] written = Encode(b => ProtocolWriter.WriteRenderedFrame(b, header, jpeg));
        AssertExact("Rendered frame 7 of 640×360", written);
        var reader = new ProtocolReader();
        Assert.Equal(MessageKind.RenderedFrame, reader.Read(DocBytes("Rendered frame 7 of 640×360")));
        Assert.Equal(header, reader.Rendered);
        Assert.Equal(jpeg, reader.RenderedJpeg.ToArray());
    }

    [Fact]
    public void RenderedFrameWithAlpha_DocHex_IsWhatTheWriterWritesAndReadsBack()
    {
        var header = new RenderedFrameHeader(7, 1_000_000, 1_012_500, 2, 2);
        byte[] jpeg = [0xff, 0xd8, 0xff, 0xd9];
        byte[] written = Encode(b => ProtocolWriter.WriteRenderedFrame(b, header, jpeg, jpeg, new RenderedMatte(235, 235, 235)));
        AssertExact("Frame 7 of 2×2 with its alpha", written);
        var reader = new ProtocolReader();
        Assert.Equal(MessageKind.RenderedFrame, reader.Read(written));
        Assert.Equal(header, reader.Rendered);
        Assert.Equal(jpeg, reader.RenderedAlpha.ToArray());
        Assert.Equal(new RenderedMatte(235, 235, 235), reader.RenderedMatte);
    }

    [Fact]
    public void RenderedFrameSteppedDown_DocHex_IsWhatTheWriterWritesAndReadsBack()
    {
        var header = new RenderedFrameHeader(7, 1_000_000, 1_012_500, 128, 128);
        byte[] jpeg = [0xff, 0xd8, 0xff, 0xd9];
        byte[] written = Encode(b => ProtocolWriter.WriteRenderedFrame(b, header, jpeg, default, null, 45));
        AssertExact("Frame 7, stepped down to 128×128", written);
        var reader = new ProtocolReader();
        Assert.Equal(MessageKind.RenderedFrame, reader.Read(written));
        Assert.Equal(header, reader.Rendered);
        Assert.Equal(45, reader.RenderedQuality);
        Assert.True(reader.RenderedAlpha.IsEmpty);
        Assert.Null(reader.RenderedMatte);
        // The next frame at the session's own quality says none.
        Assert.Equal(MessageKind.RenderedFrame, reader.Read(Encode(b => ProtocolWriter.WriteRenderedFrame(b, header, jpeg, jpeg, null))));
        Assert.Equal(0, reader.RenderedQuality);
        Assert.Throws<ArgumentOutOfRangeException>(() => Encode(b => ProtocolWriter.WriteRenderedFrame(b, header, jpeg, default, null, 0)));
    }

    [Fact]
    public void RenderedFrameSteppedDown_QualityOutOfRange_IsRefusedNamingIt()
    {
        byte[] packet = Encode(b => ProtocolWriter.WriteRenderedFrame(b, new RenderedFrameHeader(7, 1, 2, 2, 2), [0xff, 0xd8, 0xff, 0xd9], default, null, 45));
        packet[^1] = 0x65;                                                              // 101
        var ex = Assert.Throws<Capture.Protocol.MessagePack.MessagePackFormatException>(() => new ProtocolReader().Read(packet));
        Assert.Contains("quality 101", ex.Message);
    }

    private static TrackingFrame Frame7()
    {
        var frame = new TrackingFrame { Sequence = 7, CaptureTimestampUs = 1_000_000, ImageWidth = 1280, ImageHeight = 720 };
        frame.Face.Present = true;
        frame.Face.Score = 0.5f;
        frame.Face.Landmarks[0] = new Vector3(0.5f, 0.25f, -0.0625f);
        frame.Face.Blendshapes[17] = 1f;
        frame.Face.HeadPose = HeadPose.Identity;
        return frame;
    }

    private static void AssertExact(string marker, byte[] written)
    {
        byte[] doc = DocBytes(marker);
        Assert.True(doc.AsSpan().SequenceEqual(written), $"docs/protocol.md after '{marker}':\n  doc     {Convert.ToHexStringLower(doc)}\n  written {Convert.ToHexStringLower(written)}");
    }

    /// <summary>The bytes of the first inline code or code block after <paramref name="marker"/>, lines concatenated.</summary>
    private static byte[] DocBytes(string marker) => [.. BlockLines(marker).SelectMany(l => l)];

    /// <summary>Each line's leading run of two-digit hex tokens (the annotation after it is dropped), empty lines skipped.</summary>
    private static List<byte[]> BlockLines(string marker)
    {
        int at = s_doc.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, $"docs/protocol.md no longer contains '{marker}'");
        int tick = s_doc.IndexOf('`', at + marker.Length);
        string text;
        if (s_doc.AsSpan(tick).StartsWith("```"))
        {
            int start = s_doc.IndexOf('\n', tick) + 1;
            text = s_doc[start..s_doc.IndexOf("```", start, StringComparison.Ordinal)];
        }
        else
        {
            text = s_doc[(tick + 1)..s_doc.IndexOf('`', tick + 1)];
        }

        var lines = new List<byte[]>();
        foreach (string line in text.Split('\n'))
        {
            var hex = new List<byte>();
            foreach (string token in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!HexByte().IsMatch(token))
                {
                    break;
                }

                hex.Add(byte.Parse(token, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }

            if (hex.Count > 0)
            {
                lines.Add([.. hex]);
            }
        }

        Assert.NotEmpty(lines);
        return lines;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Capture.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Capture.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("^[0-9a-f]{2}$")]
    private static partial Regex HexByte();
}
