namespace Capture.Core.Tracking;

/// <summary>
/// MediaPipe pose's 33 points by name, in its index order ("left" = the subject's left, the image's right
/// for a person facing the camera). Capture's body vocabulary: tracked bodies, a character's joints, the
/// Animated Drawings mapping and the figure cut-out's seeds all use these indices.
/// </summary>
public static class BodyTopology
{
    public const int Nose = 0;
    public const int LeftEyeInner = 1;
    public const int LeftEye = 2;
    public const int LeftEyeOuter = 3;
    public const int RightEyeInner = 4;
    public const int RightEye = 5;
    public const int RightEyeOuter = 6;
    public const int LeftEar = 7;
    public const int RightEar = 8;
    public const int MouthLeft = 9;
    public const int MouthRight = 10;
    public const int LeftShoulder = 11;
    public const int RightShoulder = 12;
    public const int LeftElbow = 13;
    public const int RightElbow = 14;
    public const int LeftWrist = 15;
    public const int RightWrist = 16;
    public const int LeftPinky = 17;
    public const int RightPinky = 18;
    public const int LeftIndex = 19;
    public const int RightIndex = 20;
    public const int LeftThumb = 21;
    public const int RightThumb = 22;
    public const int LeftHip = 23;
    public const int RightHip = 24;
    public const int LeftKnee = 25;
    public const int RightKnee = 26;
    public const int LeftAnkle = 27;
    public const int RightAnkle = 28;
    public const int LeftHeel = 29;
    public const int RightHeel = 30;
    public const int LeftFootIndex = 31;
    public const int RightFootIndex = 32;

    /// <summary>The head's points (nose, eyes, ears, mouth): 0 up to, not including, this index.</summary>
    public const int HeadPointCount = 11;

    /// <summary>MediaPipe's names for the 33 points, in index order (snake case, as its documentation writes them).</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye", "right_eye_outer",
        "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder", "right_shoulder", "left_elbow",
        "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index", "right_index",
        "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
        "left_heel", "right_heel", "left_foot_index", "right_foot_index",
    ];
}
