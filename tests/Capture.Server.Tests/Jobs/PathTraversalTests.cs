using Capture.Jobs;
using System.Net.Http.Headers;
using System.Text;

namespace Capture.Server.Tests.Jobs;

/// <summary>A client's file name never becomes a path: traversal, absolute and NUL names are neutralised.</summary>
[Collection(JobsCollection.Name)]
public sealed class PathTraversalTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-jobs-names-").FullName;
    private JobServer _server = null!;

    public async Task InitializeAsync() => _server = await JobServer.StartAsync(Path.Combine(_dir, "data"));

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("../../x.mp4", "../../evil.png")]
    [InlineData("/tmp/capture-absolute-x.mp4", "/etc/capture-evil.png")]
    [InlineData("..\\..\\x.mp4", "C:\\Windows\\evil.png")]
    [InlineData("a\0b/../../x.mp4", "\0.png")]
    public async Task Upload_WithHostileFileNames_StoresOnlyGeneratedNamesInsideTheDataFolder(string drivingName, string characterName)
    {
        string clip = await JobClient.TrimAsync(JobClient.Media("vid_expr_man_d18.mp4"), 1, Path.Combine(_dir, "c.mp4"));
        var before = Snapshot();
        // The body is written byte by byte so the hostile names (NUL included) reach the server exactly.
        const string Boundary = "capture-test-boundary-7d3f";
        using var body = new MemoryStream();
        void Text(string t) => body.Write(Encoding.UTF8.GetBytes(t));
        foreach ((string field, string file, string name) in new[] { ("driving", clip, drivingName), ("character", JobClient.Media("char_painting_mona_lisa_s9.jpg"), characterName) })
        {
            Text($"--{Boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n");
            body.Write(await File.ReadAllBytesAsync(file));
            Text("\r\n");
        }

        Text($"--{Boundary}\r\nContent-Disposition: form-data; name=\"size\"\r\n\r\n256\r\n--{Boundary}--\r\n");
        using var form = new ByteArrayContent(body.ToArray());
        form.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={Boundary}");

        string id = await JobClient.SubmitAsync(_server.Client, form);

        string jobDir = Path.Combine(_server.DataDirectory, "jobs", id);
        string[] inputs = [.. Directory.GetFiles(jobDir).Select(Path.GetFileName).Order()!];
        Assert.Equal(2, inputs.Length);
        Assert.Matches("^character\\.(png|img)$", inputs[0]);
        Assert.Matches("^driving\\.(mp4|video)$", inputs[1]);
        var after = Snapshot();
        Assert.Empty(after.Except(before));
        Assert.False(File.Exists("/tmp/capture-absolute-x.mp4"));
        Assert.False(File.Exists("/etc/capture-evil.png"));
        Assert.False(File.Exists(Path.Combine(_dir, "x.mp4")));
        string? display = (await JobClient.GetAsync(_server.Client, id)).GetProperty("drivingName").GetString();
        Assert.True(display is null || (!display.Contains('/') && !display.Contains('\\') && !display.Contains('\0')), display);
    }

    // Every file outside the data folder in the test's folder, and any file in /tmp named like the hostile names.
    private HashSet<string> Snapshot()
    {
        var files = new HashSet<string>(StringComparer.Ordinal);
        string data = Path.GetFullPath(_server.DataDirectory) + Path.DirectorySeparatorChar;
        IEnumerable<string> suspects = Directory.EnumerateFiles(Path.GetTempPath()).Where(f => Path.GetFileName(f).Contains("x.mp4", StringComparison.Ordinal) || Path.GetFileName(f).Contains("evil", StringComparison.Ordinal));
        foreach (string f in Directory.EnumerateFiles(_dir, "*", SearchOption.AllDirectories).Concat(suspects))
        {
            if (!Path.GetFullPath(f).StartsWith(data, StringComparison.Ordinal))
            {
                files.Add(f);
            }
        }

        return files;
    }

}
