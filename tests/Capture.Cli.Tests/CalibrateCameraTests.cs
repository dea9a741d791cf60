using System.Text.Json;
using Capture.Testing;

namespace Capture.Cli.Tests;

/// <summary><c>capture calibrate-camera</c> through the real CLI on OpenCV's chessboard sample.</summary>
public sealed class CalibrateCameraTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-cli-cam-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] Boards() =>
        Directory.GetFiles(Path.Combine(Capture.Testing.SharedMedia.Directory, "calib_left"), "*.jpg").Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task CalibrateCamera_SampleBoardsAndOneWithout_PrintsRmsNamesTheRejectAndWritesJson()
    {
        string noBoard = Path.Combine(Capture.Testing.SharedMedia.Directory, "face_sergey_mediapipe.png");
        string output = Path.Combine(_dir, "camera.json");
        ToolProcess.Result r = await CliProcess.RunAsync(["calibrate-camera", .. Boards(), noBoard, "-o", output, "--board", "9x6", "--square-size", "25"]);
        Assert.True(r.ExitCode == 0, r.All);
        Assert.Contains($"skipped {noBoard}: no 9x6 chessboard (inner corners) found", r.Unwrapped, StringComparison.Ordinal);
        Assert.Contains("from 13 of 14 photos (640x480)", r.Unwrapped, StringComparison.Ordinal);

        using JsonDocument json = JsonDocument.Parse(await File.ReadAllTextAsync(output));
        JsonElement root = json.RootElement;
        double rms = root.GetProperty("rms").GetDouble();
        Assert.InRange(rms, 0.1, 1.0);
        Assert.Contains(rms.ToString("F3", System.Globalization.CultureInfo.InvariantCulture) + " px", r.Unwrapped, StringComparison.Ordinal);
        Assert.Equal(640, root.GetProperty("imageWidth").GetInt32());
        Assert.Equal(480, root.GetProperty("imageHeight").GetInt32());
        Assert.True(root.GetProperty("fx").GetDouble() > 100);
        Assert.True(root.GetProperty("fy").GetDouble() > 100);
        Assert.Equal(5, root.GetProperty("distortion").GetArrayLength());
    }

    [Fact]
    public async Task CalibrateCamera_OnlyPhotosWithoutBoard_OneLineError()
    {
        string a = Path.Combine(Capture.Testing.SharedMedia.Directory, "face_sergey_mediapipe.png");
        string b = Path.Combine(Capture.Testing.SharedMedia.Directory, "char_animal_cat_chelsea.png");
        ToolProcess.Result r = await CliProcess.RunAsync("calibrate-camera", a, b, "-o", Path.Combine(_dir, "camera.json"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("only 0 of 2 photos show the 9x6 chessboard; calibration needs at least 3", r.Unwrapped, StringComparison.Ordinal);
        Assert.Contains($"{a}: no 9x6 chessboard", r.Unwrapped, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Unwrapped, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "camera.json")));
    }

    [Fact]
    public async Task CalibrateCamera_BadBoardSpec_SaysExpectedForm()
    {
        ToolProcess.Result r = await CliProcess.RunAsync("calibrate-camera", Boards()[0], "-o", Path.Combine(_dir, "c.json"), "--board", "nine");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--board nine: expected inner corners as COLSxROWS, e.g. 9x6", r.Unwrapped, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Track_CameraJsonMissingOrBad_NamesTheFile()
    {
        string clip = Path.Combine(Capture.Testing.SharedMedia.Directory, "vid_expr_man_d18.mp4");
        string missing = Path.Combine(_dir, "nope.json");
        ToolProcess.Result r = await CliProcess.RunAsync("track", clip, "-o", Path.Combine(_dir, "t.mpk"), "--camera", missing);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{missing}: no such file (--camera)", r.Unwrapped, StringComparison.Ordinal);

        string bad = Path.Combine(_dir, "bad.json");
        await File.WriteAllTextAsync(bad, "{}");
        r = await CliProcess.RunAsync("track", clip, "-o", Path.Combine(_dir, "t.mpk"), "--camera", bad);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"{bad}: not a", r.Unwrapped, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CalibrateCamera_BrokenGtkOnLibraryPath_OneLineNamingLibraryAndInstall()
    {
        // A real failed load: an empty libgtk-3.so.0 first on LD_LIBRARY_PATH, so the dynamic loader
        // refuses libOpenCvSharpExtern.so's dependency, as on a half-installed system.
        string libs = Directory.CreateDirectory(Path.Combine(_dir, "libs")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(libs, "libgtk-3.so.0"), []);
        var info = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])[Path.Combine(AppContext.BaseDirectory, "capture.dll"), "calibrate-camera", Boards()[0], "-o", Path.Combine(_dir, "c.json")])
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["NO_COLOR"] = "1";
        info.Environment["LD_LIBRARY_PATH"] = libs;
        using var process = System.Diagnostics.Process.Start(info)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var r = new ToolProcess.Result(process.ExitCode, await stdout, stderr);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("error: OpenCV's native library libOpenCvSharpExtern.so could not be loaded (libgtk-3.so.0: file too short): install the GTK3 libraries", r.Unwrapped, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.All, StringComparison.Ordinal);
    }
}
