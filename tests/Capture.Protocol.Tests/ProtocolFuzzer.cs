using System.Buffers;
using System.Diagnostics;
using Capture.Core.Tracking;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Schema;
using MessagePack;

namespace Capture.Benchmarks;

/// <summary>
/// Feeds random and mutated packets (mutations of real encoded messages: bit flips, truncations, length
/// fields that lie, deep nesting, splices) to the schema decoder and to the bounded generic skipper (MessagePack-CSharp's
/// reader under <see cref="MessagePackLimits.Untrusted"/>, as the decoder skips unknown fields). The only
/// acceptable outcomes are a decoded message or <see cref="MessagePackFormatException"/> /
/// <see cref="ProtocolVersionException"/>; anything else is a crash and is recorded. Shared by the
/// <c>protocol-fuzz</c> benchmark and a short seeded slice in the test suite.
/// </summary>
public sealed class ProtocolFuzzer
{
    private readonly Random _random;
    private readonly List<byte[]> _seeds = [];
    private readonly ProtocolReader _reader = new();
    private readonly byte[] _scratch = new byte[1 << 20];
    private readonly byte[] _skipBuffer = new byte[1 << 20];

    public ProtocolFuzzer(int seed)
    {
        _random = new Random(seed);
        var b = new ArrayBufferWriter<byte>();
        void Add(Action<IBufferWriter<byte>> write)
        {
            b.Clear();
            write(b);
            _seeds.Add(b.WrittenSpan.ToArray());
        }

        TrackingFrame frame = SampleFrame();
        Add(x => ProtocolWriter.WriteTrackingFrame(x, frame));
        Add(x => ProtocolWriter.WriteTrackingFrame(x, frame, LandmarkEncoding.Float32));
        frame.Body.Present = false;
        Add(x => ProtocolWriter.WriteTrackingFrame(x, frame));
        frame.Face.Present = false;
        frame.Body.Present = true;
        Add(x => ProtocolWriter.WriteTrackingFrame(x, frame));
        Add(x => ProtocolWriter.WriteHello(x, new HelloMessage(0, ["face", "body", "audio"], "fuzz", "token")));
        Add(x => ProtocolWriter.WriteAudioChunk(x, new AudioChunkHeader(1, 2, 48000, 2), new byte[1920]));
        Add(x => ProtocolWriter.WriteStats(x, new StatsMessage(1, 2, 3, 4, 30f, 5)));
        Add(x => ProtocolWriter.WriteAck(x, new AckMessage(MessageKind.TrackingFrame, 9)));
        Add(x => ProtocolWriter.WriteBye(x, new ByeMessage("fuzz")));
        Add(x => ProtocolWriter.WriteRenderedFrame(x, new RenderedFrameHeader(3, 4, 5, 64, 48), new byte[700]));
    }

    public long Packets { get; private set; }

    public long Accepted { get; private set; }

    public long Rejected { get; private set; }

    /// <summary>Unexpected exceptions (type, message, packet hex prefix); the first 20 are kept.</summary>
    public List<string> Crashes { get; } = [];

    public long CrashCount { get; private set; }

    public TimeSpan SlowestPacket { get; private set; }

    /// <summary>A copy of the slowest packet, to time it again on its own (a pause or a real slow path?).</summary>
    public byte[] SlowestPacketBytes { get; private set; } = [];

    /// <summary>Decodes one packet as the fuzz loop does, and returns how long the fastest of <paramref name="repeats"/> tries took.</summary>
    public TimeSpan Time(byte[] packet, int repeats)
    {
        var best = TimeSpan.MaxValue;
        var watch = new Stopwatch();
        for (int i = 0; i < repeats; i++)
        {
            watch.Restart();
            Feed(packet);
            watch.Stop();
            best = watch.Elapsed < best ? watch.Elapsed : best;
        }

        return best;
    }

    /// <summary>Runs <paramref name="count"/> packets.</summary>
    public void Run(long count)
    {
        var watch = new Stopwatch();
        for (long i = 0; i < count; i++)
        {
            int length = Next(_scratch);
            ReadOnlySpan<byte> packet = _scratch.AsSpan(0, length);
            watch.Restart();
            Feed(packet);
            watch.Stop();
            if (watch.Elapsed > SlowestPacket)
            {
                SlowestPacket = watch.Elapsed;
                SlowestPacketBytes = packet.ToArray();
            }
        }
    }

    private void Feed(ReadOnlySpan<byte> packet)
    {
        Packets++;
        try
        {
            _reader.Read(packet);
            Accepted++;
        }
        catch (Exception ex) when (ex is MessagePackFormatException or ProtocolVersionException)
        {
            Rejected++;
        }
        catch (Exception ex)
        {
            Crash(ex, packet);
        }

        packet.CopyTo(_skipBuffer);
        var r = new MessagePackReader(_skipBuffer.AsMemory(0, packet.Length));
        try
        {
            while (!r.End)
            {
                UntrustedReads.Skip(ref r, MessagePackLimits.Untrusted);
            }
        }
        catch (Exception ex) when (ex is MessagePackFormatException || UntrustedReads.Translate(ex, r.Consumed) is not null)
        {
        }
        catch (Exception ex)
        {
            Crash(ex, packet);
        }
    }

    private void Crash(Exception ex, ReadOnlySpan<byte> packet)
    {
        CrashCount++;
        if (Crashes.Count < 20)
        {
            Crashes.Add($"{ex.GetType().Name}: {ex.Message} | packet {packet.Length} bytes: {Convert.ToHexStringLower(packet[..Math.Min(packet.Length, 48)])}");
        }
    }

    /// <summary>Writes the next fuzz packet into <paramref name="dest"/> and returns its length.</summary>
    private int Next(byte[] dest)
    {
        byte[] seed = _seeds[_random.Next(_seeds.Count)];
        int strategy = _random.Next(8);
        switch (strategy)
        {
            case 0:
                {
                    int n = _random.Next(0, _random.Next(2) == 0 ? 64 : 4096);
                    _random.NextBytes(dest.AsSpan(0, n));
                    return n;
                }

            case 1:
                {
                    seed.CopyTo(dest, 0);
                    int flips = 1 + _random.Next(8);
                    for (int f = 0; f < flips; f++)
                    {
                        dest[_random.Next(seed.Length)] ^= (byte)(1 << _random.Next(8));
                    }

                    return seed.Length;
                }

            case 2:
                seed.CopyTo(dest, 0);
                return _random.Next(seed.Length);
            case 3:
                return LieAboutALength(seed, dest);
            case 4:
                return DeepNesting(dest);
            case 5:
                {
                    byte[] other = _seeds[_random.Next(_seeds.Count)];
                    int a = _random.Next(seed.Length + 1);
                    int b = _random.Next(other.Length + 1);
                    seed.AsSpan(0, a).CopyTo(dest);
                    other.AsSpan(b).CopyTo(dest.AsSpan(a));
                    return a + other.Length - b;
                }

            case 6:
                {
                    seed.CopyTo(dest, 0);
                    int at = _random.Next(seed.Length);
                    dest[at] = (byte)_random.Next(256);
                    return seed.Length;
                }

            default:
                {
                    // Insert or delete a run of bytes.
                    int at = _random.Next(seed.Length);
                    int run = 1 + _random.Next(16);
                    seed.AsSpan(0, at).CopyTo(dest);
                    if (_random.Next(2) == 0)
                    {
                        _random.NextBytes(dest.AsSpan(at, run));
                        seed.AsSpan(at).CopyTo(dest.AsSpan(at + run));
                        return seed.Length + run;
                    }

                    int skip = Math.Min(run, seed.Length - at);
                    seed.AsSpan(at + skip).CopyTo(dest.AsSpan(at));
                    return seed.Length - skip;
                }
        }
    }

    private int LieAboutALength(byte[] seed, byte[] dest)
    {
        seed.CopyTo(dest, 0);
        // Find the length-carrying headers (str/bin/ext/array/map 8/16/32) and rewrite one's length field.
        Span<int> candidates = stackalloc int[64];
        int found = 0;
        for (int i = 0; i < seed.Length && found < candidates.Length; i++)
        {
            if (seed[i] is >= 0xc4 and <= 0xc9 or >= 0xd9 and <= 0xdf or >= 0x90 and <= 0x9f)
            {
                candidates[found++] = i;
            }
        }

        if (found == 0)
        {
            return seed.Length;
        }

        int at = candidates[_random.Next(found)];
        int fieldBytes = seed[at] switch
        {
            0xc4 or 0xc7 or 0xd9 => 1,
            0xc5 or 0xc8 or 0xda or 0xdc or 0xde => 2,
            0xc6 or 0xc9 or 0xdb or 0xdd or 0xdf => 4,
            _ => 0,
        };
        if (fieldBytes == 0)
        {
            dest[at] = (byte)(0x90 | _random.Next(16));
            return seed.Length;
        }

        ulong lie = _random.Next(4) switch
        {
            0 => 0,
            1 => ulong.MaxValue,
            2 => (ulong)_random.Next(0, 1 << 20),
            _ => (ulong)_random.NextInt64(),
        };
        for (int k = 0; k < fieldBytes && at + 1 + k < seed.Length; k++)
        {
            dest[at + 1 + k] = (byte)(lie >> (8 * k));
        }

        return seed.Length;
    }

    private int DeepNesting(byte[] dest)
    {
        int depth = _random.Next(2) == 0 ? _random.Next(1, 64) : _random.Next(64, 200_000);
        int i = 0;
        int style = _random.Next(4);
        while (i + 5 < depth * 3 && i + 16 < dest.Length)
        {
            switch (style)
            {
                case 0: dest[i++] = 0x91; break;
                case 1: dest[i++] = 0x81; dest[i++] = 0xc0; break;
                case 2: dest[i++] = 0xdc; dest[i++] = 0x00; dest[i++] = 0x01; break;
                default: dest[i++] = 0x92; dest[i++] = 0x01; break;
            }
        }

        dest[i++] = 0xc0;
        return i;
    }

    private static TrackingFrame SampleFrame()
    {
        var f = new TrackingFrame { Sequence = 1, CaptureTimestampUs = 1_700_000_000_000_000, ImageWidth = 1280, ImageHeight = 720 };
        f.Face.Present = true;
        f.Face.Score = 0.9f;
        f.Body.Present = true;
        f.Body.Score = 0.8f;
        for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
        {
            f.Face.Landmarks[i] = new System.Numerics.Vector3(0.3f + (i * 0.001f), 0.4f, -0.02f);
        }

        for (int i = 0; i < TrackingFrame.BodyLandmarkCount; i++)
        {
            f.Body.Landmarks[i] = new System.Numerics.Vector4(0.5f, 0.1f + (i * 0.02f), 0f, 0.9f);
        }

        return f;
    }
}
