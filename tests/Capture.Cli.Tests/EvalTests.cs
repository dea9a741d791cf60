using System.Text.Json;
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

    [Fact]
    public async Task EvalCrossBody_DrawingAndFullBodyPicture_ReadsLimbsBackAndScoresTheDrawingOnItsDrivenJoints()
    {
        // The stick figure cannot be read back by the pose tracker (scored on its driven joints); the anime figure can.
        ToolProcess.Result r = await CliProcess.RunAsync(
            "eval", "--cross", "--body", "--frames", "16", "--akd-every", "4", "--size", "240", "--json", Media("vid_body_fullbody_gesture_s13.mp4"),
            "--characters", Media("drawing_stick_char4"), Media("char_fullbody_anime_musepose_ref.jpg"));

        Assert.True(r.ExitCode == 0, r.All);
        using JsonDocument json = JsonDocument.Parse(r.StdOut);
        Assert.Equal("cross-body", json.RootElement.GetProperty("mode").GetString());
        JsonElement[] pairs = [.. json.RootElement.GetProperty("pairs").EnumerateArray()];
        Assert.Equal(2, pairs.Length);

        JsonElement drawing = pairs.Single(p => p.GetProperty("character").GetString() == "drawing_stick_char4");
        Assert.False(drawing.GetProperty("readBack").GetBoolean(), r.All);
        Assert.Equal(JsonValueKind.Null, drawing.GetProperty("limbDegrees").ValueKind);
        Assert.InRange(drawing.GetProperty("drivenDegrees").GetDouble(), 0, 2);
        Assert.Equal(16, drawing.GetProperty("frames").GetInt64());

        JsonElement figure = pairs.Single(p => p.GetProperty("character").GetString() == "char_fullbody_anime_musepose_ref");
        Assert.True(figure.GetProperty("readBack").GetBoolean(), r.All);
        Assert.True(figure.GetProperty("compared").GetInt64() >= 3, r.All);
        Assert.InRange(figure.GetProperty("limbDegrees").GetDouble(), 0, 12);
        Assert.Equal(1.0, figure.GetProperty("bodyFound").GetDouble(), 3);
        Assert.Equal(0, figure.GetProperty("foldOverFrames").GetInt64());
        Assert.Equal(8, figure.GetProperty("perLimbDegrees").GetArrayLength());
    }

    [Theory]
    [InlineData("no-cross", "--body is for --cross")]
    [InlineData("no-characters", "needs at least one body character")]
    [InlineData("face-only", "no body found in the picture")]
    [InlineData("size", "--size 20000: with --body it is the output's width")]
    public async Task EvalCrossBody_BadArguments_SaysWhat(string what, string message)
    {
        string clip = Media("vid_body_fullbody_gesture_s13.mp4");
        string[] args = what switch
        {
            "no-cross" => ["eval", "--body", clip, "--characters", Media("drawing_stick_char4")],
            "no-characters" => ["eval", "--cross", "--body", clip],
            "face-only" => ["eval", "--cross", "--body", "--frames", "2", clip, "--characters", Media("char_animal_cat_chelsea.png")],
            _ => ["eval", "--cross", "--body", "--size", "20000", clip, "--characters", Media("drawing_stick_char4")],
        };

        ToolProcess.Result r = await CliProcess.RunAsync(args);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains(message, r.All, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.All, StringComparison.Ordinal);
    }
}
