using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Tracking.Face;
using Capture.Tracking.Geometry;
using Capture.Tracking.Hands;
using Capture.Tracking.Onnx;
using Capture.Tracking.Pose;

namespace Capture.Tracking;

/// <summary>
/// Face (468-point mesh, head pose, ARKit-52 blendshapes), body (33 points) and hands (21 points each)
/// tracking of one performer, frame after frame, on MediaPipe's own models converted to ONNX. Not thread-safe:
/// one tracker follows one video stream. <see cref="Process"/> allocates nothing after the first frames. With
/// <see cref="TrackerOptions.ParallelFaceAndBody"/> the face runs on a thread of the tracker's own beside the pose model.
/// </summary>
public sealed class Tracker : IDisposable
{
    private readonly FaceTracker? _face;
    private readonly PoseTracker? _pose;
    private readonly HandTracker? _hands;
    private readonly TensorModel[] _models;
    private readonly FaceWorker? _faceWorker;
    private RotatedRect? _poseHead;
    private bool _disposed;

    private Tracker(TrackerOptions options, FaceTracker? face, PoseTracker? pose, HandTracker? hands, TensorModel[] models)
    {
        Options = options;
        _face = face;
        _pose = pose;
        _hands = hands;
        _models = models;
        _faceWorker = options.ParallelFaceAndBody && face is not null && pose is not null && !options.StaticImage ? new FaceWorker(face.Process) : null;
    }

    public TrackerOptions Options { get; }

    /// <summary>
    /// Loads the models (converting them on first use through the model store when
    /// <see cref="TrackerOptions.ModelPaths"/> is null). A missing or corrupt model file is an
    /// <see cref="InvalidDataException"/> or <see cref="FileNotFoundException"/> naming it.
    /// </summary>
    public static async Task<Tracker> CreateAsync(TrackerOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Face && !options.Body && !options.Hands)
        {
            throw new ArgumentException("nothing to track: Face, Body and Hands are all off", nameof(options));
        }

        TrackerModelPaths paths = options.ModelPaths ?? await TrackerModels.ResolveAsync(options, ct).ConfigureAwait(false);
        return await Task.Run(() => Create(options, paths), ct).ConfigureAwait(false);
    }

    private static Tracker Create(TrackerOptions options, TrackerModelPaths paths)
    {
        var owned = new List<IDisposable>();
        try
        {
            FaceTracker? face = null;
            PoseTracker? pose = null;
            if (options.Face)
            {
                CanonicalFaceGeometry canonical = CanonicalFace.Load(paths.FaceGeometry);
                TensorModel detector = Own(owned, TensorModel.Open(paths.FaceDetection, TrackerModels.FaceDetection, options.Threads));
                TensorModel mesh = Own(owned, TensorModel.Open(paths.FaceLandmark,
                    options.RefineLandmarks ? TrackerModels.FaceLandmarkWithAttention : TrackerModels.FaceLandmark, options.Threads));
                TensorModel? fallback = options.RefineLandmarks && paths.FaceLandmarkFallback is { } plain
                    ? Own(owned, TensorModel.Open(plain, TrackerModels.FaceLandmark, options.Threads))
                    : null;
                face = new FaceTracker(detector, mesh, canonical, options, fallback);
            }

            if (options.Body)
            {
                string poseDetection = paths.PoseDetection ?? throw new ArgumentException("body tracking needs a pose detection model path", nameof(paths));
                string poseLandmark = paths.PoseLandmark ?? throw new ArgumentException("body tracking needs a pose landmark model path", nameof(paths));
                TensorModel detector = Own(owned, TensorModel.Open(poseDetection, TrackerModels.PoseDetection, options.Threads));
                TensorModel landmarks = Own(owned, TensorModel.Open(poseLandmark, TrackerModels.PoseLandmarkName(options.PoseModel), options.Threads));
                pose = new PoseTracker(detector, landmarks, options);
            }

            HandTracker? hands = null;
            if (options.Hands)
            {
                string palms = paths.PalmDetection ?? throw new ArgumentException("hand tracking needs a palm detection model path", nameof(paths));
                string hand = paths.HandLandmark ?? throw new ArgumentException("hand tracking needs a hand landmark model path", nameof(paths));
                TensorModel detector = Own(owned, TensorModel.Open(palms, TrackerModels.PalmDetectionName(options.HandModel), options.Threads));
                TensorModel landmarks = Own(owned, TensorModel.Open(hand, TrackerModels.HandLandmarkName(options.HandModel), options.Threads));
                TensorModel? recrop = options.Body
                    ? Own(owned, TensorModel.Open(paths.HandRecrop ?? throw new ArgumentException("hands with the body need Holistic's hand re-crop model path", nameof(paths)),
                        TrackerModels.HandRecrop, options.Threads))
                    : null;
                hands = new HandTracker(detector, landmarks, recrop, options);
            }

            return new Tracker(options, face, pose, hands, [.. owned.OfType<TensorModel>()]);
        }
        catch
        {
            foreach (IDisposable d in owned)
            {
                d.Dispose();
            }

            throw;
        }
    }

    private static T Own<T>(List<IDisposable> owned, T value)
        where T : IDisposable
    {
        owned.Add(value);
        return value;
    }

    /// <summary>
    /// Tracks one frame and fills <paramref name="result"/> (sequence, timestamp and size from the
    /// frame; face, body and hands, or Present = false when not found). The frame is only read during the
    /// call; the caller keeps ownership.
    /// </summary>
    public void Process(VideoFrame frame, TrackingFrame result)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(result);
        ObjectDisposedException.ThrowIf(_disposed, this);
        result.Sequence = frame.Sequence;
        result.CaptureTimestampUs = frame.TimestampUs;
        result.ImageWidth = frame.Width;
        result.ImageHeight = frame.Height;
        result.Clear();

        bool overlapped = _faceWorker is not null && _face!.IsTracking;
        if (overlapped)
        {
            // The face follows its own mesh from the last frame and needs the pose's head only if it must detect
            // again: the face mesh runs on the worker while the pose model runs here, and a re-detection searches
            // the last frame's head region (a frame old, and the region is 1.5 heads wide).
            _face!.PoseRegion = _poseHead;
            _faceWorker!.Begin(frame, result.Face);
            try
            {
                _pose!.Process(frame, result.Body);
            }
            finally
            {
                _faceWorker.End();
            }
        }
        else
        {
            _pose?.Process(frame, result.Body);
        }

        // This frame's head, for this frame's face below or the next frame's re-detection above.
        _poseHead = PoseHead(result.Body, frame);
        if (!overlapped && _face is not null)
        {
            // The body first: its head points tell the face tracker where a face too small for the whole-frame
            // detector is (MediaPipe Holistic's order).
            _face.PoseRegion = _poseHead;
            _face.Process(frame, result.Face);
        }

        _hands?.Process(frame, _pose is null ? null : result.Body, result);
    }

    private RotatedRect? PoseHead(BodyObservation body, VideoFrame frame)
        => _pose is not null && FaceRegionFromPose.TryGet(body, frame.Width, frame.Height, out RotatedRect region) ? region : null;

    /// <summary>Forgets the tracked regions and the smoothing history (a new clip or a cut).</summary>
    public void Reset()
    {
        _poseHead = null;
        _face?.Reset();
        _pose?.Reset();
        _hands?.Reset();
    }

    /// <summary>
    /// Calibrates blendshapes: the face in <paramref name="neutral"/> (a frame this tracker produced,
    /// the performer at rest) becomes the zero of every blendshape.
    /// </summary>
    public void SetNeutral(TrackingFrame neutral)
    {
        ArgumentNullException.ThrowIfNull(neutral);
        if (_face is null)
        {
            throw new InvalidOperationException("face tracking is off");
        }

        _face.SetNeutral(neutral.Face, neutral.ImageWidth, neutral.ImageHeight);
    }

    /// <summary>The face region the mesh model looked at last (pixels), or null when not tracking a face.</summary>
    public Geometry.RotatedRect? FaceRegion => _face is { IsTracking: true } f ? f.Roi : null;

    /// <summary>How many times the face detector has run (tests and benchmarks check that tracking re-detects rarely).</summary>
    internal long FaceDetectorRuns => _face?.DetectorRuns ?? 0;

    /// <summary>How many times the plain face model ran for the attention model (small faces; see docs/tracking.md).</summary>
    internal long FaceFallbackRuns => _face?.FallbackRuns ?? 0;

    /// <summary>How many times the face was found only in the search region from the pose's head.</summary>
    internal long FacePoseRegionDetections => _face?.PoseRegionDetections ?? 0;

    /// <summary>How many times the pose detector has run.</summary>
    internal long PoseDetectorRuns => _pose?.DetectorRuns ?? 0;

    /// <summary>How many times the palm detector has run (hands without a body, or while fewer than two are tracked).</summary>
    public long PalmDetectorRuns => _hands?.PalmDetectorRuns ?? 0;

    /// <summary>How many times the hand landmark model has run (about twice a frame with two hands in view).</summary>
    public long HandLandmarkRuns => _hands?.LandmarkRuns ?? 0;

    /// <summary>How many times Holistic's hand re-crop model has run (hands from the body).</summary>
    internal long HandRecropRuns => _hands?.RecropRuns ?? 0;

    /// <summary>Each model's name, runs and time inside ONNX Runtime so far (the hands benchmark's per-stage profile).</summary>
    internal IEnumerable<(string Name, long Runs, TimeSpan Time)> ModelTimes()
        => _models.Select(m => (m.Name, m.Runs, System.Diagnostics.Stopwatch.GetElapsedTime(0, m.RunTicks)));

    /// <summary>The region the hand model looked at for <paramref name="side"/> in the last frame, or null when that hand is absent.</summary>
    public Geometry.RotatedRect? HandRegion(Handedness side) => _hands?.Region(side);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _faceWorker?.Dispose();
        _face?.Dispose();
        _pose?.Dispose();
        _hands?.Dispose();
    }
}
