using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting.Rigs;

namespace Capture.Retargeting.Body;

/// <summary>
/// Turns a performer's body (<see cref="BodyPose"/>) into where the character's joints go
/// (<see cref="DrivenBody"/>), in the character's picture pixels.
/// </summary>
/// <remarks>
/// <para>Bone directions: each of the character's bones takes the direction the performer's bone has in
/// the picture plane (absolute, not relative to the character's drawn pose: a character drawn with its
/// arms raised lowers them when the performer's arms are down), with the character's own length, from
/// the root out: torso (root → neck), shoulders and hips, head, arms, hands, legs, feet. The head's
/// points turn rigidly with the head bone. Bones are not foreshortened: an arm pointing at the camera
/// keeps its drawn length (as Animated Drawings does; a 2-D figure shrunk along a bone reads as a
/// shorter arm, not as depth).</para>
/// <para>Root motion, relative to the performer's calibration pose (the mean of the first
/// <see cref="BodyRetargetOptions.CalibrationSeconds"/> with a body): sideways and vertical shifts of
/// the hips (of the neck for a half-body performer) in units of the performer's torso, times the
/// character's torso. A full-body character stands on its floor: its lowest foot is put where it
/// rests, raised by the performer's own foot lift (a jump), so a crouch lowers the body by the legs'
/// bend whatever the two figures' proportions. When the performer's feet are not seen (legs out of
/// the frame) the hips' vertical shift is used instead and the legs go back to rest.</para>
/// <para>What the performer's camera does not see is not invented: a bone whose performer joints are
/// under <see cref="BodyPose.SeenAbove"/> confidence eases back to the character's rest direction over
/// <see cref="BodyRetargetOptions.EaseSeconds"/> (and eases in when seen again); a lost body eases the
/// whole figure to rest. A half-body performer (no hips seen) leans the character's torso by the
/// tilt of their shoulder line. Depth (which limb is in front) is the performer's.</para>
/// <para>Smoothing: the pose tracker's One-Euro filter already smooths the points, as it does the
/// face's; a second filter here would only add lag. Allocation-free per frame.</para>
/// </remarks>
public sealed class BodyRetargeter
{
    // Drive steps: 0 the torso (root → neck), 1 the head (neck → head centre), then BodySkeleton.Bones minus the head's.
    private const int Torso = 0;
    private const int Head = 1;

    private readonly BodyRig _rig;
    private readonly BodyRetargetOptions _options;
    private readonly int[] _from;
    private readonly int[] _to;
    private readonly bool[] _driven;
    private readonly float[] _length;
    private readonly float[] _restAngle;
    private readonly float[] _targetAngle;
    private readonly float[] _weight;
    private readonly float _characterTorso;
    private readonly float _characterFloor;

    private long _lastTimestampUs = long.MinValue;
    private long _firstTimestampUs = long.MinValue;
    private float _presence;
    private Vector2 _rootShift;

    // Calibration: sums over the first seconds with a body, then their means.
    private int _calibrationFrames;
    private Vector2 _anchorSum;
    private float _torsoSum;
    private int _floorFrames;
    private float _floorSum;
    private bool _calibrated;
    private bool _anchorIsHips;
    private Vector2 _anchor;
    private float _performerTorso;
    private float _performerFloor = float.NaN;

    public BodyRetargeter(BodyRig rig, BodyRetargetOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rig);
        _rig = rig;
        _options = options ?? new BodyRetargetOptions();
        var from = new List<int> { BodySkeleton.FromRoot, BodySkeleton.FromNeck };
        var to = new List<int> { BodySkeleton.FromNeck, BodySkeleton.HeadCentre };
        foreach (BodySkeleton.Bone bone in BodySkeleton.Bones)
        {
            if (bone.Part != BodyPart.Head)
            {
                from.Add(bone.From);
                to.Add(bone.To);
            }
        }

        _from = [.. from];
        _to = [.. to];
        int n = _from.Length;
        _driven = new bool[n];
        _length = new float[n];
        _restAngle = new float[n];
        _targetAngle = new float[n];
        _weight = new float[n];
        for (int s = 0; s < n; s++)
        {
            _driven[s] = s <= Head || (rig.Known(_to[s]) && (_from[s] < 0 ? _to[s] is not (BodyTopology.LeftHip or BodyTopology.RightHip) || rig.HasHips : rig.Known(_from[s])));
            Vector2 d = RigPoint(_to[s]) - RigPoint(_from[s]);
            _length[s] = d.Length();
            _restAngle[s] = _targetAngle[s] = MathF.Atan2(d.Y, d.X);
        }

        _characterTorso = Vector2.Distance(rig.Root, rig.Neck);
        _characterFloor = rig.HasLegs ? LowestFoot(rig.Joints) : float.NaN;
    }

    /// <summary>True once the calibration window is over (root motion is measured from its mean).</summary>
    public bool Calibrated => _calibrated;

    /// <summary>
    /// Updates from one pose (body present or not) and writes the character's driven joints into
    /// <paramref name="output"/>. Poses must come in time order.
    /// </summary>
    public void Update(BodyPose pose, DrivenBody output)
    {
        ArgumentNullException.ThrowIfNull(pose);
        ArgumentNullException.ThrowIfNull(output);
        float dt = _lastTimestampUs == long.MinValue ? float.PositiveInfinity : Math.Clamp((pose.TimestampUs - _lastTimestampUs) / 1e6f, 0, 0.5f);
        if (dt == 0)
        {
            dt = 1f / 30;
        }

        _lastTimestampUs = pose.TimestampUs;
        float step = _options.EaseSeconds <= 0 ? 1 : MathF.Min(1, dt / _options.EaseSeconds);
        bool hips = pose.Seen(BodyTopology.LeftHip) && pose.Seen(BodyTopology.RightHip);
        bool shoulders = pose.Seen(BodyTopology.LeftShoulder) && pose.Seen(BodyTopology.RightShoulder);
        bool body = pose.Present && shoulders;
        _presence = body ? MathF.Min(1, _presence + step) : MathF.Max(0, _presence - step);
        if (body)
        {
            Calibrate(pose, hips);
            MeasureDirections(pose, hips);
            MeasureRoot(pose, hips);
        }

        for (int s = 0; s < _weight.Length; s++)
        {
            bool seen = body && BoneSeen(pose, s, hips);
            _weight[s] = seen ? MathF.Min(1, _weight[s] + step) : MathF.Max(0, _weight[s] - step);
        }

        Compose(pose, output);
    }

    private void Calibrate(BodyPose pose, bool hips)
    {
        if (_calibrated)
        {
            return;
        }

        if (_firstTimestampUs == long.MinValue)
        {
            _firstTimestampUs = pose.TimestampUs;
            _anchorIsHips = hips;
        }

        Vector3[] p = pose.Points;
        Vector2 neck = Mid(p, BodyTopology.LeftShoulder, BodyTopology.RightShoulder);
        if (_anchorIsHips == hips)
        {
            Vector2 hipCentre = Mid(p, BodyTopology.LeftHip, BodyTopology.RightHip);
            _anchorSum += hips ? hipCentre : neck;
            _torsoSum += hips ? Vector2.Distance(hipCentre, neck) : ShoulderWidth(p) * BodyRig.VirtualTorso;
            _calibrationFrames++;
            if (FeetSeen(pose))
            {
                _floorSum += LowestFoot(pose);
                _floorFrames++;
            }
        }

        if ((pose.TimestampUs - _firstTimestampUs) / 1e6 >= _options.CalibrationSeconds)
        {
            _calibrated = true;
            _anchor = _anchorSum / _calibrationFrames;
            _performerTorso = MathF.Max(_torsoSum / _calibrationFrames, 1e-3f);
            _performerFloor = _floorFrames > 0 ? _floorSum / _floorFrames : float.NaN;
        }
        else
        {
            // Until the window is over, the running mean.
            _anchor = _anchorSum / _calibrationFrames;
            _performerTorso = MathF.Max(_torsoSum / _calibrationFrames, 1e-3f);
            _performerFloor = _floorFrames > 0 ? _floorSum / _floorFrames : float.NaN;
        }
    }

    private void MeasureDirections(BodyPose pose, bool hips)
    {
        Vector3[] p = pose.Points;
        for (int s = 0; s < _from.Length; s++)
        {
            if (!_driven[s] || !BoneSeen(pose, s, hips))
            {
                continue;
            }

            Vector2 d;
            if (s == Torso && !hips)
            {
                // No hips seen (a webcam framing the upper body): the torso leans with the shoulder
                // line, at right angles to it (the shoulders from the character's right to its left).
                Vector2 across = ShoulderVector(p);
                d = new Vector2(across.Y, -across.X);
                if (Vector2.Dot(d, new Vector2(MathF.Cos(_restAngle[s]), MathF.Sin(_restAngle[s]))) < 0)
                {
                    d = -d;
                }
            }
            else
            {
                d = PosePoint(p, _to[s]) - PosePoint(p, _from[s]);
            }

            if (d.LengthSquared() > 1e-12f)
            {
                _targetAngle[s] = MathF.Atan2(d.Y, d.X);
            }
        }
    }

    private void MeasureRoot(BodyPose pose, bool hips)
    {
        if (hips != _anchorIsHips)
        {
            return;
        }

        Vector3[] p = pose.Points;
        Vector2 now = hips ? Mid(p, BodyTopology.LeftHip, BodyTopology.RightHip) : Mid(p, BodyTopology.LeftShoulder, BodyTopology.RightShoulder);
        _rootShift = (now - _anchor) * (_characterTorso / _performerTorso) * _options.RootMotion;
    }

    private void Compose(BodyPose pose, DrivenBody output)
    {
        float presence = Smooth(_presence);
        Vector2[] joints = output.Joints;
        _rig.Joints.CopyTo(joints);
        Array.Clear(output.Depth);
        Vector2 root = _rig.Root + (_rootShift * presence);
        Vector2 neck = root + Along(Torso, presence);
        Vector2 head = neck + Along(Head, presence);
        for (int s = Head + 1; s < _from.Length; s++)
        {
            if (!_driven[s])
            {
                continue;
            }

            Vector2 from = _from[s] switch
            {
                BodySkeleton.FromRoot => root,
                BodySkeleton.FromNeck => neck,
                int j => joints[j],
            };
            joints[_to[s]] = from + Along(s, presence);
        }

        // The head's points turn rigidly with the head bone.
        float headAngle = Turn(Head, presence);
        var turn = Matrix3x2.CreateRotation(headAngle);
        for (int i = 0; i < BodyTopology.HeadPointCount; i++)
        {
            if (_rig.Known(i))
            {
                joints[i] = head + Vector2.Transform(_rig.Joint(i) - _rig.HeadCentre, turn);
            }
        }

        // A full-body character stands on its floor, lifted by the performer's own foot lift; the
        // floor then sets the height (the hips' own vertical shift is replaced).
        if (_rig.HasLegs && pose.Present && FeetSeen(pose) && !float.IsNaN(_performerFloor))
        {
            float lift = (_performerFloor - LowestFoot(pose)) * (_characterTorso / _performerTorso) * _options.RootMotion;
            float dy = _characterFloor - (lift * presence) - LowestFoot(joints);
            for (int i = 0; i < joints.Length; i++)
            {
                joints[i].Y += dy;
            }

            root.Y += dy;
            neck.Y += dy;
            head.Y += dy;
        }

        if (pose.Present)
        {
            Vector3[] p = pose.Points;
            float hipDepth = (p[BodyTopology.LeftHip].Z + p[BodyTopology.RightHip].Z) * 0.5f;
            for (int i = 0; i < output.Depth.Length; i++)
            {
                output.Depth[i] = pose.Confidence[i] >= BodyPose.SeenAbove ? (p[i].Z - hipDepth) * presence : 0;
            }
        }

        output.Root = root;
        output.Neck = neck;
        output.HeadCentre = head;
        output.HeadAngle = headAngle;
        output.Presence = presence;
    }

    // The bone of step s, driven: the character's length along its rest direction turned toward the performer's by the bone's weight.
    private Vector2 Along(int s, float presence)
    {
        float angle = _restAngle[s] + Turn(s, presence);
        return new Vector2(MathF.Cos(angle), MathF.Sin(angle)) * _length[s];
    }

    private float Turn(int s, float presence)
    {
        float w = Smooth(_weight[s]) * presence;
        float delta = _targetAngle[s] - _restAngle[s];
        delta -= 2 * MathF.PI * MathF.Round(delta / (2 * MathF.PI));
        return _driven[s] ? w * delta : 0;
    }

    private bool BoneSeen(BodyPose pose, int s, bool hips) => s switch
    {
        Torso => true,
        Head => pose.Seen(BodyTopology.LeftEar) && pose.Seen(BodyTopology.RightEar),
        _ => SeenPoint(pose, _from[s], hips) && SeenPoint(pose, _to[s], hips),
    };

    private static bool SeenPoint(BodyPose pose, int index, bool hips) => index switch
    {
        BodySkeleton.FromRoot => hips,
        BodySkeleton.FromNeck => true,
        _ => pose.Seen(index),
    };

    private Vector2 RigPoint(int index) => index switch
    {
        BodySkeleton.FromRoot => _rig.Root,
        BodySkeleton.FromNeck => _rig.Neck,
        BodySkeleton.HeadCentre => _rig.HeadCentre,
        _ => _rig.Joint(index),
    };

    private static Vector2 PosePoint(Vector3[] p, int index) => index switch
    {
        BodySkeleton.FromRoot => Mid(p, BodyTopology.LeftHip, BodyTopology.RightHip),
        BodySkeleton.FromNeck => Mid(p, BodyTopology.LeftShoulder, BodyTopology.RightShoulder),
        BodySkeleton.HeadCentre => Mid(p, BodyTopology.LeftEar, BodyTopology.RightEar),
        _ => new Vector2(p[index].X, p[index].Y),
    };

    private static Vector2 Mid(Vector3[] p, int a, int b) => new((p[a].X + p[b].X) * 0.5f, (p[a].Y + p[b].Y) * 0.5f);

    private static Vector2 ShoulderVector(Vector3[] p) =>
        new(p[BodyTopology.LeftShoulder].X - p[BodyTopology.RightShoulder].X, p[BodyTopology.LeftShoulder].Y - p[BodyTopology.RightShoulder].Y);

    private static float ShoulderWidth(Vector3[] p) => ShoulderVector(p).Length();

    private static bool FeetSeen(BodyPose pose) => pose.Seen(BodyTopology.LeftAnkle) && pose.Seen(BodyTopology.RightAnkle);

    // The lowest of the performer's seen ankles and heels (largest y).
    private static float LowestFoot(BodyPose pose)
    {
        float low = float.NegativeInfinity;
        foreach (int i in FootPoints)
        {
            if (pose.Seen(i))
            {
                low = MathF.Max(low, pose.Points[i].Y);
            }
        }

        return low;
    }

    // The lowest of a character's known ankles and heels.
    private float LowestFoot(ReadOnlySpan<Vector2> joints)
    {
        float low = float.NegativeInfinity;
        foreach (int i in FootPoints)
        {
            if (_rig.Known(i))
            {
                low = MathF.Max(low, joints[i].Y);
            }
        }

        return low;
    }

    private static ReadOnlySpan<int> FootPoints => [BodyTopology.LeftAnkle, BodyTopology.RightAnkle, BodyTopology.LeftHeel, BodyTopology.RightHeel];

    private static float Smooth(float t) => t * t * (3 - (2 * t));
}

/// <summary>How the body retargeter follows the performer.</summary>
public sealed record BodyRetargetOptions
{
    /// <summary>Seconds a bone takes to ease back to rest when its joints are lost, and to the performer's when they return; also the whole body's.</summary>
    public float EaseSeconds { get; init; } = 0.3f;

    /// <summary>The performer's calibration pose is the mean of their first this many seconds with a body.</summary>
    public float CalibrationSeconds { get; init; } = 0.5f;

    /// <summary>Gain on root motion (stepping, jumping, crouching): 0 keeps the character in place.</summary>
    public float RootMotion { get; init; } = 1;
}
