using Capture.Inference.Models;

namespace Capture.Tracking;

/// <summary>The model names the tracker asks the model store for, and their resolution.</summary>
internal static class TrackerModels
{
    public const string FaceDetection = "face_detection_short_range";
    public const string FaceLandmark = "face_landmark";
    public const string FaceLandmarkWithAttention = "face_landmark_with_attention";
    public const string FaceGeometry = "geometry_pipeline_metadata_landmarks";
    public const string PoseDetection = "pose_detection";

    public const string HandRecrop = "hand_recrop";

    public static string PalmDetectionName(HandModel model) => model == HandModel.Lite ? "palm_detection_lite" : "palm_detection_full";

    public static string HandLandmarkName(HandModel model) => model == HandModel.Lite ? "hand_landmark_lite" : "hand_landmark_full";

    public static string PoseLandmarkName(PoseModel model) => model switch
    {
        PoseModel.Lite => "pose_landmark_lite",
        PoseModel.Heavy => "pose_landmark_heavy",
        _ => "pose_landmark_full",
    };

    /// <summary>Every file the options need, from the checkout's model store (converted on first use).</summary>
    public static async Task<TrackerModelPaths> ResolveAsync(TrackerOptions options, CancellationToken ct)
    {
        ModelStore store = ModelStore.FromRepository();
        string faceDetection = "", faceLandmark = "", geometry = "";
        string? fallback = null;
        if (options.Face)
        {
            faceDetection = await store.GetModelPathAsync(FaceDetection, ct).ConfigureAwait(false);
            faceLandmark = await store.GetModelPathAsync(options.RefineLandmarks ? FaceLandmarkWithAttention : FaceLandmark, ct).ConfigureAwait(false);
            if (options.RefineLandmarks)
            {
                fallback = await store.GetModelPathAsync(FaceLandmark, ct).ConfigureAwait(false);
            }

            geometry = await store.GetAssetPathAsync(FaceGeometry, ct).ConfigureAwait(false);
        }

        string? poseDetection = null, poseLandmark = null;
        if (options.Body)
        {
            poseDetection = await store.GetModelPathAsync(PoseDetection, ct).ConfigureAwait(false);
            poseLandmark = await store.GetModelPathAsync(PoseLandmarkName(options.PoseModel), ct).ConfigureAwait(false);
        }

        string? palms = null, hand = null, recrop = null;
        if (options.Hands)
        {
            palms = await store.GetModelPathAsync(PalmDetectionName(options.HandModel), ct).ConfigureAwait(false);
            hand = await store.GetModelPathAsync(HandLandmarkName(options.HandModel), ct).ConfigureAwait(false);
            if (options.Body)
            {
                recrop = await store.GetModelPathAsync(HandRecrop, ct).ConfigureAwait(false);
            }
        }

        return new TrackerModelPaths(faceDetection, faceLandmark, geometry, poseDetection, poseLandmark, fallback, palms, hand, recrop);
    }

    public static Task<string> GetFaceGeometryPathAsync(CancellationToken ct) =>
        ModelStore.FromRepository().GetAssetPathAsync(FaceGeometry, ct);
}
