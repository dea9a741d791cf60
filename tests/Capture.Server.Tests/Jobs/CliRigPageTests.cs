using Capture.Testing;

namespace Capture.Server.Tests.Jobs;

[Collection(JobsCollection.Name)]
public sealed class CliRigPageTests
{
    [Fact]
    public async Task Render_FacelessCharacterWithoutRig_ErrorNamesTheRigPage()
    {
        string output = Path.Combine(Path.GetTempPath(), $"capture-cat-{Guid.NewGuid():N}.mp4");
        ToolProcess.Result r = await ToolProcess.RunCaptureAsync(
            Path.Combine(AppContext.BaseDirectory, "capture.dll"),
            ["render", JobClient.Media("vid_expr_man_d18.mp4"), "--character", JobClient.Media("char_animal_cat_chelsea.png"), "-o", output, "--size", "256", "--frames", "2"]);
        // Spectre wraps the line at the terminal width; a wrap replaces a space.
        string all = System.Text.RegularExpressions.Regex.Replace(r.All, @"\s+", " ");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no face found in the picture", all, StringComparison.Ordinal);
        Assert.Contains("/rig.html", all, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }
}
