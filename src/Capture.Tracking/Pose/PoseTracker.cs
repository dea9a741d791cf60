using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Tracking.Detection;
using Capture.Tracking.Geometry;
using Capture.Tracking.Onnx;
using Capture.Tracking.Smoothing;

namespace Capture.Tracking.Pose;

/// <summary>
/// MediaPipe's BlazePose pipeline on one body: pose detection (224×224 letterbox, [-1, 1]) → rect
/// centred on keypoint 0 (mid-hip) with side 2·|kp1 − kp0|, rotated so kp0 → kp1 points up (target
/// 90°), scaled 1.25 → pose landmark model (256×256 crop, [0, 1]; 39 points × x, y, z, visibility,
/// presence, sigmoid on the last two) → 33 points projected back; points 33 and 34 (auxiliary)
/// give the next frame's rect the same way. The model's world output (39 × x, y, z in metres, hip-centred,
/// in the crop's orientation) is turned back by the rect's rotation, as MediaPipe's
/// WorldLandmarkProjectionCalculator does, into <see cref="BodyObservation.WorldLandmarks"/>. Every point
/// is first refined from the model's heatmap (<see cref="PoseHeatmap"/>), as MediaPipe's graph does.
/// </summary>
internal sealed class PoseTracker : RoiLandmarkTracker, IDisposable
{
    private const int ModelPoints = 39;
    private const int ValuesPerPoint = 5;
    private const float RoiScale = 1.25f;

    /// <summary>Object size for the world points' smoothing, metres: about a standing adult's height.</summary>
    private const float WorldBodySize = 1.7f;

    /// <summary>
    /// MediaPipe smooths the two auxiliary points (which place the next frame's region) always, smoothing on or
    /// off, and harder than the landmarks, "to make ROI crop very stable when object is not moving but
    /// responsive enough in case of sudden movements" (pose_landmark_filtering: min cutoff 0.01, beta 1,
    /// derivative cutoff 1, speed in sizes of the two points' box a second).
    /// </summary>
    private static readonly OneEuroParameters s_auxSmoothing = new(0.01f, 1f, 1f);

    /// <summary>Side of the pose models' heatmap output (64 × 64 × 39 for lite, full and heavy).</summary>
    private const int HeatmapSide = 64;

    private readonly LetterboxDetector _detector;
    private readonly TensorModel _landmarks;
    private readonly int _landmarksOutput;
    private readonly int _flagOutput;
    private readonly int _worldOutput;
    private readonly int _heatmapOutput;
    private readonly float[] _raw = new float[ModelPoints * 2];
    private readonly OneEuroFilterBank _filter;
    private readonly OneEuroFilterBank _worldFilter;
    private readonly OneEuroFilterBank _auxFilter = new(4, s_auxSmoothing) { SpeedFromRawInput = true };
    private readonly float[] _aux = new float[4];
    private readonly float[] _pixels = new float[TrackingFrame.BodyLandmarkCount * 3];
    private readonly float[] _world = new float[TrackingFrame.BodyLandmarkCount * 3];
    private readonly float[] _visibility = new float[TrackingFrame.BodyLandmarkCount];
    private Vector2 _auxCentre;
    private Vector2 _auxScale;
    private RotatedRect _roi;

    public PoseTracker(TensorModel detector, TensorModel landmarks, TrackerOptions options)
        : base(options)
    {
        _detector = new LetterboxDetector(detector, SsdAnchors.Pose(), 12, 4, options.MinDetectionConfidence);
        _landmarks = landmarks;

        _landmarksOutput = landmarks.FindOutput(ModelPoints * ValuesPerPoint);
        _flagOutput = landmarks.FindOutput(1);
        if (_landmarksOutput < 0 || _flagOutput < 0)
        {
            throw new InvalidDataException($"model '{landmarks.Name}' ({landmarks.Path}): expected a 195-float landmark output and a 1-float pose flag.");
        }

        // Every MediaPipe pose landmark model has it; a model without it (a hand-made test model) gives no world points.
        _worldOutput = landmarks.FindOutput(ModelPoints * 3);

        // The heatmap, one 64×64 channel a point (NHWC): MediaPipe refines every point from it. A model without it is used unrefined.
        _heatmapOutput = landmarks.FindOutput((long)HeatmapSide * HeatmapSide * ModelPoints);
        _filter = new OneEuroFilterBank(_pixels.Length, options.BodySmoothing);
        _worldFilter = new OneEuroFilterBank(_world.Length, options.BodySmoothing);
    }

    public RotatedRect Roi => _roi;

    /// <summary>How many times the pose detector ran.</summary>
    public long DetectorRuns { get; private set; }

    public void Reset()
    {
        StopTracking();
        _filter.Reset();
        _worldFilter.Reset();
        _auxFilter.Reset();
    }

    public void Process(VideoFrame frame, BodyObservation body)
    {
        if (!TrackLandmarks(frame, out float flag))
        {
            Lost(body);
            return;
        }

        if (!Options.StaticImage)
        {
            _aux[0] = _auxCentre.X;
            _aux[1] = _auxCentre.Y;
            _aux[2] = _auxScale.X;
            _aux[3] = _auxScale.Y;
            float box = (MathF.Abs(_aux[2] - _aux[0]) + MathF.Abs(_aux[3] - _aux[1])) / 2;
            _auxFilter.Apply(_aux, frame.TimestampUs, box);
            _auxCentre = new Vector2(_aux[0], _aux[1]);
            _auxScale = new Vector2(_aux[2], _aux[3]);
        }

        _roi = RoiFrom(_auxCentre, _auxScale);
        if (Options.Smoothing && !Options.StaticImage)
        {
            _filter.Apply(_pixels, frame.TimestampUs, _roi.Width / RoiScale);
            if (_worldOutput >= 0)
            {
                // Speed in metres a second (MediaPipe's world filter scales no values); a standing body is
                // about 1.7 m tall, as the pixel filter's object size is the body's extent.
                _worldFilter.Apply(_world, frame.TimestampUs, WorldBodySize);
            }
        }

        body.Present = true;
        body.Score = flag;
        Vector4[] points = body.Landmarks;
        for (int i = 0; i < points.Length; i++)
        {
            points[i] = new Vector4(_pixels[3 * i] / frame.Width, _pixels[(3 * i) + 1] / frame.Height, _pixels[(3 * i) + 2] / frame.Width, _visibility[i]);
        }

        body.HasWorld = _worldOutput >= 0;
        if (body.HasWorld)
        {
            Vector3[] world = body.WorldLandmarks;
            for (int i = 0; i < world.Length; i++)
            {
                world[i] = new Vector3(_world[3 * i], _world[(3 * i) + 1], _world[(3 * i) + 2]);
            }
        }
    }

    private static RotatedRect RoiFrom(Vector2 centre, Vector2 scalePoint)
    {
        float side = 2 * Vector2.Distance(centre, scalePoint);
        float rotation = RotatedRect.RotationFrom(centre, scalePoint, MathF.PI / 2);
        return new RotatedRect(centre.X, centre.Y, side, side, rotation).SquareLongScaled(RoiScale);
    }

    private void Lost(BodyObservation body)
    {
        StopTracking();
        _filter.Reset();
        _worldFilter.Reset();
        _auxFilter.Reset();
        body.Clear();
    }

    protected override bool Detect(VideoFrame frame)
    {
        if (!_detector.TryDetect(frame, out RawDetection d, out RotatedRect letterbox))
        {
            return false;
        }

        Vector2 hip = letterbox.ToImage(d.Keypoints[0].X, d.Keypoints[0].Y);
        Vector2 scale = letterbox.ToImage(d.Keypoints[1].X, d.Keypoints[1].Y);
        _roi = RoiFrom(hip, scale);
        _filter.Reset();
        _worldFilter.Reset();
        return true;
    }

    protected override float RunLandmarks(VideoFrame frame)
    {
        int size = _landmarks.InputWidth;
        ImageCropper.CropToTensor(frame.ReadOnlyPixels, frame.Width, frame.Height, _roi, _landmarks.Input, size, 0f, 1f, CropBorder.Replicate);
        _landmarks.Run();
        float flag = _landmarks.Output(_flagOutput)[0];
        ReadOnlySpan<float> raw = _landmarks.Output(_landmarksOutput);
        float inv = 1f / size;
        for (int i = 0; i < ModelPoints; i++)
        {
            _raw[2 * i] = raw[i * ValuesPerPoint] * inv;
            _raw[(2 * i) + 1] = raw[(i * ValuesPerPoint) + 1] * inv;
        }

        if (_heatmapOutput >= 0)
        {
            PoseHeatmap.Refine(_raw, _landmarks.Output(_heatmapOutput), HeatmapSide, ModelPoints);
        }

        for (int i = 0; i < ModelPoints; i++)
        {
            ReadOnlySpan<float> v = raw.Slice(i * ValuesPerPoint, ValuesPerPoint);
            Vector2 p = _roi.ToImage(_raw[2 * i], _raw[(2 * i) + 1]);
            if (i < TrackingFrame.BodyLandmarkCount)
            {
                _pixels[3 * i] = p.X;
                _pixels[(3 * i) + 1] = p.Y;
                _pixels[(3 * i) + 2] = v[2] * inv * _roi.Width;
                _visibility[i] = DetectionDecoder.Sigmoid(v[3]);
            }
            else if (i == TrackingFrame.BodyLandmarkCount)
            {
                _auxCentre = p;
            }
            else if (i == TrackingFrame.BodyLandmarkCount + 1)
            {
                _auxScale = p;
            }
        }

        if (_worldOutput >= 0)
        {
            // World points come in the crop's orientation: turn them by the rect's rotation (x, y only;
            // metres need no scaling), MediaPipe's WorldLandmarkProjectionCalculator.
            ReadOnlySpan<float> world = _landmarks.Output(_worldOutput);
            (float sin, float cos) = MathF.SinCos(_roi.Rotation);
            for (int i = 0; i < TrackingFrame.BodyLandmarkCount; i++)
            {
                float x = world[3 * i];
                float y = world[(3 * i) + 1];
                _world[3 * i] = (cos * x) - (sin * y);
                _world[(3 * i) + 1] = (sin * x) + (cos * y);
                _world[(3 * i) + 2] = world[(3 * i) + 2];
            }
        }

        return flag;
    }

    public void Dispose()
    {
        _detector.Dispose();
        _landmarks.Dispose();
    }
}
