using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;

namespace Capture.Inference.Tests.Onnx;

/// <summary>Runs serialized ONNX models in ONNX Runtime for tests (float inputs and outputs).</summary>
internal static class OrtTestRunner
{
    public static float[][] Run(byte[] model, params (string Name, float[] Data, long[] Shape)[] inputs) =>
        [.. RunWithShapes(model, inputs).Select(o => o.Data)];

    public static (float[] Data, long[] Shape)[] RunWithShapes(byte[] model, params (string Name, float[] Data, long[] Shape)[] inputs)
    {
        using SessionOptions options = InferenceEnvironment.CreateSessionOptions();
        using var session = new InferenceSession(model, options);
        return RunSession(session, inputs);
    }

    public static (float[] Data, long[] Shape)[] RunSession(InferenceSession session, params (string Name, float[] Data, long[] Shape)[] inputs)
    {
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Data, i.Shape)).ToArray();
        try
        {
            using var runOptions = new RunOptions();
            using IDisposableReadOnlyCollection<OrtValue> outputs = session.Run(
                runOptions, [.. inputs.Select(i => i.Name)], values, [.. session.OutputNames]);
            return [.. outputs.Select(o => (o.GetTensorDataAsSpan<float>().ToArray(), o.GetTensorTypeAndShape().Shape))];
        }
        finally
        {
            foreach (OrtValue v in values)
            {
                v.Dispose();
            }
        }
    }
}

/// <summary>Runs Debian's python3-onnx checker on a model; skipped (with the reason) where it is not installed.</summary>
internal static class PythonOnnx
{
    public const string Python = "/usr/bin/python3";

    public static readonly Lazy<bool> Available = new(() => RunPython("import onnx") is (0, _));

    public static (int ExitCode, string Output) CheckModel(byte[] model)
    {
        string path = Path.Combine(Path.GetTempPath(), $"capture-check-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model);
        try
        {
            return RunPython("import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print(m.ir_version, m.producer_name)", path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    public static (int ExitCode, string Output) RunPython(string code, params string[] args)
    {
        if (!File.Exists(Python))
        {
            return (-1, "no python3");
        }

        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(code);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.GetAwaiter().GetResult());
    }
}

/// <summary>A fact that runs only where Debian's python3-onnx is installed (scripts/setup.sh installs it).</summary>
internal sealed class PythonOnnxFactAttribute : FactAttribute
{
    public PythonOnnxFactAttribute()
    {
        if (!PythonOnnx.Available.Value)
        {
            Skip = "python3-onnx is not installed (apt-get install python3-onnx)";
        }
    }
}
