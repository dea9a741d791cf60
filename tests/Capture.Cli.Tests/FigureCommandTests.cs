using System.IO.Compression;
using System.Text.Json;
using Capture.Testing;

namespace Capture.Cli.Tests;

/// <summary><c>capture figure</c> as a user runs it: an Animated Drawings zip and a broken configuration.</summary>
public sealed class FigureCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-figure-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Figure_AnimatedDrawingsZip_WritesCutoutMaskBackgroundAndJoints()
    {
        string zip = Path.Combine(_dir, "char4.zip");
        ZipFile.CreateFromDirectory(SharedMedia.File("drawing_stick_char4"), zip, CompressionLevel.Fastest, includeBaseDirectory: true);
        string output = Path.Combine(_dir, "out");

        ToolProcess.Result r = await CliProcess.RunAsync("figure", zip, "-o", output);

        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains("drawing_stick_char4: 13 of 33 joints (full body)", r.StdOut, StringComparison.Ordinal);
        foreach (string file in new[] { "cutout.png", "mask.png", "background.png", "joints.json" })
        {
            Assert.True(new FileInfo(Path.Combine(output, file)).Length > 0, file);
        }

        using JsonDocument joints = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "joints.json")));
        Assert.Equal("char_cfg.yaml", joints.RootElement.GetProperty("source").GetString());
        JsonElement wrist = joints.RootElement.GetProperty("joints").GetProperty("left_wrist");
        Assert.Equal([198f, 54f], wrist.EnumerateArray().Select(v => v.GetSingle()));
    }

    [Fact]
    public async Task Figure_ConfigWithAMissingJoint_OneRedLineNamingFileAndLine()
    {
        string folder = Path.Combine(_dir, "broken");
        Directory.CreateDirectory(folder);
        foreach (string file in Directory.GetFiles(SharedMedia.File("drawing_stick_char4")))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        string cfg = Path.Combine(folder, "char_cfg.yaml");
        await File.WriteAllTextAsync(cfg, (await File.ReadAllTextAsync(cfg)).Replace("name: left_knee", "name: left_kne", StringComparison.Ordinal));

        ToolProcess.Result r = await CliProcess.RunAsync("figure", folder, "-o", Path.Combine(_dir, "out"));

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("error:", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("char_cfg.yaml:", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("'left_kne' is not one of Animated Drawings' 16 joints", r.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.All, StringComparison.Ordinal);
    }
}
