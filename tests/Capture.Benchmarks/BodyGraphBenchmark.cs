using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Capture.Generation;
using Capture.Inference;
using Microsoft.ML.OnnxRuntime;

namespace Capture.Benchmarks;

/// <summary>
/// Where the body warp graph's time goes (issue 23's render speed): the graph the body generator
/// builds (<see cref="WarpGraph.BuildBody"/>) at a given output size and lattice step, run with ONNX
/// Runtime's profiler on an identity map with a figure covering the middle third of the frame's columns
/// (the box the generator would give: those columns, every row; or the whole frame with <c>--whole</c>),
/// and each node's mean kernel time printed beside the whole run's. The inputs are synthetic: node times
/// depend on the tensor shapes, not on where the figure is. <c>--alpha</c> builds the graph with its alpha plane
/// (what live body sessions run) and binds that output too.
/// </summary>
public sealed class BodyGraphBenchmark : IBenchmarkCommand
{
    public string Name => "body-graph";

    public string Description => "the body warp graph's nodes under ORT's profiler (ms a run each); args: [width=720] [height=1584] [lattice step=BodyMeshMap.LatticeStep] [runs=20] [threads=0] [--whole: warp the whole frame, not the figure's box] [--alpha: with the alpha plane, as live body sessions]";

    public int Run(string[] args)
    {
        Console.WriteLine(BenchmarkReport.MachineLine());
        bool whole = args.Contains("--whole");
        bool alpha = args.Contains("--alpha");
        args = [.. args.Where(a => a is not "--whole" and not "--alpha")];
        int width = Arg(args, 0, 720);
        int height = Arg(args, 1, 1584);
        int step = Arg(args, 2, BodyMeshMap.LatticeStep);
        int runs = Arg(args, 3, 20);
        int threads = Arg(args, 4, 0);
        int gw = ((width - 2) / step) + 2, gh = ((height - 2) / step) + 2;
        int plane = width * height, nodes = gw * gh;

        var image = new float[4 * plane];
        var background = new float[3 * plane];
        var keep = new float[plane];
        var add = new float[3 * plane];
        var map = new float[2 * nodes];
        var coverage = new float[nodes];
        var random = new Random(23);
        for (int i = 0; i < 3 * plane; i++)
        {
            image[i] = (float)random.NextDouble();
            background[i] = (float)random.NextDouble() * 255;
        }

        image.AsSpan(3 * plane).Fill(1);
        keep.AsSpan().Fill(255);
        for (int y = 0; y < gh; y++)
        {
            for (int x = 0; x < gw; x++)
            {
                int i = (y * gw) + x;
                map[i] = WarpGraph.GridCoordinate(x, gw);
                map[nodes + i] = WarpGraph.GridCoordinate(y, gh);
                coverage[i] = x > gw / 3 && x < 2 * gw / 3 ? 1 : 0;
            }
        }

        var frame = new byte[3 * plane];
        var still = new byte[3 * plane];
        long[] box = whole ? [0, 0, height, width] : [0, (gw / 3) * (width - 1) / (gw - 1), height, ((2 * gw / 3) * (width - 1) / (gw - 1)) + 1];
        string prefix = Path.Combine(Path.GetTempPath(), $"body-graph-{Environment.ProcessId}");
        using SessionOptions options = InferenceEnvironment.CreateSessionOptions(threads);
        options.EnableProfiling = true;
        options.ProfileOutputPathPrefix = prefix;
        using var session = new InferenceSession(WarpGraph.BuildBody(width, height, gw, gh, alphaPlane: alpha), options);
        using var run = new RunOptions();
        OrtValue[] values =
        [
            OrtValue.CreateTensorValueFromMemory(image, [1, 4, height, width]),
            OrtValue.CreateTensorValueFromMemory(background, [1, 3, height, width]),
            OrtValue.CreateTensorValueFromMemory(keep, [1, 1, height, width]),
            OrtValue.CreateTensorValueFromMemory(add, [1, 3, height, width]),
            OrtValue.CreateTensorValueFromMemory(map, [2, nodes]),
            OrtValue.CreateTensorValueFromMemory(coverage, [1, nodes]),
            OrtValue.CreateTensorValueFromMemory(box, [4]),
            OrtValue.CreateTensorValueFromMemory(still, [1, height, width, 3]),
        ];
        using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<byte>(frame), [1, height, width, 3]);
        using OrtIoBinding binding = session.CreateIoBinding();
        for (int i = 0; i < values.Length; i++)
        {
            binding.BindInput(WarpGraph.BodyInputNames[i], values[i]);
        }

        binding.BindOutput(WarpGraph.Frame, output);
        var alphaPlane = new byte[plane];
        using var alphaOutput = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<byte>(alphaPlane), [1, height, width]);
        if (alpha)
        {
            binding.BindOutput(WarpGraph.FrameAlpha, alphaOutput);
        }
        session.RunWithBinding(run, binding);
        var wall = new List<double>();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        TimeSpan cpu = process.TotalProcessorTime;
        for (int r = 0; r < runs; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            session.RunWithBinding(run, binding);
            wall.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }

        process.Refresh();
        double cpuPerRun = (process.TotalProcessorTime - cpu).TotalMilliseconds / runs;
        string file = session.EndProfiling();
        foreach (OrtValue v in values)
        {
            v.Dispose();
        }

        // The profile's node events: "<node>_kernel_time", dur in µs; the first run is the warm-up.
        var sums = new Dictionary<string, (string Op, double Us, int Count)>();
        using (JsonDocument doc = JsonDocument.Parse(File.ReadAllText(file)))
        {
            foreach (JsonElement e in doc.RootElement.EnumerateArray())
            {
                if (e.GetProperty("cat").GetString() != "Node" || e.GetProperty("name").GetString() is not { } name || !name.EndsWith("_kernel_time", StringComparison.Ordinal))
                {
                    continue;
                }

                string node = name[..^"_kernel_time".Length];
                string op = e.GetProperty("args").GetProperty("op_name").GetString() ?? "?";
                (string _, double us, int count) = sums.GetValueOrDefault(node, (op, 0, 0));
                sums[node] = (op, us + e.GetProperty("dur").GetDouble(), count + 1);
            }
        }

        File.Delete(file);
        CultureInfo c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"body graph {width}x{height}, lattice every {step} px ({gw}x{gh} nodes), box {box[3] - box[1]}x{box[2] - box[0]}{(alpha ? ", with its alpha plane" : "")}, {threads} intra-op threads (0 = ORT's default): median {BenchmarkReport.Median(wall):F1} ms a run over {runs} runs, CPU {cpuPerRun:F1} ms a run"));
        double total = 0;
        foreach ((string node, (string op, double us, int count)) in sums.OrderByDescending(s => s.Value.Us / s.Value.Count))
        {
            double ms = us / count / 1000;
            total += ms;
            Console.WriteLine(string.Create(c, $"  {node,-24} {op,-12} {ms,7:F2} ms"));
        }

        Console.WriteLine(string.Create(c, $"  {"(sum of nodes)",-37} {total,7:F2} ms"));
        return 0;
    }

    private static int Arg(string[] args, int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
}
