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
/// and fades back in when it returns; as it fades out, <see cref="IdleMotion"/> (breathing, blinks, glances)
/// fades in by as much, unless <see cref="RetargetGains.Idle"/> is off. Allocation-free per frame.
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
    private readonly float[] _lateral = new float[TrackingFrame.FaceLandmarkCount];
    private readonly sbyte[] _lid = new sbyte[TrackingFrame.FaceLandmarkCount];
    private readonly float _lidOpenGain;
    private readonly float _neutralAspectRight;
    private readonly float _neutralAspectLeft;
    private readonly PerformerProfile _profile;
    private readonly Vector3[] _frame = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly Vector3[] _expression = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly float[] _blendshapes = new float[ArkitBlendshapes.Count];
    private readonly Vector3[] _lidClose = new Vector3[TrackingFrame.FaceLandmarkCount];
    private readonly float _eyeDistance;
    /// <summary>The most time one frame moves the face-lost ease by (<see cref="RetargetGains.EaseSeconds"/>): a 10 fps frame interval.</summary>
    public const float MaxEaseStepSeconds = 0.1f;

    private readonly IdleMotion _idle = new();
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
            for (int j = 0; j < eye.Length; j++)
            {
                int i = eye[j];
                _regionGain[i] = new Vector3(1, eyeRatio * _gains.Eyes, 1) * intensity;

                // Ring order: outer corner, lower lid (1..7), inner corner (8), upper lid (9..15).
                _lid[i] = (sbyte)(j is > 0 and < 8 ? 1 : j > 8 ? -1 : 0);
            }
        }

        // A lid opening wider than at rest is not amplified for big-eyed characters (that bulges
        // the eye); closing is, so a cartoon's big eyes still shut.
        _lidOpenGain = MathF.Min(eyeRatio, 1) * _gains.Eyes * intensity;

        // Brows move by the character's own brow-to-eye gap, not the performer's.
        float browRatio = Math.Clamp(
            (BrowGap(rig.Neutral) / rig.EyeDistance) / MathF.Max(BrowGap(_performerNeutral) / FaceMeasures.EyeDistance(_performerNeutral), 1e-4f),
            RegionRatioMin, 2f);
        foreach (ReadOnlySpan<int> brow in new[] { FaceTopology.RightBrow.ToArray(), FaceTopology.LeftBrow.ToArray() })
        {
            foreach (int i in brow)
            {
                _regionGain[i] = new Vector3(1, browRatio, 1) * intensity;
            }
        }

        WriteLateralScale(_performerNeutral, rig.Neutral, _characterScale, _characterRotation, _lateral);

        foreach (ReadOnlySpan<int> lips in new[] { FaceTopology.LipsOuter.ToArray(), FaceTopology.LipsInner.ToArray() })
        {
            foreach (int i in lips)
            {
                _regionGain[i] = new Vector3(mouthRatio * _gains.Mouth * intensity);
            }
        }

        _eyeDistance = rig.EyeDistance;
        WriteLidClose(rig.Neutral, _lidClose);
        _neutralAspectRight = FaceMeasures.EyeAspect(_performerNeutral, right: true);
        _neutralAspectLeft = FaceMeasures.EyeAspect(_performerNeutral, right: false);
    }

    /// <summary>Head rotation of the last tracked frame relative to the neutral (for overlays and tests).</summary>
    public Quaternion HeadRotation => _rotation;

    /// <summary>The idle motion (advanced with every frame; shown as the performer's face fades out).</summary>
    public IdleMotion Idle => _idle;

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
        _idle.Advance(frame.CaptureTimestampUs / 1e6);
        // A gap in the frames (a performer who paused, then the live session's idle frames) still eases over the next
        // frames: one step covers at most MaxEaseStepSeconds, a 10 fps performer's frame interval.
        float step = _gains.EaseSeconds <= 0 ? 1 : (float.IsInfinity(dt) ? dt : MathF.Min(dt, MaxEaseStepSeconds)) / _gains.EaseSeconds;
        output.PerformerMouthVisible = frame.Face.Present;
        if (frame.Face.Present)
        {
            for (int i = 0; i < output.PerformerPoints.Length; i++)
            {
                output.PerformerPoints[i] = frame.Face.Pixel(i, frame.ImageWidth, frame.ImageHeight);
            }

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

    // Gap between each brow's middle and its eye's top, mean of both sides.
    private static float BrowGap(ReadOnlySpan<Vector3> f) =>
        (Vector3.Distance(f[105], f[FaceTopology.RightEyeTop]) + Vector3.Distance(f[334], f[FaceTopology.LeftEyeTop])) * 0.5f;

    /// <summary>
    /// Per point, how much the far or near side of the character's face is foreshortened compared
    /// with the performer's (after the global rotation and scale): the character's half-width on the
    /// point's side (midline to the face's side, across the image) over the performer's, rotated
    /// and scaled into the character. A three-quarter face's far side is narrow, so sideways
    /// offsets there shrink instead of crossing the nose; a frontal face gets 1 everywhere. Blended
    /// in with the point's distance from the midline (no step at the nose), clamped to 0.3–1.5.
    /// </summary>
    public static void WriteLateralScale(ReadOnlySpan<Vector3> performer, ReadOnlySpan<Vector3> character, float scale, Quaternion rotation, Span<float> destination)
    {
        Span<float> half = stackalloc float[2];
        Span<float> theirs = stackalloc float[2];
        float mid = character[168].X;
        Vector3 p168 = Vector3.Transform(performer[168], rotation) * scale;
        for (int side = 0; side < 2; side++)
        {
            int s = side == 0 ? FaceTopology.RightFaceSide : FaceTopology.LeftFaceSide;
            half[side] = MathF.Abs(character[s].X - mid);
            theirs[side] = MathF.Abs(((Vector3.Transform(performer[s], rotation) * scale) - p168).X);
        }

        for (int i = 0; i < destination.Length; i++)
        {
            int side = (character[i].X - mid) * (character[FaceTopology.LeftFaceSide].X - mid) > 0 ? 1 : 0;
            float ratio = Math.Clamp(half[side] / MathF.Max(theirs[side], 1e-6f), 0.3f, 1.5f);
            float along = Math.Clamp(MathF.Abs(character[i].X - mid) / MathF.Max(half[side], 1e-6f), 0, 1);
            destination[i] = 1 + (along * (ratio - 1));
        }
    }

    // For each lid point (neutral crop units), the move that shuts it: onto the line between its eye's corners.
    private static void WriteLidClose(ReadOnlySpan<Vector3> neutral, Span<Vector3> destination)
    {
        foreach (ReadOnlySpan<int> eye in new[] { FaceTopology.RightEye.ToArray(), FaceTopology.LeftEye.ToArray() })
        {
            Vector3 outer = neutral[eye[0]], inner = neutral[eye[8]];
            for (int j = 1; j < eye.Length; j++)
            {
                if (j == 8)
                {
                    continue;
                }

                Vector3 p = neutral[eye[j]];
                float t = MathF.Abs(inner.X - outer.X) < 1e-6f ? 0.5f : Math.Clamp((p.X - outer.X) / (inner.X - outer.X), 0, 1);
                destination[eye[j]] = new Vector3(0, outer.Y + ((inner.Y - outer.Y) * t) - p.Y, 0);
            }
        }
    }

    private void Compose(DrivenFace output)
    {
        float w = _presence * _presence * (3 - (2 * _presence));
        float head = w * _gains.HeadMotion;
        Quaternion rotation = Quaternion.Slerp(Quaternion.Identity, _rotation, Math.Clamp(head, 0, 4));
        float lean = _gains.FollowHeadPosition ? 1 + ((_lean - 1) * head) : 1;
        Vector3 shift = _gains.FollowHeadPosition ? _translation * (_characterScale * head) : Vector3.Zero;

        // Idle shows by as much as the performer does not: the two cross-fade, so neither jumps in.
        float idle = _gains.Idle ? 1 - w : 0;
        float idleBlink = _idle.Blink * idle;
        if (idle > 0)
        {
            rotation = Quaternion.Slerp(Quaternion.Identity, _idle.HeadRotation, idle) * rotation;
            lean *= 1 + ((_idle.Lean - 1) * idle);
            shift.Y += _idle.Rise * _eyeDistance * idle;
        }

        for (int i = 0; i < _characterNeutral.Length; i++)
        {
            Vector3 gain = _regionGain[i];
            if (_lid[i] != 0 && _expression[i].Y * _lid[i] > 0)
            {
                gain.Y = _lidOpenGain;
            }

            Vector3 expression = Vector3.Transform(_expression[i] * gain, _characterRotation) * (_characterScale * w);
            expression.X *= _lateral[i];
            Vector3 local = _characterNeutral[i] + expression + (_lidClose[i] * idleBlink) - _characterPivot;
            Vector3 p = _characterPivot + (Vector3.Transform(local, rotation) * lean) + shift;
            output.Points[i] = new Vector2(p.X, p.Y);
        }

        output.BlinkRight = MathF.Max(_blinkRight * w, idleBlink);
        output.BlinkLeft = MathF.Max(_blinkLeft * w, idleBlink);
        for (int b = 0; b < _blendshapes.Length; b++)
        {
            output.Blendshapes[b] = _blendshapes[b] * w;
        }

        output.Presence = w;
        output.GazeRight = (_gazeRight * (w * _gains.Eyes)) + (_idle.Glance * idle);
        output.GazeLeft = (_gazeLeft * (w * _gains.Eyes)) + (_idle.Glance * idle);
        output.HeadPivot = _characterPivot;
        output.HeadRotation = rotation;
        output.HeadLean = lean;
        output.HeadShift = shift;
    }
}
