using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using Capture.Core.Tracking;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Schema;
using MessagePack;

namespace Capture.Protocol.Tests;

/// <summary>The v1.4 hands field: envelope field 7, <c>[left|nil, right|nil]</c> (docs/protocol.md).</summary>
public class HandsSchemaTests
{
    private static byte[] Encode(Action<IBufferWriter<byte>> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static TrackingFrame WithHands(long sequence, bool left = true, bool right = true)
    {
        TrackingFrame frame = TestFrames.Make(sequence, leftHand: left);
        if (right)
        {
            frame.RightHand.Present = true;
            frame.RightHand.Score = 0.75f;
            frame.RightHand.HandednessScore = 0.625f;
            for (int i = 0; i < TrackingFrame.HandLandmarkCount; i++)
            {
                frame.RightHand.Landmarks[i] = TestFrames.HandLandmark(i, sequence) - new Vector3(0.4f, 0, 0);
                frame.RightHand.WorldLandmarks[i] = -TestFrames.HandWorldLandmark(i);
            }
        }

        return frame;
    }

    [Theory]
    [InlineData(LandmarkEncoding.Float32, true, true)]
    [InlineData(LandmarkEncoding.Int16, true, true)]
    [InlineData(LandmarkEncoding.Int16, false, true)]
    [InlineData(LandmarkEncoding.Float32, true, false)]
    public void TrackingFrame_WithHands_RoundTrips(LandmarkEncoding encoding, bool left, bool right)
    {
        TrackingFrame frame = WithHands(5, left, right);
        var reader = new ProtocolReader();

        Assert.Equal(MessageKind.TrackingFrame, reader.Read(Encode(b => ProtocolWriter.WriteTrackingFrame(b, frame, encoding))));

        float tolerance = encoding == LandmarkEncoding.Float32 ? 0 : (0.5f / ProtocolWriter.LandmarkQuantScale) + 1e-7f;
        foreach (Handedness side in new[] { Handedness.Left, Handedness.Right })
        {
            HandObservation sent = frame.Hand(side);
            HandObservation got = reader.Frame.Hand(side);
            Assert.Equal(sent.Present, got.Present);
            Assert.Equal(sent.Score, got.Score);
            Assert.Equal(sent.HandednessScore, got.HandednessScore);
            Assert.Equal(sent.WorldLandmarks, got.WorldLandmarks);
            for (int i = 0; i < TrackingFrame.HandLandmarkCount; i++)
            {
                Vector3 d = Vector3.Abs(got.Landmarks[i] - sent.Landmarks[i]);
                Assert.True(MathF.Max(d.X, MathF.Max(d.Y, d.Z)) <= tolerance, $"{side} landmark {i}: {got.Landmarks[i]} vs {sent.Landmarks[i]}");
            }
        }

        // The face and body around them are unchanged, and a frame without hands clears the reused slots.
        Assert.Equal(frame.Face.Blendshapes, reader.Frame.Face.Blendshapes);
        Assert.True(reader.Frame.Body.Present);
        reader.Read(Encode(b => ProtocolWriter.WriteTrackingFrame(b, TestFrames.Make(6), encoding)));
        Assert.False(reader.Frame.LeftHand.Present);
        Assert.False(reader.Frame.RightHand.Present);
        Assert.All(reader.Frame.LeftHand.Landmarks, p => Assert.Equal(Vector3.Zero, p));
    }

    [Fact]
    public void TrackingFrame_WithoutHands_BytesAreTheV10Bytes()
    {
        // No hand seen: field 7 stays nil, so the packet is byte for byte what a v1.0 writer wrote.
        byte[] bytes = Encode(b => ProtocolWriter.WriteTrackingFrame(b, TestFrames.Make(9)));
        Assert.Equal(0xc0, bytes[^1]);
        var r = new MessagePackReader(bytes);
        Assert.Equal(9, r.ReadArrayHeader());
    }

    [Fact]
    public void TrackingFrame_OneHand_HandsArrayHoldsNilForTheOther()
    {
        byte[] bytes = Encode(b => ProtocolWriter.WriteTrackingFrame(b, WithHands(3, left: false, right: true)));
        var r = new MessagePackReader(bytes);
        r.ReadArrayHeader();
        for (int i = 0; i < 8; i++)
        {
            r.Skip();
        }

        Assert.Equal(2, r.ReadArrayHeader());
        Assert.True(r.TryReadNil());
        Assert.Equal(ProtocolWriter.HandFields, r.ReadArrayHeader());
    }

    [Fact]
    public void OlderReader_SkippingField7_StillReadsFaceAndBody()
    {
        // What a v1.0–1.3 reader does with the field: skip it as one value within the limits. A generic skip of the
        // whole packet succeeds, and the face and body before it are where they always were.
        byte[] bytes = Encode(b => ProtocolWriter.WriteTrackingFrame(b, WithHands(4)));
        var r = new MessagePackReader(bytes);
        int fields = r.ReadArrayHeader();
        for (int i = 0; i < 6; i++)
        {
            r.Skip();
        }

        Assert.Equal(ProtocolWriter.FaceFields, r.ReadArrayHeader());
        r = new MessagePackReader(bytes);
        r.Skip();
        Assert.True(r.End);
        Assert.Equal(9, fields);
    }

    /// <summary>A frame whose field 7 is written by <paramref name="hands"/> (no face, no body).</summary>
    private static byte[] RawHandsFrame(Writes hands) => Wire.Encode((ref MessagePackWriter w) =>
    {
        w.WriteArrayHeader(9);
        w.Write(1);
        w.Write(2);
        w.Write(11);
        w.Write(0);
        w.Write(640);
        w.Write(480);
        w.WriteNil();
        w.WriteNil();
        hands(ref w);
    });

    private static void Hand(ref MessagePackWriter w, int points, float score = 0.9f, float handedness = 0.8f, float x = 0.5f, float world = 0.01f, int worldPoints = 21, bool int16 = true)
    {
        w.WriteArrayHeader(4);
        w.Write(score);
        w.Write(handedness);
        if (int16)
        {
            w.Write(new byte[points * 3 * 2]);
        }
        else
        {
            float[] xyz = [.. Enumerable.Repeat(x, points * 3)];
            w.Write(MemoryMarshal.AsBytes(xyz.AsSpan()));
        }

        float[] metres = [.. Enumerable.Repeat(world, worldPoints * 3)];
        w.Write(MemoryMarshal.AsBytes(metres.AsSpan()));
    }

    public static TheoryData<string, string> BadHands { get; } = new()
    {
        { "20 points", "Left hand landmarks bin has 120 bytes; expected 126 (int16) or 252 (float32)" },
        { "22 float32 points", "Left hand landmarks bin has 264 bytes; expected 126 (int16) or 252 (float32)" },
        { "20 world points", "left hand world landmarks bin has 240 bytes; expected 252 (63 float32)" },
        { "NaN point", "Left hand has a landmark that is not a finite number" },
        { "infinite world point", "Left hand has a landmark that is not a finite number" },
        { "score 1.5", "Left hand scores (1.5, 0.8) are not both in 0..1" },
        { "NaN handedness", "Left hand scores (0.9, NaN) are not both in 0..1" },
        { "one side", "Hands has 1 entries; expected [left, right]" },
        { "a number", "Hands is a Integer; expected nil or [left, right]" },
        { "three fields", "Right hand has 3 fields; v1.4 needs 4" },
    };

    [Theory]
    [MemberData(nameof(BadHands))]
    public void Read_BadHands_RefusedNamingTheProblem_ReaderGoesOn(string what, string message)
    {
        byte[] bad = RawHandsFrame((ref MessagePackWriter w) =>
        {
            switch (what)
            {
                case "a number":
                    w.Write(7);
                    return;
                case "one side":
                    w.WriteArrayHeader(1);
                    w.WriteNil();
                    return;
                case "three fields":
                    w.WriteArrayHeader(2);
                    w.WriteNil();
                    w.WriteArrayHeader(3);
                    w.Write(0.9f);
                    w.Write(0.9f);
                    w.Write(new byte[126]);
                    return;
            }

            w.WriteArrayHeader(2);
            switch (what)
            {
                case "20 points": Hand(ref w, 20); break;
                case "22 float32 points": Hand(ref w, 22, int16: false); break;
                case "20 world points": Hand(ref w, 21, worldPoints: 20); break;
                case "NaN point": Hand(ref w, 21, x: float.NaN, int16: false); break;
                case "infinite world point": Hand(ref w, 21, world: float.PositiveInfinity); break;
                case "score 1.5": Hand(ref w, 21, score: 1.5f); break;
                case "NaN handedness": Hand(ref w, 21, handedness: float.NaN); break;
            }

            w.WriteNil();
        });
        var reader = new ProtocolReader(MessagePackLimits.Untrusted);

        var ex = Assert.Throws<MessagePackFormatException>(() => reader.Read(bad));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);

        // The same reader reads the next good packet, hands and all.
        Assert.Equal(MessageKind.TrackingFrame, reader.Read(RawHandsFrame((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(2);
            Hand(ref w, 21);
            w.WriteNil();
        })));
        Assert.True(reader.Frame.LeftHand.Present);
        Assert.Equal(0.8f, reader.Frame.LeftHand.HandednessScore);
        Assert.False(reader.Frame.RightHand.Present);
    }

    [Fact]
    public void EncodeDecode_WithHands_AllocatesNothingPerFrame()
    {
        TrackingFrame frame = WithHands(1);
        using var buffer = new PooledBufferWriter(16 * 1024);
        var reader = new ProtocolReader();
        for (int i = 0; i < 8; i++)
        {
            buffer.Reset();
            ProtocolWriter.WriteTrackingFrame(buffer, frame);
            reader.Read(buffer.WrittenSpan);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            buffer.Reset();
            ProtocolWriter.WriteTrackingFrame(buffer, frame);
            reader.Read(buffer.WrittenSpan);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(reader.Frame.RightHand.Present);
    }
}
