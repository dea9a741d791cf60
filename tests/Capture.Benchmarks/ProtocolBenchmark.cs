using System.Buffers;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Capture.Core.Tracking;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Schema;

namespace Capture.Benchmarks;

/// <summary>
/// <c>protocol [frames] [runs]</c>: bytes per frame and encode+decode frames/s on one thread, schema v1
/// MessagePack vs the same frame through System.Text.Json (source-generated, flat float arrays, the
/// kindest JSON layout). Issue goal: ≤30% of the JSON bytes and ≥10× its speed.
/// </summary>
public sealed class ProtocolBenchmark : IBenchmarkCommand
{
    public string Name => "protocol";

    public string Description => "Wire bytes/frame and encode+decode frames/s vs System.Text.Json (goal: <=30% bytes, >=10x speed)";

    public int Run(string[] args)
    {
        int frames = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20_000;
        int runs = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 7;
        Console.WriteLine(BenchmarkReport.MachineLine());

        TrackingFrame face = MakeFrame(body: false);
        TrackingFrame full = MakeFrame(body: true);
        using var buffer = new PooledBufferWriter(16 * 1024);
        var json = new ArrayBufferWriter<byte>(64 * 1024);

        int Size(TrackingFrame f, LandmarkEncoding e)
        {
            buffer.Reset();
            ProtocolWriter.WriteTrackingFrame(buffer, f, e);
            return buffer.WrittenCount;
        }

        int JsonSize(TrackingFrame f)
        {
            json.Clear();
            using var w = new Utf8JsonWriter(json);
            JsonSerializer.Serialize(w, FrameDto.From(f), FrameJsonContext.Default.FrameDto);
            return json.WrittenCount;
        }

        Console.WriteLine();
        Console.WriteLine("bytes per frame            msgpack int16   msgpack float32   JSON    int16/JSON");
        foreach ((string name, TrackingFrame f) in new[] { ("face", face), ("face+body", full) })
        {
            int q = Size(f, LandmarkEncoding.Int16);
            int s = Size(f, LandmarkEncoding.Float32);
            int j = JsonSize(f);
            Console.WriteLine($"  {name,-24} {q,12:N0} {s,16:N0} {j,8:N0}    {100.0 * q / j,6:F1}%");
        }

        double maxError = QuantizationError(full);
        Console.WriteLine($"int16 landmark max error: {maxError:E2} normalized = {maxError * 1920:F3} px at 1920 wide");

        var reader = new ProtocolReader();
        double MessagePackRun(TrackingFrame f)
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < frames; i++)
            {
                f.Sequence = i;
                buffer.Reset();
                ProtocolWriter.WriteTrackingFrame(buffer, f);
                reader.Read(buffer.WrittenSpan);
            }

            return frames / clock.Elapsed.TotalSeconds;
        }

        var decoded = new TrackingFrame();
        double JsonRun(TrackingFrame f)
        {
            int n = Math.Max(frames / 10, 100);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
            {
                f.Sequence = i;
                json.Clear();
                using (var w = new Utf8JsonWriter(json))
                {
                    JsonSerializer.Serialize(w, FrameDto.From(f), FrameJsonContext.Default.FrameDto);
                }

                FrameDto dto = JsonSerializer.Deserialize(json.WrittenSpan, FrameJsonContext.Default.FrameDto)!;
                dto.CopyTo(decoded);
            }

            return n / clock.Elapsed.TotalSeconds;
        }

        Console.WriteLine();
        Console.WriteLine($"encode+decode, one thread, {frames:N0} frames a run (JSON: a tenth), median of {runs} runs after a warm-up:");
        foreach ((string name, TrackingFrame f) in new[] { ("face", face), ("face+body", full) })
        {
            MessagePackRun(f);
            JsonRun(f);
            var mp = new List<double>();
            var js = new List<double>();
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            for (int r = 0; r < runs; r++)
            {
                mp.Add(MessagePackRun(f));
            }

            long mpAllocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            for (int r = 0; r < runs; r++)
            {
                js.Add(JsonRun(f));
            }

            double m = BenchmarkReport.Median(mp);
            double j = BenchmarkReport.Median(js);
            Console.WriteLine($"  {name,-10} msgpack {m,10:N0} frames/s ({1e6 / m:F2} µs, {mpAllocated / (double)(frames * runs):F1} B allocated/frame)   JSON {j,8:N0} frames/s ({1e6 / j:F1} µs)   speed-up {m / j:F1}x");
        }

        return 0;
    }

    private static double QuantizationError(TrackingFrame f)
    {
        var b = new ArrayBufferWriter<byte>();
        ProtocolWriter.WriteTrackingFrame(b, f);
        var back = new TrackingFrame();
        ProtocolReader.ReadTrackingFrame(b.WrittenSpan, back);
        double max = 0;
        for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
        {
            Vector3 d = Vector3.Abs(back.Face.Landmarks[i] - f.Face.Landmarks[i]);
            max = Math.Max(max, Math.Max(d.X, Math.Max(d.Y, d.Z)));
        }

        return max;
    }

    /// <summary>A frame with realistic, non-round values (real trackers never emit round numbers).</summary>
    internal static TrackingFrame MakeFrame(bool body)
    {
        var random = new Random(42);
        var f = new TrackingFrame { Sequence = 1234, CaptureTimestampUs = 1_763_726_400_123_456, ImageWidth = 1280, ImageHeight = 720 };
        f.Face.Present = true;
        f.Face.Score = 0.987654f;
        for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
        {
            f.Face.Landmarks[i] = new Vector3(0.3f + (0.4f * random.NextSingle()), 0.2f + (0.5f * random.NextSingle()), -0.08f + (0.16f * random.NextSingle()));
        }

        for (int i = 0; i < ArkitBlendshapes.Count; i++)
        {
            f.Face.Blendshapes[i] = random.NextSingle();
        }

        f.Face.HeadPose = new HeadPose(Quaternion.Normalize(new Quaternion(0.05f, -0.1f, 0.02f, 0.99f)), new Vector3(1.23f, -4.56f, -48.9f));
        if (body)
        {
            f.Body.Present = true;
            f.Body.Score = 0.912345f;
            for (int i = 0; i < TrackingFrame.BodyLandmarkCount; i++)
            {
                f.Body.Landmarks[i] = new Vector4(random.NextSingle(), random.NextSingle(), random.NextSingle() - 0.5f, random.NextSingle());
            }
        }

        return f;
    }
}

/// <summary>The frame as a JSON document: flat float arrays, which is the smallest plain JSON layout.</summary>
internal sealed class FrameDto
{
    public long Seq { get; set; }

    public long Ts { get; set; }

    public int W { get; set; }

    public int H { get; set; }

    public FaceDto? Face { get; set; }

    public BodyDto? Body { get; set; }

    public static FrameDto From(TrackingFrame f) => new()
    {
        Seq = f.Sequence,
        Ts = f.CaptureTimestampUs,
        W = f.ImageWidth,
        H = f.ImageHeight,
        Face = f.Face.Present ? new FaceDto
        {
            Score = f.Face.Score,
            Landmarks = MemoryMarshal.Cast<Vector3, float>(f.Face.Landmarks.AsSpan()).ToArray(),
            Blendshapes = f.Face.Blendshapes,
            Pose = [f.Face.HeadPose.Rotation.X, f.Face.HeadPose.Rotation.Y, f.Face.HeadPose.Rotation.Z, f.Face.HeadPose.Rotation.W,
                f.Face.HeadPose.Translation.X, f.Face.HeadPose.Translation.Y, f.Face.HeadPose.Translation.Z],
        } : null,
        Body = f.Body.Present ? new BodyDto
        {
            Score = f.Body.Score,
            Landmarks = MemoryMarshal.Cast<Vector4, float>(f.Body.Landmarks.AsSpan()).ToArray(),
        } : null,
    };

    public void CopyTo(TrackingFrame f)
    {
        f.Sequence = Seq;
        f.CaptureTimestampUs = Ts;
        f.ImageWidth = W;
        f.ImageHeight = H;
        f.Face.Present = Face is not null;
        if (Face is not null)
        {
            f.Face.Score = Face.Score;
            Face.Landmarks.AsSpan().CopyTo(MemoryMarshal.Cast<Vector3, float>(f.Face.Landmarks.AsSpan()));
            Face.Blendshapes.AsSpan().CopyTo(f.Face.Blendshapes);
            float[] p = Face.Pose;
            f.Face.HeadPose = new HeadPose(new Quaternion(p[0], p[1], p[2], p[3]), new Vector3(p[4], p[5], p[6]));
        }

        f.Body.Present = Body is not null;
        if (Body is not null)
        {
            f.Body.Score = Body.Score;
            Body.Landmarks.AsSpan().CopyTo(MemoryMarshal.Cast<Vector4, float>(f.Body.Landmarks.AsSpan()));
        }
    }
}

internal sealed class FaceDto
{
    public float Score { get; set; }

    public float[] Landmarks { get; set; } = [];

    public float[] Blendshapes { get; set; } = [];

    public float[] Pose { get; set; } = [];
}

internal sealed class BodyDto
{
    public float Score { get; set; }

    public float[] Landmarks { get; set; } = [];
}

[JsonSerializable(typeof(FrameDto))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class FrameJsonContext : JsonSerializerContext;
