using System.Numerics;
using Capture.Core.Geometry;
using Capture.Core.Tracking;

namespace Capture.Tracking.Face;

/// <summary>
/// Head pose from 468 image landmarks, the way MediaPipe's face-geometry pipeline gets its pose
/// transform: a weighted similarity from the canonical face onto the landmarks taken as a flat
/// (weak-perspective) cloud gives a first scale, hence a depth under a pinhole camera with focal length
/// <see cref="FocalLengthFactor"/> × image height (or the calibrated <see cref="Camera"/>); each point is then moved along its camera ray to
/// its own depth (face depth + its relative z) and refitted, twice, so the final fit is in metric
/// space (cm) with a scale near 1 and its rotation and translation are the pose.
/// </summary>
/// <remarks>
/// Camera space is MediaPipe's face-geometry convention: right-handed, x right, y up, the camera at
/// the origin looking down −z, so a face in front of it has negative translation z (cm). Checked
/// against MediaPipe JS's own <c>getPoseTransformMatrix()</c> in HeadPoseAgainstMediaPipeTests.
/// </remarks>
public sealed class HeadPoseSolver
{
    /// <summary>
    /// Default focal length as a fraction of the image height: MediaPipe's default perspective camera
    /// has a 63° vertical field of view, f = (h/2) / tan(31.5°) ≈ 0.816 h.
    /// </summary>
    public const float DefaultFocalLengthFactor = 0.8160f;

    private readonly CanonicalFaceGeometry _canonical;
    private readonly Vector3[] _screen = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly Vector3[] _metric = new Vector3[TrackingFrame.FaceLandmarkCount];

    public HeadPoseSolver(CanonicalFaceGeometry canonical)
    {
        _canonical = canonical;
    }

    public float FocalLengthFactor { get; init; } = DefaultFocalLengthFactor;

    /// <summary>
    /// Calibrated intrinsics (capture calibrate-camera); when set they replace <see cref="FocalLengthFactor"/>
    /// and the image centre: fx, fy and the principal point, scaled to the frame size when it differs from
    /// the calibration's. Lens distortion is not removed (landmarks are fitted as they are).
    /// </summary>
    public CameraIntrinsics? Camera { get; init; }

    private CameraIntrinsics? _scaled;
    private float _cx;
    private float _cy;

    /// <summary>The last first-pass (weak-perspective) fit: canonical (cm) → camera-pixel space.</summary>
    public Similarity LastFit { get; private set; }

    /// <summary>
    /// Fits the pose of normalized landmarks (x, y in 0..1 of the image, z in x's scale) and, when
    /// <paramref name="canonicalSpace"/> is not empty, writes the landmarks with the first-pass
    /// (weak-perspective) similarity removed (canonical space, cm) into it. Three similarity fits.
    /// </summary>
    public HeadPose Solve(ReadOnlySpan<Vector3> landmarks, int imageWidth, int imageHeight, Span<Vector3> canonicalSpace)
    {
        (float fx, float fy) = SetCamera(imageWidth, imageHeight);
        float zMean = FirstPass(landmarks, imageWidth, imageHeight);
        Similarity first = LastFit;

        // Scale is pixels a centimetre at the face's depth (f / depth). Unproject with it, refit: the
        // second scale corrects the first; unproject again with their product and fit the pose.
        float scale = SafeScale(first.Scale);
        Unproject(fx, fy, zMean, scale);
        scale *= SafeScale(SimilarityFit.Fit(_canonical.Landmarks, _metric, _canonical.ProcrustesWeights).Scale);
        Unproject(fx, fy, zMean, scale);
        Similarity fit = SimilarityFit.Fit(_canonical.Landmarks, _metric, _canonical.ProcrustesWeights);

        if (!canonicalSpace.IsEmpty)
        {
            WriteCanonical(first, canonicalSpace);
        }

        return new HeadPose(fit.Rotation, fit.Translation);
    }

    /// <summary>
    /// Only the first (weak-perspective) pass of <see cref="Solve"/>: writes the landmarks with it
    /// removed into <paramref name="canonicalSpace"/> (what the blendshapes read) and sets
    /// <see cref="LastFit"/>, without solving the pose. One similarity fit.
    /// </summary>
    public void ToCanonicalSpace(ReadOnlySpan<Vector3> landmarks, int imageWidth, int imageHeight, Span<Vector3> canonicalSpace)
    {
        SetCamera(imageWidth, imageHeight);
        FirstPass(landmarks, imageWidth, imageHeight);
        WriteCanonical(LastFit, canonicalSpace);
    }

    // Screen space in pixels about the principal point: y up, z (MediaPipe's: larger = farther) in
    // x's pixel scale. The first pass fits them as they are, with z turned toward the camera; sets
    // LastFit and returns the mean screen z.
    private float FirstPass(ReadOnlySpan<Vector3> landmarks, int imageWidth, int imageHeight)
    {
        float cx = _cx;
        float cy = _cy;
        float zMean = 0;
        for (int i = 0; i < _screen.Length; i++)
        {
            Vector3 l = landmarks[i];
            _screen[i] = new Vector3((l.X * imageWidth) - cx, cy - (l.Y * imageHeight), l.Z * imageWidth);
            _metric[i] = new Vector3(_screen[i].X, _screen[i].Y, -_screen[i].Z);
            zMean += _screen[i].Z;
        }

        LastFit = SimilarityFit.Fit(_canonical.Landmarks, _metric, _canonical.ProcrustesWeights);
        return zMean / _screen.Length;
    }

    // The blendshapes read the points through the first (weak-perspective) fit, as they were tuned
    // on: MediaPipe's unprojection puts the mean point at the fitted depth, an approximation that
    // bends a rigid face by a few per cent in depth, which the shape measures would read.
    private void WriteCanonical(Similarity first, Span<Vector3> canonicalSpace)
    {
        for (int i = 0; i < _screen.Length; i++)
        {
            canonicalSpace[i] = first.Invert(new Vector3(_screen[i].X, _screen[i].Y, -_screen[i].Z));
        }
    }

    /// <summary>
    /// Maps extra normalized points (e.g. the iris) into the canonical space of the last <see cref="Solve"/>,
    /// through the same first-pass fit the mesh points went through.
    /// </summary>
    public void ToCanonical(ReadOnlySpan<Vector3> points, int imageWidth, int imageHeight, Span<Vector3> canonicalSpace)
    {
        SetCamera(imageWidth, imageHeight);
        float cx = _cx;
        float cy = _cy;
        Similarity first = LastFit;
        for (int i = 0; i < points.Length; i++)
        {
            Vector3 l = points[i];
            canonicalSpace[i] = first.Invert(new Vector3((l.X * imageWidth) - cx, cy - (l.Y * imageHeight), -(l.Z * imageWidth)));
        }
    }

    private static float SafeScale(float scale) => scale > 1e-6f ? scale : 1e-6f;

    /// <summary>
    /// Sets the principal point for this frame size and returns the focal lengths in pixels. The scaled
    /// intrinsics are kept until the size changes, so a steady stream allocates nothing here.
    /// </summary>
    private (float Fx, float Fy) SetCamera(int imageWidth, int imageHeight)
    {
        if (Camera is null)
        {
            _cx = imageWidth / 2f;
            _cy = imageHeight / 2f;
            float f = FocalLengthFactor * imageHeight;
            return (f, f);
        }

        if (_scaled is null || _scaled.ImageWidth != imageWidth || _scaled.ImageHeight != imageHeight)
        {
            _scaled = Camera.ScaledTo(imageWidth, imageHeight);
        }

        _cx = (float)_scaled.Cx;
        _cy = (float)_scaled.Cy;
        return ((float)_scaled.Fx, (float)_scaled.Fy);
    }

    /// <summary>
    /// Screen points to metric camera space (cm): depth (f + z − mean z) / scale along each pixel's ray,
    /// f the mean of fx and fy (they differ only for non-square pixels).
    /// </summary>
    private void Unproject(float fx, float fy, float zMean, float scale)
    {
        float focal = (fx + fy) / 2;
        for (int i = 0; i < _screen.Length; i++)
        {
            Vector3 p = _screen[i];
            float depth = (p.Z - zMean + focal) / scale;
            _metric[i] = new Vector3(p.X * depth / fx, p.Y * depth / fy, -depth);
        }
    }
}
