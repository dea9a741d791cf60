using System.Numerics;
using BenchmarkDotNet.Attributes;
using Capture.Core.Geometry;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Schema;

namespace Capture.Benchmarks;

// BenchmarkDotNet micro-benchmarks: time and bytes allocated per call ([MemoryDiagnoser]; the hot
// paths should show 0 B). Run: dotnet run -c Release --project tests/Capture.Benchmarks -- bdn --filter '*Micro*'
// (add --job short for a quick look). The whole-pipeline figures stay in the IBenchmarkCommand classes.

/// <summary>Protocol v1: one tracking frame (face + body) encoded and decoded, float32 and int16 landmarks.</summary>
[MemoryDiagnoser]
public class ProtocolCodecMicro
{
    private readonly TrackingFrame _frame = ProtocolBenchmark.MakeFrame(body: true);
    private readonly TrackingFrame _decoded = new();
    private readonly PooledBufferWriter _buffer = new(16 * 1024);
    private byte[] _packet = [];

    [Params(LandmarkEncoding.Float32, LandmarkEncoding.Int16)]
    public LandmarkEncoding Encoding { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _buffer.Reset();
        ProtocolWriter.WriteTrackingFrame(_buffer, _frame, Encoding);
        _packet = _buffer.WrittenSpan.ToArray();
    }

    [Benchmark]
    public int Encode()
    {
        _buffer.Reset();
        ProtocolWriter.WriteTrackingFrame(_buffer, _frame, Encoding);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public long Decode()
    {
        ProtocolReader.ReadTrackingFrame(_packet, _decoded);
        return _decoded.Sequence;
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();
}

/// <summary>The JPEG encoder (OpenCvSharp/libjpeg) on a 640×480 RGB24 frame, as the live viewer sends it.</summary>
[MemoryDiagnoser]
public class JpegEncodeMicro
{
    private const int Width = 640;
    private const int Height = 480;
    private readonly byte[] _pixels = new byte[Width * Height * 3];
    private JpegEncoder? _encoder;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(3);
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                int o = ((y * Width) + x) * 3;
                _pixels[o] = (byte)(x * 255 / Width);
                _pixels[o + 1] = (byte)(y * 255 / Height);
                _pixels[o + 2] = (byte)random.Next(256);
            }
        }

        _encoder = new JpegEncoder();
    }

    [Benchmark]
    public int Encode() => _encoder!.Encode(_pixels, Width, Height, Width * 3, JpegInputFormat.Rgb24, quality: 85).Length;

    [GlobalCleanup]
    public void Cleanup() => _encoder?.Dispose();
}

/// <summary>Geometry the generator and the retargeter run every frame: the 90-point spline solve and a 468-point similarity fit.</summary>
[MemoryDiagnoser]
public class GeometryMicro
{
    private readonly Vector2[] _centers = new Vector2[90];
    private readonly Vector2[] _values = new Vector2[90];
    private readonly Vector3[] _source = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly Vector3[] _target = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly float[] _weights = new float[TrackingFrame.FaceLandmarkCount];
    private readonly ThinPlateSpline _spline = new(90);

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        for (int i = 0; i < _centers.Length; i++)
        {
            _centers[i] = new Vector2(random.NextSingle(), random.NextSingle());
            _values[i] = _centers[i] + new Vector2((random.NextSingle() - 0.5f) * 0.02f, (random.NextSingle() - 0.5f) * 0.02f);
        }

        var truth = new Similarity(1.3f, Quaternion.CreateFromYawPitchRoll(0.2f, -0.1f, 0.05f), new Vector3(3, 1, -2));
        for (int i = 0; i < _source.Length; i++)
        {
            _source[i] = new Vector3(random.NextSingle() * 10, random.NextSingle() * 12, random.NextSingle() * 4);
            _target[i] = truth.Apply(_source[i]);
            _weights[i] = 1;
        }
    }

    [Benchmark]
    public Vector2 ThinPlateSplineSolve()
    {
        _spline.Solve(_centers, _values);
        return _spline.Evaluate(new Vector2(0.5f, 0.5f));
    }

    [Benchmark]
    public float SimilarityFit468() => SimilarityFit.Fit(_source, _target, _weights).Scale;
}
