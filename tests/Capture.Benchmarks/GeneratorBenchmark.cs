using System.Diagnostics;
using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Generation;
using Capture.Retargeting;
using Capture.Retargeting.Rigs;

namespace Capture.Benchmarks;

/// <summary>
/// Frames a second of the embedded warp generator (spline solve + layers + ONNX graph + RGB copy)
/// at 256² and 512², driving a face-shaped rig with a moving, talking, blinking face.
/// </summary>
public sealed class GeneratorBenchmark : IBenchmarkCommand
{
    public string Name => "generator";

    public string Description => "warp generator frames/s at 256² and 512², opaque (RGB) and alpha (RGBA) pictures, spline and mesh warps (goal: ≥60 FPS at 512² on 2 CPU cores); args: sizes and/or spline|mesh";

    public int Run(string[] args)
    {
        Console.WriteLine(BenchmarkReport.MachineLine());
        int[] sizes = [.. args.Where(a => a.All(char.IsAsciiDigit)).Select(int.Parse)];
        WarpKind[] kinds = [.. args.Where(a => !a.All(char.IsAsciiDigit)).Select(a => Enum.Parse<WarpKind>(a, ignoreCase: true))];
        sizes = sizes.Length > 0 ? sizes : [256, 512];
        kinds = kinds.Length > 0 ? kinds : [WarpKind.Spline, WarpKind.Mesh];
        foreach ((int size, bool alpha, WarpKind kind) in sizes.SelectMany(s => kinds.SelectMany(k => new[] { (s, false, k), (s, true, k) })))
        {
            RgbaImage picture = Picture(1024);
            CharacterRig rig = CharacterRigBuilder.FromLandmarks("bench", picture, FaceLayout(1024), "benchmark");
            using var generator = new WarpGenerator(size, withAlpha: alpha, warp: kind);
            generator.SetCharacter(rig);
            var face = new DrivenFace();
            var frame = Core.Frames.VideoFrame.CreateUnpooled(size, size);
            var runs = new List<double>();
            long allocatedBefore = 0;
            TimeSpan cpuBefore = default;
            using var process = Process.GetCurrentProcess();
            for (int run = 0; run < 7; run++)
            {
                const int Frames = 60;
                if (run == 1)
                {
                    allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                    process.Refresh();
                    cpuBefore = process.TotalProcessorTime;
                }

                var sw = Stopwatch.StartNew();
                for (int i = 0; i < Frames; i++)
                {
                    Drive(rig, face, (run * Frames) + i);
                    generator.GenerateInto(face, frame, 0, 0, (0, 0, 0));
                }

                sw.Stop();
                if (run > 0)
                {
                    runs.Add(Frames / sw.Elapsed.TotalSeconds);
                }
            }

            long perFrame = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / (6 * 60);
            process.Refresh();

            // CPU time a frame (all threads): steadier than frames/s on a machine shared with other jobs.
            double cpuMs = (process.TotalProcessorTime - cpuBefore).TotalMilliseconds / (6 * 60);
            Console.WriteLine($"generator {size}x{size} {(alpha ? "RGBA" : "RGB ")} {kind.ToString().ToLowerInvariant(),-6}: median {BenchmarkReport.Median(runs):F1} frames/s over {runs.Count} runs of 60 frames " +
                              $"(min {runs.Min():F1}, max {runs.Max():F1}); CPU {cpuMs:F2} ms/frame; managed allocation {perFrame} B/frame");
            double ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency / (7 * 60);
            Console.WriteLine($"  per frame (wall): {(kind == WarpKind.Mesh ? "mesh map" : "spline")} {ms(generator.MapTicks):F2} ms, layers {ms(generator.LayerTicks):F2} ms, ORT run {ms(generator.SessionTicks):F2} ms");
        }

        return 0;
    }

    internal static void Drive(CharacterRig rig, DrivenFace face, int t)
    {
        face.SetNeutral(rig.Neutral);
        float open = 0.03f * (0.5f + (0.5f * MathF.Sin(t * 0.3f)));
        var shift = new Vector2(0.01f * MathF.Sin(t * 0.05f), 0.005f * MathF.Cos(t * 0.07f));
        for (int i = 0; i < face.Points.Length; i++)
        {
            face.Points[i] += shift;
        }

        foreach (int i in FaceTopology.LipsInner)
        {
            face.Points[i] += new Vector2(0, face.Points[i].Y > rig.Neutral[FaceTopology.UpperLipInner].Y ? open : -open * 0.3f);
        }

        face.BlinkLeft = face.BlinkRight = t % 40 < 4 ? 1 : 0;
    }

    internal static RgbaImage Picture(int side)
    {
        var bitmap = new RgbaImage(side, side);
        for (int y = 0; y < side; y++)
        {
            for (int x = 0; x < side; x++)
            {
                int o = ((y * side) + x) * 4;
                bitmap.Pixels[o] = (byte)x;
                bitmap.Pixels[o + 1] = (byte)y;
                bitmap.Pixels[o + 2] = (byte)(x ^ y);
                bitmap.Pixels[o + 3] = 255;
            }
        }

        return bitmap;
    }

    // A face-shaped layout: named rings on ellipses, the rest scattered inside the outline.
    internal static Vector3[] FaceLayout(float side)
    {
        var f = new Vector3[TrackingFrame.FaceLandmarkCount];
        var random = new Random(1);
        float cx = side / 2, cy = side / 2, r = side / 4;
        for (int i = 0; i < f.Length; i++)
        {
            float a = (float)(random.NextDouble() * 2 * Math.PI);
            float d = (float)Math.Sqrt(random.NextDouble()) * 0.85f;
            f[i] = new Vector3(cx + (0.75f * r * d * MathF.Cos(a)), cy + (r * d * MathF.Sin(a)), 0);
        }

        Ring(f, FaceTopology.FaceOval, cx, cy, 0.75f * r, r, -MathF.PI / 2, 1);
        Ring(f, FaceTopology.RightEye, cx - (0.3f * r), cy - (0.2f * r), 0.12f * r, 0.05f * r, MathF.PI, -1);
        Ring(f, FaceTopology.LeftEye, cx + (0.3f * r), cy - (0.2f * r), 0.12f * r, 0.05f * r, 0, 1);
        Ring(f, FaceTopology.LipsOuter, cx, cy + (0.45f * r), 0.25f * r, 0.09f * r, MathF.PI, -1);
        Ring(f, FaceTopology.LipsInner, cx, cy + (0.45f * r), 0.2f * r, 0.001f * r, MathF.PI, -1);
        return f;
    }

    private static void Ring(Vector3[] f, ReadOnlySpan<int> ring, float cx, float cy, float rx, float ry, float start, int dir)
    {
        for (int i = 0; i < ring.Length; i++)
        {
            float a = start + (dir * 2 * MathF.PI * i / ring.Length);
            f[ring[i]] = new Vector3(cx + (rx * MathF.Cos(a)), cy + (ry * MathF.Sin(a)), 0);
        }
    }
}
