namespace Capture.Core.Tracking;

/// <summary>
/// Named index sets of the MediaPipe 468-point face mesh ("right" = the subject's right, which is
/// the image's left for a face looking at the camera). Rings are in order around the contour. The one
/// place mesh indices are named: tracking (ROI, blendshapes) and retargeting (rigs, the warp) read them here.
/// </summary>
public static class FaceTopology
{
    public const int RightEyeOuter = 33;
    public const int RightEyeInner = 133;
    public const int LeftEyeInner = 362;
    public const int LeftEyeOuter = 263;
    public const int RightEyeTop = 159;
    public const int RightEyeBottom = 145;
    public const int LeftEyeTop = 386;
    public const int LeftEyeBottom = 374;
    public const int MouthRight = 61;
    public const int MouthLeft = 291;
    public const int UpperLipInner = 13;
    public const int LowerLipInner = 14;
    public const int UpperLipOuter = 0;
    public const int LowerLipOuter = 17;
    public const int NoseTip = 1;
    public const int Chin = 152;
    public const int ForeheadTop = 10;
    public const int RightFaceSide = 234;
    public const int LeftFaceSide = 454;

    // Further points the blendshape measures read (Capture.Tracking's BlendshapeEstimator).
    public const int NoseBase = 2;
    public const int NoseBridge = 168;
    public const int RightEyeTopInner = 158;
    public const int RightEyeBottomInner = 153;
    public const int RightEyeTopOuter = 160;
    public const int RightEyeBottomOuter = 144;
    public const int LeftEyeTopInner = 385;
    public const int LeftEyeBottomInner = 380;
    public const int LeftEyeTopOuter = 387;
    public const int LeftEyeBottomOuter = 373;
    public const int UpperLipInnerRight = 82;
    public const int UpperLipInnerLeft = 312;
    public const int LowerLipInnerRight = 87;
    public const int LowerLipInnerLeft = 317;
    public const int RightBrowInner = 107;
    public const int RightBrowOuter = 70;
    public const int LeftBrowInner = 336;
    public const int LeftBrowOuter = 300;
    public const int RightCheek = 50;
    public const int LeftCheek = 280;
    public const int RightNostril = 129;
    public const int LeftNostril = 358;

    /// <summary>Face outline, clockwise from the forehead top (36 points).</summary>
    public static ReadOnlySpan<int> FaceOval =>
    [
        10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377,
        152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
    ];

    /// <summary>Outer lip contour: lower lip from the right corner to the left, then the upper lip back.</summary>
    public static ReadOnlySpan<int> LipsOuter =>
        [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185];

    /// <summary>Inner lip contour (the mouth opening), same order as <see cref="LipsOuter"/>.</summary>
    public static ReadOnlySpan<int> LipsInner =>
        [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191];

    /// <summary>The upper half of <see cref="LipsInner"/>, left corner to right corner.</summary>
    public static ReadOnlySpan<int> UpperLipInnerLine => [308, 415, 310, 311, 312, 13, 82, 81, 80, 191, 78];

    /// <summary>Subject's right eye opening: lower lid from the outer corner, then the upper lid back.</summary>
    public static ReadOnlySpan<int> RightEye => [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246];

    /// <summary>Subject's left eye opening, same order as <see cref="RightEye"/>.</summary>
    public static ReadOnlySpan<int> LeftEye => [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466];

    public static ReadOnlySpan<int> RightBrow => [46, 53, 52, 65, 55, 70, 63, 105, 66, 107];

    public static ReadOnlySpan<int> LeftBrow => [276, 283, 282, 295, 285, 300, 293, 334, 296, 336];

    /// <summary>Points that move with the skull and little with expression: used to find head pose.</summary>
    public static ReadOnlySpan<int> Rigid =>
    [
        33, 133, 362, 263, 168, 6, 197, 195, 5, 4, 1, 10, 151, 9, 234, 454, 127, 356, 93, 323,
        116, 345, 50, 280, 109, 338, 67, 297,
    ];

    /// <summary>
    /// The mesh points that drive the warp: half the outline, both lip contours, eight points an
    /// eye, the upper brow lines and the nose. Dense where the face moves (lips, lids), sparse where
    /// it does not, so the spline system stays small (90 points) and well conditioned.
    /// </summary>
    public static ReadOnlySpan<int> WarpControls =>
    [
        // outline (every other point of FaceOval)
        10, 297, 284, 389, 454, 361, 397, 379, 400, 152, 176, 150, 172, 132, 234, 162, 54, 67,
        // lips outer and inner
        61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185,
        78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191,
        // eyes
        33, 161, 159, 157, 133, 154, 145, 163,
        263, 388, 386, 384, 362, 381, 374, 390,
        // brows
        70, 63, 105, 66, 107, 300, 293, 334, 296, 336,
        // nose
        1, 4, 6, 168, 98, 327,
    ];
}
