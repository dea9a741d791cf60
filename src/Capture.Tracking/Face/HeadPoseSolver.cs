using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Tracking.Face;

/// <summary>
/// Head pose from 468 image landmarks: the landmarks are put in a metric-like camera space
/// (pixels about the principal point, y up, z toward the camera), a weighted similarity
/// (scale, rotation, translation) is fitted from the canonical face onto them, and the scale gives
/// the depth under a pinhole camera with focal length <see cref="FocalLengthFactor"/> × image height
/// (weak perspective: one depth for the whole face).
/// </summary>
/// <remarks>
/// Camera space is MediaPipe's face-geometry convention: right-handed, x right, y up, the camera at
/// the origin looking down −z, so a face in front of it has negative translation z (cm).
/// </remarks>
public sealed class HeadPoseSolver
{
    /// <summary>
    /// Default focal length as a fraction of the image height: MediaPipe's default perspective camera
    /// has a 63° vertical field of view, f = (h/2) / tan(31.5°) ≈ 0.816 h.
    /// </summary>
    public const float DefaultFocalLengthFactor = 0.8160f;

    private readonly CanonicalFaceGeometry _canonical;
    private readonly Vector3[] _camera = new Vector3[TrackingFrame.FaceLandmarkCount];

    public HeadPoseSolver(CanonicalFaceGeometry canonical)
    {
        _canonical = canonical;
    }

    public float FocalLengthFactor { get; init; } = DefaultFocalLengthFactor;

    /// <summary>The last fit: canonical (cm) → camera-pixel space.</summary>
    public Similarity LastFit { get; private set; }

    /// <summary>
    /// Fits the pose of normalized landmarks (x, y in 0..1 of the image, z in x's scale) and writes the
    /// landmarks with the pose removed (canonical space, cm) into <paramref name="canonicalSpace"/>.
    /// </summary>
    public HeadPose Solve(ReadOnlySpan<Vector3> landmarks, int imageWidth, int imageHeight, Span<Vector3> canonicalSpace)
    {
        float cx = imageWidth / 2f;
        float cy = imageHeight / 2f;
        for (int i = 0; i < _camera.Length; i++)
        {
            Vector3 l = landmarks[i];
            _camera[i] = new Vector3((l.X * imageWidth) - cx, cy - (l.Y * imageHeight), -l.Z * imageWidth);
        }

        Similarity fit = SimilarityFit.Fit(_canonical.Landmarks, _camera, _canonical.ProcrustesWeights);
        LastFit = fit;
        for (int i = 0; i < _camera.Length; i++)
        {
            canonicalSpace[i] = fit.Invert(_camera[i]);
        }

        // Scale is pixels a centimetre at the face's depth: depth = f / scale.
        float focal = FocalLengthFactor * imageHeight;
        float scale = fit.Scale > 1e-6f ? fit.Scale : 1e-6f;
        float depth = focal / scale;
        var translation = new Vector3(fit.Translation.X / scale, fit.Translation.Y / scale, -depth);
        return new HeadPose(fit.Rotation, translation);
    }
}
