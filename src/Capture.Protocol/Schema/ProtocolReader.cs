using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using Capture.Core.Tracking;
using Capture.Protocol.MessagePack;

namespace Capture.Protocol.Schema;

/// <summary>
/// Decodes schema v1 packets (docs/protocol.md) from untrusted input. One instance is reused packet
/// after packet: <see cref="Read"/> fills <see cref="Frame"/>, <see cref="Audio"/>, … for the kind it
/// returns, so decoding tracking frames and audio allocates nothing per packet. Everything it exposes
/// stays valid until the next <see cref="Read"/>; after a thrown exception the fields of the kind being
/// decoded are unspecified (copy <see cref="Frame"/> out on success if you must keep the last good one).
/// Extra trailing envelope fields from a newer minor version are skipped. Not thread-safe.
/// </summary>
public sealed class ProtocolReader
{
    private readonly MessagePackLimits _limits;
    private byte[] _audio = [];
    private byte[] _jpeg = [];

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

    public StatsMessage Stats { get; private set; }

    public AckMessage Ack { get; private set; }

    public ByeMessage? Bye { get; private set; }

    /// <summary>The type number of the last packet, also when it was <see cref="MessageKind.Unknown"/>.</summary>
    public int LastTypeNumber { get; private set; }

    /// <summary>Decodes one packet. Throws <see cref="MessagePackFormatException"/> or <see cref="ProtocolVersionException"/> on bad input.</summary>
    public MessageKind Read(ReadOnlySpan<byte> packet)
    {
        var r = new MessagePackReader(packet, _limits);
        int fields = r.ReadArrayHeader();
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
            if (type == (int)MessageKind.Hello && fields > 2 && r.PeekType() == MessagePackType.Integer)
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
            case MessageKind.TrackingFrame: used = ReadTrackingFrame(ref r, body, Frame); break;
            case MessageKind.AudioChunk: used = ReadAudio(ref r, body); break;
            case MessageKind.Stats: used = ReadStats(ref r, body); break;
            case MessageKind.RenderedFrame: used = ReadRendered(ref r, body); break;
            case MessageKind.Ack:
                Require(body, 2, kind, r.Position);
                Ack = new AckMessage((MessageKind)r.ReadInt32(), ReadWholeNumber(ref r));
                used = 2;
                break;
            case MessageKind.Bye:
                Require(body, 1, kind, r.Position);
                Bye = new ByeMessage(r.ReadString());
                used = 1;
                break;
            default:
                kind = MessageKind.Unknown;
                used = 0;
                break;
        }

        for (int i = used; i < body; i++)
        {
            r.Skip();
        }

        if (!r.End)
        {
            throw new MessagePackFormatException($"{r.Remaining} bytes follow the end of the message", r.Position);
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

    private MessageKind ReadInto(ReadOnlySpan<byte> packet, TrackingFrame destination)
    {
        var r = new MessagePackReader(packet, _limits);
        int fields = r.ReadArrayHeader();
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

        int used = ReadTrackingFrame(ref r, fields - 2, destination);
        for (int i = used; i < fields - 2; i++)
        {
            r.Skip();
        }

        return MessageKind.TrackingFrame;
    }

    /// <summary>
    /// A 64-bit count or time: any integer format, or a float holding a whole number. JavaScript writers
    /// encode a Number above 2^32 (a timestamp in µs) as float 64, and a web page should not need BigInt.
    /// </summary>
    private static long ReadWholeNumber(ref MessagePackReader r)
    {
        if (r.PeekType() != MessagePackType.Float)
        {
            return r.ReadInt64();
        }

        int at = r.Position;
        double d = r.ReadDouble();
        if (Math.Floor(d) != d || d < -9.2233720368547758e18 || d >= 9.2233720368547758e18)
        {
            throw new MessagePackFormatException($"Expected a whole number, found {d}", at);
        }

        return (long)d;
    }

    private static void Require(int body, int needed, MessageKind kind, int offset)
    {
        if (body < needed)
        {
            throw new MessagePackFormatException($"{kind} message has {body} fields; v1 needs at least {needed}", offset);
        }
    }

    private int ReadHello(ref MessagePackReader r, int body)
    {
        Require(body, 4, MessageKind.Hello, r.Position);
        int minor = r.ReadInt32();
        int count = r.ReadArrayHeader();
        string[] caps = new string[count];
        for (int i = 0; i < count; i++)
        {
            int at = r.Position;
            caps[i] = r.ReadString() ?? throw new MessagePackFormatException("Capability is nil; expected a string", at);
        }

        int performerAt = r.Position;
        string performer = r.ReadString() ?? throw new MessagePackFormatException("Performer id is nil; expected a string", performerAt);
        string? token = r.ReadString();
        Hello = new HelloMessage(minor, caps, performer, token);
        return 4;
    }

    private static int ReadTrackingFrame(ref MessagePackReader r, int body, TrackingFrame frame)
    {
        Require(body, 6, MessageKind.TrackingFrame, r.Position);
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
            int at = r.Position;
            int n = r.ReadArrayHeader();
            if (n < ProtocolWriter.FaceFields)
            {
                throw new MessagePackFormatException($"Face has {n} fields; v1 needs {ProtocolWriter.FaceFields}", at);
            }

            face.Present = true;
            face.Score = r.ReadSingle();
            ReadFaceLandmarks(ref r, face.Landmarks, "Face landmarks");
            ReadFloats(ref r, face.Blendshapes, "blendshapes");
            int poseAt = r.Position;
            int poseCount = r.ReadArrayHeader();
            if (poseCount < ProtocolWriter.HeadPoseFloats)
            {
                throw new MessagePackFormatException($"Head pose has {poseCount} numbers; expected {ProtocolWriter.HeadPoseFloats}", poseAt);
            }

            var q = new Quaternion(r.ReadSingle(), r.ReadSingle(), r.ReadSingle(), r.ReadSingle());
            var t = new Vector3(r.ReadSingle(), r.ReadSingle(), r.ReadSingle());
            for (int i = ProtocolWriter.HeadPoseFloats; i < poseCount; i++)
            {
                r.Skip();
            }

            face.HeadPose = new HeadPose(q, t);
            // Field 5 (v1.1): the 10 iris points as a bin like the landmarks; nil or any other type there
            // (a writer that put something else in that slot) reads as no iris and is skipped.
            face.HasIris = n >= ProtocolWriter.FaceFieldsWithIris && r.PeekType() == MessagePackType.Binary;
            if (face.HasIris)
            {
                ReadFaceLandmarks(ref r, face.Iris, "Iris");
            }
            else
            {
                Array.Clear(face.Iris);
            }

            for (int i = face.HasIris ? ProtocolWriter.FaceFieldsWithIris : ProtocolWriter.FaceFields; i < n; i++)
            {
                r.Skip();
            }
        }

        BodyObservation bodyObs = frame.Body;
        if (r.TryReadNil())
        {
            bodyObs.Clear();
        }
        else
        {
            int at = r.Position;
            int n = r.ReadArrayHeader();
            if (n < ProtocolWriter.BodyFields)
            {
                throw new MessagePackFormatException($"Body has {n} fields; v1 needs {ProtocolWriter.BodyFields}", at);
            }

            bodyObs.Present = true;
            bodyObs.Score = r.ReadSingle();
            ReadFloats(ref r, MemoryMarshal.Cast<Vector4, float>(bodyObs.Landmarks.AsSpan()), "body landmarks");
            for (int i = ProtocolWriter.BodyFields; i < n; i++)
            {
                r.Skip();
            }
        }

        // Field 7 (hands) is reserved in v1: whatever is there is skipped, within the reader's limits.
        return 6;
    }

    private static void ReadFaceLandmarks(ref MessagePackReader r, Vector3[] landmarks, string what)
    {
        int at = r.Position;
        ReadOnlySpan<byte> bin = r.ReadBinary();
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

    private static void ReadFloats(ref MessagePackReader r, Span<float> dest, string what)
    {
        int at = r.Position;
        ReadOnlySpan<byte> bin = r.ReadBinary();
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
        Require(body, 5, MessageKind.AudioChunk, r.Position);
        long seq = ReadWholeNumber(ref r);
        long ts = ReadWholeNumber(ref r);
        int rateAt = r.Position;
        int rate = r.ReadInt32();
        int channelsAt = r.Position;
        int channels = r.ReadInt32();
        if (rate is <= 0 or > 768_000)
        {
            throw new MessagePackFormatException($"Audio sample rate {rate} is not in 1..768000", rateAt);
        }

        if (channels is <= 0 or > 32)
        {
            throw new MessagePackFormatException($"Audio channel count {channels} is not in 1..32", channelsAt);
        }

        int pcmAt = r.Position;
        ReadOnlySpan<byte> pcm = r.ReadBinary();
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
        Require(body, 6, MessageKind.RenderedFrame, r.Position);
        long seq = ReadWholeNumber(ref r);
        long captured = ReadWholeNumber(ref r);
        long rendered = ReadWholeNumber(ref r);
        int sizeAt = r.Position;
        int width = r.ReadInt32();
        int height = r.ReadInt32();
        if (width is <= 0 or > 8192 || height is <= 0 or > 8192)
        {
            throw new MessagePackFormatException($"Rendered frame size {width}x{height} is not in 1..8192", sizeAt);
        }

        ReadOnlySpan<byte> jpeg = r.ReadBinary();
        if (_jpeg.Length < jpeg.Length)
        {
            _jpeg = new byte[Math.Max(jpeg.Length, 64 * 1024)];
        }

        jpeg.CopyTo(_jpeg);
        RenderedJpeg = _jpeg.AsMemory(0, jpeg.Length);
        Rendered = new RenderedFrameHeader(seq, captured, rendered, width, height);
        return 6;
    }

    private int ReadStats(ref MessagePackReader r, int body)
    {
        Require(body, 6, MessageKind.Stats, r.Position);
        Stats = new StatsMessage(ReadWholeNumber(ref r), ReadWholeNumber(ref r), ReadWholeNumber(ref r), ReadWholeNumber(ref r), r.ReadSingle(), ReadWholeNumber(ref r));
        return 6;
    }
}
