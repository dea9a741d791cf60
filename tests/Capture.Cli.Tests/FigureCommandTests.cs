using System.IO.Compression;
using System.Text.Json;
using Capture.Core.Frames;
using Capture.Media;
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
        Assert.Equal(13, joints.RootElement.GetProperty("joints").EnumerateObject().Count());

        // Animated Drawings' left_hand (char_cfg.yaml: 198, 54) is MediaPipe's left_wrist, at the drawing's own scale.
        JsonElement wrist = joints.RootElement.GetProperty("joints").GetProperty("left_wrist");
        Assert.Equal([198f, 54f], wrist.EnumerateArray().Select(v => v.GetSingle()));

        // The cut-out is the drawing where mask.png is white and transparent elsewhere; mask.png written back is that mask.
        RgbaImage drawingMask = await ImageFile.LoadRgbaAsync(SharedMedia.File("drawing_stick_char4/mask.png"));
        RgbaImage texture = await ImageFile.LoadRgbaAsync(SharedMedia.File("drawing_stick_char4/texture.png"));
        RgbaImage cutout = await ImageFile.LoadRgbaAsync(Path.Combine(output, "cutout.png"));
        RgbaImage mask = await ImageFile.LoadRgbaAsync(Path.Combine(output, "mask.png"));
        RgbaImage background = await ImageFile.LoadRgbaAsync(Path.Combine(output, "background.png"));
        Assert.Equal((texture.Width, texture.Height), (cutout.Width, cutout.Height));
        int agree = 0, figure = 0, colourKept = 0;
        for (int i = 0; i < texture.Width * texture.Height; i++)
        {
            bool inDrawing = drawingMask.Pixels[i * 4] > 127;
            bool inCutout = cutout.Pixels[(i * 4) + 3] > 127;
            agree += inDrawing == inCutout && inDrawing == mask.Pixels[i * 4] > 127 ? 1 : 0;
            if (inCutout)
            {
                figure++;
                colourKept += Math.Abs(cutout.Pixels[i * 4] - texture.Pixels[i * 4]) <= 2 ? 1 : 0;
            }

            Assert.Equal(255, background.Pixels[(i * 4) + 3]);
        }

        Assert.True(agree >= 0.99 * texture.Width * texture.Height, $"cut-out and mask.png agree on {agree} of {texture.Width * texture.Height} pixels");
        Assert.True(figure > 0.02 * texture.Width * texture.Height, $"figure {figure} px");
        Assert.True(colourKept >= 0.99 * figure, $"drawing's colour kept in {colourKept} of {figure} figure pixels");
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
        Assert.Contains("'left_kne' is not one of Animated Drawings' 16 joints", r.Unwrapped, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.All, StringComparison.Ordinal);
    }
}
