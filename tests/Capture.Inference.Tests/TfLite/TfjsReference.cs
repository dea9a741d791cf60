using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Capture.Inference.Tests.TfLite;

/// <summary>
/// TensorFlow Lite's own runtime (tfjs-tflite wasm in headless Chromium, TfjsReference/run.mjs) as the
/// reference for converted models. Needs node, /usr/bin/chromium and
/// <c>npm ci --prefix tests/Capture.Inference.Tests/TfLite/TfjsReference</c>.
/// </summary>
internal static class TfjsReference
{
    public const string Chromium = "/usr/bin/chromium";

    public static string Directory { get; } = Path.Combine(
        Path.GetDirectoryName(Path.GetDirectoryName(Capture.Inference.Models.ModelStore.FromRepository().ManifestPath)!)!,
        "tests", "Capture.Inference.Tests", "TfLite", "TfjsReference");

    public static string? MissingReason
    {
        get
        {
            if (!File.Exists(Chromium))
            {
                return $"{Chromium} is not installed";
            }

            if (!System.IO.Directory.Exists(Path.Combine(Directory, "node_modules", "@tensorflow", "tfjs-tflite")))
            {
                return $"tfjs-tflite is not installed: npm ci --prefix {Directory}";
            }

            return null;
        }
    }

    /// <summary>
    /// Runs each model on its NHWC input in one browser launch; returns each job's outputs in the model's order.
    /// </summary>
    public static (string Name, int[] Shape, float[] Data)[][] Run(IReadOnlyList<(byte[] TfLite, float[] Input)> jobs)
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("capture-tfjs").FullName;
        try
        {
            var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(Path.Combine(Directory, "run.mjs"));
            for (int j = 0; j < jobs.Count; j++)
            {
                File.WriteAllBytes(Path.Combine(dir, $"model{j}.tflite"), jobs[j].TfLite);
                File.WriteAllBytes(Path.Combine(dir, $"input{j}.f32"), MemoryMarshal.AsBytes(jobs[j].Input.AsSpan()).ToArray());
                start.ArgumentList.Add(Path.Combine(dir, $"model{j}.tflite"));
                start.ArgumentList.Add(Path.Combine(dir, $"input{j}.f32"));
                start.ArgumentList.Add(Path.Combine(dir, $"out{j}"));
            }

            using Process p = Process.Start(start)!;
            Task<string> stderr = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(300_000))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException("tfjs-tflite reference did not finish in 300 s");
            }

            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException($"run.mjs failed ({p.ExitCode}): {stdout}{stderr.Result}");
            }

            return [.. Enumerable.Range(0, jobs.Count).Select(j => ReadOutputs(Path.Combine(dir, $"out{j}")))];
        }
        finally
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
    }

    private static (string Name, int[] Shape, float[] Data)[] ReadOutputs(string outDir)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "outputs.json")));
        return [.. doc.RootElement.EnumerateArray().Select((o, i) => (
            o.GetProperty("name").GetString()!,
            o.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
            MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(outDir, $"{i}.f32"))).ToArray()))];
    }
}

/// <summary>A test that needs the tfjs-tflite reference; skipped with the reason where it is not installed.</summary>
internal sealed class TfjsReferenceFactAttribute : TheoryAttribute
{
    public TfjsReferenceFactAttribute()
    {
        if (TfjsReference.MissingReason is { } reason)
        {
            Skip = reason;
        }
    }
}
