using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using Capture.Core.Tracking;
using Capture.Protocol.MessagePack;
using MessagePack;

namespace Capture.Protocol.Schema;

/// <summary>
/// Decodes schema v1 packets (docs/protocol.md) from untrusted input with MessagePack-CSharp's low-level
/// <see cref="MessagePackReader"/> under <see cref="MessagePackLimits"/> (its <see cref="MessagePackSecurity.UntrustedData"/>
/// depth plus the schema's sizes and counts); every problem is a <see cref="MessagePackFormatException"/>. One instance is reused packet
/// after packet: <see cref="Read"/> fills <see cref="Frame"/>, <see cref="Audio"/>, … for the kind it
/// returns, so decoding tracking frames and audio allocates nothing per packet. Everything it exposes
/// stays valid until the next <see cref="Read"/>; after a thrown exception the fields of the kind being
/// decoded are unspecified (copy <see cref="Frame"/> out on success if you must keep the last good one).
/// Extra trailing envelope fields from a newer minor version are skipped. Not thread-safe.
/// </summary>
public sealed class ProtocolReader
{
    private readonly MessagePackLimits _limits;
    private readonly PinnedSpanMemory _pinned = new();
    private byte[] _audio = [];
    private byte[] _jpeg = [];
    private byte[] _alpha = [];

    public ProtocolReader(MessagePackLimits? limits = null)
    {
        _limits = limits ?? MessagePackLimits.Untrusted;
    }

    /// <summary>The last decoded tracking frame (reused; owned by this reader).</summary>
    public TrackingFrame Frame { get; } = new();

    public HelloMessage? Hello { get; private set; }

    public AudioChunkHeader Audio { get; private set; }

    /// <summary>PCM s16le of the last audio chunk, in a buffer this reader reuses: valid until the next <see cref="Read"/>.</summary>
    public ReadOnlyMemory<byte> AudioPcm { get; private set; }

    /// <summary>Header of the last rendered frame (v1.2).</summary>
    public RenderedFrameHeader Rendered { get; private set; }

    /// <summary>JPEG bytes of the last rendered frame, in a buffer this reader reuses: valid until the next <see cref="Read"/>.</summary>
    public ReadOnlyMemory<byte> RenderedJpeg { get; private set; }

    /// <summary>
    /// The last rendered frame's alpha (v1.5): a greyscale JPEG of the frame's size, in a buffer this reader reuses
    /// (valid until the next <see cref="Read"/>); empty when the frame has none (an opaque character, an older writer).
    /// </summary>
    public ReadOnlyMemory<byte> RenderedAlpha { get; private set; }

    /// <summary>The colour the last rendered frame's RGB was composited over (v1.5), or null (no alpha, or a cut-out's own RGB).</summary>
    public RenderedMatte? RenderedMatte { get; private set; }

    /// <summary>
    /// The libjpeg quality of the last rendered frame when the server stepped it down for this viewer (v1.6; 1..100), or 0
    /// when the frame does not say (the session's own quality, or an older writer).
    /// </summary>
    public int RenderedQuality { get; private set; }

    public StatsMessage Stats { get; private set; }

    public AckMessage Ack { get; private set; }

    public ByeMessage? Bye { get; private set; }

    /// <summary>The type number of the last packet, also when it was <see cref="MessageKind.Unknown"/>.</summary>
    public int LastTypeNumber { get; private set; }

    /// <summary>Decodes one packet. Throws <see cref="MessagePackFormatException"/> or <see cref="ProtocolVersionException"/> on bad input.</summary>
    public unsafe MessageKind Read(ReadOnlySpan<byte> packet)
    {
        UntrustedReads.CheckMessageSize(packet.Length, _limits);
        fixed (byte* p = packet)
        {
            _pinned.Set(p, packet.Length);
            var r = new MessagePackReader(_pinned.Memory);
            try
            {
                return ReadEnvelope(ref r);
            }
            catch (Exception ex) when (UntrustedReads.Translate(ex, r.Consumed) is { } bad)
            {
                throw bad;
            }
            finally
            {
                _pinned.Clear();
            }
        }
    }

    private MessageKind ReadEnvelope(ref MessagePackReader r)
    {
        int fields = UntrustedReads.ReadArrayHeader(ref r, _limits);
        if (fields < 2)
        {
            throw new MessagePackFormatException($"Envelope has {fields} elements; expected at least [version, type]", 0);
        }

        int major = r.ReadInt32();
        int type = r.ReadInt32();
        LastTypeNumber = type;
        if (major != ProtocolVersion.Major)
        {
            int? minor = null;
            if (type == (int)MessageKind.Hello && fields > 2 && r.NextMessagePackType == MessagePackType.Integer)
            {
                minor = r.ReadInt32();
            }

            throw new ProtocolVersionException(major, minor);
        }

        int body = fields - 2;
        MessageKind kind = (MessageKind)type;
        int used;
        switch (kind)
        {
            case MessageKind.Hello: used = ReadHello(ref r, body); break;
            case MessageKind.TrackingFrame: used = ReadTrackingFrame(ref r, body, Frame, _limits); break;
            case MessageKind.AudioChunk: used = ReadAudio(ref r, body); break;
            case MessageKind.Stats: used = ReadStats(ref r, body); break;
            case MessageKind.RenderedFrame: used = ReadRendered(ref r, body); break;
            case MessageKind.Ack:
                Require(body, 2, kind, r.Consumed);
                Ack = new AckMessage((MessageKind)r.ReadInt32(), ReadWholeNumber(ref r));
                used = 2;
                break;
            case MessageKind.Bye:
                Require(body, 1, kind, r.Consumed);
                Bye = new ByeMessage(UntrustedReads.ReadString(ref r, Math.Min(_limits.MaxStringLength, _limits.MaxReasonLength), "Bye reason"));
                used = 1;
                break;
            default:
                kind = MessageKind.Unknown;
                used = 0;
                break;
        }

        for (int i = used; i < body; i++)
        {
            UntrustedReads.Skip(ref r, _limits);
        }

        if (!r.End)
        {
            throw new MessagePackFormatException($"{r.Sequence.Length - r.Consumed} bytes follow the end of the message", r.Consumed);
        }

        return kind;
    }

    /// <summary>Decodes a tracking-frame packet straight into <paramref name="destination"/>'s arrays.</summary>
    public static void ReadTrackingFrame(ReadOnlySpan<byte> packet, TrackingFrame destination, MessagePackLimits? limits = null)
    {
        var reader = new ProtocolReader(limits);
        MessageKind kind = reader.ReadInto(packet, destination);
        if (kind != MessageKind.TrackingFrame)
        {
            throw new MessagePackFormatException($"Expected a TrackingFrame message, found {kind} (type {reader.LastTypeNumber})", 0);
        }
    }

    private unsafe MessageKind ReadInto(ReadOnlySpan<byte> packet, TrackingFrame destination)
    {
        UntrustedReads.CheckMessageSize(packet.Length, _limits);
        fixed (byte* p = packet)
        {
            _pinned.Set(p, packet.Length);
            var r = new MessagePackReader(_pinned.Memory);
            try
            {
                return ReadInto(ref r, destination);
            }
            catch (Exception ex) when (UntrustedReads.Translate(ex, r.Consumed) is { } bad)
            {
                throw bad;
            }
            finally
            {
                _pinned.Clear();
            }
        }
    }

    private MessageKind ReadInto(ref MessagePackReader r, TrackingFrame destination)
    {
        int fields = UntrustedReads.ReadArrayHeader(ref r, _limits);
        if (fields < 2)
        {
            throw new MessagePackFormatException($"Envelope has {fields} elements; expected at least [version, type]", 0);
        }

        int major = r.ReadInt32();
        LastTypeNumber = r.ReadInt32();
        if (major != ProtocolVersion.Major)
        {
            throw new ProtocolVersionException(major, null);
        }

        if (LastTypeNumber != (int)MessageKind.TrackingFrame)
        {
            return Enum.IsDefined((MessageKind)LastTypeNumber) ? (MessageKind)LastTypeNumber : MessageKind.Unknown;
        }

        int used = ReadTrackingFrame(ref r, fields - 2, destination, _limits);
        for (int i = used; i < fields - 2; i++)
        {
            UntrustedReads.Skip(ref r, _limits);
        }

        return MessageKind.TrackingFrame;
    }

    /// <summary>
    /// A 64-bit count or time: any integer format, or a float holding a whole number. JavaScript writers
    /// encode a Number above 2^32 (a timestamp in µs) as float 64, and a web page should not need BigInt.
    /// </summary>
    private static long ReadWholeNumber(ref MessagePackReader r)
    {
        if (r.NextMessagePackType != MessagePackType.Float)
        {
            return r.ReadInt64();
        }

        long at = r.Consumed;
        double d = r.ReadDouble();
        if (Math.Floor(d) != d || d < -9.2233720368547758e18 || d >= 9.2233720368547758e18)
        {
            throw new MessagePackFormatException($"Expected a whole number, found {d}", at);
        }

        return (long)d;
    }

    private static void Require(int body, int needed, MessageKind kind, long offset)
    {
        if (body < needed)
        {
            throw new MessagePackFormatException($"{kind} message has {body} fields; v1 needs at least {needed}", offset);
        }
    }

    private int ReadHello(ref MessagePackReader r, int body)
    {
        Require(body, 4, MessageKind.Hello, r.Consumed);
        int minor = r.ReadInt32();
        long countAt = r.Consumed;
        int count = UntrustedReads.ReadArrayHeader(ref r, _limits);
        if (count > _limits.MaxCapabilities)
        {
            throw new MessagePackFormatException($"Hello lists {count} capabilities, more than the limit of {_limits.MaxCapabilities}", countAt);
        }

        string[] caps = new string[count];
        for (int i = 0; i < count; i++)
        {
            long at = r.Consumed;
            caps[i] = UntrustedReads.ReadString(ref r, Math.Min(_limits.MaxStringLength, _limits.MaxNameLength), "Capability") ?? throw new MessagePackFormatException("Capability is nil; expected a string", at);
        }

        long performerAt = r.Consumed;
        string performer = UntrustedReads.ReadString(ref r, Math.Min(_limits.MaxStringLength, _limits.MaxNameLength), "Performer id") ?? throw new MessagePackFormatException("Performer id is nil; expected a string", performerAt);
        string? token = UntrustedReads.ReadString(ref r, Math.Min(_limits.MaxStringLength, _limits.MaxNameLength), "Auth token");
        Hello = new HelloMessage(minor, caps, performer, token);
        return 4;
    }

    private static int ReadTrackingFrame(ref MessagePackReader r, int body, TrackingFrame frame, MessagePackLimits limits)
    {
        Require(body, 6, MessageKind.TrackingFrame, r.Consumed);
        frame.Sequence = ReadWholeNumber(ref r);
        frame.CaptureTimestampUs = ReadWholeNumber(ref r);
        frame.ImageWidth = r.ReadInt32();
        frame.ImageHeight = r.ReadInt32();

        FaceObservation face = frame.Face;
        if (r.TryReadNil())
        {
            face.Clear();
        }
        else
        {
            long at = r.Consumed;
            int n = UntrustedReads.ReadArrayHeader(ref r, limits);
            if (n < ProtocolWriter.FaceFields)
            {
                throw new MessagePackFormatException($"Face has {n} fields; v1 needs {ProtocolWriter.FaceFields}", at);
            }

            face.Present = true;
            face.Score = UntrustedReads.ReadSingle(ref r);
            ReadFaceLandmarks(ref r, face.Landmarks, "Face landmarks", limits);
            ReadFloats(ref r, face.Blendshapes, "blendshapes", limits);
            long poseAt = r.Consumed;
            int poseCount = UntrustedReads.ReadArrayHeader(ref r, limits);
            if (poseCount < ProtocolWriter.HeadPoseFloats)
            {
                throw new MessagePackFormatException($"Head pose has {poseCount} numbers; expected {ProtocolWriter.HeadPoseFloats}", poseAt);
            }

            var q = new Quaternion(UntrustedReads.ReadSingle(ref r), UntrustedReads.ReadSingle(ref r), UntrustedReads.ReadSingle(ref r), UntrustedReads.ReadSingle(ref r));
            var t = new Vector3(UntrustedReads.ReadSingle(ref r), UntrustedReads.ReadSingle(ref r), UntrustedReads.ReadSingle(ref r));
            for (int i = ProtocolWriter.HeadPoseFloats; i < poseCount; i++)
            {
                UntrustedReads.Skip(ref r, limits);
            }

            face.HeadPose = new HeadPose(q, t);
            // Field 5 (v1.1): the 10 iris points as a bin like the landmarks; nil or any other type there
            // (a writer that put something else in that slot) reads as no iris and is skipped.
            face.HasIris = n >= ProtocolWriter.FaceFieldsWithIris && r.NextMessagePackType == MessagePackType.Binary;
            if (face.HasIris)
            {
                ReadFaceLandmarks(ref r, face.Iris, "Iris", limits);
            }
            else
            {
                Array.Clear(face.Iris);
            }

            for (int i = face.HasIris ? ProtocolWriter.FaceFieldsWithIris : ProtocolWriter.FaceFields; i < n; i++)
            {
                UntrustedReads.Skip(ref r, limits);
            }
        }

        BodyObservation bodyObs = frame.Body;
        if (r.TryReadNil())
        {
            bodyObs.Clear();
        }
        else
        {
            long at = r.Consumed;
            int n = UntrustedReads.ReadArrayHeader(ref r, limits);
            if (n < ProtocolWriter.BodyFields)
            {
                throw new MessagePackFormatException($"Body has {n} fields; v1 needs {ProtocolWriter.BodyFields}", at);
            }

            bodyObs.Present = true;
            bodyObs.Score = UntrustedReads.ReadSingle(ref r);
            ReadFloats(ref r, MemoryMarshal.Cast<Vector4, float>(bodyObs.Landmarks.AsSpan()), "body landmarks", limits);

            // Field 3 (v1.3): the 33 world points as a float32 bin; nil or any other type there reads as none.
            bodyObs.HasWorld = n >= ProtocolWriter.BodyFieldsWithWorld && r.NextMessagePackType == MessagePackType.Binary;
            if (bodyObs.HasWorld)
            {
                ReadFloats(ref r, MemoryMarshal.Cast<Vector3, float>(bodyObs.WorldLandmarks.AsSpan()), "body world landmarks", limits);
            }
            else
            {
                Array.Clear(bodyObs.WorldLandmarks);
            }

            for (int i = bodyObs.HasWorld ? ProtocolWriter.BodyFieldsWithWorld : ProtocolWriter.BodyFields; i < n; i++)
            {
                UntrustedReads.Skip(ref r, limits);
            }
        }

        // Field 7 (v1.4): hands, [left|nil, right|nil] or nil. A v1.0 writer's frame may end before it.
        if (body < 7 || r.TryReadNil())
        {
            frame.LeftHand.Clear();
            frame.RightHand.Clear();
            return Math.Min(body, 7);
        }

        long handsAt = r.Consumed;
        if (r.NextMessagePackType != MessagePackType.Array)
        {
            throw new MessagePackFormatException($"Hands is a {r.NextMessagePackType}; expected nil or [left, right]", handsAt);
        }

        int sides = UntrustedReads.ReadArrayHeader(ref r, limits);
        if (sides < 2)
        {
            throw new MessagePackFormatException($"Hands has {sides} entries; expected [left, right]", handsAt);
        }

        ReadHand(ref r, frame.LeftHand, limits);
        ReadHand(ref r, frame.RightHand, limits);
        for (int i = 2; i < sides; i++)
        {
            UntrustedReads.Skip(ref r, limits);
        }

        return 7;
    }

    /// <summary>
    /// One hand (v1.4): nil, or [score, handedness score, landmarks bin, world bin, …]. Exactly 21 points each, every
    /// value finite and both scores in 0..1: a hand that breaks this is refused, the packet with it.
    /// </summary>
    private static void ReadHand(ref MessagePackReader r, HandObservation hand, MessagePackLimits limits)
    {
        if (r.TryReadNil())
        {
            hand.Clear();
            return;
        }

        bool left = hand.Side == Handedness.Left;
        string side = left ? "Left hand" : "Right hand";
        long at = r.Consumed;
        int n = UntrustedReads.ReadArrayHeader(ref r, limits);
        if (n < ProtocolWriter.HandFields)
        {
            throw new MessagePackFormatException($"{side} has {n} fields; v1.4 needs {ProtocolWriter.HandFields} [score, handedness, landmarks, world]", at);
        }

        long scoreAt = r.Consumed;
        float score = UntrustedReads.ReadSingle(ref r);
        float handedness = UntrustedReads.ReadSingle(ref r);
        if (!(score is >= 0 and <= 1) || !(handedness is >= 0 and <= 1))
        {
            throw new MessagePackFormatException($"{side} scores ({score}, {handedness}) are not both in 0..1", scoreAt);
        }

        long pointsAt = r.Consumed;
        ReadFaceLandmarks(ref r, hand.Landmarks, left ? "Left hand landmarks" : "Right hand landmarks", limits);
        long worldAt = r.Consumed;
        ReadFloats(ref r, MemoryMarshal.Cast<Vector3, float>(hand.WorldLandmarks.AsSpan()), left ? "left hand world landmarks" : "right hand world landmarks", limits);
        if (!AllFinite(hand.Landmarks) || !AllFinite(hand.WorldLandmarks))
        {
            throw new MessagePackFormatException($"{side} has a landmark that is not a finite number", AllFinite(hand.Landmarks) ? worldAt : pointsAt);
        }

        for (int i = ProtocolWriter.HandFields; i < n; i++)
        {
            UntrustedReads.Skip(ref r, limits);
        }

        hand.Present = true;
        hand.Score = score;
        hand.HandednessScore = handedness;
    }

    private static bool AllFinite(Vector3[] points)
    {
        foreach (Vector3 p in points)
        {
            if (!float.IsFinite(p.X) || !float.IsFinite(p.Y) || !float.IsFinite(p.Z))
            {
                return false;
            }
        }

        return true;
    }

    private static void ReadFaceLandmarks(ref MessagePackReader r, Vector3[] landmarks, string what, MessagePackLimits limits)
    {
        long at = r.Consumed;
        ReadOnlySpan<byte> bin = UntrustedReads.ReadBinary(ref r, limits);
        Span<float> dest = MemoryMarshal.Cast<Vector3, float>(landmarks.AsSpan());
        if (bin.Length == dest.Length * 2)
        {
            for (int i = 0; i < dest.Length; i++)
            {
                dest[i] = BinaryPrimitives.ReadInt16LittleEndian(bin.Slice(i * 2, 2)) / ProtocolWriter.LandmarkQuantScale;
            }
        }
        else if (bin.Length == dest.Length * 4)
        {
            CopyFloats(bin, dest);
        }
        else
        {
            throw new MessagePackFormatException(
                $"{what} bin has {bin.Length} bytes; expected {dest.Length * 2} (int16) or {dest.Length * 4} (float32)", at);
        }
    }

    private static void ReadFloats(ref MessagePackReader r, Span<float> dest, string what, MessagePackLimits limits)
    {
        long at = r.Consumed;
        ReadOnlySpan<byte> bin = UntrustedReads.ReadBinary(ref r, limits);
        if (bin.Length != dest.Length * 4)
        {
            throw new MessagePackFormatException($"{what} bin has {bin.Length} bytes; expected {dest.Length * 4} ({dest.Length} float32)", at);
        }

        CopyFloats(bin, dest);
    }

    private static void CopyFloats(ReadOnlySpan<byte> bin, Span<float> dest)
    {
        if (BitConverter.IsLittleEndian)
        {
            bin.CopyTo(MemoryMarshal.AsBytes(dest));
        }
        else
        {
            for (int i = 0; i < dest.Length; i++)
            {
                dest[i] = BinaryPrimitives.ReadSingleLittleEndian(bin.Slice(i * 4, 4));
            }
        }
    }

    private int ReadAudio(ref MessagePackReader r, int body)
    {
        Require(body, 5, MessageKind.AudioChunk, r.Consumed);
        long seq = ReadWholeNumber(ref r);
        long ts = ReadWholeNumber(ref r);
        long rateAt = r.Consumed;
        int rate = r.ReadInt32();
        long channelsAt = r.Consumed;
        int channels = r.ReadInt32();
        if (rate is <= 0 or > 768_000)
        {
            throw new MessagePackFormatException($"Audio sample rate {rate} is not in 1..768000", rateAt);
        }

        if (channels is <= 0 or > 32)
        {
            throw new MessagePackFormatException($"Audio channel count {channels} is not in 1..32", channelsAt);
        }

        long pcmAt = r.Consumed;
        ReadOnlySpan<byte> pcm = UntrustedReads.ReadBinary(ref r, _limits);
        if (pcm.Length % (2 * channels) != 0)
        {
            throw new MessagePackFormatException($"Audio data of {pcm.Length} bytes is not a whole number of {channels}-channel s16 frames", pcmAt);
        }

        if (_audio.Length < pcm.Length)
        {
            _audio = new byte[Math.Max(pcm.Length, 4096)];
        }

        pcm.CopyTo(_audio);
        AudioPcm = _audio.AsMemory(0, pcm.Length);
        Audio = new AudioChunkHeader(seq, ts, rate, channels);
        return 5;
    }

    private int ReadRendered(ref MessagePackReader r, int body)
    {
        Require(body, 6, MessageKind.RenderedFrame, r.Consumed);
        long seq = ReadWholeNumber(ref r);
        long captured = ReadWholeNumber(ref r);
        long rendered = ReadWholeNumber(ref r);
        long sizeAt = r.Consumed;
        int width = r.ReadInt32();
        int height = r.ReadInt32();
        if (width is <= 0 or > 8192 || height is <= 0 or > 8192)
        {
            throw new MessagePackFormatException($"Rendered frame size {width}x{height} is not in 1..8192", sizeAt);
        }

        ReadOnlySpan<byte> jpeg = UntrustedReads.ReadBinary(ref r, _limits);
        if (_jpeg.Length < jpeg.Length)
        {
            _jpeg = new byte[Math.Max(jpeg.Length, 64 * 1024)];
        }

        jpeg.CopyTo(_jpeg);
        RenderedJpeg = _jpeg.AsMemory(0, jpeg.Length);
        Rendered = new RenderedFrameHeader(seq, captured, rendered, width, height);
        RenderedAlpha = ReadOnlyMemory<byte>.Empty;
        RenderedMatte = null;
        RenderedQuality = 0;
        if (body < 7)
        {
            return 6;
        }

        // v1.5: alpha (bin or nil), then the matte ([r, g, b] or nil).
        if (!r.TryReadNil())
        {
            ReadOnlySpan<byte> alpha = UntrustedReads.ReadBinary(ref r, _limits);
            if (_alpha.Length < alpha.Length)
            {
                _alpha = new byte[Math.Max(alpha.Length, 16 * 1024)];
            }

            alpha.CopyTo(_alpha);
            RenderedAlpha = _alpha.AsMemory(0, alpha.Length);
        }

        if (body < 8)
        {
            return 7;
        }

        long matteAt = r.Consumed;
        if (!r.TryReadNil())
        {
            if (r.NextMessagePackType != MessagePackType.Array || r.ReadArrayHeader() != 3)
            {
                throw new MessagePackFormatException("Rendered frame matte is not nil or [r, g, b]", matteAt);
            }

            Span<byte> rgb = stackalloc byte[3];
            for (int c = 0; c < 3; c++)
            {
                int v = r.ReadInt32();
                if (v is < 0 or > 255)
                {
                    throw new MessagePackFormatException($"Rendered frame matte component {v} is not in 0..255", matteAt);
                }

                rgb[c] = (byte)v;
            }

            RenderedMatte = new RenderedMatte(rgb[0], rgb[1], rgb[2]);
        }

        if (body < 9)
        {
            return 8;
        }

        // v1.6: the JPEG quality of a frame the server stepped down for this viewer.
        long qualityAt = r.Consumed;
        int quality = r.ReadInt32();
        if (quality is < 1 or > 100)
        {
            throw new MessagePackFormatException($"Rendered frame quality {quality} is not in 1..100", qualityAt);
        }

        RenderedQuality = quality;
        return 9;
    }

    private int ReadStats(ref MessagePackReader r, int body)
    {
        Require(body, 6, MessageKind.Stats, r.Consumed);
        Stats = new StatsMessage(ReadWholeNumber(ref r), ReadWholeNumber(ref r), ReadWholeNumber(ref r), ReadWholeNumber(ref r), UntrustedReads.ReadSingle(ref r), ReadWholeNumber(ref r));
        return 6;
    }
}
