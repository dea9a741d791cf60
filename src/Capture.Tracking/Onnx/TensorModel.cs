using Capture.Inference;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Capture.Tracking.Onnx;

/// <summary>
/// One ONNX session with a single NHWC float image input and float outputs, all bound once
/// through an <see cref="OrtIoBinding"/> to tensors allocated at construction, so
/// <see cref="Run"/> allocates nothing. The input and output spans stay valid as long as this
/// object is alive; <see cref="Run"/> overwrites the outputs in place.
/// </summary>
internal sealed class TensorModel : IDisposable
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions;
    private readonly OrtIoBinding _binding;
    private readonly OrtValue _input;
    private readonly OrtValue[] _outputs;
    private readonly long[] _outputLengths;

    private TensorModel(string path, string name, InferenceSession session)
    {
        _session = session;
        Path = path;
        Name = name;
        if (session.InputNames.Count != 1)
        {
            throw new InvalidDataException($"model '{name}' ({path}): expected one image input, found {session.InputNames.Count}.");
        }

        string inputName = session.InputNames[0];
        int[] dims = session.InputMetadata[inputName].Dimensions;
        if (dims.Length != 4 || dims[3] != 3 || dims[1] <= 0 || dims[2] <= 0)
        {
            throw new InvalidDataException(
                $"model '{name}' ({path}): input '{inputName}' has shape [{string.Join(',', dims)}], expected NHWC [1,H,W,3].");
        }

        InputHeight = dims[1];
        InputWidth = dims[2];
        _input = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, [1, InputHeight, InputWidth, 3]);
        _runOptions = new RunOptions();
        _binding = session.CreateIoBinding();
        _binding.BindInput(inputName, _input);

        OutputNames = [.. session.OutputNames];
        _outputs = new OrtValue[OutputNames.Count];
        _outputLengths = new long[OutputNames.Count];
        for (int i = 0; i < _outputs.Length; i++)
        {
            long[] shape = [.. session.OutputMetadata[OutputNames[i]].Dimensions.Select(d => d <= 0 ? 1L : d)];
            _outputs[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, shape);
            _outputLengths[i] = shape.Aggregate(1L, (a, b) => a * b);
            _binding.BindOutput(OutputNames[i], _outputs[i]);
        }
    }

    public string Path { get; }

    public string Name { get; }

    public int InputWidth { get; }

    public int InputHeight { get; }

    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>Opens <paramref name="path"/>; a missing, truncated or corrupt file is an <see cref="InvalidDataException"/> naming it.</summary>
    public static TensorModel Open(string path, string name, int threads)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"model '{name}' not found at {path}.", path);
        }

        InferenceSession session;
        using (SessionOptions options = InferenceEnvironment.CreateSessionOptions(threads))
        {
            try
            {
                session = new InferenceSession(path, options);
            }
            catch (OnnxRuntimeException ex)
            {
                throw new InvalidDataException(
                    $"model '{name}' at {path} could not be loaded (corrupt or not an ONNX model?): {ex.Message.Split('\n')[0]}", ex);
            }
        }

        try
        {
            return new TensorModel(path, name, session);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The input tensor, 1×H×W×3 floats. Valid while this model is alive.</summary>
    public Span<float> Input => _input.GetTensorMutableDataAsSpan<float>();

    /// <summary>The index of the first output holding exactly <paramref name="elementCount"/> floats, or -1.</summary>
    public int FindOutput(long elementCount)
    {
        for (int i = 0; i < _outputLengths.Length; i++)
        {
            if (_outputLengths[i] == elementCount)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Output <paramref name="index"/> from the last <see cref="Run"/>. Valid until the next run.</summary>
    public ReadOnlySpan<float> Output(int index) => _outputs[index].GetTensorDataAsSpan<float>();

    public long OutputLength(int index) => _outputLengths[index];

    /// <summary>How many times <see cref="Run"/> ran (benchmarks: runs a frame of each model).</summary>
    public long Runs { get; private set; }

    /// <summary>Time spent inside ONNX Runtime over all runs, in <see cref="System.Diagnostics.Stopwatch"/> ticks (benchmarks: where a frame's time goes).</summary>
    public long RunTicks { get; private set; }

    public void Run()
    {
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        _session.RunWithBinding(_runOptions, _binding);
        RunTicks += System.Diagnostics.Stopwatch.GetTimestamp() - start;
        Runs++;
    }

    public void Dispose()
    {
        _binding.Dispose();
        _runOptions.Dispose();
        _input.Dispose();
        foreach (OrtValue o in _outputs)
        {
            o.Dispose();
        }

        _session.Dispose();
    }
}
