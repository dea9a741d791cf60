using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Retargeting.Rigs;

/// <summary>
/// Meta's Animated Drawings character rig, <c>char_cfg.yaml</c>: the picture's <c>width</c> and <c>height</c> and a
/// 16-joint <c>skeleton</c> (each <c>name</c>, <c>parent</c> and <c>loc</c> [x, y] in picture pixels), read strictly
/// (<see cref="BlockYaml"/>) and mapped onto MediaPipe pose's 33-point vocabulary (<see cref="BodyTopology"/>):
/// <list type="table">
/// <item><term>left/right_shoulder, left/right_elbow</term><description>left/right_shoulder (11/12), left/right_elbow (13/14)</description></item>
/// <item><term>left/right_hand</term><description>left/right_wrist (15/16): a drawing's hand is the end of its arm; no fingers (17–22 stay unknown)</description></item>
/// <item><term>left/right_hip, left/right_knee</term><description>left/right_hip (23/24), left/right_knee (25/26)</description></item>
/// <item><term>left/right_foot</term><description>left/right_ankle (27/28): the end of the leg; heel and toes (29–32) stay unknown</description></item>
/// <item><term>neck</term><description>nose (0): Animated Drawings' neck joint is where its head bone ends, inside the drawn head;
/// Capture's head hangs from the shoulders' midpoint to the nose, so the same bone turns the head. Eyes, ears and mouth (1–10) stay unknown.</description></item>
/// <item><term>root, hip, torso</term><description>not mapped: Capture's pelvis is the hips' midpoint and its chest the shoulders' midpoint,
/// both given by the joints above (their positions are checked, not used)</description></item>
/// </list>
/// Nothing is synthesized: unknown joints are not driven. Left and right are the character's own, as in both
/// formats (a drawing facing you has its left hand on the image's right).
/// </summary>
public sealed class AnimatedDrawingsConfig
{
    /// <summary>The file's name in an Animated Drawings character folder.</summary>
    public const string FileName = "char_cfg.yaml";

    /// <summary>A configuration larger than this is refused before it is parsed (a character's is under 2 KB).</summary>
    public const int MaxBytes = BlockYaml.MaxBytes;

    /// <summary>Animated Drawings' 16 joints, each with the parent its skeleton gives it and the pose index it maps to (−1: not mapped).</summary>
    public static IReadOnlyList<(string Name, string? Parent, int PoseIndex)> Skeleton { get; } =
    [
        ("root", null, -1),
        ("hip", "root", -1),
        ("torso", "hip", -1),
        ("neck", "torso", BodyTopology.Nose),
        ("right_shoulder", "torso", BodyTopology.RightShoulder),
        ("right_elbow", "right_shoulder", BodyTopology.RightElbow),
        ("right_hand", "right_elbow", BodyTopology.RightWrist),
        ("left_shoulder", "torso", BodyTopology.LeftShoulder),
        ("left_elbow", "left_shoulder", BodyTopology.LeftElbow),
        ("left_hand", "left_elbow", BodyTopology.LeftWrist),
        ("right_hip", "root", BodyTopology.RightHip),
        ("right_knee", "right_hip", BodyTopology.RightKnee),
        ("right_foot", "right_knee", BodyTopology.RightAnkle),
        ("left_hip", "root", BodyTopology.LeftHip),
        ("left_knee", "left_hip", BodyTopology.LeftKnee),
        ("left_foot", "left_knee", BodyTopology.LeftAnkle),
    ];

    private AnimatedDrawingsConfig(string path, int width, int height, IReadOnlyDictionary<string, Vector2> joints)
    {
        Path = path;
        Width = width;
        Height = height;
        Joints = joints;
    }

    /// <summary>Where the configuration was read from (for messages).</summary>
    public string Path { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>The 16 joints by Animated Drawings name, picture pixels.</summary>
    public IReadOnlyDictionary<string, Vector2> Joints { get; }

    /// <summary>Reads and checks <paramref name="path"/>; every problem is an <see cref="InvalidDataException"/> naming the file and line.</summary>
    public static AnimatedDrawingsConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"{path}: no such file (an Animated Drawings character folder holds texture.png, mask.png and {FileName})", path);
        }

        if (info.Length > BlockYaml.MaxBytes)
        {
            throw new InvalidDataException($"{path}: {info.Length} bytes is too large for a character configuration (at most {BlockYaml.MaxBytes})");
        }

        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the text of a <c>char_cfg.yaml</c>; <paramref name="path"/> names it in errors.</summary>
    public static AnimatedDrawingsConfig Parse(string text, string path)
    {
        YamlNode root = BlockYaml.Parse(text, path);
        if (root.Entries is null)
        {
            throw BlockYaml.Error(path, root.Line, $"expected a mapping with width, height and skeleton, got {root.Kind}");
        }

        int width = Size(root, "width", path);
        int height = Size(root, "height", path);
        YamlNode skeleton = root.Get("skeleton") ?? throw BlockYaml.Error(path, root.Line, "no 'skeleton' (the list of 16 joints)");
        if (skeleton.Items is null)
        {
            throw BlockYaml.Error(path, skeleton.Line, $"'skeleton' must be a list of joints, got {skeleton.Kind}");
        }

        var joints = new Dictionary<string, Vector2>(StringComparer.Ordinal);
        var parents = new Dictionary<string, (string? Parent, int Line)>(StringComparer.Ordinal);
        foreach (YamlNode joint in skeleton.Items)
        {
            if (joint.Entries is null)
            {
                throw BlockYaml.Error(path, joint.Line, $"a joint must be a mapping with name, parent and loc, got {joint.Kind}");
            }

            YamlNode nameNode = joint.Get("name") ?? throw BlockYaml.Error(path, joint.Line, "a joint without a 'name'");
            string name = nameNode.Text ?? throw BlockYaml.Error(path, nameNode.Line, $"a joint's name must be text, got {nameNode.Kind}");
            int known = IndexOf(name);
            if (known < 0)
            {
                throw BlockYaml.Error(path, nameNode.Line,
                    $"'{name}' is not one of Animated Drawings' 16 joints ({string.Join(", ", Skeleton.Select(j => j.Name))})");
            }

            if (joints.ContainsKey(name))
            {
                throw BlockYaml.Error(path, nameNode.Line, $"joint '{name}' is given twice");
            }

            YamlNode parentNode = joint.Get("parent") ?? throw BlockYaml.Error(path, joint.Line, $"joint '{name}' has no 'parent' (null for the root)");
            if (parentNode.Items is not null || parentNode.Entries is not null)
            {
                throw BlockYaml.Error(path, parentNode.Line, $"joint '{name}': parent must be a joint name or null, got {parentNode.Kind}");
            }

            YamlNode loc = joint.Get("loc") ?? throw BlockYaml.Error(path, joint.Line, $"joint '{name}' has no 'loc' [x, y]");
            if (loc.Items is not { Count: 2 })
            {
                throw BlockYaml.Error(path, loc.Line, $"joint '{name}': loc must be two numbers [x, y], got {loc.Kind}{(loc.Items is { } l ? $" of {l.Count}" : string.Empty)}");
            }

            double x = loc.Items[0].Number(path, $"joint '{name}' x");
            double y = loc.Items[1].Number(path, $"joint '{name}' y");
            if (x < 0 || y < 0 || x > width || y > height)
            {
                throw BlockYaml.Error(path, loc.Line, $"joint '{name}' at ({x}, {y}) lies outside the {width}x{height} picture");
            }

            joints.Add(name, new Vector2((float)x, (float)y));
            parents.Add(name, (parentNode.Text, parentNode.Line));
        }

        foreach ((string name, string? parent, _) in Skeleton)
        {
            if (!joints.ContainsKey(name))
            {
                throw BlockYaml.Error(path, skeleton.Line, $"joint '{name}' is missing; Animated Drawings characters have all 16 ({string.Join(", ", Skeleton.Select(j => j.Name))})");
            }

            (string? given, int line) = parents[name];
            if (given != parent)
            {
                throw BlockYaml.Error(path, line,
                    $"joint '{name}' hangs from '{given ?? "null"}', but in Animated Drawings' skeleton its parent is '{parent ?? "null"}' (joints crossed or renamed?)");
            }
        }

        return new AnimatedDrawingsConfig(path, width, height, joints);
    }

    /// <summary>
    /// The joints in the 33-point vocabulary (picture pixels) with their known flags, by the mapping in the class
    /// summary. Both arrays are new, 33 long; the caller owns them.
    /// </summary>
    public (Vector2[] Joints, bool[] Known) ToPoseJoints()
    {
        var points = new Vector2[TrackingFrame.BodyLandmarkCount];
        var known = new bool[TrackingFrame.BodyLandmarkCount];
        foreach ((string name, _, int index) in Skeleton)
        {
            if (index >= 0)
            {
                points[index] = Joints[name];
                known[index] = true;
            }
        }

        return (points, known);
    }

    private static int IndexOf(string name)
    {
        for (int i = 0; i < Skeleton.Count; i++)
        {
            if (Skeleton[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    private static int Size(YamlNode root, string key, string path)
    {
        YamlNode node = root.Get(key) ?? throw BlockYaml.Error(path, root.Line, $"no '{key}' (the picture's size in pixels)");
        double v = node.Number(path, key);
        return v is >= 1 and <= 16384 && v == Math.Floor(v)
            ? (int)v
            : throw BlockYaml.Error(path, node.Line, $"{key} must be a whole number of pixels from 1 to 16384, got {node.Text}");
    }
}
