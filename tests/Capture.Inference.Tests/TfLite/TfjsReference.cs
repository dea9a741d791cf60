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

    /// <summary>Runs <paramref name="tflite"/> on one NHWC input; returns the outputs in the model's order.</summary>
    public static (string Name, int[] Shape, float[] Data)[] Run(byte[] tflite, float[] input)
    {
        string dir = System.IO.Directory.CreateTempSubdirectory("capture-tfjs").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "model.tflite"), tflite);
            File.WriteAllBytes(Path.Combine(dir, "input.f32"), MemoryMarshal.AsBytes(input.AsSpan()).ToArray());
            var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string a in new[] { Path.Combine(Directory, "run.mjs"), Path.Combine(dir, "model.tflite"), Path.Combine(dir, "input.f32"), Path.Combine(dir, "out") })
            {
                start.ArgumentList.Add(a);
            }

            using Process p = Process.Start(start)!;
            Task<string> stderr = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(120_000))
            {
                p.Kill(entireProcessTree: true);
                throw new TimeoutException("tfjs-tflite reference did not finish in 120 s");
            }

            Assert.True(p.ExitCode == 0, $"run.mjs failed ({p.ExitCode}): {stdout}{stderr.Result}");
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "out", "outputs.json")));
            return [.. doc.RootElement.EnumerateArray().Select((o, i) => (
                o.GetProperty("name").GetString()!,
                o.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
                MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, "out", $"{i}.f32"))).ToArray()))];
        }
        finally
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
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
