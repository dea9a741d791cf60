using System.Globalization;
using System.Numerics;

namespace Capture.Protocol.Tests;

/// <summary>The parts of a BVH file the tests check, read strictly: a malformed file fails the parse.</summary>
internal sealed record BvhText(int Joints, int Channels, float[] OffsetLengths, double FrameTime, float[][] Motion)
{
    public static BvhText Parse(string text)
    {
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal("HIERARCHY", lines[0]);
        Assert.StartsWith("ROOT ", lines[1], StringComparison.Ordinal);
        int motion = Array.IndexOf(lines, "MOTION");
        Assert.True(motion > 0, "no MOTION section");
        int joints = 0, channels = 0;
        var offsets = new List<float>();
        for (int i = 1; i < motion; i++)
        {
            string[] w = lines[i].Split(' ');
            if (w[0] is "ROOT" or "JOINT")
            {
                joints++;
            }
            else if (w[0] == "CHANNELS")
            {
                channels += int.Parse(w[1], CultureInfo.InvariantCulture);
                Assert.Equal(w.Length - 2, int.Parse(w[1], CultureInfo.InvariantCulture));
            }
            else if (w[0] == "OFFSET" && !lines[i - 2].StartsWith("End Site", StringComparison.Ordinal))
            {
                var o = new Vector3(F(w[1]), F(w[2]), F(w[3]));
                offsets.Add(o.Length());
            }
        }

        Assert.StartsWith("Frames: ", lines[motion + 1], StringComparison.Ordinal);
        int frames = int.Parse(lines[motion + 1]["Frames: ".Length..], CultureInfo.InvariantCulture);
        Assert.StartsWith("Frame Time: ", lines[motion + 2], StringComparison.Ordinal);
        double frameTime = double.Parse(lines[motion + 2]["Frame Time: ".Length..], CultureInfo.InvariantCulture);
        Assert.Equal(frames, lines.Length - motion - 3);
        float[][] values = [.. lines.Skip(motion + 3).Select(l => l.Split(' ').Select(F).ToArray())];
        Assert.All(values, v => Assert.Equal(channels, v.Length));
        return new BvhText(joints, channels, [.. offsets], frameTime, values);
    }

    private static float F(string s) => float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
}
