using Capture.Testing;

namespace Capture.Cli.Tests;

/// <summary><c>capture track --overlay</c>: a picture for a still, a video for a video, and a clear refusal the other way round.</summary>
public sealed class TrackOverlayTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-overlay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Track_StillWithPngOverlay_WritesThePictureWithTheMeshDrawn()
    {
        string still = SharedMedia.File("face_sergey_mediapipe.png");
        string overlay = Path.Combine(_dir, "overlay.png");

        ToolProcess.Result r = await CliProcess.RunAsync("track", still, "-o", Path.Combine(_dir, "still.mpk"), "--overlay", overlay);

        Assert.True(r.ExitCode == 0, r.All);
        Capture.Core.Frames.RgbaImage drawn = await Capture.Media.ImageFile.LoadRgbaAsync(overlay);
        Capture.Core.Frames.RgbaImage original = await Capture.Media.ImageFile.LoadRgbaAsync(still);
        Assert.Equal((original.Width, original.Height), (drawn.Width, drawn.Height));
        int green = 0;
        for (int i = 0; i < drawn.Pixels.Length; i += 4)
        {
            green += drawn.Pixels[i] == 40 && drawn.Pixels[i + 1] == 255 && drawn.Pixels[i + 2] == 40 ? 1 : 0;
        }

        Assert.True(green > 468, $"{green} mesh-green pixels"); // 468 points, 2×2 each, some overlapping
    }

    [Theory]
    [InlineData("face_sergey_mediapipe.png", "overlay.mp4", "is a still picture, so its overlay is a picture too: --overlay")]
    [InlineData("vid_expr_man_d18.mp4", "overlay.png", "is a video, so its overlay is a video too: --overlay")]
    public async Task Track_OverlayOfTheOtherKind_RefusedNamingTheRightOne(string input, string overlay, string problem)
    {
        ToolProcess.Result r = await CliProcess.RunAsync("track", SharedMedia.File(input), "-o", Path.Combine(_dir, "x.mpk"), "--overlay", Path.Combine(_dir, overlay));

        Assert.Equal(1, r.ExitCode);
        Assert.Contains(problem, r.All, StringComparison.Ordinal);
        Assert.DoesNotContain("fps", r.All, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.All, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, overlay)));
    }
}
