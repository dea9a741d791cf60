using System.Numerics;
using Capture.Core.Geometry;
using Capture.Core.Tracking;
using Capture.Retargeting.Calibration;
using Capture.Retargeting.Rigs;

namespace Capture.Retargeting;

/// <summary>
/// Turns a performer's tracked face into where the character's face points go.
/// </summary>
/// <remarks>
/// Per frame: the performer's landmarks are aligned to their neutral by a similarity on the rigid
/// points (pose removed); what is left over is expression, in eye-distance units. It is rotated into
/// the character's own head orientation, scaled per region (lids by the ratio of eye openings,
/// lips by the ratio of mouth widths, everything by the character's eye distance), multiplied by
/// the gains, added to the character's neutral, and then the performer's head rotation, lean and
/// translation relative to their neutral are applied around the character's eye midpoint.
/// When the face is lost the last motion fades to neutral over <see cref="RetargetGains.EaseSeconds"/>
/// and fades back in when it returns. Allocation-free per frame.
/// </remarks>
public sealed class Retargeter
{
    private const float RegionRatioMin = 0.5f;
    private const float RegionRatioMax = 3f;

    private readonly CharacterRig _rig;
    private readonly RetargetGains _gains;
    private readonly Vector3[] _performerNeutral;
    private readonly float _neutralScale;
    private readonly Vector3 _neutralPosition;
    private readonly Vector3[] _characterNeutral;
    private readonly Vector3 _characterPivot;
    private readonly float _characterScale;
    private readonly Quaternion _characterRotation;
    private readonly Vector3[] _regionGain = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly float _neutralAspectRight;
    private readonly float _neutralAspectLeft;
    private readonly PerformerProfile _profile;
    private readonly Vector3[] _frame = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly Vector3[] _expression = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly float[] _blendshapes = new float[ArkitBlendshapes.Count];
    private Quaternion _rotation = Quaternion.Identity;
    private Vector3 _translation;
    private float _lean = 1;
    private float _blinkRight;
    private float _blinkLeft;
    private float _presence;
    private Vector2 _gazeRight;
    private Vector2 _gazeLeft;
    private long _lastTimestampUs = long.MinValue;

    public Retargeter(CharacterRig rig, PerformerProfile profile, RetargetGains? gains = null)
    {
        ArgumentNullException.ThrowIfNull(rig);
        ArgumentNullException.ThrowIfNull(profile);
        if (!profile.HasNeutral)
        {
            throw new ArgumentException("the performer profile has no neutral face yet (calibrate first)", nameof(profile));
        }

        _rig = rig;
        _profile = profile;
        _gains = gains ?? new RetargetGains();
        _gains.Validate();
        _performerNeutral = profile.NeutralVectors();
        _neutralScale = profile.NeutralScale;
        _neutralPosition = new Vector3(profile.NeutralPosition![0], profile.NeutralPosition[1], profile.NeutralPosition[2]);
        _characterNeutral = rig.Neutral;
        _characterPivot = (FaceMeasures.RightEyeCenter(rig.Neutral) + FaceMeasures.LeftEyeCenter(rig.Neutral)) * 0.5f;

        // The character's head orientation and size relative to the performer's neutral (eye-distance units).
        Similarity toCharacter = SimilarityFit.Fit(_performerNeutral, rig.Neutral, FaceTopology.Rigid);
        _characterScale = toCharacter.Scale;
        _characterRotation = toCharacter.Rotation;

        float performerEye = FaceMeasures.EyeOpening(_performerNeutral) / FaceMeasures.EyeDistance(_performerNeutral);
        float characterEye = FaceMeasures.EyeOpening(rig.Neutral) / rig.EyeDistance;
        float performerMouth = FaceMeasures.MouthWidth(_performerNeutral) / FaceMeasures.EyeDistance(_performerNeutral);
        float characterMouth = FaceMeasures.MouthWidth(rig.Neutral) / rig.EyeDistance;
        float eyeRatio = Math.Clamp(characterEye / MathF.Max(performerEye, 1e-4f), RegionRatioMin, RegionRatioMax);
        float mouthRatio = Math.Clamp(characterMouth / MathF.Max(performerMouth, 1e-4f), RegionRatioMin, RegionRatioMax);
        float intensity = RetargetGains.IntensityScale(_gains.Intensity);
        _regionGain.AsSpan().Fill(new Vector3(intensity));
        foreach (ReadOnlySpan<int> eye in new[] { FaceTopology.RightEye.ToArray(), FaceTopology.LeftEye.ToArray() })
        {
            foreach (int i in eye)
            {
                _regionGain[i] = new Vector3(1, eyeRatio * _gains.Eyes, 1) * intensity;
            }
        }

        foreach (ReadOnlySpan<int> lips in new[] { FaceTopology.LipsOuter.ToArray(), FaceTopology.LipsInner.ToArray() })
        {
            foreach (int i in lips)
            {
                _regionGain[i] = new Vector3(mouthRatio * _gains.Mouth * intensity);
            }
        }

        _neutralAspectRight = FaceMeasures.EyeAspect(_performerNeutral, right: true);
        _neutralAspectLeft = FaceMeasures.EyeAspect(_performerNeutral, right: false);
    }

    /// <summary>Head rotation of the last tracked frame relative to the neutral (for overlays and tests).</summary>
    public Quaternion HeadRotation => _rotation;

    /// <summary>
    /// Updates from one tracked frame (face present or not) and writes the character's driven face
    /// into <paramref name="output"/>. Frames must come in time order.
    /// </summary>
    public void Update(TrackingFrame frame, DrivenFace output)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(output);
        float dt = _lastTimestampUs == long.MinValue ? 0 : Math.Clamp((frame.CaptureTimestampUs - _lastTimestampUs) / 1e6f, 0, 0.5f);
        if (_lastTimestampUs == long.MinValue || dt == 0)
        {
            dt = _lastTimestampUs == long.MinValue ? float.PositiveInfinity : 1f / 30;
        }

        _lastTimestampUs = frame.CaptureTimestampUs;
        float step = _gains.EaseSeconds <= 0 ? 1 : dt / _gains.EaseSeconds;
        if (frame.Face.Present)
        {
            Measure(frame);
            _presence = MathF.Min(1, _presence + step);
        }
        else
        {
            _presence = MathF.Max(0, _presence - (float.IsInfinity(step) ? 1 : step));
        }

        Compose(output);
    }

    private void Measure(TrackingFrame frame)
    {
        PerformerCalibrator.ToHeightUnits(frame, _frame);
        Similarity pose = SimilarityFit.Fit(_performerNeutral, _frame, FaceTopology.Rigid);
        for (int i = 0; i < _frame.Length; i++)
        {
            _expression[i] = pose.Invert(_frame[i]) - _performerNeutral[i];
        }

        _rotation = pose.Rotation;
        _translation = (pose.Translation - _neutralPosition) / _neutralScale;
        _lean = pose.Scale / _neutralScale;
        if (_profile.NeutralGaze is { Length: 4 } g && PerformerCalibrator.TryGaze(frame, out Vector2 right, out Vector2 left))
        {
            _gazeRight = right - new Vector2(g[0], g[1]);
            _gazeLeft = left - new Vector2(g[2], g[3]);
        }
        else
        {
            _gazeRight = _gazeLeft = Vector2.Zero;
        }

        _blinkRight = Blink(FaceMeasures.EyeAspect(_frame, right: true), _neutralAspectRight);
        _blinkLeft = Blink(FaceMeasures.EyeAspect(_frame, right: false), _neutralAspectLeft);
        for (int b = 0; b < _blendshapes.Length; b++)
        {
            float raw = frame.Face.Blendshapes[b];
            _blendshapes[b] = _profile.Blendshapes.TryGetValue(ArkitBlendshapes.Names[b], out BlendshapeRange? range) ? range.Normalize(raw) : raw;
        }
    }

    // 0 at the neutral lid gap, 1 when the gap has closed to a quarter of it.
    private float Blink(float aspect, float neutralAspect)
    {
        float closed = 1 - (aspect / MathF.Max(neutralAspect, 1e-4f));
        return Math.Clamp(closed / 0.75f * _gains.Eyes, 0, 1);
    }

    private void Compose(DrivenFace output)
    {
        float w = _presence * _presence * (3 - (2 * _presence));
        float head = w * _gains.HeadMotion;
        Quaternion rotation = Quaternion.Slerp(Quaternion.Identity, _rotation, Math.Clamp(head, 0, 4));
        float lean = 1 + ((_lean - 1) * head);
        Vector3 shift = _translation * (_characterScale * head);
        for (int i = 0; i < _characterNeutral.Length; i++)
        {
            Vector3 expression = Vector3.Transform(_expression[i] * _regionGain[i], _characterRotation) * (_characterScale * w);
            Vector3 local = _characterNeutral[i] + expression - _characterPivot;
            Vector3 p = _characterPivot + (Vector3.Transform(local, rotation) * lean) + shift;
            output.Points[i] = new Vector2(p.X, p.Y);
        }

        output.BlinkRight = _blinkRight * w;
        output.BlinkLeft = _blinkLeft * w;
        for (int b = 0; b < _blendshapes.Length; b++)
        {
            output.Blendshapes[b] = _blendshapes[b] * w;
        }

        output.Presence = w;
        output.GazeRight = _gazeRight * (w * _gains.Eyes);
        output.GazeLeft = _gazeLeft * (w * _gains.Eyes);
        output.HeadPivot = _characterPivot;
        output.HeadRotation = rotation;
        output.HeadLean = lean;
        output.HeadShift = shift;
    }
}
