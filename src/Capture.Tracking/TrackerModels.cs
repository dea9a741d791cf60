namespace Capture.Tracking;

/// <summary>The model names the tracker asks the model store for, and their resolution.</summary>
internal static class TrackerModels
{
    public const string FaceDetection = "face_detection_short_range";
    public const string FaceLandmark = "face_landmark";
    public const string PoseDetection = "pose_detection";

    public static string PoseLandmarkName(PoseModel model) => model switch
    {
        PoseModel.Lite => "pose_landmark_lite",
        PoseModel.Heavy => "pose_landmark_heavy",
        _ => "pose_landmark_full",
    };

    public static Task<TrackerModelPaths> ResolveAsync(TrackerOptions options, CancellationToken ct)
    {
        _ = options;
        _ = ct;
        throw new InvalidOperationException("The model store is not available in this build; pass TrackerOptions.ModelPaths.");
    }

    public static Task<string> GetFaceGeometryPathAsync(CancellationToken ct)
    {
        _ = ct;
        throw new InvalidOperationException("The model store is not available in this build; use CanonicalFace.Load(path).");
    }
}
