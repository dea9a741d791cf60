using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Generation;
using Capture.Inference;
using Capture.Media;
using Capture.Pipeline;
using Capture.Retargeting;
using Capture.Retargeting.Rigs;
using Capture.Tracking;

namespace Capture.Benchmarks;

/// <summary>
/// <c>cuda-parity</c>: on a GPU machine, the same inputs through the tracker and the warp generator on
/// CUDA (this process) and on the CPU (a child process with <c>CAPTURE_EP=cpu</c>), compared within the
/// tolerances below, then the generator's frames/s on CUDA at 512² and 1024². Inputs are prepared on any
/// machine with ffmpeg (<c>cuda-parity prepare DIR</c>: raw driving frames, the shared characters'
/// pictures and their CPU-tracked faces), so the GPU machine needs neither ffmpeg nor the media folder.
/// Where CUDA is not the chosen provider it prints why and exits 3. scripts/gpu-check.sh drives it.
/// </summary>
public sealed class CudaParityBenchmark : IBenchmarkCommand
{
    /// <summary>Face landmarks, CUDA vs CPU: largest difference, pixels at 640×480.</summary>
    public const double LandmarkTolerancePx = 1.0;

    /// <summary>Blendshape scores (0..1): largest difference.</summary>
    public const double BlendshapeTolerance = 0.02;

    /// <summary>Body landmarks (normalised x, y): largest difference.</summary>
    public const double BodyTolerance = 0.005;

    /// <summary>Generator frames: mean absolute difference a channel, in 0..255 levels.</summary>
    public const double FrameMeanTolerance = 0.5;

    /// <summary>Generator frames: largest difference of any channel, in 0..255 levels.</summary>
    public const int FrameMaxTolerance = 24;

    private const int DrivingWidth = 640, DrivingHeight = 480, DrivingFrames = 20, GeneratedFrames = 8, ParitySize = 512;

    /// <summary>Shared characters whose faces the tracker finds (the anime and cat ones need rig files).</summary>
    private static readonly string[] s_characters = ["char_painting_mona_lisa_s9.jpg", "char_statue_terracotta_s6.jpg", "char_cartoon3d_boy_s7.jpg"];

    public string Name => "cuda-parity";

    public string Description => "GPU machine: tracking + generator outputs CUDA vs CPU within stated tolerances, generator fps on CUDA at 512²/1024² (goal ≥1000 at 512²); `prepare DIR` makes its inputs";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        if (args.Length >= 2 && args[0] == "prepare")
        {
            await PrepareAsync(args[1], args.Length > 2 ? args[2] : Capture.Testing.SharedMedia.Directory);
            return 0;
        }

        if (args.Length >= 3 && args[0] == "dump")
        {
            // The child: outputs on whatever provider this process chose (CAPTURE_EP=cpu from the parent).
            Outputs outputs = await ComputeAsync(args[1]);
            outputs.Write(args[2]);
            Console.WriteLine($"cuda-parity: {InferenceEnvironment.Provider.Name} outputs written to {args[2]}");
            return 0;
        }

        if (args.Length == 3 && args[0] == "compare")
        {
            // Two dumps (e.g. from two machines, or two CPU runs as a check of this comparison itself).
            return Compare(Outputs.Read(args[1]), Outputs.Read(args[2])) ? 0 : 1;
        }

        if (args.Length != 1)
        {
            Console.WriteLine("usage: cuda-parity DIR | cuda-parity prepare DIR [media dir] | cuda-parity dump DIR OUT | cuda-parity compare A B");
            return 2;
        }

        Console.WriteLine(BenchmarkReport.MachineLine());
        Console.WriteLine($"ONNX Runtime {InferenceEnvironment.OrtVersion}; execution provider: {InferenceEnvironment.Provider.Name} ({InferenceEnvironment.Provider.Reason})");
        if (!InferenceEnvironment.Provider.IsCuda)
        {
            Console.WriteLine("cuda-parity: cannot run here: CUDA is not the execution provider (reason above). It needs an NVIDIA GPU, " +
                              "the CUDA 13 and cuDNN 9 libraries on LD_LIBRARY_PATH and libonnxruntime_providers_cuda.so beside libonnxruntime.so " +
                              "(publish with -p:CaptureShipsCudaProvider=true; scripts/gpu-check.sh does all of it).");
            return 3;
        }

        string dir = args[0];
        Outputs cuda = await ComputeAsync(dir);
        string cpuFile = Path.Combine(Path.GetTempPath(), $"cuda-parity-cpu-{Environment.ProcessId}.bin");
        int childExit = RunCpuChild(dir, cpuFile);
        if (childExit != 0)
        {
            Console.WriteLine($"cuda-parity: the CPU child process failed (exit {childExit})");
            return 1;
        }

        Outputs cpu = Outputs.Read(cpuFile);
        File.Delete(cpuFile);
        bool ok = Compare(cuda, cpu);
        GeneratorFps(512, 1024);
        return ok ? 0 : 1;
    }

    private static async Task PrepareAsync(string dir, string media)
    {
        Directory.CreateDirectory(dir);
        List<VideoFrame> frames = await TrackingBenchmark.DecodeAsync(Path.Combine(media, "vid_talk_selfie_man_d13.mp4"), DrivingFrames, DrivingWidth, DrivingHeight);
        await using (FileStream driving = File.Create(Path.Combine(dir, "driving.rgb")))
        {
            foreach (VideoFrame f in frames)
            {
                driving.Write(f.ReadOnlyPixels);
            }
        }

        foreach (string file in s_characters)
        {
            RgbaImage image = await ImageFile.LoadRgbaAsync(Path.Combine(media, file));
            (RgbaImage picture, _) = CharacterRigBuilder.FitWorkingSize(new RgbaImage(image.Width, image.Height, image.Pixels, image.HasAlpha), file);
            TrackedPicture face = await CharacterLoader.TrackAsync(picture) ?? throw new InvalidDataException($"{file}: no face found");
            await using var writer = new BinaryWriter(File.Create(Path.Combine(dir, Path.GetFileNameWithoutExtension(file) + ".character")));
            writer.Write(picture.Width);
            writer.Write(picture.Height);
            writer.Write(picture.HasAlpha);
            writer.Write(picture.Pixels);
            foreach (Vector3 p in face.Points)
            {
                writer.Write(p.X);
                writer.Write(p.Y);
                writer.Write(p.Z);
            }

            foreach (Vector2 p in face.IrisCenters)
            {
                writer.Write(p.X);
                writer.Write(p.Y);
            }
        }

        Console.WriteLine($"cuda-parity: inputs prepared in {dir} ({frames.Count} driving frames, {s_characters.Length} characters)");
    }

    /// <summary>Tracker (face with iris, body; smoothing off) on the driving frames, then the generator on each character.</summary>
    private static async Task<Outputs> ComputeAsync(string dir)
    {
        var outputs = new Outputs();
        byte[] driving = await File.ReadAllBytesAsync(Path.Combine(dir, "driving.rgb"));
        int frameBytes = DrivingWidth * DrivingHeight * 3;
        using (Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { RefineLandmarks = true, Body = true, Smoothing = false }))
        {
            var result = new TrackingFrame();
            var frame = VideoFrame.CreateUnpooled(DrivingWidth, DrivingHeight);
            for (int i = 0; i * frameBytes < driving.Length; i++)
            {
                driving.AsSpan(i * frameBytes, frameBytes).CopyTo(frame.Pixels);
                frame.Sequence = i;
                frame.TimestampUs = i * 33_333L;
                tracker.Process(frame, result);
                foreach (Vector3 p in result.Face.Landmarks)
                {
                    outputs.Face.Add(p.X * DrivingWidth);
                    outputs.Face.Add(p.Y * DrivingHeight);
                }

                outputs.Blendshapes.AddRange(result.Face.Blendshapes);
                foreach (Vector4 p in result.Body.Landmarks)
                {
                    outputs.Body.Add(p.X);
                    outputs.Body.Add(p.Y);
                }
            }
        }

        foreach (string file in s_characters)
        {
            CharacterRig rig = ReadCharacter(Path.Combine(dir, Path.GetFileNameWithoutExtension(file) + ".character"));
            using var generator = new WarpGenerator(ParitySize, withAlpha: false);
            generator.SetCharacter(rig);
            var face = new DrivenFace();
            var frame = VideoFrame.CreateUnpooled(ParitySize, ParitySize);
            for (int t = 0; t < GeneratedFrames; t++)
            {
                GeneratorBenchmark.Drive(rig, face, t * 5);
                generator.Generate(face);
                generator.CopyTo(frame, 0, 0, (0, 0, 0));
                outputs.Frames.AddRange(frame.ReadOnlyPixels.ToArray());
            }
        }

        return outputs;
    }

    private static CharacterRig ReadCharacter(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        int width = reader.ReadInt32(), height = reader.ReadInt32();
        bool hasAlpha = reader.ReadBoolean();
        byte[] pixels = reader.ReadBytes(width * height * 4);
        var points = new Vector3[TrackingFrame.FaceLandmarkCount];
        for (int i = 0; i < points.Length; i++)
        {
            points[i] = new Vector3(reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle());
        }

        Vector2[] iris = [new(reader.ReadSingle(), reader.ReadSingle()), new(reader.ReadSingle(), reader.ReadSingle())];
        return CharacterRigBuilder.FromLandmarks(Path.GetFileNameWithoutExtension(path), new RgbaImage(width, height, pixels, hasAlpha), points, "cuda-parity", iris);
    }

    private static int RunCpuChild(string dir, string outFile)
    {
        var info = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            info.ArgumentList.Add(typeof(CudaParityBenchmark).Assembly.Location);
        }

        foreach (string a in new[] { "cuda-parity", "dump", dir, outFile })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["CAPTURE_EP"] = "cpu";
        using var child = Process.Start(info)!;
        child.WaitForExit();
        return child.ExitCode;
    }

    private static bool Compare(Outputs cuda, Outputs cpu)
    {
        bool ok = true;
        ok &= Report("face landmarks (px at 640x480), max |CUDA-CPU|", MaxDiff(cuda.Face, cpu.Face), LandmarkTolerancePx);
        ok &= Report("blendshapes, max |CUDA-CPU|", MaxDiff(cuda.Blendshapes, cpu.Blendshapes), BlendshapeTolerance);
        ok &= Report("body landmarks (normalised), max |CUDA-CPU|", MaxDiff(cuda.Body, cpu.Body), BodyTolerance);
        if (cuda.Frames.Count != cpu.Frames.Count)
        {
            Console.WriteLine($"generator frames: {cuda.Frames.Count} bytes on CUDA vs {cpu.Frames.Count} on CPU  FAIL");
            return false;
        }

        long sum = 0;
        int max = 0;
        for (int i = 0; i < cuda.Frames.Count; i++)
        {
            int d = Math.Abs(cuda.Frames[i] - cpu.Frames[i]);
            sum += d;
            max = Math.Max(max, d);
        }

        ok &= Report($"generator {ParitySize}² frames ({s_characters.Length} characters x {GeneratedFrames}), mean |CUDA-CPU| levels", (double)sum / cuda.Frames.Count, FrameMeanTolerance);
        ok &= Report("generator frames, max |CUDA-CPU| levels", max, FrameMaxTolerance);
        Console.WriteLine(ok ? "cuda-parity: CUDA matches CPU within the tolerances" : "cuda-parity: CUDA DIFFERS from CPU beyond a tolerance");
        return ok;
    }

    private static bool Report(string what, double value, double tolerance)
    {
        bool ok = value <= tolerance;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: {value:G4} (tolerance {tolerance:G4})  {(ok ? "ok" : "FAIL")}"));
        return ok;
    }

    private static double MaxDiff(List<float> a, List<float> b) =>
        a.Count != b.Count ? double.PositiveInfinity : a.Zip(b, (x, y) => (double)Math.Abs(x - y)).DefaultIfEmpty(0).Max();

    /// <summary>Generator frames/s on the chosen provider (RGB, 1000 frames after 100 warm-up), median of 3 runs.</summary>
    private static void GeneratorFps(params int[] sizes)
    {
        foreach (int size in sizes)
        {
            RgbaImage picture = GeneratorBenchmark.Picture(1024);
            CharacterRig rig = CharacterRigBuilder.FromLandmarks("bench", picture, GeneratorBenchmark.FaceLayout(1024), "benchmark");
            using var generator = new WarpGenerator(size, withAlpha: false);
            generator.SetCharacter(rig);
            var face = new DrivenFace();
            var frame = VideoFrame.CreateUnpooled(size, size);
            var fps = new List<double>();
            for (int run = 0; run < 4; run++)
            {
                int frames = run == 0 ? 100 : 1000;
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < frames; i++)
                {
                    GeneratorBenchmark.Drive(rig, face, i);
                    generator.Generate(face);
                    generator.CopyTo(frame, 0, 0, (0, 0, 0));
                }

                if (run > 0)
                {
                    fps.Add(frames / sw.Elapsed.TotalSeconds);
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"generator {size}x{size} RGB on {InferenceEnvironment.Provider.Name}: median {BenchmarkReport.Median(fps):F1} frames/s over 3 runs of 1000 (min {fps.Min():F1}, max {fps.Max():F1})"));
        }
    }

    /// <summary>Everything compared, flattened.</summary>
    private sealed class Outputs
    {
        public List<float> Face { get; } = [];

        public List<float> Blendshapes { get; } = [];

        public List<float> Body { get; } = [];

        public List<byte> Frames { get; } = [];

        public void Write(string path)
        {
            using var writer = new BinaryWriter(File.Create(path));
            foreach (List<float> list in new[] { Face, Blendshapes, Body })
            {
                writer.Write(list.Count);
                foreach (float v in list)
                {
                    writer.Write(v);
                }
            }

            writer.Write(Frames.Count);
            writer.Write([.. Frames]);
        }

        public static Outputs Read(string path)
        {
            using var reader = new BinaryReader(File.OpenRead(path));
            var outputs = new Outputs();
            foreach (List<float> list in new[] { outputs.Face, outputs.Blendshapes, outputs.Body })
            {
                int n = reader.ReadInt32();
                for (int i = 0; i < n; i++)
                {
                    list.Add(reader.ReadSingle());
                }
            }

            outputs.Frames.AddRange(reader.ReadBytes(reader.ReadInt32()));
            return outputs;
        }
    }
}
