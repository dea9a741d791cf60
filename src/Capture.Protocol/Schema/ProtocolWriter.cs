using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using Capture.Core.Tracking;
using Capture.Protocol.MessagePack;
using MessagePack;

namespace Capture.Protocol.Schema;

/// <summary>
/// Encodes schema v1 messages (docs/protocol.md) with MessagePack-CSharp's low-level <see cref="MessagePackWriter"/>.
/// Each call writes one complete packet (one MessagePack array) to the output and flushes it there; nothing is
/// allocated, so encoding into a reused <see cref="PooledBufferWriter"/> is allocation-free per frame. The bytes are
/// the schema's: integers in their smallest format (non-negative ones in the unsigned formats), floats as float 32,
/// str 8 for 32..255-byte strings, bin 8/16/32 — exactly what MessagePack-CSharp writes for these calls.
/// </summary>
public static class ProtocolWriter
{
    /// <summary>int16 landmark scale: 2^14, so ±2 normalized units fit and one step is 6.1e-5 (0.12 px at 1920).</summary>
    public const float LandmarkQuantScale = 16384f;

    internal const int FaceFields = 4;

    /// <summary>Face fields when the optional iris (field 5, v1.1) follows: older readers skip it as an unknown trailing field.</summary>
    internal const int FaceFieldsWithIris = 5;
    internal const int BodyFields = 2;

    /// <summary>Body fields when the optional world points (field 3, v1.3) follow: older readers skip them as an unknown trailing field.</summary>
    internal const int BodyFieldsWithWorld = 3;
    internal const int HeadPoseFloats = 7;

    /// <summary>Fields of one hand (v1.4): presence score, handedness score, 21 landmarks, 21 world landmarks.</summary>
    internal const int HandFields = 4;

    public static void WriteHello(IBufferWriter<byte> output, HelloMessage hello)
    {
        ArgumentNullException.ThrowIfNull(hello);
        MessagePackWriter w = Envelope(output, MessageKind.Hello, 4);
        w.Write(hello.Minor);
        w.WriteArrayHeader(hello.Capabilities.Count);
        foreach (string c in hello.Capabilities)
        {
            w.Write(c);
        }

        w.Write(hello.PerformerId);
        w.Write(hello.AuthToken);
        w.Flush();
    }

    public static void WriteTrackingFrame(IBufferWriter<byte> output, TrackingFrame frame, LandmarkEncoding encoding = LandmarkEncoding.Int16)
    {
        ArgumentNullException.ThrowIfNull(frame);
        MessagePackWriter w = Envelope(output, MessageKind.TrackingFrame, 7);
        w.Write(frame.Sequence);
        w.Write(frame.CaptureTimestampUs);
        w.Write(frame.ImageWidth);
        w.Write(frame.ImageHeight);

        FaceObservation face = frame.Face;
        if (face.Present)
        {
            w.WriteArrayHeader(face.HasIris ? FaceFieldsWithIris : FaceFields);
            w.Write(face.Score);
            WriteFaceLandmarks(ref w, face.Landmarks, encoding);
            WriteFloatsLittleEndian(ref w, face.Blendshapes);
            w.WriteArrayHeader(HeadPoseFloats);
            Quaternion q = face.HeadPose.Rotation;
            Vector3 t = face.HeadPose.Translation;
            w.Write(q.X);
            w.Write(q.Y);
            w.Write(q.Z);
            w.Write(q.W);
            w.Write(t.X);
            w.Write(t.Y);
            w.Write(t.Z);
            if (face.HasIris)
            {
                // The 10 iris points, encoded like the 468 landmarks (same int16 scale or float32).
                WriteFaceLandmarks(ref w, face.Iris, encoding);
            }
        }
        else
        {
            w.WriteNil();
        }

        BodyObservation body = frame.Body;
        if (body.Present)
        {
            w.WriteArrayHeader(body.HasWorld ? BodyFieldsWithWorld : BodyFields);
            w.Write(body.Score);
            WriteFloatsLittleEndian(ref w, MemoryMarshal.Cast<Vector4, float>(body.Landmarks.AsSpan()));
            if (body.HasWorld)
            {
                // The 33 world points in metres, float32: hip-centred metres have no fixed range for int16.
                WriteFloatsLittleEndian(ref w, MemoryMarshal.Cast<Vector3, float>(body.WorldLandmarks.AsSpan()));
            }
        }
        else
        {
            w.WriteNil();
        }

        // Hands (v1.4): [left|nil, right|nil], or nil when neither is seen (the v1.0 bytes, so older readers and
        // frames without hands are unchanged).
        if (frame.LeftHand.Present || frame.RightHand.Present)
        {
            w.WriteArrayHeader(2);
            WriteHand(ref w, frame.LeftHand, encoding);
            WriteHand(ref w, frame.RightHand, encoding);
        }
        else
        {
            w.WriteNil();
        }

        w.Flush();
    }

    /// <summary>One hand: [score, handedness score, 21 × (x, y, z) like the face's landmarks, 21 × (x, y, z) metres float32], or nil.</summary>
    private static void WriteHand(ref MessagePackWriter w, HandObservation hand, LandmarkEncoding encoding)
    {
        if (!hand.Present)
        {
            w.WriteNil();
            return;
        }

        w.WriteArrayHeader(HandFields);
        w.Write(hand.Score);
        w.Write(hand.HandednessScore);
        WriteFaceLandmarks(ref w, hand.Landmarks, encoding);
        WriteFloatsLittleEndian(ref w, MemoryMarshal.Cast<Vector3, float>(hand.WorldLandmarks.AsSpan()));
    }

    /// <summary>An audio chunk; <paramref name="pcm"/> is interleaved signed 16-bit little-endian samples.</summary>
    public static void WriteAudioChunk(IBufferWriter<byte> output, AudioChunkHeader header, ReadOnlySpan<byte> pcm)
    {
        if (pcm.Length % (2 * Math.Max(header.Channels, 1)) != 0)
        {
            throw new ArgumentException($"PCM length {pcm.Length} is not a whole number of {header.Channels}-channel s16 frames", nameof(pcm));
        }

        MessagePackWriter w = Envelope(output, MessageKind.AudioChunk, 5);
        w.Write(header.Sequence);
        w.Write(header.TimestampUs);
        w.Write(header.SampleRate);
        w.Write(header.Channels);
        w.Write(pcm);
        w.Flush();
    }

    /// <summary>A rendered frame (v1.2): the header, then <paramref name="jpeg"/> as one bin.</summary>
    public static void WriteRenderedFrame(IBufferWriter<byte> output, RenderedFrameHeader header, ReadOnlySpan<byte> jpeg)
    {
        MessagePackWriter w = RenderedFrameStart(output, header, jpeg, 6);
        w.Flush();
    }

    /// <summary>
    /// A rendered frame with its alpha (v1.5): the header, the RGB <paramref name="jpeg"/>, then <paramref name="alphaJpeg"/>
    /// (a greyscale JPEG of the frame's alpha, the frame's width and height; 255 = opaque) and the <paramref name="matte"/>
    /// the RGB was composited over (nil when it was not). A v1.2 reader skips both and shows the RGB as before.
    /// </summary>
    public static void WriteRenderedFrame(IBufferWriter<byte> output, RenderedFrameHeader header, ReadOnlySpan<byte> jpeg, ReadOnlySpan<byte> alphaJpeg, RenderedMatte? matte)
    {
        MessagePackWriter w = RenderedFrameStart(output, header, jpeg, 8);
        w.Write(alphaJpeg);
        WriteMatte(ref w, matte);
        w.Flush();
    }

    /// <summary>
    /// A rendered frame stepped down for a viewer that falls behind (v1.6): the header, the RGB <paramref name="jpeg"/>, its
    /// alpha (<paramref name="alphaJpeg"/>, or nil when empty) and <paramref name="matte"/> as in v1.5, then the libjpeg
    /// <paramref name="quality"/> (1..100) the RGB was encoded at. A v1.5 reader skips the quality; a frame at the
    /// session's own quality is written without it (the v1.2 or v1.5 bytes).
    /// </summary>
    public static void WriteRenderedFrame(IBufferWriter<byte> output, RenderedFrameHeader header, ReadOnlySpan<byte> jpeg, ReadOnlySpan<byte> alphaJpeg, RenderedMatte? matte, int quality)
    {
        if (quality is < 1 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(quality), quality, "JPEG quality is 1..100");
        }

        MessagePackWriter w = RenderedFrameStart(output, header, jpeg, 9);
        if (alphaJpeg.IsEmpty)
        {
            w.WriteNil();
        }
        else
        {
            w.Write(alphaJpeg);
        }

        WriteMatte(ref w, matte);
        w.Write(quality);
        w.Flush();
    }

    private static void WriteMatte(ref MessagePackWriter w, RenderedMatte? matte)
    {
        if (matte is { } m)
        {
            w.WriteArrayHeader(3);
            w.Write(m.R);
            w.Write(m.G);
            w.Write(m.B);
        }
        else
        {
            w.WriteNil();
        }
    }

    /// <summary>A rendered frame's envelope of <paramref name="count"/> elements, its header and the RGB JPEG (v1.2 and v1.5 alike).</summary>
    private static MessagePackWriter RenderedFrameStart(IBufferWriter<byte> output, RenderedFrameHeader header, ReadOnlySpan<byte> jpeg, int count)
    {
        if (header.Width <= 0 || header.Height <= 0)
        {
            throw new ArgumentException($"Rendered frame size {header.Width}x{header.Height} is not positive", nameof(header));
        }

        MessagePackWriter w = Envelope(output, MessageKind.RenderedFrame, count);
        w.Write(header.Sequence);
        w.Write(header.CaptureTimestampUs);
        w.Write(header.RenderedTimestampUs);
        w.Write(header.Width);
        w.Write(header.Height);
        w.Write(jpeg);
        return w;
    }

    public static void WriteStats(IBufferWriter<byte> output, StatsMessage stats)
    {
        MessagePackWriter w = Envelope(output, MessageKind.Stats, 6);
        w.Write(stats.TimestampUs);
        w.Write(stats.FramesSent);
        w.Write(stats.FramesDropped);
        w.Write(stats.FramesLost);
        w.Write(stats.FramesPerSecond);
        w.Write(stats.LatencyUs);
        w.Flush();
    }

    public static void WriteAck(IBufferWriter<byte> output, AckMessage ack)
    {
        MessagePackWriter w = Envelope(output, MessageKind.Ack, 2);
        w.Write((int)ack.Kind);
        w.Write(ack.Sequence);
        w.Flush();
    }

    public static void WriteBye(IBufferWriter<byte> output, ByeMessage bye)
    {
        ArgumentNullException.ThrowIfNull(bye);
        MessagePackWriter w = Envelope(output, MessageKind.Bye, 1);
        w.Write(bye.Reason);
        w.Flush();
    }

    private static MessagePackWriter Envelope(IBufferWriter<byte> output, MessageKind kind, int fields)
    {
        ArgumentNullException.ThrowIfNull(output);
        var w = new MessagePackWriter(output);
        w.WriteArrayHeader(2 + fields);
        w.Write(ProtocolVersion.Major);
        w.Write((int)kind);
        return w;
    }

    private static void WriteFaceLandmarks(ref MessagePackWriter w, Vector3[] landmarks, LandmarkEncoding encoding)
    {
        ReadOnlySpan<float> values = MemoryMarshal.Cast<Vector3, float>(landmarks.AsSpan());
        if (encoding == LandmarkEncoding.Float32)
        {
            WriteFloatsLittleEndian(ref w, values);
            return;
        }

        int length = values.Length * 2;
        w.WriteBinHeader(length);
        Span<byte> dest = w.GetSpan(length);
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(dest.Slice(i * 2, 2), Quantize(values[i]));
        }

        w.Advance(length);
    }

    internal static short Quantize(float value)
    {
        float scaled = MathF.Round(value * LandmarkQuantScale);
        return float.IsNaN(scaled) ? (short)0 : (short)Math.Clamp(scaled, short.MinValue, short.MaxValue);
    }

    private static void WriteFloatsLittleEndian(ref MessagePackWriter w, ReadOnlySpan<float> values)
    {
        int length = values.Length * 4;
        w.WriteBinHeader(length);
        Span<byte> dest = w.GetSpan(length);
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(dest);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(dest.Slice(i * 4, 4), values[i]);
            }
        }

        w.Advance(length);
    }
}
