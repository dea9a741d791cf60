using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting.Rigs;

namespace Capture.Retargeting.Tests;

/// <summary>Animated Drawings' char_cfg.yaml: the shared stick figure's file, and what a hand-edited file gets wrong.</summary>
public sealed class AnimatedDrawingsConfigTests
{
    private static readonly string s_stick = Capture.Testing.SharedMedia.File(Path.Combine("drawing_stick_char4", AnimatedDrawingsConfig.FileName));

    [Fact]
    public void Load_SharedStickFigure_SixteenJointsMappedOntoThePoseVocabulary()
    {
        AnimatedDrawingsConfig config = AnimatedDrawingsConfig.Load(s_stick);

        Assert.Equal((216, 475), (config.Width, config.Height));
        Assert.Equal(16, config.Joints.Count);
        (Vector2[] joints, bool[] known) = config.ToPoseJoints();
        Assert.Equal(TrackingFrame.BodyLandmarkCount, joints.Length);

        // The file's values, through the documented mapping.
        Assert.Equal(new Vector2(87, 198), joints[BodyTopology.RightShoulder]);
        Assert.Equal(new Vector2(138, 189), joints[BodyTopology.LeftShoulder]);
        Assert.Equal(new Vector2(22, 64), joints[BodyTopology.RightWrist]);
        Assert.Equal(new Vector2(198, 54), joints[BodyTopology.LeftWrist]);
        Assert.Equal(new Vector2(31, 467), joints[BodyTopology.RightAnkle]);
        Assert.Equal(new Vector2(124, 458), joints[BodyTopology.LeftAnkle]);
        Assert.Equal(new Vector2(124, 68), joints[BodyTopology.Nose]);
        int[] mapped =
        [
            BodyTopology.Nose, BodyTopology.LeftShoulder, BodyTopology.RightShoulder, BodyTopology.LeftElbow, BodyTopology.RightElbow,
            BodyTopology.LeftWrist, BodyTopology.RightWrist, BodyTopology.LeftHip, BodyTopology.RightHip, BodyTopology.LeftKnee,
            BodyTopology.RightKnee, BodyTopology.LeftAnkle, BodyTopology.RightAnkle,
        ];
        for (int i = 0; i < known.Length; i++)
        {
            Assert.True(known[i] == mapped.Contains(i), $"{BodyTopology.Names[i]}: known {known[i]}");
        }

        // A drawing facing you: its left side on the image's right.
        Assert.True(joints[BodyTopology.LeftShoulder].X > joints[BodyTopology.RightShoulder].X);
        Assert.True(joints[BodyTopology.LeftHip].X > joints[BodyTopology.RightHip].X);
    }

    [Fact]
    public void Parse_FlowStyleQuotesAndComments_SameJoints()
    {
        // The same skeleton written another legal way: flow sequences, quoted names, comments, keys in another order.
        AnimatedDrawingsConfig block = AnimatedDrawingsConfig.Load(s_stick);
        var text = new System.Text.StringBuilder("# written by hand\nwidth: 216   # pixels\nheight: 475\nskeleton:\n");
        foreach ((string name, string? parent, _) in AnimatedDrawingsConfig.Skeleton)
        {
            Vector2 p = block.Joints[name];
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"  - name: '{name}'\n    parent: {(parent is null ? "~" : $"\"{parent}\"")}\n    loc: [{p.X}, {p.Y}]  # x, y\n");
        }

        AnimatedDrawingsConfig flow = AnimatedDrawingsConfig.Parse(text.ToString(), "flow.yaml");

        Assert.Equal(block.Joints.OrderBy(j => j.Key), flow.Joints.OrderBy(j => j.Key));
    }

    public static TheoryData<string, string, string> BadEdits => new()
    {
        // Each: a piece of the stick figure's file, what replaces it, and what the message must say.
        { "- loc:\n  - 185\n  - 147\n  name: left_elbow\n  parent: left_shoulder\n", "", "joint 'left_elbow' is missing" },
        { "name: left_knee\n", "name: left_kne\n", "'left_kne' is not one of Animated Drawings' 16 joints" },
        { "name: left_hand\n  parent: left_elbow", "name: left_hand\n  parent: right_elbow",
            "joint 'left_hand' hangs from 'right_elbow', but in Animated Drawings' skeleton its parent is 'left_elbow'" },
        { "  - 198\n  - 54\n", "  - 198\n", "joint 'left_hand': loc must be two numbers [x, y], got a sequence of 1" },
        { "  - 124\n  - 458\n", "  - 124\n  - 999\n", "joint 'left_foot' at (124, 999) lies outside the 216x475 picture" },
        { "width: 216", "width: wide", "width must be a number, got 'wide'" },
        { "height: 475\n", "", "no 'height'" },
        { "  name: neck\n", "  name: neck\n  name: head\n", "'name' is given twice" },
        { "  name: root\n", "  name: *root\n", "anchors, aliases, tags" },
        { "skeleton:\n", "skeleton: 3\nbones:\n", "'skeleton' must be a list of joints" },
        { "  name: torso\n  parent: hip\n", "  name: torso\n  parent: hip\n- loc: [1, 2]\n  name: torso\n  parent: hip\n", "joint 'torso' is given twice" },
    };

    [Theory]
    [MemberData(nameof(BadEdits))]
    public void Parse_BrokenFile_ErrorNamesTheFileLineAndProblem(string find, string replacement, string expected)
    {
        string text = File.ReadAllText(s_stick);
        Assert.Contains(find, text, StringComparison.Ordinal);

        var e = Assert.Throws<InvalidDataException>(() => AnimatedDrawingsConfig.Parse(text.Replace(find, replacement, StringComparison.Ordinal), "char_cfg.yaml"));

        Assert.Matches(@"^char_cfg\.yaml:\d+: ", e.Message);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData("width: 1\n\theight: 2\n", "a tab in the indentation")]
    [InlineData("- 1\n- 2\n", "expected a mapping with width, height and skeleton")]
    [InlineData("a: 1\n---\nb: 2\n", "a second YAML document")]
    [InlineData("a: {b: 1}\n", "flow mappings")]
    [InlineData("a: 'open\n", "unterminated quoted string")]
    public void Parse_NotTheSupportedYaml_ClearError(string text, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => AnimatedDrawingsConfig.Parse(text, "x.yaml"));
        Assert.StartsWith("x.yaml:", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_SaysWhatTheFolderHolds()
    {
        var e = Assert.Throws<FileNotFoundException>(() => AnimatedDrawingsConfig.Load("/nonexistent/char_cfg.yaml"));
        Assert.Contains("texture.png, mask.png and char_cfg.yaml", e.Message, StringComparison.Ordinal);
    }
}
