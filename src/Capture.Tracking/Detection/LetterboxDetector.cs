using System.Numerics;
using Capture.Core.Frames;
using Capture.Tracking.Geometry;
using Capture.Tracking.Onnx;

namespace Capture.Tracking.Detection;

/// <summary>
/// An SSD detector (face short range, pose, palm) run the way MediaPipe runs it: the whole frame
/// letterboxed into the square input (black border), values in [-1, 1] (face, pose) or [0, 1] (palm),
/// the best box or boxes after weighted NMS. Owns the detector model. No allocation per run.
/// </summary>
internal sealed class LetterboxDetector : IDisposable
{
    private readonly TensorModel _model;
    private readonly DetectionDecoder _decoder;
    private readonly int _regressorsOutput;
    private readonly int _scoresOutput;
    private readonly float _inputMin;
    private readonly float _inputMax;

    /// <param name="inputMin">Value of a black pixel in the model's input (MediaPipe's output_tensor_float_range).</param>
    /// <param name="inputMax">Value of a white pixel.</param>
    public LetterboxDetector(TensorModel model, Vector2[] anchors, int coordsPerBox, int keypoints, float minScore, float inputMin = -1f, float inputMax = 1f)
    {
        _model = model;
        _inputMin = inputMin;
        _inputMax = inputMax;
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
        detection = default;
        return Detect(frame, new Span<RawDetection>(ref detection), out letterbox) == 1;
    }

    /// <summary>
    /// Runs the detector on <paramref name="frame"/> and writes up to <paramref name="detections"/>.Length of the
    /// best detections, best first, in letterbox coordinates; returns how many.
    /// </summary>
    public int Detect(VideoFrame frame, Span<RawDetection> detections, out RotatedRect letterbox)
    {
        letterbox = RotatedRect.Letterbox(frame.Width, frame.Height);
        return DetectIn(frame, letterbox, detections);
    }

    /// <summary>
    /// Runs the detector on one region of <paramref name="frame"/> (a square rect: MediaPipe's detection by ROI,
    /// e.g. Holistic's face search around the pose's head). True with the best detection in the region's unit
    /// square (map it to the image with <paramref name="region"/>.ToImage).
    /// </summary>
    public bool TryDetectIn(VideoFrame frame, in RotatedRect region, out RawDetection detection)
    {
        detection = default;
        return DetectIn(frame, region, new Span<RawDetection>(ref detection)) == 1;
    }

    private int DetectIn(VideoFrame frame, in RotatedRect region, Span<RawDetection> detections)
    {
        Runs++;
        ImageCropper.CropToTensor(frame.ReadOnlyPixels, frame.Width, frame.Height, region, _model.Input, _model.InputWidth, _inputMin, _inputMax, CropBorder.Zero);
        _model.Run();
        return _decoder.DecodeTop(_model.Output(_regressorsOutput), _model.Output(_scoresOutput), detections);
    }

    public void Dispose() => _model.Dispose();
}
