using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Tracking.Detection;
using Capture.Tracking.Geometry;
using Capture.Tracking.Onnx;
using Capture.Tracking.Smoothing;

namespace Capture.Tracking.Face;

/// <summary>
/// MediaPipe's face-mesh pipeline on one face: BlazeFace short-range detection (128×128 letterbox,
/// values in [-1, 1]) → rect from the box, rotated by the eye keypoints, squared and scaled 1.5 →
/// face_landmark (192×192 crop, values in [0, 1]) → 468 points projected back → next frame's rect
/// from the points (eye corners 33 → 263), re-detecting only when the face flag falls below the
/// tracking threshold. Then smoothing, head pose and blendshapes. With the attention model
/// (face_landmark_with_attention, <see cref="TrackerOptions.RefineLandmarks"/>) lips and eyes are refined
/// and the 10 iris points (468–477) come too; they drive the eyeLook blendshapes.
/// </summary>
internal sealed class FaceTracker : RoiLandmarkTracker, IDisposable
{
    private const int LandmarkFloats = TrackingFrame.FaceLandmarkCount * 3;
    private const float DetectionRoiScale = 1.5f;
    private const float LandmarkRoiScale = 1.5f;
    private const int FallbackIterations = 8;
    private const float FallbackSettled = 0.005f;

    private readonly LetterboxDetector _detector;
    private readonly TensorModel _mesh;
    private readonly int _landmarksOutput;
    private readonly int _flagOutput;
    private readonly RefinedOutputs? _refined;
    private readonly TensorModel? _fallback;
    private readonly int _fallbackLandmarks;
    private readonly int _fallbackFlag;
    private readonly float[] _merged = new float[AttentionMeshRefinement.PointCount * 3];
    private readonly OneEuroFilterBank _filter;
    private readonly float[] _pixels;
    private readonly Vector3[] _raw = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly Vector3[] _rawIris = new Vector3[TrackingFrame.IrisLandmarkCount];
    private readonly Vector3[] _canonicalSpace = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly Vector3[] _canonicalIris = new Vector3[TrackingFrame.IrisLandmarkCount];
    private readonly HeadPoseSolver _pose;
    private readonly BlendshapeEstimator _blendshapes;
    private RotatedRect _roi;
    private bool _fromDetection;

    /// <summary>
    /// Takes ownership of the models (disposed with this tracker). <paramref name="fallback"/> (the plain
    /// face_landmark model, or null) is used only with the attention model, to find faces it misses in the
    /// detector's rect.
    /// </summary>
    public FaceTracker(TensorModel detector, TensorModel mesh, CanonicalFaceGeometry canonical, TrackerOptions options, TensorModel? fallback = null)
        : base(options)
    {
        _detector = new LetterboxDetector(detector, SsdAnchors.FaceShortRange(), 16, 6, options.MinDetectionConfidence);
        _mesh = mesh;

        _refined = RefinedOutputs.Find(mesh);
        if (options.RefineLandmarks && _refined is null)
        {
            throw new InvalidDataException($"model '{mesh.Name}' ({mesh.Path}): iris tracking (RefineLandmarks) needs face_landmark_with_attention, "
                + $"whose outputs {AttentionMeshRefinement.LeftIrisOutput} and {AttentionMeshRefinement.RightIrisOutput} this model lacks.");
        }

        _landmarksOutput = _refined?.Mesh ?? mesh.FindOutput(LandmarkFloats);
        _flagOutput = _refined?.Flag ?? mesh.FindOutput(1);
        if (_landmarksOutput < 0 || _flagOutput < 0)
        {
            throw new InvalidDataException($"model '{mesh.Name}' ({mesh.Path}): expected a 1404-float landmark output and a 1-float face flag.");
        }

        _fallback = fallback;
        if (fallback is not null)
        {
            _fallbackLandmarks = fallback.FindOutput(LandmarkFloats);
            _fallbackFlag = fallback.FindOutput(1);
            if (_fallbackLandmarks < 0 || _fallbackFlag < 0 || RefinedOutputs.Find(fallback) is not null)
            {
                throw new InvalidDataException($"model '{fallback.Name}' ({fallback.Path}): the fallback must be the plain face_landmark model (a 1404-float landmark output and a 1-float face flag).");
            }
        }

        _pixels = new float[_refined is null ? LandmarkFloats : AttentionMeshRefinement.PointCount * 3];
        _filter = new OneEuroFilterBank(_pixels.Length, options.FaceSmoothing);
        _pose = new HeadPoseSolver(canonical) { FocalLengthFactor = options.FocalLengthFactor, Camera = options.Camera };
        _blendshapes = new BlendshapeEstimator(canonical);
    }

    /// <summary>True when the mesh model is the attention model and frames carry iris points.</summary>
    public bool HasIris => _refined is not null;

    /// <summary>The rect the mesh model last looked at (for overlays and tests).</summary>
    public RotatedRect Roi => _roi;

    /// <summary>How many times the plain model ran because the attention model missed the face in the detector's rect.</summary>
    public long FallbackRuns { get; private set; }

    /// <summary>How many times the detector ran (tracking should keep this near one a clip).</summary>
    public long DetectorRuns => _detector.Runs;

    /// <summary>How many times the face was found in the search region from the pose's head (<see cref="PoseRegion"/>).</summary>
    public long PoseRegionDetections { get; private set; }

    /// <summary>
    /// This frame's search region from the pose's head points (<see cref="FaceRegionFromPose"/>), or null. When the
    /// whole-frame detector finds no face, the detector runs again on this region alone, as MediaPipe Holistic
    /// finds faces; the caller sets it before each <see cref="Process"/>.
    /// </summary>
    public RotatedRect? PoseRegion { get; set; }

    public void Reset()
    {
        StopTracking();
        _filter.Reset();
    }

    public void SetNeutral(FaceObservation face, int width, int height)
    {
        if (!face.Present)
        {
            throw new ArgumentException("the neutral frame has no face", nameof(face));
        }

        var scratch = new Vector3[TrackingFrame.FaceLandmarkCount];
        _pose.Solve(face.Landmarks, width, height, scratch);
        if (face.HasIris)
        {
            var iris = new Vector3[TrackingFrame.IrisLandmarkCount];
            _pose.ToCanonical(face.Iris, width, height, iris);
            _blendshapes.SetNeutral(scratch, iris);
        }
        else
        {
            _blendshapes.SetNeutral(scratch);
        }
    }

    public void Process(VideoFrame frame, FaceObservation face)
    {
        int width = frame.Width;
        int height = frame.Height;
        if (!TrackLandmarks(frame, out float flag))
        {
            Lost(face);
            return;
        }

        // Next frame's rect from this frame's raw points (MediaPipe: before smoothing).
        float size = RoiFromPoints();

        // Blendshapes read the raw points: smoothing tuned for still-face jitter would flatten a
        // 100 ms blink, and the shapes are ratios that tolerate the model's sub-pixel noise.
        for (int i = 0; i < _raw.Length; i++)
        {
            _raw[i] = new Vector3(_pixels[3 * i] / width, _pixels[(3 * i) + 1] / height, _pixels[(3 * i) + 2] / width);
        }

        // Head pose once a frame: the raw points only need the first (weak-perspective) fit for the
        // blendshapes; the pose is solved on the points the frame reports (smoothed, when smoothing).
        // Without smoothing those are the raw points, and one full solve serves both.
        bool smoothing = Options.Smoothing && !Options.StaticImage;
        HeadPose? pose = null;
        if (smoothing)
        {
            _pose.ToCanonicalSpace(_raw, width, height, _canonicalSpace);
        }
        else
        {
            pose = _pose.Solve(_raw, width, height, _canonicalSpace);
        }

        if (_refined is not null)
        {
            for (int i = 0; i < _rawIris.Length; i++)
            {
                int k = 3 * (TrackingFrame.FaceLandmarkCount + i);
                _rawIris[i] = new Vector3(_pixels[k] / width, _pixels[k + 1] / height, _pixels[k + 2] / width);
            }

            _pose.ToCanonical(_rawIris, width, height, _canonicalIris);
            _blendshapes.Estimate(_canonicalSpace, _canonicalIris, face.Blendshapes);
        }
        else
        {
            _blendshapes.Estimate(_canonicalSpace, face.Blendshapes);
        }

        if (smoothing)
        {
            _filter.Apply(_pixels, frame.TimestampUs, size);
        }

        face.Present = true;
        face.Score = flag;
        Vector3[] landmarks = face.Landmarks;
        for (int i = 0; i < landmarks.Length; i++)
        {
            landmarks[i] = new Vector3(_pixels[3 * i] / width, _pixels[(3 * i) + 1] / height, _pixels[(3 * i) + 2] / width);
        }

        face.HasIris = _refined is not null;
        if (face.HasIris)
        {
            Vector3[] iris = face.Iris;
            for (int i = 0; i < iris.Length; i++)
            {
                int k = 3 * (TrackingFrame.FaceLandmarkCount + i);
                iris[i] = new Vector3(_pixels[k] / width, _pixels[k + 1] / height, _pixels[k + 2] / width);
            }
        }

        face.HeadPose = pose ?? _pose.Solve(landmarks, width, height, default);
    }

    private Vector2 Point(int index) => new(_pixels[3 * index], _pixels[(3 * index) + 1]);

    /// <summary>
    /// Sets <see cref="_roi"/> from the 468 mesh points in <see cref="_pixels"/> (MediaPipe's landmarks-to-rect;
    /// the iris points lie inside the eyes and never widen the box); returns the points' mean box side.
    /// </summary>
    private float RoiFromPoints()
    {
        float minX = float.MaxValue, minY = float.MaxValue, maxX = float.MinValue, maxY = float.MinValue;
        for (int i = 0; i < LandmarkFloats; i += 3)
        {
            minX = MathF.Min(minX, _pixels[i]);
            maxX = MathF.Max(maxX, _pixels[i]);
            minY = MathF.Min(minY, _pixels[i + 1]);
            maxY = MathF.Max(maxY, _pixels[i + 1]);
        }

        float rotation = RotatedRect.RotationFrom(Point(FaceTopology.RightEyeOuter), Point(FaceTopology.LeftEyeOuter), 0);
        _roi = new RotatedRect((minX + maxX) / 2, (minY + maxY) / 2, maxX - minX, maxY - minY, rotation).SquareLongScaled(LandmarkRoiScale);
        return ((maxX - minX) + (maxY - minY)) / 2;
    }

    private void Lost(FaceObservation face)
    {
        StopTracking();
        _filter.Reset();
        face.Clear();
    }

    protected override bool Detect(VideoFrame frame)
    {
        // The whole frame first (a face-only tracker, and every face large enough for it, behaves as before);
        // then the pose's head region, where a face a few dozen pixels wide fills the detector's input.
        if (!_detector.TryDetect(frame, out RawDetection d, out RotatedRect letterbox))
        {
            if (PoseRegion is not { } region || !_detector.TryDetectIn(frame, region, out d))
            {
                return false;
            }

            letterbox = region;
            PoseRegionDetections++;
        }

        Vector2 topLeft = letterbox.ToImage(d.XMin, d.YMin);
        Vector2 bottomRight = letterbox.ToImage(d.XMax, d.YMax);
        Vector2 rightEye = letterbox.ToImage(d.Keypoints[0].X, d.Keypoints[0].Y);
        Vector2 leftEye = letterbox.ToImage(d.Keypoints[1].X, d.Keypoints[1].Y);
        float rotation = RotatedRect.RotationFrom(rightEye, leftEye, 0);
        Vector2 centre = (topLeft + bottomRight) / 2;
        Vector2 extent = bottomRight - topLeft;
        _roi = new RotatedRect(centre.X, centre.Y, extent.X, extent.Y, rotation).SquareLongScaled(DetectionRoiScale);
        _filter.Reset();
        _fromDetection = true;
        return true;
    }

    /// <summary>Runs the mesh model on <see cref="_roi"/>, leaves pixel landmarks in <see cref="_pixels"/>, returns the face flag (0..1).</summary>
    protected override float RunLandmarks(VideoFrame frame)
    {
        float flag = RunMesh(frame);
        if (_refined is not null && _fallback is not null && _fromDetection && flag < Options.MinTrackingConfidence)
        {
            // The attention model misses faces that fill less of its crop than usual: the detector's rect
            // around a small face is too wide (MediaPipe JS misses them too). The plain model still finds
            // them there; rects from its points shrink onto the face over a few runs (as its tracking does
            // over a few frames), and the attention model is asked again on the settled rect.
            bool found = false;
            for (int i = 0; i < FallbackIterations && RunFallback(frame); i++)
            {
                found = true;
                float before = _roi.Width;
                RoiFromPoints();
                if (MathF.Abs(_roi.Width - before) <= FallbackSettled * before)
                {
                    break;
                }
            }

            if (found)
            {
                flag = RunMesh(frame);
            }
        }

        _fromDetection = false;
        return flag;
    }

    /// <summary>Runs <see cref="_mesh"/> on <see cref="_roi"/> and leaves its pixel points in <see cref="_pixels"/>; returns its face flag.</summary>
    private float RunMesh(VideoFrame frame)
    {
        ImageCropper.CropToTensor(frame.ReadOnlyPixels, frame.Width, frame.Height, _roi, _mesh.Input, _mesh.InputWidth, 0f, 1f, CropBorder.Replicate);
        _mesh.Run();
        float flag = DetectionDecoder.Sigmoid(_mesh.Output(_flagOutput)[0]);
        ReadOnlySpan<float> raw = _mesh.Output(_landmarksOutput);
        if (_refined is { } r)
        {
            AttentionMeshRefinement.Merge(raw, _mesh.Output(r.Lips), _mesh.Output(r.LeftEye), _mesh.Output(r.RightEye),
                _mesh.Output(r.LeftIris), _mesh.Output(r.RightIris), _merged);
            raw = _merged;
        }

        Project(raw, _mesh.InputWidth, _pixels.Length);
        return flag;
    }

    /// <summary>
    /// Runs the plain mesh model on <see cref="_roi"/>; when its flag passes, leaves its 468 pixel points in
    /// <see cref="_pixels"/> (the iris slots keep stale values) and returns true.
    /// </summary>
    private bool RunFallback(VideoFrame frame)
    {
        TensorModel plain = _fallback!;
        ImageCropper.CropToTensor(frame.ReadOnlyPixels, frame.Width, frame.Height, _roi, plain.Input, plain.InputWidth, 0f, 1f, CropBorder.Replicate);
        plain.Run();
        FallbackRuns++;
        if (DetectionDecoder.Sigmoid(plain.Output(_fallbackFlag)[0]) < Options.MinTrackingConfidence)
        {
            return false;
        }

        Project(plain.Output(_fallbackLandmarks), plain.InputWidth, LandmarkFloats);
        return true;
    }

    /// <summary>Maps the first <paramref name="floats"/> of <paramref name="raw"/> (model input pixels, xyz) through <see cref="_roi"/> into <see cref="_pixels"/>.</summary>
    private void Project(ReadOnlySpan<float> raw, int inputSize, int floats)
    {
        float inv = 1f / inputSize;
        for (int i = 0; i < floats; i += 3)
        {
            Vector2 p = _roi.ToImage(raw[i] * inv, raw[i + 1] * inv);
            _pixels[i] = p.X;
            _pixels[i + 1] = p.Y;
            _pixels[i + 2] = raw[i + 2] * inv * _roi.Width;   // z in pixels, the same scale as x
        }
    }

    public void Dispose()
    {
        _detector.Dispose();
        _mesh.Dispose();
        _fallback?.Dispose();
    }

    /// <summary>Output indices of the attention model, found by name; null for the plain mesh model.</summary>
    private sealed record RefinedOutputs(int Mesh, int Lips, int LeftEye, int RightEye, int LeftIris, int RightIris, int Flag)
    {
        public static RefinedOutputs? Find(TensorModel model)
        {
            IReadOnlyList<string> names = model.OutputNames;
            int Index(string name, long floats)
            {
                int i = -1;
                for (int k = 0; k < names.Count; k++)
                {
                    if (names[k] == name)
                    {
                        i = k;
                    }
                }

                return i >= 0 && model.OutputLength(i) != floats
                    ? throw new InvalidDataException($"model '{model.Name}' ({model.Path}): output {name} has {model.OutputLength(i)} floats, expected {floats}")
                    : i;
            }

            int leftIris = Index(AttentionMeshRefinement.LeftIrisOutput, 10);
            if (leftIris < 0)
            {
                return null;
            }

            var outputs = new RefinedOutputs(Index(AttentionMeshRefinement.MeshOutput, LandmarkFloats), Index(AttentionMeshRefinement.LipsOutput, 160),
                Index(AttentionMeshRefinement.LeftEyeOutput, 142), Index(AttentionMeshRefinement.RightEyeOutput, 142), leftIris,
                Index(AttentionMeshRefinement.RightIrisOutput, 10), Index(AttentionMeshRefinement.FlagOutput, 1));
            return outputs.Mesh < 0 || outputs.Lips < 0 || outputs.LeftEye < 0 || outputs.RightEye < 0 || outputs.RightIris < 0 || outputs.Flag < 0
                ? throw new InvalidDataException($"model '{model.Name}' ({model.Path}): has {AttentionMeshRefinement.LeftIrisOutput} but not every attention-model output ({string.Join(", ", names)})")
                : outputs;
        }
    }
}
