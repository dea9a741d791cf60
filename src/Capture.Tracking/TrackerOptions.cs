using Capture.Tracking.Smoothing;

namespace Capture.Tracking;

/// <summary>Which pose landmark model to run: MediaPipe's lite, full or heavy BlazePose GHUM.</summary>
public enum PoseModel
{
    Lite,
    Full,
    Heavy,
}

/// <summary>Which hand landmark model (and palm detector) to run: MediaPipe Hands' model complexity 0 (lite) or 1 (full).</summary>
public enum HandModel
{
    Lite,
    Full,
}

/// <summary>What <see cref="Tracker"/> tracks and how.</summary>
public sealed record TrackerOptions
{
    /// <summary>Track the face (mesh, head pose, blendshapes). Default on.</summary>
    public bool Face { get; init; } = true;

    /// <summary>
    /// Run MediaPipe's attention face model (face_landmark_with_attention, MediaPipe's refineLandmarks): refined
    /// lips and eyes, the 10 iris points in <see cref="Capture.Core.Tracking.FaceObservation.Iris"/> and the
    /// eyeLook blendshapes. Slower than the plain mesh model (see docs/tracking.md for both speeds).
    /// </summary>
    public bool RefineLandmarks { get; init; }

    /// <summary>Track the body (33 pose points). Default off.</summary>
    public bool Body { get; init; }

    /// <summary>
    /// Track both hands (21 points and 21 world points each, handedness, presence). With <see cref="Body"/> the hands
    /// are found from the pose's wrists (MediaPipe Holistic's way), otherwise by the palm detector (MediaPipe Hands').
    /// Default off.
    /// </summary>
    public bool Hands { get; init; }

    /// <summary>Hand landmark model and palm detector: full (MediaPipe's default) or lite.</summary>
    public HandModel HandModel { get; init; } = HandModel.Full;

    /// <summary>
    /// With <see cref="Body"/>: run Holistic's hand re-crop model on every frame, exactly MediaPipe Holistic's graph.
    /// Default off: while a kept hand's pose wrist stays put the re-crop is skipped (at most 2 frames in a row) and the
    /// hand is tracked from its previous landmarks as MediaPipe Hands does — about a fifth faster with hands, a few
    /// tenths of a percent further from Holistic's points (docs/tracking.md).
    /// </summary>
    public bool HandRecropEveryFrame { get; init; }

    /// <summary>ONNX Runtime intra-op threads a model; 0 lets ORT choose.</summary>
    public int Threads { get; init; }

    /// <summary>Detect on every frame and do not smooth: for unrelated stills such as character photos.</summary>
    public bool StaticImage { get; init; }

    /// <summary>One-Euro smoothing of landmarks between frames (ignored when <see cref="StaticImage"/>).</summary>
    public bool Smoothing { get; init; } = true;

    /// <summary>Face landmark smoothing; defaults to MediaPipe's face-mesh figures (see docs/tracking.md).</summary>
    public OneEuroParameters FaceSmoothing { get; init; } = OneEuroParameters.Default;

    /// <summary>Body landmark smoothing; defaults to MediaPipe's pose figures.</summary>
    public OneEuroParameters BodySmoothing { get; init; } = OneEuroParameters.Default;

    /// <summary>
    /// Hand landmark smoothing (pixels and metres, speed in hand sizes a second). Default min cutoff 0.05 Hz, beta 80,
    /// derivative cutoff 1 Hz: hands move many times faster than a face in its own size, and at the face's beta 20
    /// the lag alone puts the gesture clip 3 % of a hand from MediaPipe's (unsmoothed) points; at 80, 1.1 % (docs/tracking.md).
    /// </summary>
    public OneEuroParameters HandSmoothing { get; init; } = new(0.05f, 80f, 1f);

    public PoseModel PoseModel { get; init; } = PoseModel.Full;

    /// <summary>Minimum face-, pose- or palm-detector score to start tracking (MediaPipe's min_detection_confidence, 0.5).</summary>
    public float MinDetectionConfidence { get; init; } = 0.5f;

    /// <summary>Minimum face/pose/hand presence flag to keep tracking without re-detecting (MediaPipe's min_tracking_confidence, 0.5).</summary>
    public float MinTrackingConfidence { get; init; } = 0.5f;

    /// <summary>Focal length as a fraction of image height for head-pose depth (default: 63° vertical FOV).</summary>
    public float FocalLengthFactor { get; init; } = Capture.Tracking.Face.HeadPoseSolver.DefaultFocalLengthFactor;

    /// <summary>
    /// Calibrated camera (camera.json from <c>capture calibrate-camera</c>): head pose uses its fx, fy and
    /// principal point, scaled to the frame size, instead of <see cref="FocalLengthFactor"/>. Null: the fixed field of view.
    /// </summary>
    public Capture.Core.Geometry.CameraIntrinsics? Camera { get; init; }

    /// <summary>Explicit model files; null resolves every model through the model store.</summary>
    public TrackerModelPaths? ModelPaths { get; init; }
}

/// <summary>
/// Paths of the converted ONNX models and the face geometry metadata, for callers that bring their own files.
/// <see cref="FaceLandmark"/> is the attention model when <see cref="TrackerOptions.RefineLandmarks"/>;
/// <see cref="FaceLandmarkFallback"/> is then the plain face_landmark model it falls back on to find small
/// faces the attention model misses in the detector's rect (null: no fallback, MediaPipe's behaviour;
/// see docs/tracking.md). The hand models are needed with <see cref="TrackerOptions.Hands"/>: the palm detector and the
/// hand landmark model always, Holistic's re-crop model when the body is tracked too.
/// </summary>
public sealed record TrackerModelPaths(
    string FaceDetection,
    string FaceLandmark,
    string FaceGeometry,
    string? PoseDetection = null,
    string? PoseLandmark = null,
    string? FaceLandmarkFallback = null,
    string? PalmDetection = null,
    string? HandLandmark = null,
    string? HandRecrop = null);
