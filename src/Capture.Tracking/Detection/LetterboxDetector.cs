using System.Numerics;
using Capture.Core.Frames;
using Capture.Tracking.Geometry;
using Capture.Tracking.Onnx;

namespace Capture.Tracking.Detection;

/// <summary>
/// An SSD detector (face short range, pose) run the way MediaPipe runs it: the whole frame
/// letterboxed into the square input with values in [-1, 1], the best box after weighted NMS.
/// Owns the detector model. No allocation per run.
/// </summary>
internal sealed class LetterboxDetector : IDisposable
{
    private readonly TensorModel _model;
    private readonly DetectionDecoder _decoder;
    private readonly int _regressorsOutput;
    private readonly int _scoresOutput;

    public LetterboxDetector(TensorModel model, Vector2[] anchors, int coordsPerBox, int keypoints, float minScore)
    {
        _model = model;
        _decoder = new DetectionDecoder(anchors, coordsPerBox, keypoints, model.InputWidth) { MinScore = minScore };
        _scoresOutput = model.FindOutput(_decoder.AnchorCount);
        _regressorsOutput = model.FindOutput(_decoder.AnchorCount * (long)coordsPerBox);
        if (_scoresOutput < 0 || _regressorsOutput < 0)
        {
            throw new InvalidDataException($"model '{model.Name}' ({model.Path}): expected outputs of {_decoder.AnchorCount}×{coordsPerBox} and {_decoder.AnchorCount}×1 floats.");
        }
    }

    /// <summary>How many times the detector ran (tracking should keep this near one a clip).</summary>
    public long Runs { get; private set; }

    /// <summary>
    /// Runs the detector on <paramref name="frame"/>. True with the best detection, in letterbox
    /// coordinates (map them to the image with <paramref name="letterbox"/>.ToImage).
    /// </summary>
    public bool TryDetect(VideoFrame frame, out RawDetection detection, out RotatedRect letterbox)
    {
        letterbox = RotatedRect.Letterbox(frame.Width, frame.Height);
        return TryDetectIn(frame, letterbox, out detection);
    }

    /// <summary>
    /// Runs the detector on one region of <paramref name="frame"/> (a square rect: MediaPipe's detection by ROI,
    /// e.g. Holistic's face search around the pose's head). True with the best detection in the region's unit
    /// square (map it to the image with <paramref name="region"/>.ToImage).
    /// </summary>
    public bool TryDetectIn(VideoFrame frame, in RotatedRect region, out RawDetection detection)
    {
        Runs++;
        ImageCropper.CropToTensor(frame.ReadOnlyPixels, frame.Width, frame.Height, region, _model.Input, _model.InputWidth, -1f, 1f, CropBorder.Zero);
        _model.Run();
        return _decoder.TryDecodeBest(_model.Output(_regressorsOutput), _model.Output(_scoresOutput), out detection);
    }

    public void Dispose() => _model.Dispose();
}
