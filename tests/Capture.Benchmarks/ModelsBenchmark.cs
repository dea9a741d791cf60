using System.Diagnostics;
using Capture.Inference;
using Capture.Inference.Models;
using Capture.Inference.TfLite;
using Microsoft.ML.OnnxRuntime;

namespace Capture.Benchmarks;

/// <summary>
/// <c>models [runs] [name...]</c>: per converted MediaPipe model, the TFLite→ONNX conversion time and one
/// inference (median of N after warm-up) on the chosen execution provider, inputs and outputs pre-allocated.
/// </summary>
public sealed class ModelsBenchmark : IBenchmarkCommand
{
    public string Name => "models";

    public string Description => "TFLite→ONNX conversion time and one inference per MediaPipe model (median ms)";

    public int Run(string[] args)
    {
        int runs = args.Length > 0 && int.TryParse(args[0], out int n) ? n : 30;
        ModelStore store = ModelStore.FromRepository();
        string[] names = args.Length > 1 ? args[1..] : [.. store.Manifest.Models.Where(m => m.IsModel).Select(m => m.Name)];
        Console.WriteLine(BenchmarkReport.MachineLine());
        Console.WriteLine($"provider: {InferenceEnvironment.Provider.Name}; {runs} timed runs after 5 warm-up runs");
        Console.WriteLine($"{"model",-28} {"convert ms",10} {"infer median ms",16} {"min ms",8} {"max ms",8}");
        foreach (string name in names)
        {
            ModelEntry entry = store.Manifest.Get(name);
            byte[] tflite = store.ReadSource(entry);
            var convert = Stopwatch.StartNew();
            byte[] onnx = ModelStore.Convert(entry, tflite);
            double convertMs = convert.Elapsed.TotalMilliseconds;

            TfLiteSubgraph g = TfLiteModel.Read(tflite).Subgraphs[0];
            using SessionOptions options = InferenceEnvironment.CreateSessionOptions();
            using var session = new InferenceSession(onnx, options);
            TfLiteTensor input = g.Tensors[g.Inputs[0]];
            var data = new float[input.Shape.Aggregate(1, (a, b) => a * b)];
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = (i % 255) / 255f;
            }

            using OrtValue x = OrtValue.CreateTensorValueFromMemory(data, [.. input.Shape.Select(d => (long)d)]);
            OrtValue[] outputs = [.. g.Outputs.Select(o => g.Tensors[o]).Select(t =>
                OrtValue.CreateTensorValueFromMemory(new float[t.Shape.Aggregate(1, (a, b) => a * b)], [.. t.Shape.Select(d => (long)d)]))];
            string[] outputNames = [.. g.Outputs.Select(o => g.Tensors[o].Name)];
            using var runOptions = new RunOptions();
            var times = new List<double>();
            for (int i = 0; i < runs + 5; i++)
            {
                var sw = Stopwatch.StartNew();
                session.Run(runOptions, [input.Name], [x], outputNames, outputs);
                if (i >= 5)
                {
                    times.Add(sw.Elapsed.TotalMilliseconds);
                }
            }

            foreach (OrtValue o in outputs)
            {
                o.Dispose();
            }

            Console.WriteLine($"{name,-28} {convertMs,10:F0} {BenchmarkReport.Median(times),16:F2} {times.Min(),8:F2} {times.Max(),8:F2}");
        }

        return 0;
    }
}
