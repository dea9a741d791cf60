using Capture.Testing;

namespace Capture.Cli.Tests;

/// <summary>The README's first command on a machine without the shared media: it renders the bundled sample.</summary>
public sealed class DemoTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-demo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task DemoScript_NoSharedMedia_RendersTheBundledSampleIntoOutSampleMp4()
    {
        // A fresh clone without ../shared: CAPTURE_MEDIA points at an empty folder, so the shared media are not found.
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "no-media")).FullName;
        string work = Directory.CreateDirectory(Path.Combine(_dir, "work")).FullName;
        string demo = RepoFiles.Path("scripts", "demo.sh");

        ToolProcess.Result r = await ToolProcess.RunAsync(
            "bash", ["-c", $"cd '{work}' && bash '{demo}' --size 256"],
            new Dictionary<string, string> { ["CAPTURE_MEDIA"] = empty, ["NO_COLOR"] = "1", ["COLUMNS"] = "400" },
            TimeSpan.FromMinutes(8));

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("rendering the bundled sample", r.All, StringComparison.Ordinal);
        string output = Path.Combine(work, "out", "sample.mp4");
        Assert.True(File.Exists(output), r.All);
        Capture.Media.MediaInfo probe = await Capture.Media.MediaProbe.ProbeAsync(output);
        Assert.Equal(512, probe.Video!.Width); // side by side, 256 each
        Assert.Equal(216, probe.Video.FrameCount);
    }

    [Fact]
    public void BundledSample_SmallAndCarriesItsNotice()
    {
        string samples = RepoFiles.Path("samples");
        long bytes = new DirectoryInfo(samples).GetFiles().Where(f => f.Name != "NOTICE").Sum(f => f.Length);
        string notice = File.ReadAllText(Path.Combine(samples, "NOTICE"));

        Assert.InRange(bytes, 1, 1024 * 1024);
        Assert.Contains("vid_expr_man_d18.mp4", notice, StringComparison.Ordinal);
        Assert.Contains("MIT", notice, StringComparison.Ordinal);
        Assert.Contains("public domain", notice, StringComparison.Ordinal);
    }
}
