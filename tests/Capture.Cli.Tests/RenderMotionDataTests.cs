using System.Globalization;
using Capture.Testing;

namespace Capture.Cli.Tests;

/// <summary><c>capture render … --motion-data DIR</c> as a user runs it: the body comes out as motion.bvh.</summary>
public sealed class RenderMotionDataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-render-bvh-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Media(string name) => SharedMedia.File(name);

    [Fact]
    public async Task Render_FullBodyClipWithMotionData_WritesABvhWithOneLinePerFrame()
    {
        string motion = Path.Combine(_dir, "motion");
        ToolProcess.Result r = await CliProcess.RunAsync(
            "render", Media("vid_body_fullbody_gesture_s13.mp4"), "--character", Media("char_statue_terracotta_s6.jpg"),
            "-o", Path.Combine(_dir, "out.mp4"), "--size", "256", "--frames", "10", "--motion-data", motion, "--pose-model", "Lite");

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("body seen in 10 frames", r.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("no body seen", r.StdOut, StringComparison.Ordinal);
        float[][] lines = ReadBvh(Path.Combine(motion, "motion.bvh"), out int channels);
        Assert.Equal(10, lines.Length);
        Assert.All(lines, l => Assert.All(l, v => Assert.True(float.IsFinite(v))));
        float largestChange = Enumerable.Range(0, channels).Max(c => lines.Max(l => l[c]) - lines.Min(l => l[c]));
        Assert.True(largestChange > 1, $"largest channel change {largestChange}");
    }

    [Fact]
    public async Task Render_SelfieClipWithMotionData_WritesARestPoseBvhAndSaysNoBody()
    {
        string motion = Path.Combine(_dir, "motion");
        ToolProcess.Result r = await CliProcess.RunAsync(
            "render", Media("vid_talk_selfie_man_d13.mp4"), "--character", Media("char_statue_terracotta_s6.jpg"),
            "-o", Path.Combine(_dir, "out.mp4"), "--size", "256", "--frames", "5", "--motion-data", motion);

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("no body seen in vid_talk_selfie_man_d13.mp4", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("rest pose", r.StdOut, StringComparison.Ordinal);
        float[][] lines = ReadBvh(Path.Combine(motion, "motion.bvh"), out _);
        Assert.Equal(5, lines.Length);
        Assert.All(lines, l => Assert.All(l, v => Assert.Equal(0f, v)));
    }

    [Fact]
    public async Task RenderHelp_NamesTheBvhAndTheNoBodyOption()
    {
        ToolProcess.Result r = await CliProcess.RunAsync("render", "--help");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("motion.bvh", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("--no-body", r.StdOut, StringComparison.Ordinal);
    }

    /// <summary>Reads a BVH strictly: HIERARCHY first, a MOTION section whose frame count and per-line channel count match.</summary>
    private static float[][] ReadBvh(string path, out int channels)
    {
        string[] lines = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        Assert.Equal("HIERARCHY", lines[0]);
        int motion = Array.IndexOf(lines, "MOTION");
        Assert.True(motion > 0, $"{path}: no MOTION section");
        channels = lines.Take(motion).Where(l => l.StartsWith("CHANNELS ", StringComparison.Ordinal))
            .Sum(l => int.Parse(l.Split(' ')[1], CultureInfo.InvariantCulture));
        Assert.Equal(3 + (3 * lines.Take(motion).Count(l => l.StartsWith("ROOT ", StringComparison.Ordinal) || l.StartsWith("JOINT ", StringComparison.Ordinal))), channels);
        Assert.StartsWith("Frames: ", lines[motion + 1], StringComparison.Ordinal);
        int frames = int.Parse(lines[motion + 1]["Frames: ".Length..], CultureInfo.InvariantCulture);
        Assert.StartsWith("Frame Time: ", lines[motion + 2], StringComparison.Ordinal);
        float[][] values = [.. lines.Skip(motion + 3).Select(l => l.Split(' ').Select(v => float.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray())];
        Assert.Equal(frames, values.Length);
        int perLine = channels;
        Assert.All(values, v => Assert.Equal(perLine, v.Length));
        return values;
    }
}
