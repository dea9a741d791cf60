using Capture.Core.Frames;
using Capture.Inference.Models;
using Capture.Tracking.Geometry;
using Capture.Tracking.Onnx;

namespace Capture.Tracking.Segmentation;

/// <summary>
/// MediaPipe's selfie segmentation (its general 256×256 model, from <c>@mediapipe/selfie_segmentation</c>, converted like
/// the other models) run the way its graph runs it: the whole picture stretched to 256×256 (no letterbox, values in
/// [0, 1], zero border), the model's sigmoid output taken as it is, resized back to the picture's size (bilinear).
/// Capture uses it to cut a character's figure out of its picture (<c>docs/figure.md</c> says how it compared with
/// GrabCut). Not thread-safe; <see cref="Segment"/> allocates nothing.
/// </summary>
public sealed class SelfieSegmenter : IDisposable
{
    /// <summary>The model's name in <c>models/manifest.json</c>.</summary>
    public const string ModelName = "selfie_segmentation";

    private readonly TensorModel _model;
    private readonly int _output;

    private SelfieSegmenter(TensorModel model)
    {
        _model = model;
        _output = model.FindOutput((long)model.InputWidth * model.InputHeight);
        if (_output < 0)
        {
            model.Dispose();
            throw new InvalidDataException($"model '{model.Name}' ({model.Path}): expected one {model.InputWidth}×{model.InputHeight} mask output.");
        }
    }

    /// <summary>
    /// Loads the model (<paramref name="modelPath"/>, or the checkout's model store, converting it on first use). A missing or
    /// corrupt file is a <see cref="FileNotFoundException"/> or <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static async Task<SelfieSegmenter> CreateAsync(string? modelPath = null, int threads = 0, CancellationToken ct = default)
    {
        string path = modelPath ?? await ModelStore.FromRepository().GetModelPathAsync(ModelName, ct).ConfigureAwait(false);
        return new SelfieSegmenter(TensorModel.Open(path, ModelName, threads));
    }

    /// <summary>
    /// Writes, for every pixel of <paramref name="frame"/>, how likely it belongs to a person, 0..255, into
    /// <paramref name="mask"/> (the caller's, at least width × height bytes, row after row). The frame is only read.
    /// </summary>
    public void Segment(VideoFrame frame, Span<byte> mask)
    {
        ArgumentNullException.ThrowIfNull(frame);
        int w = frame.Width;
        int h = frame.Height;
        ArgumentOutOfRangeException.ThrowIfLessThan(mask.Length, w * h, nameof(mask));

        // keep_aspect_ratio: false in MediaPipe's graph: the picture is stretched onto the square input.
        var whole = new RotatedRect(w / 2f, h / 2f, w, h, 0);
        int side = _model.InputWidth;
        ImageCropper.CropToTensor(frame.ReadOnlyPixels, w, h, whole, _model.Input, side, 0f, 1f, CropBorder.Zero);
        _model.Run();
        ReadOnlySpan<float> p = _model.Output(_output);
        int sh = _model.InputHeight;
        float sx = (float)side / w;
        float sy = (float)sh / h;
        for (int y = 0; y < h; y++)
        {
            float v = Math.Clamp(((y + 0.5f) * sy) - 0.5f, 0, sh - 1);
            int y0 = (int)v;
            int y1 = Math.Min(y0 + 1, sh - 1);
            float fy = v - y0;
            for (int x = 0; x < w; x++)
            {
                float u = Math.Clamp(((x + 0.5f) * sx) - 0.5f, 0, side - 1);
                int x0 = (int)u;
                int x1 = Math.Min(x0 + 1, side - 1);
                float fx = u - x0;
                float top = p[(y0 * side) + x0] + (fx * (p[(y0 * side) + x1] - p[(y0 * side) + x0]));
                float bottom = p[(y1 * side) + x0] + (fx * (p[(y1 * side) + x1] - p[(y1 * side) + x0]));
                float value = top + (fy * (bottom - top));
                mask[(y * w) + x] = (byte)Math.Clamp((int)((value * 255) + 0.5f), 0, 255);
            }
        }
    }

    public void Dispose() => _model.Dispose();
}
