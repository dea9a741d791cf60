using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Tracking.Geometry;
using Capture.Tracking.Onnx;

namespace Capture.Tracking.Hands;

/// <summary>
/// MediaPipe's hand_landmark model (full or lite) on one rect: 224×224 crop (bilinear, border replicated,
/// values in [0, 1]) → 21 × (x, y, z) in crop pixels, the hand flag, the handedness and 21 world points
/// (metres, in the crop's axes), all projected back as MediaPipe's graph does. Owns the model.
/// </summary>
internal sealed class HandLandmarkModel : IDisposable
{
    private const int Floats = TrackingFrame.HandLandmarkCount * 3;

    private readonly TensorModel _model;
    private readonly int _landmarks;
    private readonly int _world;
    private readonly int _flag;
    private readonly int _handedness;

    public HandLandmarkModel(TensorModel model)
    {
        _model = model;
        IReadOnlyList<string> names = model.OutputNames;

        // The TFLite model's output order: landmarks, hand flag, handedness, world landmarks. The flag and the
        // handedness both end in a sigmoid inside the model (probabilities, not logits).
        if (names.Count != 4 || model.OutputLength(0) != Floats || model.OutputLength(1) != 1 || model.OutputLength(2) != 1 || model.OutputLength(3) != Floats)
        {
            throw new InvalidDataException(
                $"model '{model.Name}' ({model.Path}): expected MediaPipe's hand_landmark outputs (63 landmark floats, hand flag, handedness, 63 world floats), found {names.Count} outputs.");
        }

        (_landmarks, _flag, _handedness, _world) = (0, 1, 2, 3);
    }

    public string Name => _model.Name;

    /// <summary>
    /// Runs the model on <paramref name="roi"/>. Writes 21 × (x, y, z) image pixels (z in x's pixel scale) into
    /// <paramref name="pixels"/> and 21 × (x, y, z) metres in the image's axes into <paramref name="world"/>;
    /// returns the hand flag (0..1) and, in <paramref name="rightHand"/>, how likely this is the performer's
    /// right hand for an unmirrored image (0..1).
    /// </summary>
    public float Run(VideoFrame frame, in RotatedRect roi, Span<float> pixels, Span<float> world, out float rightHand)
    {
        int size = _model.InputWidth;
        ImageCropper.CropToTensor(frame.ReadOnlyPixels, frame.Width, frame.Height, roi, _model.Input, size, 0f, 1f, CropBorder.Replicate);
        _model.Run();
        ReadOnlySpan<float> raw = _model.Output(_landmarks);
        ReadOnlySpan<float> metres = _model.Output(_world);
        float inv = 1f / size;
        (float sin, float cos) = MathF.SinCos(roi.Rotation);
        for (int i = 0; i < Floats; i += 3)
        {
            System.Numerics.Vector2 p = roi.ToImage(raw[i] * inv, raw[i + 1] * inv);
            pixels[i] = p.X;
            pixels[i + 1] = p.Y;
            pixels[i + 2] = raw[i + 2] * inv * roi.Width;

            // WorldLandmarkProjection: the crop's axes turned back into the image's (z unchanged).
            float x = metres[i];
            float y = metres[i + 1];
            world[i] = (cos * x) - (sin * y);
            world[i + 1] = (sin * x) + (cos * y);
            world[i + 2] = metres[i + 2];
        }

        // MediaPipe's label map puts "Left" first with the raw score, and its labels assume a mirrored (selfie)
        // image: for the unmirrored frames Capture sees, that score is the performer's right hand.
        rightHand = _model.Output(_handedness)[0];
        return _model.Output(_flag)[0];
    }

    public void Dispose() => _model.Dispose();
}

/// <summary>
/// Holistic's hand re-crop model on the region the pose gives: 256×256 crop, values in [0, 1] → two points
/// (the hand's centre and a point setting its scale) → the rect the hand-landmark model runs on. Owns the model.
/// </summary>
internal sealed class HandRecropModel : IDisposable
{
    private readonly TensorModel _model;

    public HandRecropModel(TensorModel model)
    {
        _model = model;
        if (model.OutputNames.Count != 1 || model.OutputLength(0) != 4)
        {
            throw new InvalidDataException($"model '{model.Name}' ({model.Path}): expected Holistic's hand_recrop output (2 points × x, y).");
        }
    }

    /// <summary>The hand's rect (pixels) found inside <paramref name="searchRegion"/>.</summary>
    public RotatedRect Run(VideoFrame frame, in RotatedRect searchRegion)
    {
        int size = _model.InputWidth;
        ImageCropper.CropToTensor(frame.ReadOnlyPixels, frame.Width, frame.Height, searchRegion, _model.Input, size, 0f, 1f, CropBorder.Replicate);
        _model.Run();
        ReadOnlySpan<float> p = _model.Output(0);
        float inv = 1f / size;
        return HandRegions.FromRecrop(searchRegion.ToImage(p[0] * inv, p[1] * inv), searchRegion.ToImage(p[2] * inv, p[3] * inv));
    }

    public void Dispose() => _model.Dispose();
}
