using System.Numerics;
using Capture.Core.Tracking;
using Capture.Tracking.Face;

namespace Capture.Server.Live;

/// <summary>
/// For performers that send landmarks only (the browser capture page runs MediaPipe JS, which has no
/// head pose or ARKit blendshapes): fills <see cref="FaceObservation.HeadPose"/> and
/// <see cref="FaceObservation.Blendshapes"/> from the 468 (+10 iris) points with Capture.Tracking's own
/// <see cref="HeadPoseSolver"/> and <see cref="BlendshapeEstimator"/>, exactly as the C# tracker does (the
/// blendshapes' rest face is the canonical face there too), so both kinds of performer drive the character
/// the same way. Allocation-free per frame; not thread-safe (one per session).
/// </summary>
public sealed class LandmarkFaceSolver
{
    private readonly HeadPoseSolver _pose;
    private readonly BlendshapeEstimator _blendshapes;
    private readonly Vector3[] _canonical = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly Vector3[] _canonicalIris = new Vector3[TrackingFrame.IrisLandmarkCount];

    public LandmarkFaceSolver(CanonicalFaceGeometry canonical)
    {
        ArgumentNullException.ThrowIfNull(canonical);
        _pose = new HeadPoseSolver(canonical);
        _blendshapes = new BlendshapeEstimator(canonical);
    }

    /// <summary>Derives what <paramref name="capabilities"/> says the frame lacks; a frame without a face is left as it is.</summary>
    public void Complete(TrackingFrame frame, PerformerCapabilities capabilities)
    {
        ArgumentNullException.ThrowIfNull(frame);
        FaceObservation face = frame.Face;
        if (!face.Present || (capabilities.HasBlendshapes && capabilities.HasHeadPose) || frame.ImageWidth <= 0 || frame.ImageHeight <= 0)
        {
            return;
        }

        HeadPose pose = _pose.Solve(face.Landmarks, frame.ImageWidth, frame.ImageHeight, _canonical);
        if (!capabilities.HasHeadPose)
        {
            face.HeadPose = pose;
        }

        if (!capabilities.HasBlendshapes)
        {
            if (face.HasIris)
            {
                _pose.ToCanonical(face.Iris, frame.ImageWidth, frame.ImageHeight, _canonicalIris);
                _blendshapes.Estimate(_canonical, _canonicalIris, face.Blendshapes);
            }
            else
            {
                _blendshapes.Estimate(_canonical, face.Blendshapes);
            }
        }
    }
}

/// <summary>What a performer's Hello says its frames carry (docs/live.md, "Capabilities").</summary>
public readonly record struct PerformerCapabilities(bool HasBlendshapes, bool HasHeadPose, bool HasAudio)
{
    public const string Blendshapes = "blendshapes";
    public const string HeadPose = "headpose";
    public const string Audio = "audio";

    public static PerformerCapabilities From(IReadOnlyList<string> capabilities)
    {
        ArgumentNullException.ThrowIfNull(capabilities);
        return new PerformerCapabilities(capabilities.Contains(Blendshapes), capabilities.Contains(HeadPose), capabilities.Contains(Audio));
    }
}
