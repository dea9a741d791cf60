using Capture.Testing;

namespace Capture.Cli.Tests;

/// <summary><c>capture eval</c> as a user runs it, on a few frames of a real clip.</summary>
public sealed class EvalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-eval-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Media(string name) => SharedMedia.File(name);

    [Fact]
    public async Task Eval_ErrorMaps_PrintsScoresAndRegionsAndWritesTheErrorPicture()
    {
        ToolProcess.Result r = await CliProcess.RunAsync(
            "eval", Media("vid_expr_man_d18.mp4"), "--frames", "6", "--error-maps", _dir);

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("vid_expr_man_d18.mp4", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("where the error sits", r.StdOut, StringComparison.Ordinal);
        foreach (string region in new[] { "face (inside the oval)", "mask edge", "still picture" })
        {
            Assert.Contains(region, r.StdOut, StringComparison.Ordinal);
        }

        var png = new FileInfo(Path.Combine(_dir, "vid_expr_man_d18.png"));
        Assert.True(png.Exists && png.Length > 100, "no error picture");
        byte[] head = File.ReadAllBytes(png.FullName)[..8];
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, head);
    }

    [Fact]
    public async Task Eval_ClipWithoutAFace_FailsNamingTheClip()
    {
        string clip = Path.Combine(_dir, "noface.mp4");
        var ffmpeg = System.Diagnostics.Process.Start("ffmpeg", ["-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=1", "-pix_fmt", "yuv420p", clip])!;
        await ffmpeg.WaitForExitAsync();

        ToolProcess.Result r = await CliProcess.RunAsync("eval", clip, "--frames", "3");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("noface.mp4: no face in frame 0", r.All, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EvalCross_OneCharacterOneClip_PrintsTheCrossTableAndWritesSideBySides()
    {
        ToolProcess.Result r = await CliProcess.RunAsync(
            "eval", "--cross", "--characters", Media("char_cartoon3d_boy_s7.jpg"), "--frames", "8", "--akd-every", "4", "--pictures", _dir,
            Media("vid_expr_man_d18.mp4"));

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("char_cartoon3d_boy_s7 × vid_expr_man_d18.mp4: AED", r.All, StringComparison.Ordinal);
        Assert.Contains("fold-over frames 0", r.All, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir, "cross_char_cartoon3d_boy_s7_vid_expr_man_d18_mouth.png")), r.All);
        Assert.True(File.Exists(Path.Combine(_dir, "cross_char_cartoon3d_boy_s7_vid_expr_man_d18_turn.png")), r.All);
    }

    [Fact]
    public async Task EvalCross_MeshWarp_PrintsTheCrossTableWithoutFoldOversUnwrappedWhenPiped()
    {
        // Piped (as here) to a narrow COLUMNS: the table keeps its header and each row on one line.
        ToolProcess.Result r = await CliProcess.RunAsync(
            new Dictionary<string, string> { ["COLUMNS"] = "60" },
            "eval", "--cross", "--warp", "mesh", "--frames", "8", "--akd-every", "4", Media("vid_expr_man_d18.mp4"),
            "--characters", Media("char_painting_mona_lisa_s9.jpg"));

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("char_painting_mona_lisa_s9 × vid_expr_man_d18.mp4: AED", r.All, StringComparison.Ordinal);
        Assert.Contains("fold-over frames 0", r.All, StringComparison.Ordinal);
        string[] lines = r.StdOut.Split('\n');
        Assert.Contains(lines, l => l.Contains("character", StringComparison.Ordinal) && l.Contains("fold-over frames", StringComparison.Ordinal) && l.Contains("time s", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("char_painting_mona_lisa_s9", StringComparison.Ordinal) && l.Contains("vid_expr_man_d18.mp4", StringComparison.Ordinal) && l.Contains('%'));
        Assert.DoesNotContain("\u001b[", r.StdOut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eval")]
    [InlineData("render")]
    public async Task Warp_UnknownKind_NamesTheKindsThatExist(string command)
    {
        ToolProcess.Result r = await CliProcess.RunAsync(command, Media("vid_expr_man_d18.mp4"), "--warp", "bezier");

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("'bezier'", r.All, StringComparison.Ordinal);
        Assert.Contains("Mesh", r.All, StringComparison.Ordinal);
        Assert.Contains("Spline", r.All, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--cross", "needs at least one character")]
    [InlineData("--characters", "--characters is for --cross")]
    public async Task EvalCross_CharactersMissingOrWithoutCross_SaysWhat(string flag, string message)
    {
        string[] args = flag == "--cross"
            ? ["eval", "--cross", Media("vid_expr_man_d18.mp4"), "--frames", "2"]
            : ["eval", "--characters", Media("char_cartoon3d_boy_s7.jpg"), "--frames", "2", Media("vid_expr_man_d18.mp4")];

        ToolProcess.Result r = await CliProcess.RunAsync(args);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.All, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.All, StringComparison.Ordinal);
    }
}
