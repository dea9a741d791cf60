using System.Numerics;
using Capture.Core.Geometry;
using Capture.Core.Tracking;

namespace Capture.Retargeting.Calibration;

/// <summary>
/// Builds a <see cref="PerformerProfile"/> from tracked frames of the performer at rest: the
/// neutral face is the mean of the frames after aligning each to the first (so a drifting head
/// does not blur it), and each blendshape's rest value is its mean. <see cref="Observe"/> also
/// widens the blendshape peaks from any later frames.
/// </summary>
public sealed class PerformerCalibrator
{
    private readonly Vector3[] _sum = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly Vector3[] _first = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly Vector3[] _scratch = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly double[] _blendSum = new double[ArkitBlendshapes.Count];
    private readonly float[] _blendMax = new float[ArkitBlendshapes.Count];
    private Vector2 _gazeRight;
    private Vector2 _gazeLeft;
    private int _gazeCount;
    private int _count;
    private int _observed;

    /// <summary>Frames averaged into the neutral so far.</summary>
    public int NeutralFrames => _count;

    /// <summary>Adds a frame of the performer at rest (ignored when no face was found).</summary>
    public void AddNeutral(TrackingFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (!frame.Face.Present)
        {
            return;
        }

        ToHeightUnits(frame, _scratch);
        if (_count == 0)
        {
            _scratch.CopyTo(_first, 0);
        }

        Similarity toFirst = SimilarityFit.Fit(_scratch, _first, FaceTopology.Rigid);
        for (int i = 0; i < _sum.Length; i++)
        {
            _sum[i] += toFirst.Apply(_scratch[i]);
        }

        for (int b = 0; b < _blendSum.Length; b++)
        {
            _blendSum[b] += frame.Face.Blendshapes[b];
        }

        if (TryGaze(frame, out Vector2 right, out Vector2 left))
        {
            _gazeRight += right;
            _gazeLeft += left;
            _gazeCount++;
        }

        _count++;
        Observe(frame);
    }

    /// <summary>Widens the blendshape peaks with any tracked frame (rest or not).</summary>
    public void Observe(TrackingFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (!frame.Face.Present)
        {
            return;
        }

        _observed++;
        for (int b = 0; b < _blendMax.Length; b++)
        {
            _blendMax[b] = MathF.Max(_blendMax[b], frame.Face.Blendshapes[b]);
        }
    }

    /// <summary>The profile; throws <see cref="InvalidDataException"/> when no frame had a face.</summary>
    public PerformerProfile Build(string name, string? source)
    {
        if (_count == 0)
        {
            throw new InvalidDataException($"{source ?? "the calibration input"}: no face was found in the calibration frames, so there is no neutral to take");
        }

        var mean = new Vector3[_sum.Length];
        for (int i = 0; i < mean.Length; i++)
        {
            mean[i] = _sum[i] / _count;
        }

        Vector3 mid = (FaceMeasures.RightEyeCenter(mean) + FaceMeasures.LeftEyeCenter(mean)) * 0.5f;
        float eyeDistance = FaceMeasures.EyeDistance(mean);
        var profile = new PerformerProfile
        {
            Name = name,
            Source = source,
            Frames = _count,
            NeutralScale = eyeDistance,
            NeutralPosition = [mid.X, mid.Y, mid.Z],
            NeutralLandmarks = new float[mean.Length][],
        };
        for (int i = 0; i < mean.Length; i++)
        {
            Vector3 p = (mean[i] - mid) / eyeDistance;
            profile.NeutralLandmarks[i] = [p.X, p.Y, p.Z];
        }

        if (_gazeCount > 0)
        {
            Vector2 r = _gazeRight / _gazeCount;
            Vector2 l = _gazeLeft / _gazeCount;
            profile.NeutralGaze = [r.X, r.Y, l.X, l.Y];
        }

        for (int b = 0; b < ArkitBlendshapes.Count; b++)
        {
            float neutral = (float)(_blendSum[b] / _count);
            float max = MathF.Max(_blendMax[b], neutral + 0.05f);
            profile.Blendshapes[ArkitBlendshapes.Names[b]] = new BlendshapeRange(neutral, _observed > _count ? max : 1f);
        }

        return profile;
    }

    /// <summary>
    /// Each iris centre in its eye's own frame (<see cref="FaceMeasures.ToEyeFrame"/>), measured on
    /// the image with its aspect ratio undone. False when the frame has no iris points.
    /// </summary>
    public static bool TryGaze(TrackingFrame frame, out Vector2 right, out Vector2 left)
    {
        ArgumentNullException.ThrowIfNull(frame);
        right = left = Vector2.Zero;
        FaceObservation f = frame.Face;
        if (!f.Present || !f.HasIris)
        {
            return false;
        }

        var aspect = new Vector2(frame.ImageHeight > 0 ? (float)frame.ImageWidth / frame.ImageHeight : 1f, 1);
        Vector2 P(Vector3 p) => new Vector2(p.X, p.Y) * aspect;
        right = FaceMeasures.ToEyeFrame(P(f.Landmarks[FaceTopology.RightEyeOuter]), P(f.Landmarks[FaceTopology.RightEyeInner]), P(f.Iris[FaceObservation.RightIrisCenter]));
        left = FaceMeasures.ToEyeFrame(P(f.Landmarks[FaceTopology.LeftEyeOuter]), P(f.Landmarks[FaceTopology.LeftEyeInner]), P(f.Iris[FaceObservation.LeftIrisCenter]));
        return true;
    }

    /// <summary>Landmarks as (x·W, y·H, z·W) / H: one isotropic unit, the image height.</summary>
    public static void ToHeightUnits(TrackingFrame frame, Span<Vector3> destination)
    {
        ArgumentNullException.ThrowIfNull(frame);
        float aspect = frame.ImageHeight > 0 ? (float)frame.ImageWidth / frame.ImageHeight : 1f;
        Vector3[] l = frame.Face.Landmarks;
        for (int i = 0; i < l.Length; i++)
        {
            destination[i] = new Vector3(l[i].X * aspect, l[i].Y, l[i].Z * aspect);
        }
    }
}
