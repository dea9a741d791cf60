namespace Capture.Tracking.Face;

/// <summary>
/// How MediaPipe merges the outputs of <c>face_landmark_with_attention</c> into 478 points (its
/// LandmarksRefinementCalculator options in the face_mesh graph): the 468-point mesh first; lips
/// (80 points) and both eye regions (71 each) overwrite x and y of the listed mesh points, keeping the
/// mesh's z; each iris (5 points) becomes points 468–472 and 473–477 with x, y from the model and z
/// the mean z of 16 points around that eye. The lists are the same as the model's own
/// Landmarks2TransformMatrix subsets (read from the package's graph and model, not guessed).
/// </summary>
internal static class AttentionMeshRefinement
{
    public const string MeshOutput = "output_mesh_identity";
    public const string LipsOutput = "output_lips";
    public const string LeftEyeOutput = "output_left_eye";
    public const string RightEyeOutput = "output_right_eye";
    public const string LeftIrisOutput = "output_left_iris";
    public const string RightIrisOutput = "output_right_iris";
    public const string FlagOutput = "conv_faceflag";

    /// <summary>Total refined points: 468 mesh + 10 iris.</summary>
    public const int PointCount = 478;

    public static ReadOnlySpan<short> Lips => s_lips;

    private static readonly short[] s_lips =
    [
        61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 185, 40, 39, 37, 0, 267, 269, 270, 409,
        78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 191, 80, 81, 82, 13, 312, 311, 310, 415,
        76, 77, 90, 180, 85, 16, 315, 404, 320, 307, 306, 184, 74, 73, 72, 11, 302, 303, 304, 408,
        62, 96, 89, 179, 86, 15, 316, 403, 319, 325, 292, 183, 42, 41, 38, 12, 268, 271, 272, 407,
    ];

    /// <summary>MediaPipe's "left eye": image left, the subject's right eye (33 outer, 133 inner).</summary>
    public static ReadOnlySpan<short> LeftEye => s_leftEye;

    private static readonly short[] s_leftEye =
    [
        33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173, 130, 25, 110, 24,
        23, 22, 26, 112, 243, 247, 30, 29, 27, 28, 56, 190, 226, 31, 228, 229, 230, 231, 232, 233,
        244, 113, 225, 224, 223, 222, 221, 189, 35, 124, 46, 53, 52, 65, 143, 111, 117, 118, 119, 120,
        121, 128, 245, 156, 70, 63, 105, 66, 107, 55, 193,
    ];

    /// <summary>MediaPipe's "right eye": image right, the subject's left eye (263 outer, 362 inner).</summary>
    public static ReadOnlySpan<short> RightEye => s_rightEye;

    private static readonly short[] s_rightEye =
    [
        263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398, 359, 255, 339, 254,
        253, 252, 256, 341, 463, 467, 260, 259, 257, 258, 286, 414, 446, 261, 448, 449, 450, 451, 452, 453,
        464, 342, 445, 444, 443, 442, 441, 413, 265, 353, 276, 283, 282, 295, 372, 340, 346, 347, 348, 349,
        350, 357, 465, 383, 300, 293, 334, 296, 336, 285, 417,
    ];

    /// <summary>Iris z is the mean z of the first 16 points of its eye list (the lid contour).</summary>
    public const int IrisDepthPoints = 16;

    /// <summary>
    /// Merges the model outputs (all in the model's input-pixel space) into <paramref name="points"/>
    /// (478 × xyz). Every span is only read during the call.
    /// </summary>
    public static void Merge(ReadOnlySpan<float> mesh, ReadOnlySpan<float> lips, ReadOnlySpan<float> leftEye, ReadOnlySpan<float> rightEye,
        ReadOnlySpan<float> leftIris, ReadOnlySpan<float> rightIris, Span<float> points)
    {
        mesh[..(468 * 3)].CopyTo(points);
        Overwrite(lips, Lips, points);
        Overwrite(leftEye, LeftEye, points);
        Overwrite(rightEye, RightEye, points);
        Iris(leftIris, LeftEye, 468, points);
        Iris(rightIris, RightEye, 473, points);
    }

    private static void Overwrite(ReadOnlySpan<float> xy, ReadOnlySpan<short> indices, Span<float> points)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            points[3 * indices[i]] = xy[2 * i];
            points[(3 * indices[i]) + 1] = xy[(2 * i) + 1];
        }
    }

    private static void Iris(ReadOnlySpan<float> xy, ReadOnlySpan<short> eye, int first, Span<float> points)
    {
        float z = 0;
        for (int i = 0; i < IrisDepthPoints; i++)
        {
            z += points[(3 * eye[i]) + 2];
        }

        z /= IrisDepthPoints;
        for (int i = 0; i < 5; i++)
        {
            points[3 * (first + i)] = xy[2 * i];
            points[(3 * (first + i)) + 1] = xy[(2 * i) + 1];
            points[(3 * (first + i)) + 2] = z;
        }
    }
}
