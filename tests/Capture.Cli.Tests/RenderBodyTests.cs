using Capture.Media;
using Capture.Testing;

namespace Capture.Cli.Tests;

/// <summary><c>capture render --body</c> as a user runs it: an Animated Drawings folder driven by the gesture clip, and the body's bad input.</summary>
public sealed class RenderBodyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-render-body-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Render_AnimatedDrawingsFolder_ImpliesTheBodyAndKeepsTheDrawingsShape()
    {
        string output = Path.Combine(_dir, "drawing.mp4");

        ToolProcess.Result r = await CliProcess.RunAsync(
            "render", SharedMedia.File("vid_body_fullbody_gesture_s13.mp4"), "--character", SharedMedia.File("drawing_stick_char4"),
            "--size", "216", "--frames", "12", "-o", output);

        Assert.True(r.ExitCode == 0, r.All);
        MediaInfo info = await MediaProbe.ProbeAsync(output);

        // The drawing's 216×475 portrait, 216 wide (sides even for H.264).
        Assert.Equal((216, 476), (info.Video!.Width, info.Video.Height));
    }

    [Fact]
    public async Task Render_BodyFromAPictureWithoutABody_OneLineSayingWhy()
    {
        ToolProcess.Result r = await CliProcess.RunAsync(
            "render", SharedMedia.File("vid_body_fullbody_gesture_s13.mp4"), "--character", SharedMedia.File("char_animal_cat_chelsea.png"),
            "--body", "--size", "216", "--frames", "4", "-o", Path.Combine(_dir, "cat.mp4"));

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("error:", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("char_animal_cat_chelsea.png", r.Unwrapped, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.All, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "cat.mp4")));
    }

    [Fact]
    public async Task Render_MaskWithoutBody_SaysToAddBody()
    {
        ToolProcess.Result r = await CliProcess.RunAsync(
            "render", SharedMedia.File("vid_body_fullbody_gesture_s13.mp4"), "--character", SharedMedia.File("char_painting_mona_lisa_s9.jpg"),
            "--mask", SharedMedia.File("drawing_stick_char4/mask.png"), "-o", Path.Combine(_dir, "x.mp4"));

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--mask is the figure's mask for a body character: add --body", r.Unwrapped, StringComparison.Ordinal);
    }
}
