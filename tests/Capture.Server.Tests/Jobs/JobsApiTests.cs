using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Capture.Core.Tracking;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;

namespace Capture.Server.Tests.Jobs;

/// <summary>The jobs API end to end on a real Kestrel: upload → render (the real pipeline) → results and events.</summary>
[Collection(JobsCollection.Name)]
public sealed class JobsApiTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-jobs-api-").FullName;
    private JobServer _server = null!;

    public async Task InitializeAsync() => _server = await JobServer.StartAsync(Path.Combine(_dir, "data"));

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Post_SharedClipAndMonaLisa_SucceedsWithTheClipsDurationAudioAndMotionFiles()
    {
        string clip = JobClient.Media("vid_expr_man_d18.mp4");
        string id = await JobClient.SubmitAsync(_server.Client, JobClient.Form(clip, JobClient.Media("char_painting_mona_lisa_s9.jpg"),
            fields: new() { ["size"] = "256", ["motionData"] = "true", ["intensity"] = "3" }));

        List<JsonElement> events = await JobClient.ReadEventsAsync(_server.Client, id, TimeSpan.FromMinutes(4));

        JsonElement last = events[^1];
        Assert.True(last.GetProperty("state").GetString() == "succeeded", last.ToString());
        Assert.Equal(1.0, last.GetProperty("progress").GetDouble());
        JsonElement running = events.First(e => e.GetProperty("state").GetString() == "running" && e.GetProperty("framesDone").GetInt64() > 0);
        Assert.True(running.GetProperty("fps").GetDouble() > 0, running.ToString());
        Assert.True(running.GetProperty("etaSeconds").ValueKind == JsonValueKind.Number, running.ToString());
        Assert.Equal(216, running.GetProperty("framesTotal").GetInt64());
        double[] progress = [.. events.Select(e => e.GetProperty("progress").GetDouble())];
        Assert.True(progress.Zip(progress.Skip(1)).All(p => p.Second >= p.First), string.Join(", ", progress));
        long frames = last.GetProperty("framesDone").GetInt64();
        Assert.Equal(216, frames);

        JsonElement polled = await JobClient.GetAsync(_server.Client, id);
        foreach (string field in new[] { "id", "state", "progress", "framesDone", "framesTotal", "fps", "etaSeconds", "error" })
        {
            Assert.True(polled.TryGetProperty(field, out _), $"GET /api/jobs/{{id}} lacks '{field}': {polled}");
        }

        using HttpResponseMessage result = await _server.Client.GetAsync($"api/jobs/{id}/result");
        Assert.Equal(HttpStatusCode.OK, result.StatusCode);
        Assert.Equal("video/mp4", result.Content.Headers.ContentType?.MediaType);
        string mp4 = Path.Combine(_dir, "result.mp4");
        await File.WriteAllBytesAsync(mp4, await result.Content.ReadAsByteArrayAsync());
        var (duration, audio, width, height) = await JobClient.ProbeAsync(mp4);
        var source = await JobClient.ProbeAsync(clip);
        Assert.True(Math.Abs(duration - source.Duration) < 0.2, $"result {duration:F3} s vs clip {source.Duration:F3} s");
        Assert.True(audio, "the result has no audio stream");
        Assert.Equal((256, 256), (width, height));

        string mpk = await DownloadAsync(id, "motion.mpk");
        using (RecordingReader reader = RecordingReader.Open(mpk))
        {
            var protocol = new ProtocolReader();
            int packets = 0, faces = 0;
            while (reader.TryReadNext(out ReadOnlyMemory<byte> packet))
            {
                Assert.Equal(MessageKind.TrackingFrame, protocol.Read(packet.Span));
                packets++;
                faces += protocol.Frame.Face.Present ? 1 : 0;
            }

            Assert.Equal(frames, packets);
            Assert.True(faces > frames * 0.9, $"{faces} of {packets} frames with a face");
        }

        string[] liveLink = await File.ReadAllLinesAsync(await DownloadAsync(id, "livelink.csv"));
        Assert.StartsWith("Timecode,BlendShapeCount,EyeBlinkLeft", liveLink[0], StringComparison.Ordinal);
        Assert.Equal(frames, liveLink.Length - 1);
        string[] motion = await File.ReadAllLinesAsync(await DownloadAsync(id, "motion.csv"));
        Assert.StartsWith("frame,time_s,face_present", motion[0], StringComparison.Ordinal);
        Assert.Equal(frames, motion.Length - 1);
        Assert.All(motion.Skip(1), l => Assert.Equal(motion[0].Split(',').Length, l.Split(',').Length));
        string[] bvh = await File.ReadAllLinesAsync(await DownloadAsync(id, "motion.bvh"));
        Assert.Equal("HIERARCHY", bvh[0].Trim());
        int motionAt = Array.FindIndex(bvh, l => l.Trim() == "MOTION");
        Assert.Equal($"Frames: {frames}", bvh[motionAt + 1].Trim());

        using HttpResponseMessage list = await _server.Client.GetAsync("api/jobs");
        JsonElement[] jobs = [.. (await JsonDocument.ParseAsync(await list.Content.ReadAsStreamAsync())).RootElement.EnumerateArray()];
        Assert.Contains(jobs, j => j.GetProperty("id").GetString() == id && j.GetProperty("state").GetString() == "succeeded");
    }

    [Fact]
    public async Task Post_MotionFiles_ARecordingRendersBadOnesAreRefusedNamingTheProblem()
    {
        string recording = Capture.Testing.RepoFiles.Path("samples", "performance.mpk");
        string mona = JobClient.Media("char_painting_mona_lisa_s9.jpg");
        string badCsv = Path.Combine(_dir, "take.csv");
        await File.WriteAllTextAsync(badCsv, "Timecode,BlendShapeCount,EyeBlinkLeft\n00:00:00:00.000,61,0\n");
        string badBvh = Path.Combine(_dir, "bones.bvh");
        await File.WriteAllTextAsync(badBvh, "HIERARCHY\nROOT Bone01\n{\nOFFSET 0 0 0\nCHANNELS 3 Xposition Yposition Zposition\n}\nMOTION\nFrames: 1\nFrame Time: 0.033\n0 0 0\n");

        foreach ((string path, string reason) in new[] { (badCsv, "driving: take.csv: not a Live Link Face CSV"), (badBvh, "driving: bones.bvh: unknown joints") })
        {
            using MultipartFormDataContent form = JobClient.Form(path, mona);
            (int status, JsonElement problem) = await JobClient.PostExpectingProblemAsync(_server.Client, form);
            string detail = problem.GetProperty("detail").GetString()!;
            Assert.True(status == 422, $"{status} {detail}");
            Assert.StartsWith(reason, detail, StringComparison.Ordinal);
            Assert.DoesNotContain(_server.DataDirectory, detail, StringComparison.Ordinal);
        }

        string id = await JobClient.SubmitAsync(_server.Client, JobClient.Form(recording, mona, fields: new() { ["size"] = "256", ["motionData"] = "false" }));
        JsonElement done = await JobClient.WaitFinishedAsync(_server.Client, id, TimeSpan.FromMinutes(4));

        Assert.True(done.GetProperty("state").GetString() == "succeeded", done.ToString());
        Assert.Equal(216, done.GetProperty("framesDone").GetInt64());
        Assert.Equal(216, done.GetProperty("framesTotal").GetInt64());
    }

    [Fact]
    public async Task Delete_RunningJob_CancelsItRemovesItsFilesAndTheNextJobRuns()
    {
        string clip = JobClient.Media("vid_expr_man_d18.mp4");
        string character = JobClient.Media("char_painting_mona_lisa_s9.jpg");
        string first = await JobClient.SubmitAsync(_server.Client, JobClient.Form(clip, character, fields: new() { ["size"] = "512" }));
        string short1 = await JobClient.TrimAsync(clip, 1.2, Path.Combine(_dir, "short.mp4"));
        string second = await JobClient.SubmitAsync(_server.Client, JobClient.Form(short1, character, fields: new() { ["size"] = "256", ["motionData"] = "false" }));
        string jobDir = Path.Combine(_server.DataDirectory, "jobs", first);
        Assert.True(Directory.Exists(jobDir));

        // Wait until it is really rendering (frames done), then delete it.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await JobClient.GetAsync(_server.Client, first)).GetProperty("framesDone").GetInt64() == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), "the first job never started rendering");
            await Task.Delay(100);
        }

        // One job at a time (the default): the second waits while the first renders.
        Assert.Equal("queued", (await JobClient.GetAsync(_server.Client, second)).GetProperty("state").GetString());
        using HttpResponseMessage deleted = await _server.Client.DeleteAsync($"api/jobs/{first}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.False(Directory.Exists(jobDir), "the deleted job's folder is still there");
        using HttpResponseMessage gone = await _server.Client.GetAsync($"api/jobs/{first}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        JsonElement next = await JobClient.WaitFinishedAsync(_server.Client, second, TimeSpan.FromMinutes(2));
        Assert.True(next.GetProperty("state").GetString() == "succeeded", next.ToString());
        using HttpResponseMessage noMotion = await _server.Client.GetAsync($"api/jobs/{second}/motion/motion.csv");
        Assert.Equal(HttpStatusCode.NotFound, noMotion.StatusCode);
    }

    [Fact]
    public async Task Requests_WithoutOrWithAWrongKey_Are401ProblemJson()
    {
        using var anonymous = new HttpClient { BaseAddress = _server.Address };
        foreach ((HttpMethod method, string path) in new[] { (HttpMethod.Get, "api/jobs"), (HttpMethod.Post, "api/jobs"), (HttpMethod.Get, "api/jobs/0123456789abcdef0123456789abcdef"), (HttpMethod.Delete, "api/jobs/0123456789abcdef0123456789abcdef") })
        {
            foreach (string? key in new[] { null, "wrong-key" })
            {
                using var request = new HttpRequestMessage(method, path);
                if (key is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
                }

                using HttpResponseMessage r = await anonymous.SendAsync(request);
                Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
                Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
                Assert.Contains("API key", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("api/jobs/0123456789abcdef0123456789abcdef")]
    [InlineData("api/jobs/0123456789abcdef0123456789abcdef/result")]
    [InlineData("api/jobs/0123456789abcdef0123456789abcdef/events")]
    [InlineData("api/jobs/0123456789abcdef0123456789abcdef/motion/motion.csv")]
    [InlineData("api/jobs/..%2F..%2Fjobs.db")]
    [InlineData("api/jobs/not-an-id/result")]
    public async Task Get_UnknownJob_Is404ProblemJson(string path)
    {
        using HttpResponseMessage r = await _server.Client.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no such job", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondServer_OnTheSameDataFolder_Answers503WhileTheFirstWorksOn()
    {
        await using JobServer second = await JobServer.StartAsync(_server.DataDirectory);

        using HttpResponseMessage refused = await second.Client.GetAsync("api/jobs");
        using HttpResponseMessage health = await second.Client.GetAsync("healthz");
        using HttpResponseMessage first = await _server.Client.GetAsync("api/jobs");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("in use by another Capture server", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
    }

    private async Task<string> DownloadAsync(string id, string file)
    {
        using HttpResponseMessage r = await _server.Client.GetAsync($"api/jobs/{id}/motion/{file}");
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"{file}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        string path = Path.Combine(_dir, file);
        await File.WriteAllBytesAsync(path, await r.Content.ReadAsByteArrayAsync());
        return path;
    }
}
