using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Capture.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Capture.Server.Tests.Jobs;

/// <summary>
/// What an outsider tried on the jobs API (issue 18): an 8192² clip refused naming the limit, a huge part header
/// or a bad query answered 400 as problem+json, a rig with strings for numbers a 422, and two DELETEs of one
/// running job that remove its files once, after the runner has let go.
/// </summary>
[Collection(JobsCollection.Name)]
public sealed class JobsHardeningTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-jobs-hard-").FullName;
    private JobServer _server = null!;

    public async Task InitializeAsync() => _server = await JobServer.StartAsync(Path.Combine(_dir, "data"));

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static void AssertProblem(HttpResponseMessage r, string body) =>
        Assert.True(r.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{(int)r.StatusCode} {r.Content.Headers.ContentType}: '{body}'");

    [Fact]
    public async Task Post_8192SquareClip_422NamingTheLimit()
    {
        // One flat 8192² MJPEG frame: a few hundred KB to upload, 200 MB a frame to decode.
        string huge = Path.Combine(_dir, "huge.mkv");
        await JobClient.RunToolAsync("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:size=8192x8192:rate=1", "-frames:v", "1", "-c:v", "mjpeg", huge);
        (int status, JsonElement problem) = await JobClient.PostExpectingProblemAsync(_server.Client,
            JobClient.Form(huge, JobClient.Media("char_painting_mona_lisa_s9.jpg")));
        Assert.Equal(422, status);
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("8192x8192", detail, StringComparison.Ordinal);
        Assert.Contains("over the 8192x4320 (35.4 Mpx) limit", detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_100KbPartHeaderOnATinyBody_400NotA413()
    {
        const string Boundary = "b0undary";
        using var content = new ByteArrayContent(Encoding.ASCII.GetBytes(
            $"--{Boundary}\r\nContent-Disposition: form-data; name=\"driving\"; filename=\"a.mp4\"\r\nX-Pad: {new string('a', 100 * 1024)}\r\n\r\nxx\r\n--{Boundary}--\r\n"));
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={Boundary}");
        (int status, JsonElement problem) = await JobClient.PostExpectingProblemAsync(_server.Client, content);
        Assert.Equal(400, status);
        Assert.Contains("headers are over the 16 KiB limit", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RigWithNaNStrings_422OnJobsAndOnRigFit()
    {
        const string Rig = """{"format":"capture-rig","version":1,"imageSize":[512,512],"points":{"rightEyeOuter":["NaN",1],"leftEyeOuter":[300,200],"mouthRight":[220,330],"mouthLeft":[290,330]}}""";
        string rigPath = Path.Combine(_dir, "rig.json");
        await File.WriteAllTextAsync(rigPath, Rig);
        (int status, JsonElement problem) = await JobClient.PostExpectingProblemAsync(_server.Client,
            JobClient.Form(JobClient.Media("vid_expr_man_d18.mp4"), JobClient.Media("char_animal_cat_chelsea.png"), rigPath: rigPath));
        Assert.Equal(422, status);
        Assert.Contains("rightEyeOuter", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        using var fit = new StringContent($$"""{"rig": {{Rig}}, "width": 512, "height": 512}""", Encoding.UTF8, "application/json");
        using HttpResponseMessage r = await _server.Client.PostAsync("api/rigs/fit", fit);
        string body = await r.Content.ReadAsStringAsync();
        AssertProblem(r, body);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
        Assert.Contains("rightEyeOuter", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api/jobs?limit=abc", "limit 'abc' is not a whole number")]
    [InlineData("api/jobs?limit=-3", "limit '-3' is not a whole number")]
    [InlineData("api/jobs?limit=%00", "limit '\\\\u0000' is not a whole number")]
    public async Task List_LimitNotAWholeNumber_400ProblemJson(string path, string expected)
    {
        using HttpResponseMessage r = await _server.Client.GetAsync(path);
        string body = await r.Content.ReadAsStringAsync();
        AssertProblem(r, body);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains(expected, body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api/jobs/abc%00def")]
    [InlineData("api/jobs/%00/result")]
    public async Task Get_NulInThePath_400FromKestrelBeforeAnyEndpoint(string path)
    {
        // Kestrel refuses a request target that decodes to a NUL before routing (its own bare 400; no hook lets an
        // application word that answer). What matters: a 400, and the request never reaches the jobs API.
        using HttpResponseMessage r = await _server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
    }

    [Fact]
    public async Task Delete_TwiceAtOnceWhileRunning_BothReturnAfterTheRunnerLetGo_FilesRemovedOnce()
    {
        string clip = await JobClient.TrimAsync(JobClient.Media("vid_expr_man_d18.mp4"), 4, Path.Combine(_dir, "clip.mp4"));
        string id = await JobClient.SubmitAsync(_server.Client, JobClient.Form(clip, JobClient.Media("char_painting_mona_lisa_s9.jpg"), fields: new() { ["size"] = "256", ["motionData"] = "false" }));
        JobRunner runner = _server.App.Services.GetRequiredService<JobRunner>();
        string folder = _server.App.Services.GetRequiredService<DataFolder>().JobDirectory(id);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await JobClient.GetAsync(_server.Client, id)).GetProperty("framesDone").GetInt64() == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "the job never started rendering");
            await Task.Delay(50);
        }

        Assert.Equal(1, runner.RunningCount);
        Assert.True(Directory.Exists(folder), folder);

        async Task<(HttpStatusCode Status, int RunningWhenAnswered, bool FolderWhenAnswered)> DeleteAsync()
        {
            using HttpResponseMessage r = await _server.Client.DeleteAsync($"api/jobs/{id}");
            return (r.StatusCode, runner.RunningCount, Directory.Exists(folder));
        }

        var results = await Task.WhenAll(DeleteAsync(), DeleteAsync());

        foreach ((HttpStatusCode status, int running, bool folderLeft) in results)
        {
            Assert.True(status is HttpStatusCode.NoContent or HttpStatusCode.NotFound, status.ToString());
            // Neither answer may come while the runner still holds the job: that is when the second used to delete its files.
            Assert.Equal(0, running);
            Assert.False(folderLeft, "a DELETE answered while the job's files were still there");
        }

        Assert.Contains(results, r => r.Status == HttpStatusCode.NoContent);
        using HttpResponseMessage gone = await _server.Client.GetAsync($"api/jobs/{id}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        using HttpResponseMessage again = await _server.Client.DeleteAsync($"api/jobs/{id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }
}
