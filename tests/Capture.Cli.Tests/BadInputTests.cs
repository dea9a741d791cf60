namespace Capture.Cli.Tests;

/// <summary>
/// The foundation's bad-input list, seen from the command line: one clear error naming the file and
/// the problem, a non-zero exit, no stack trace.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Probe_NonexistentPath_NamesFileAndExitsOne()
    {
        string path = Path.Combine(_dir, "missing.mp4");
        CliProcess.Result r = await CliProcess.RunAsync("probe", path);
        AssertUserError(r, path, "not found");
    }

    [Fact]
    public async Task Probe_ZeroByteFile_SaysEmpty()
    {
        string path = Path.Combine(_dir, "empty.mp4");
        await File.WriteAllBytesAsync(path, []);
        CliProcess.Result r = await CliProcess.RunAsync("probe", path);
        AssertUserError(r, path, "empty");
    }

    [Fact]
    public async Task Probe_TextFileNamedMp4_SaysNotAVideo()
    {
        string path = Path.Combine(_dir, "notes.mp4");
        await File.WriteAllTextAsync(path, "this is not a video\n");
        CliProcess.Result r = await CliProcess.RunAsync("probe", path);
        AssertUserError(r, path, "not a video");
    }

    [Fact]
    public async Task Track_TextFileNamedMp4_OneLineNoStackTrace()
    {
        string path = Path.Combine(_dir, "notes.mp4");
        await File.WriteAllTextAsync(path, "this is not a video\n");
        CliProcess.Result r = await CliProcess.RunAsync("track", path, "-o", Path.Combine(_dir, "out.mpk"));
        AssertUserError(r, path, "not a video");
    }

    [Fact]
    public async Task Track_UnreadableWebcam_NamesDevice()
    {
        CliProcess.Result r = await CliProcess.RunAsync("track", "/dev/video9", "-o", Path.Combine(_dir, "out.mpk"));
        AssertUserError(r, "/dev/video9", "device");
    }

    [Fact]
    public async Task Info_PrintsOrtVersionAndProvider()
    {
        CliProcess.Result r = await CliProcess.RunAsync("info");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("1.29.0", r.StdOut, StringComparison.Ordinal);
        Assert.Contains("CPUExecutionProvider", r.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_EveryCommandTeaches()
    {
        CliProcess.Result r = await CliProcess.RunAsync("--help");
        Assert.Equal(0, r.ExitCode);
        foreach (string command in new[] { "info", "probe", "models", "track", "render" })
        {
            Assert.Contains(command, r.StdOut, StringComparison.Ordinal);
            CliProcess.Result sub = await CliProcess.RunAsync(command, "--help");
            Assert.Equal(0, sub.ExitCode);
            Assert.Contains("Usage:", sub.StdOut, StringComparison.Ordinal);
        }
    }

    private static void AssertUserError(CliProcess.Result r, string path, string problem)
    {
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(path, r.All, StringComparison.Ordinal);
        Assert.Contains(problem, r.All, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("error:", r.All, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.All, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.All, StringComparison.Ordinal);
    }
}
