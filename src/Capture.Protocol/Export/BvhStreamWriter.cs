using System.Globalization;
using System.Numerics;
using System.Text;
using Capture.Core.Tracking;

namespace Capture.Protocol.Export;

/// <summary>
/// The one BVH writer: the body of a take, streamed, one line per video frame, flat memory, nothing
/// allocated per frame. The skeleton, the rotations and the number format are <see cref="BvhSkeleton"/>'s.
/// (Until 2026-11 a second, buffering writer used only by tests sat beside it.) Motion lines go to a temporary file beside the target while
/// the video renders; <see cref="Complete"/> writes the hierarchy (it needs the take's mean bone
/// lengths and frame count first) and appends them.
/// <para>
/// A frame whose body is not seen (<see cref="SeesBody"/>) holds the last seen pose; frames before the first seen body hold that first pose, so the
/// file always has exactly one line per video frame and never jumps from an invented pose. A take
/// where the body is never seen is written in the rest pose (every channel 0: a T-pose at the
/// origin with <see cref="DefaultBoneLengths"/>), still a valid file.
/// </para>
/// <para>
/// With fingers (<see cref="BvhSkeleton.WithFingers"/>, <c>render --hands</c>) each tracked hand's finger joints follow
/// its 21 points; when a hand is lost its fingers relax to rest over 0.3 s (<see cref="HandFade"/>, as the face does on
/// the character) and come back when it returns; a hand never seen stays at rest. Finger lengths are the means over
/// the frames that saw that hand.
/// </para>
/// </summary>
public sealed class BvhStreamWriter : IDisposable
{
    /// <summary>
    /// The visibility (0..1) both shoulders and both hips need for the body to count as seen.
    /// BlazePose always completes a whole body from a head and shoulders: a selfie has a "present"
    /// body whose hips (the BVH root) are guesses with visibility near 0, so presence alone would
    /// write invented hips and legs.
    /// </summary>
    public const float MinTorsoVisibility = 0.5f;

    private readonly string _path;
    private readonly string _linesPath;
    private readonly StreamWriter _lines;
    private readonly double _frameTime;
    private readonly BvhSkeleton _skeleton;
    private readonly Vector3[] _points;
    private readonly float[] _channels;
    private readonly float[] _lengths;
    private readonly double[] _lengthSums;

    /// <summary>For each entry of the bone lengths: −1 the body's, 0 or 1 a finger entry of the left or right hand.</summary>
    private readonly int[] _lengthOwner;
    private readonly HandFade[] _fades = [new(), new()];
    private readonly Quaternion[][] _fingers = [new Quaternion[FingerRotations.BoneCount], new Quaternion[FingerRotations.BoneCount]];
    private readonly long[] _framesWithHand = new long[2];
    private readonly StringBuilder _line = new(1024);
    private long _waiting;
    private bool _completed;

    /// <summary>
    /// Opens the temporary line file beside <paramref name="path"/>; the BVH itself appears on <see cref="Complete"/>.
    /// <paramref name="fingers"/> writes <see cref="BvhSkeleton.WithFingers"/> (hands tracked), else <see cref="BvhSkeleton.Body"/>.
    /// </summary>
    public BvhStreamWriter(string path, double framesPerSecond, bool fingers = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
        _skeleton = fingers ? BvhSkeleton.WithFingers : BvhSkeleton.Body;
        _points = new Vector3[_skeleton.PointCount];
        _channels = new float[_skeleton.ChannelCount];
        _lengths = new float[_skeleton.BoneLengthCount];
        _lengthSums = new double[_skeleton.BoneLengthCount];
        _lengthOwner = LengthOwners(_skeleton);
        foreach (Quaternion[] hand in _fingers)
        {
            Array.Fill(hand, Quaternion.Identity);
        }

        _frameTime = 1 / (framesPerSecond > 0 ? framesPerSecond : 30);
        _linesPath = path + ".lines.tmp";
        _lines = new StreamWriter(_linesPath, false, new UTF8Encoding(false), 64 * 1024);
    }

    /// <summary>Lines written so far (one per <see cref="Add"/>, including those still waiting for a first body).</summary>
    public long Frames { get; private set; }

    /// <summary>Frames in which the body was seen.</summary>
    public long FramesWithBody { get; private set; }

    /// <summary>The skeleton the file is written with.</summary>
    public BvhSkeleton Skeleton => _skeleton;

    /// <summary>Frames (with the body seen) whose <paramref name="side"/> hand drove the fingers.</summary>
    public long FramesWithHand(Handedness side) => _framesWithHand[(int)side];

    /// <summary>
    /// Bone lengths of the rest pose when no frame saw a body, laid out as <see cref="BvhSkeleton.BoneLengthCount"/>
    /// says, in BVH units (1/100 of the image height): an adult filling the frame's height.
    /// </summary>
    public static float[] DefaultBoneLengths(BvhSkeleton? skeleton = null)
    {
        skeleton ??= BvhSkeleton.Body;
        IReadOnlyList<string> names = skeleton.JointNames;
        var lengths = new float[skeleton.BoneLengthCount];
        for (int j = 0; j < names.Count; j++)
        {
            // [j]: from the parent joint; [joints + j]: the joint's own bone where it ends in an End Site.
            (lengths[j], lengths[names.Count + j]) = names[j] switch
            {
                "Spine" => (13f, 13f),
                "Neck" => (13f, 9f),
                "Head" => (9f, 4f),
                "LeftArm" or "RightArm" => (9f, 15f),
                "LeftForeArm" or "RightForeArm" => (15f, 13f),
                "LeftHand" or "RightHand" => (13f, 5f),
                "LeftUpLeg" or "RightUpLeg" => (5f, 22f),
                "LeftLeg" or "RightLeg" => (22f, 21f),
                "LeftFoot" or "RightFoot" => (21f, 7f),
                _ when names[j].Contains("Hand", StringComparison.Ordinal) && names[j].EndsWith('1') => (0f, 2f),
                _ when names[j].Contains("Hand", StringComparison.Ordinal) && char.IsAsciiDigit(names[j][^1]) => (1.5f, 1.5f),
                _ => (0f, 13f),
            };
        }

        // Where each finger starts on its hand at rest (hand along its arm, thumb forward): thumb, index … pinky.
        if (skeleton.HasFingers)
        {
            Vector3[] roots = [new(1f, -0.3f, 1f), new(4f, 0, 1.2f), new(4.2f, 0, 0.4f), new(4f, 0, -0.4f), new(3.6f, 0, -1.2f)];
            int at = 2 * names.Count;
            foreach (float sign in new[] { 1f, -1f })
            {
                foreach (Vector3 r in roots)
                {
                    lengths[at++] = sign * r.X;
                    lengths[at++] = r.Y;
                    lengths[at++] = r.Z;
                }
            }
        }

        return lengths;
    }

    /// <summary>Which hand each bone-length entry belongs to (−1: the body), from the joint names and the finger-root block.</summary>
    private static int[] LengthOwners(BvhSkeleton skeleton)
    {
        IReadOnlyList<string> names = skeleton.JointNames;
        int joints = names.Count;
        var owner = new int[skeleton.BoneLengthCount];
        for (int j = 0; j < joints; j++)
        {
            bool finger = names[j].Contains("Hand", StringComparison.Ordinal) && char.IsAsciiDigit(names[j][^1]);
            owner[j] = owner[joints + j] = finger ? (names[j].StartsWith("Left", StringComparison.Ordinal) ? 0 : 1) : -1;
        }

        for (int i = 2 * joints; i < owner.Length; i++)
        {
            owner[i] = (i - (2 * joints)) < 15 ? 0 : 1;
        }

        return owner;
    }

    /// <summary>Whether a frame's body is good enough for the BVH: present, with both shoulders and both hips visible.</summary>
    public static bool SeesBody(TrackingFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        Vector4[] l = frame.Body.Landmarks;
        return frame.Body.Present
            && l[11].W >= MinTorsoVisibility && l[12].W >= MinTorsoVisibility
            && l[23].W >= MinTorsoVisibility && l[24].W >= MinTorsoVisibility;
    }

    /// <summary>Adds one video frame's line (the frame is only read during the call). Allocates nothing.</summary>
    public void Add(TrackingFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ObjectDisposedException.ThrowIf(_completed, this);
        Frames++;
        if (!SeesBody(frame))
        {
            if (FramesWithBody == 0)
            {
                _waiting++;
            }
            else
            {
                _lines.WriteLine(_line);
            }

            return;
        }

        float aspect = frame.ImageHeight > 0 ? frame.ImageWidth / (float)frame.ImageHeight : 1f;
        Vector4[] landmarks = frame.Body.Landmarks;
        for (int i = 0; i < landmarks.Length; i++)
        {
            _points[i] = BvhSkeleton.ToSpace(landmarks[i], aspect);
        }

        bool left = _skeleton.HasFingers && frame.LeftHand.Present;
        bool right = _skeleton.HasFingers && frame.RightHand.Present;
        if (left)
        {
            HandPoints(frame.LeftHand, BvhSkeleton.LeftHandPoints, aspect);
        }

        if (right)
        {
            HandPoints(frame.RightHand, BvhSkeleton.RightHandPoints, aspect);
        }

        _skeleton.MeasureFrame(_points, _channels, _lengths, left, right);
        if (_skeleton.HasFingers)
        {
            Fingers(Handedness.Left, left, frame.CaptureTimestampUs);
            Fingers(Handedness.Right, right, frame.CaptureTimestampUs);
        }

        for (int i = 0; i < _lengths.Length; i++)
        {
            int owner = _lengthOwner[i];
            if (owner < 0 || (owner == 0 ? left : right))
            {
                _lengthSums[i] += _lengths[i];
            }
        }

        _line.Clear();
        BvhSkeleton.AppendMotionLine(_line, _channels);
        FramesWithBody++;
        for (; _waiting > 0; _waiting--)
        {
            _lines.WriteLine(_line);
        }

        _lines.WriteLine(_line);
    }

    private void HandPoints(HandObservation hand, int first, float aspect)
    {
        for (int i = 0; i < TrackingFrame.HandLandmarkCount; i++)
        {
            _points[first + i] = BvhSkeleton.ToSpace(hand.Landmarks[i], aspect);
        }
    }

    /// <summary>A tracked hand's finger rotations are kept; a lost one's ease from the last kept toward rest.</summary>
    private void Fingers(Handedness side, bool tracked, long timestampUs)
    {
        float weight = _fades[(int)side].Update(tracked, timestampUs);
        Quaternion[] last = _fingers[(int)side];
        if (tracked)
        {
            _framesWithHand[(int)side]++;
        }

        for (int finger = 0; finger < 5; finger++)
        {
            for (int segment = 0; segment < HandTopology.SegmentsPerFinger; segment++)
            {
                int c = 3 + (3 * _skeleton.FingerJoint(side, finger, segment));
                int b = (finger * HandTopology.SegmentsPerFinger) + segment;
                if (tracked)
                {
                    last[b] = BvhSkeleton.FromEulerZxyDegrees(new Vector3(_channels[c + 1], _channels[c + 2], _channels[c]));
                    continue;
                }

                Vector3 zxy = BvhSkeleton.ToEulerZxyDegrees(Quaternion.Slerp(Quaternion.Identity, last[b], weight));
                _channels[c] = zxy.Z;
                _channels[c + 1] = zxy.X;
                _channels[c + 2] = zxy.Y;
            }
        }
    }

    /// <summary>Writes the BVH file (hierarchy, then every line) and removes the temporary file.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        _completed = true;
        if (FramesWithBody == 0)
        {
            // Never seen: every line is the rest pose.
            Array.Clear(_channels);
            _line.Clear();
            BvhSkeleton.AppendMotionLine(_line, _channels);
            for (; _waiting > 0; _waiting--)
            {
                _lines.WriteLine(_line);
            }
        }

        _lines.Dispose();
        float[] means = DefaultBoneLengths(_skeleton);
        for (int i = 0; i < means.Length; i++)
        {
            long frames = _lengthOwner[i] < 0 ? FramesWithBody : _framesWithHand[_lengthOwner[i]];
            if (frames > 0)
            {
                means[i] = (float)(_lengthSums[i] / frames);
            }
        }

        var inv = CultureInfo.InvariantCulture;
        using (var writer = new StreamWriter(_path, false, new UTF8Encoding(false)))
        {
            _skeleton.WriteHierarchy(writer, means);
            writer.WriteLine("MOTION");
            writer.WriteLine(string.Create(inv, $"Frames: {Frames}"));
            writer.WriteLine(string.Create(inv, $"Frame Time: {_frameTime:0.########}"));
            writer.Flush();
            using var lines = new FileStream(_linesPath, FileMode.Open, FileAccess.Read, FileShare.None, 64 * 1024);
            lines.CopyTo(writer.BaseStream);
        }

        File.Delete(_linesPath);
    }

    /// <summary>Closes the temporary file and removes it; a writer disposed without <see cref="Complete"/> leaves no BVH.</summary>
    public void Dispose()
    {
        _completed = true;
        _lines.Dispose();
        if (File.Exists(_linesPath))
        {
            File.Delete(_linesPath);
        }
    }
}
