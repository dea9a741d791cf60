using System.Diagnostics;

namespace Capture.Server.Tests.Jobs;

[Collection(JobsCollection.Name)]
public sealed class CliRigPageTests
{
    [Fact]
    public async Task Render_FacelessCharacterWithoutRig_ErrorNamesTheRigPage()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        string output = Path.Combine(Path.GetTempPath(), $"capture-cat-{Guid.NewGuid():N}.mp4");
        foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "capture.dll"), "render", JobClient.Media("vid_expr_man_d18.mp4"), "--character", JobClient.Media("char_animal_cat_chelsea.png"), "-o", output, "--size", "256", "--frames", "2" })
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["NO_COLOR"] = "1";
        info.Environment["COLUMNS"] = "400";
        using var p = Process.Start(info)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        // Spectre wraps the line at the terminal width; a wrap replaces a space.
        string all = System.Text.RegularExpressions.Regex.Replace(await stdout + await stderr, @"\s+", " ");

        Assert.Equal(1, p.ExitCode);
        Assert.Contains("no face found in the picture", all, StringComparison.Ordinal);
        Assert.Contains("/rig.html", all, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }
}
