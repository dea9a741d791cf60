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
    private readonly Vector3[] _points = new Vector3[TrackingFrame.BodyLandmarkCount];
    private readonly float[] _channels = new float[BvhSkeleton.ChannelCount];
    private readonly float[] _lengths = new float[BvhSkeleton.BoneLengthCount];
    private readonly double[] _lengthSums = new double[BvhSkeleton.BoneLengthCount];
    private readonly StringBuilder _line = new(1024);
    private long _waiting;
    private bool _completed;

    /// <summary>Opens the temporary line file beside <paramref name="path"/>; the BVH itself appears on <see cref="Complete"/>.</summary>
    public BvhStreamWriter(string path, double framesPerSecond)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
        _frameTime = 1 / (framesPerSecond > 0 ? framesPerSecond : 30);
        _linesPath = path + ".lines.tmp";
        _lines = new StreamWriter(_linesPath, false, new UTF8Encoding(false), 64 * 1024);
    }

    /// <summary>Lines written so far (one per <see cref="Add"/>, including those still waiting for a first body).</summary>
    public long Frames { get; private set; }

    /// <summary>Frames in which the body was seen.</summary>
    public long FramesWithBody { get; private set; }

    /// <summary>
    /// Bone lengths of the rest pose when no frame saw a body, laid out as <see cref="BvhSkeleton.BoneLengthCount"/>
    /// says, in BVH units (1/100 of the image height): an adult filling the frame's height.
    /// </summary>
    public static float[] DefaultBoneLengths()
    {
        IReadOnlyList<string> names = BvhSkeleton.JointNames;
        var lengths = new float[BvhSkeleton.BoneLengthCount];
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
                _ => (0f, 13f),
            };
        }

        return lengths;
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
        for (int i = 0; i < _points.Length; i++)
        {
            _points[i] = BvhSkeleton.ToSpace(landmarks[i], aspect);
        }

        BvhSkeleton.MeasureFrame(_points, _channels, _lengths);
        for (int i = 0; i < _lengths.Length; i++)
        {
            _lengthSums[i] += _lengths[i];
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
        float[] means = FramesWithBody == 0 ? DefaultBoneLengths() : new float[_lengthSums.Length];
        for (int i = 0; FramesWithBody > 0 && i < means.Length; i++)
        {
            means[i] = (float)(_lengthSums[i] / FramesWithBody);
        }

        var inv = CultureInfo.InvariantCulture;
        using (var writer = new StreamWriter(_path, false, new UTF8Encoding(false)))
        {
            BvhSkeleton.WriteHierarchy(writer, means);
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
