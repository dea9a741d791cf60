using System.Globalization;
using System.Numerics;

namespace Capture.Protocol.Import;

/// <summary>One of the six channels a BVH joint may carry.</summary>
public enum BvhChannel
{
    Xposition,
    Yposition,
    Zposition,
    Xrotation,
    Yrotation,
    Zrotation,
}

/// <summary>A joint of a BVH hierarchy: its rest offset from the parent, its channels, and the end site of a leaf.</summary>
public sealed record BvhJoint(string Name, int Parent, Vector3 Offset, BvhChannel[] Channels, int FirstChannel, Vector3? EndSite);

/// <summary>
/// A BVH file read whole: the hierarchy in file (depth-first) order and the motion's channel values,
/// <see cref="ChannelCount"/> per frame. <see cref="Pose"/> gives every joint's world position at any time,
/// interpolating between frames (positions linearly, rotations by slerp), so a 120 fps take can be sampled
/// at an output's 30 or 60.
/// </summary>
public sealed class BvhMotion
{
    private readonly float[] _values;

    internal BvhMotion(string name, BvhJoint[] joints, int channelCount, int frameCount, double frameTime, float[] values)
    {
        Name = name;
        Joints = joints;
        ChannelCount = channelCount;
        FrameCount = frameCount;
        FrameTime = frameTime;
        _values = values;
    }

    public string Name { get; }

    public IReadOnlyList<BvhJoint> Joints { get; }

    public int ChannelCount { get; }

    public int FrameCount { get; }

    /// <summary>Seconds between frames (the file's <c>Frame Time</c>).</summary>
    public double FrameTime { get; }

    /// <summary>From the first frame to the last, in seconds.</summary>
    public double DurationSeconds => (FrameCount - 1) * FrameTime;

    /// <summary>Index of the joint called <paramref name="name"/> (exact), or −1.</summary>
    public int IndexOf(string name)
    {
        for (int i = 0; i < Joints.Count; i++)
        {
            if (Joints[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A frame's channel values (<see cref="ChannelCount"/> of them), valid as long as this motion.</summary>
    public ReadOnlySpan<float> Frame(int frame) => _values.AsSpan(frame * ChannelCount, ChannelCount);

    /// <summary>
    /// World position and rotation of every joint at <paramref name="seconds"/> (clamped to the take), in the
    /// file's own units and axes. Allocates nothing.
    /// </summary>
    public void Pose(double seconds, Span<Vector3> positions, Span<Quaternion> rotations)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(positions.Length, Joints.Count, nameof(positions));
        ArgumentOutOfRangeException.ThrowIfLessThan(rotations.Length, Joints.Count, nameof(rotations));
        double at = Math.Clamp(seconds / FrameTime, 0, FrameCount - 1);
        int a = (int)Math.Floor(at);
        int b = Math.Min(a + 1, FrameCount - 1);
        float t = (float)(at - a);
        ReadOnlySpan<float> fa = Frame(a);
        ReadOnlySpan<float> fb = Frame(b);
        for (int j = 0; j < Joints.Count; j++)
        {
            BvhJoint joint = Joints[j];
            (Vector3 ta, Quaternion ra) = Local(joint, fa);
            (Vector3 tb, Quaternion rb) = Local(joint, fb);
            Vector3 translation = Vector3.Lerp(ta, tb, t);
            Quaternion rotation = Quaternion.Slerp(ra, rb, t);
            if (joint.Parent < 0)
            {
                positions[j] = translation;
                rotations[j] = rotation;
            }
            else
            {
                positions[j] = positions[joint.Parent] + Vector3.Transform(translation, rotations[joint.Parent]);
                rotations[j] = Quaternion.Normalize(rotations[joint.Parent] * rotation);
            }
        }
    }

    /// <summary>A joint's offset (plus position channels) and rotation (its channels composed in file order) in one frame.</summary>
    private static (Vector3 Translation, Quaternion Rotation) Local(BvhJoint joint, ReadOnlySpan<float> frame)
    {
        Vector3 translation = joint.Offset;
        bool hasPosition = false;
        Vector3 position = Vector3.Zero;
        Quaternion rotation = Quaternion.Identity;
        for (int c = 0; c < joint.Channels.Length; c++)
        {
            float v = frame[joint.FirstChannel + c];
            const float ToRadians = MathF.PI / 180f;
            switch (joint.Channels[c])
            {
                case BvhChannel.Xposition: position.X = v; hasPosition = true; break;
                case BvhChannel.Yposition: position.Y = v; hasPosition = true; break;
                case BvhChannel.Zposition: position.Z = v; hasPosition = true; break;

                // BVH composes rotations in channel order as intrinsic turns: R = R1 · R2 · R3 (column vectors).
                // System.Numerics' a * b applies b first, so appending on the right is the same product.
                case BvhChannel.Xrotation: rotation *= Quaternion.CreateFromAxisAngle(Vector3.UnitX, v * ToRadians); break;
                case BvhChannel.Yrotation: rotation *= Quaternion.CreateFromAxisAngle(Vector3.UnitY, v * ToRadians); break;
                case BvhChannel.Zrotation: rotation *= Quaternion.CreateFromAxisAngle(Vector3.UnitZ, v * ToRadians); break;
            }
        }

        // A root with position channels sits at that position (its OFFSET is usually 0 and is added, as the
        // format's readers do); a joint without them sits at its offset.
        return (hasPosition ? translation + position : translation, Quaternion.Normalize(rotation));
    }
}

/// <summary>
/// Reads BVH (Biovision hierarchy) motion: <c>HIERARCHY</c> with <c>ROOT</c>/<c>JOINT</c>/<c>End Site</c>,
/// <c>OFFSET</c> and <c>CHANNELS</c> in any order per joint, then <c>MOTION</c>, <c>Frames:</c>,
/// <c>Frame Time:</c> and one line of values a frame. Whitespace-tolerant (tabs, CRLF). Every problem is one
/// <see cref="InvalidDataException"/> naming the file, the line and what is wrong: a truncated take (fewer
/// frame lines than <c>Frames:</c> says, or a line short of values) included.
/// </summary>
public static class BvhReader
{
    /// <summary>At most this many joints (the biggest rigs with fingers and face bones have a few hundred).</summary>
    public const int MaxJoints = 1024;

    /// <summary>At most this many frames (an hour at 120 fps); more is not a take a render wants.</summary>
    public const int MaxFrames = 432_000;

    public static BvhMotion Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(path);
        return Read(reader, path);
    }

    /// <summary>True when the text starts like a BVH file (its first word is HIERARCHY).</summary>
    public static bool LooksLikeOne(ReadOnlySpan<byte> start)
    {
        string text = System.Text.Encoding.ASCII.GetString(start[..Math.Min(start.Length, 64)]).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        return text.StartsWith("HIERARCHY", StringComparison.OrdinalIgnoreCase);
    }

    public static BvhMotion Read(TextReader reader, string name)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var tokens = new Tokens(reader, name);
        tokens.Expect("HIERARCHY");
        var joints = new List<BvhJoint>();
        int channels = 0;
        string first = tokens.Next("ROOT");
        if (!first.Equals("ROOT", StringComparison.OrdinalIgnoreCase))
        {
            throw tokens.Error($"expected ROOT, found '{first}'");
        }

        ReadJoint(tokens, joints, -1, ref channels);
        tokens.Expect("MOTION");
        tokens.Expect("Frames:");
        string framesText = tokens.Next("the frame count");
        if (!int.TryParse(framesText, NumberStyles.None, CultureInfo.InvariantCulture, out int frames) || frames < 1)
        {
            throw tokens.Error($"'Frames: {framesText}' is not a frame count of at least 1");
        }

        if (frames > MaxFrames)
        {
            throw tokens.Error($"{frames} frames is over the {MaxFrames} a take may have");
        }

        tokens.Expect("Frame");
        tokens.Expect("Time:");
        string timeText = tokens.Next("the frame time");
        if (!double.TryParse(timeText, NumberStyles.Float, CultureInfo.InvariantCulture, out double frameTime) || !(frameTime > 0) || frameTime > 10)
        {
            throw tokens.Error($"'Frame Time: {timeText}' is not a number of seconds between 0 and 10");
        }

        tokens.EndLine();
        var values = new float[(long)frames * channels];
        for (int f = 0; f < frames; f++)
        {
            string? line = tokens.ReadDataLine();
            if (line is null)
            {
                throw new InvalidDataException($"{name}: the motion is truncated: {f} of the {frames} frames 'Frames:' announces are there");
            }

            string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != channels)
            {
                throw new InvalidDataException(parts.Length < channels
                    ? $"{name} line {tokens.Line}: frame {f + 1} has {parts.Length} of its {channels} values (the motion is truncated)"
                    : $"{name} line {tokens.Line}: frame {f + 1} has {parts.Length} values, the hierarchy's channels need {channels}");
            }

            for (int c = 0; c < channels; c++)
            {
                if (!float.TryParse(parts[c], NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                {
                    throw new InvalidDataException($"{name} line {tokens.Line}: frame {f + 1}, value {c + 1} '{parts[c]}' is not a number");
                }

                values[((long)f * channels) + c] = v;
            }
        }

        return new BvhMotion(name, [.. joints], channels, frames, frameTime, values);
    }

    private static void ReadJoint(Tokens tokens, List<BvhJoint> joints, int parent, ref int channelCount)
    {
        string jointName = tokens.Next("a joint name");
        if (jointName == "{")
        {
            throw tokens.Error("a joint has no name");
        }

        if (joints.Count >= MaxJoints)
        {
            throw tokens.Error($"more than {MaxJoints} joints");
        }

        tokens.Expect("{");
        int index = joints.Count;
        joints.Add(null!); // placeholder: children come after the parent in file order
        Vector3 offset = Vector3.Zero;
        BvhChannel[] channels = [];
        int firstChannel = channelCount;
        Vector3? endSite = null;
        bool sawOffset = false;
        while (true)
        {
            string word = tokens.Next("'}' closing joint " + jointName);
            if (word == "}")
            {
                break;
            }

            switch (word.ToUpperInvariant())
            {
                case "OFFSET":
                    offset = tokens.Vector();
                    sawOffset = true;
                    break;
                case "CHANNELS":
                    string countText = tokens.Next("a channel count");
                    if (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count > 6)
                    {
                        throw tokens.Error($"joint {jointName}: 'CHANNELS {countText}' is not a count from 0 to 6");
                    }

                    channels = new BvhChannel[count];
                    for (int c = 0; c < count; c++)
                    {
                        string channel = tokens.Next("a channel name");
                        if (!Enum.TryParse(channel, ignoreCase: true, out BvhChannel parsed) || int.TryParse(channel, out _))
                        {
                            throw tokens.Error($"joint {jointName}: unknown channel '{channel}' (Xposition … Zrotation)");
                        }

                        channels[c] = parsed;
                    }

                    firstChannel = channelCount;
                    channelCount += count;
                    break;
                case "JOINT":
                    ReadJoint(tokens, joints, index, ref channelCount);
                    break;
                case "END":
                    tokens.Expect("Site");
                    tokens.Expect("{");
                    tokens.Expect("OFFSET");
                    endSite = tokens.Vector();
                    tokens.Expect("}");
                    break;
                default:
                    throw tokens.Error($"joint {jointName}: unexpected '{word}' (OFFSET, CHANNELS, JOINT, End Site or '}}')");
            }
        }

        if (!sawOffset)
        {
            throw tokens.Error($"joint {jointName} has no OFFSET");
        }

        joints[index] = new BvhJoint(jointName, parent, offset, channels, firstChannel, endSite);
    }

    /// <summary>Whitespace-separated words of the hierarchy, with line numbers; then whole lines of motion.</summary>
    private sealed class Tokens(TextReader reader, string name)
    {
        private string[] _words = [];
        private int _next;

        public int Line { get; private set; }

        public InvalidDataException Error(string problem) => new($"{name} line {Line}: {problem}");

        public string Next(string what)
        {
            while (_next >= _words.Length)
            {
                string? line = reader.ReadLine();
                if (line is null)
                {
                    throw new InvalidDataException($"{name}: the file ends where {what} should be (truncated?)");
                }

                Line++;
                _words = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
                _next = 0;
            }

            return _words[_next++];
        }

        public void Expect(string word)
        {
            string found = Next(word);
            if (!found.Equals(word, StringComparison.OrdinalIgnoreCase))
            {
                throw Error($"expected '{word}', found '{found}'");
            }
        }

        public Vector3 Vector()
        {
            Span<float> v = stackalloc float[3];
            for (int i = 0; i < 3; i++)
            {
                string text = Next("an OFFSET value");
                if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out v[i]) || !float.IsFinite(v[i]))
                {
                    throw Error($"OFFSET value '{text}' is not a number");
                }
            }

            return new Vector3(v[0], v[1], v[2]);
        }

        /// <summary>Drops what is left of the current line's words (after Frame Time).</summary>
        public void EndLine()
        {
            if (_next < _words.Length)
            {
                throw Error($"unexpected '{_words[_next]}' after the frame time");
            }
        }

        /// <summary>The next non-empty line, or null at the end of the file.</summary>
        public string? ReadDataLine()
        {
            while (reader.ReadLine() is { } line)
            {
                Line++;
                if (!string.IsNullOrWhiteSpace(line))
                {
                    return line;
                }
            }

            return null;
        }
    }
}
