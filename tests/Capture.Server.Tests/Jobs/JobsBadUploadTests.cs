using Capture.Jobs;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Capture.Server.Tests.Jobs;

/// <summary>
/// Each unusable upload gets the stated status and a reason naming the problem, while a good job
/// accepted before them renders to the end and the server keeps answering.
/// </summary>
[Collection(JobsCollection.Name)]
public sealed class JobsBadUploadTests : IAsyncLifetime
{
    /// <summary>What live sessions and jobs both answer for a yes/no field (body, hands, idle, sideBySide, motionData) that is neither.</summary>
    private const string YesNoRefusal = "body 'legs' is not true or false (1/0, on/off, yes/no)";

    private readonly string _dir = Directory.CreateTempSubdirectory("capture-jobs-bad-").FullName;
    private JobServer _server = null!;

    public async Task InitializeAsync() => _server = await JobServer.StartAsync(Path.Combine(_dir, "data"));

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task BadUploads_GetTheirStatusAndReason_WhileAGoodJobFinishes()
    {
        string clip = JobClient.Media("vid_expr_man_d18.mp4");
        string mona = JobClient.Media("char_painting_mona_lisa_s9.jpg");
        string shortClip = await JobClient.TrimAsync(clip, 2, Path.Combine(_dir, "short.mp4"));
        string good = await JobClient.SubmitAsync(_server.Client, JobClient.Form(shortClip, mona, fields: new() { ["size"] = "256", ["motionData"] = "false" }));

        string empty = Write("empty.mp4", []);
        string text = Write("notes.mp4", "This is not a video, only text with an .mp4 name.\n"u8.ToArray());
        byte[] whole = await File.ReadAllBytesAsync(clip);
        string truncated = Write("cut.mp4", whole[..(whole.Length * 6 / 10)]);
        string audioOnly = Path.Combine(_dir, "audio.mp4");
        await JobClient.RunToolAsync("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", audioOnly);
        string noFace = Path.Combine(_dir, "pattern.mp4");
        await JobClient.RunToolAsync("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=15", "-pix_fmt", "yuv420p", noFace);
        string textPicture = Write("face.png", "not a picture"u8.ToArray());
        string cat = JobClient.Media("char_animal_cat_chelsea.png");
        // Larger than the live API's 33 MiB request limit: the jobs endpoint sets its own, and streams it.
        byte[] noiseBytes = new byte[40 * 1024 * 1024];
        new Random(7).NextBytes(noiseBytes);
        string noise = Write("noise.mp4", noiseBytes);
        MultipartFormDataContent withProfile = JobClient.Form(shortClip, mona);
        withProfile.Add(new ByteArrayContent("{\"format\": \"something-else\"}"u8.ToArray()), "profile", "me.json");

        // The cat's hand-marked rig, naming the cat by content hash, sent with another picture.
        string catRig = Write("cat.rig.json", System.Text.Encoding.UTF8.GetBytes(
            File.ReadAllText(Path.Combine(RepositoryRoot(), "calibration", "rigs", "char_animal_cat_chelsea.json")).TrimEnd().TrimEnd('}')
            + $", \"image\": \"char_animal_cat_chelsea.png\", \"imageSha256\": \"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(cat)))}\" }}"));
        (string Name, MultipartFormDataContent Form, int Status, string Reason)[] cases =
        [
            ("zero-byte clip", JobClient.Form(empty, mona), 415, "empty file (0 bytes)"),
            ("text named .mp4", JobClient.Form(text, mona), 415, "not a video file"),
            ("truncated MP4", JobClient.Form(truncated, mona), 415, "incomplete MP4"),
            ("no video stream", JobClient.Form(audioOnly, mona), 415, "no video stream"),
            ("no face in the clip", JobClient.Form(noFace, mona), 422, "no face found in the clip's first 5 seconds"),
            ("character with no face and no rig", JobClient.Form(shortClip, cat), 422, "no face found in the picture and no rig"),
            ("text named .png as character", JobClient.Form(shortClip, textPicture), 415, "character:"),
            ("size not offered", JobClient.Form(shortClip, mona, fields: new() { ["size"] = "300" }), 400, "size 300 is not supported"),
            ("intensity out of range", JobClient.Form(shortClip, mona, fields: new() { ["intensity"] = "9" }), 400, "intensity 9 must be between 1 and 5"),
            ("40 MiB of noise named .mp4", JobClient.Form(noise, mona), 415, "not a video file"),
            ("bad performer profile", withProfile, 422, "profile:"),
            ("bad rig", JobClient.Form(shortClip, cat, rigPath: Write("bad.json", "{\"format\": \"capture-rig\", \"version\": 1}"u8.ToArray())), 422, "imageSize"),
            ("rig for another picture", JobClient.Form(shortClip, mona, rigPath: catRig), 422, "the rig belongs to the picture 'char_animal_cat_chelsea.png'"),
        ];

        foreach ((string name, MultipartFormDataContent form, int status, string reason) in cases)
        {
            using (form)
            {
                (int got, JsonElement problem) = await JobClient.PostExpectingProblemAsync(_server.Client, form);
                string detail = problem.GetProperty("detail").GetString()!;
                Assert.True(got == status, $"{name}: {got} {detail}");
                Assert.Contains(reason, detail, StringComparison.Ordinal);
                Assert.DoesNotContain(_server.DataDirectory, detail, StringComparison.Ordinal);
                if (name.StartsWith("character with no face", StringComparison.Ordinal))
                {
                    Assert.Equal("/rig.html", problem.GetProperty("rigPage").GetString());
                }
            }
        }

        using (var missing = new MultipartFormDataContent { { new StreamContent(File.OpenRead(shortClip)), "driving", "a.mp4" } })
        {
            (int got, JsonElement problem) = await JobClient.PostExpectingProblemAsync(_server.Client, missing);
            Assert.Equal(400, got);
            Assert.Contains("'character' picture is missing", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }

        using (var notMultipart = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"))
        {
            (int got, _) = await JobClient.PostExpectingProblemAsync(_server.Client, notMultipart);
            Assert.Equal(415, got);
        }

        // Nothing refused became a job or left files behind.
        using HttpResponseMessage list = await _server.Client.GetAsync("api/jobs");
        JsonElement[] jobs = [.. JsonDocument.Parse(await list.Content.ReadAsStringAsync()).RootElement.EnumerateArray()];
        Assert.Equal([good], jobs.Select(j => j.GetProperty("id").GetString()!));
        Assert.Equal([good], Directory.GetDirectories(Path.Combine(_server.DataDirectory, "jobs")).Select(Path.GetFileName));
        Assert.Empty(Directory.GetFiles(Path.Combine(_server.DataDirectory, "uploads")));

        JsonElement finished = await JobClient.WaitFinishedAsync(_server.Client, good, TimeSpan.FromMinutes(2));
        Assert.True(finished.GetProperty("state").GetString() == "succeeded", finished.ToString());
        using HttpResponseMessage health = await _server.Client.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task YesNoFields_LiveAndJobs_SameWordsAccepted_SameRefusalForABadOne()
    {
        // Live takes what jobs take: 'YES' and ' no ' (jobs already did; live refused them).
        using (MultipartFormDataContent form = LiveForm(new() { ["hands"] = "YES", ["idle"] = " no ", ["body"] = "Off" }))
        using (HttpResponseMessage created = await _server.Client.PostAsync("api/live", form))
        {
            string text = await created.Content.ReadAsStringAsync();
            Assert.True(created.StatusCode == HttpStatusCode.Created, $"{(int)created.StatusCode} {text}");
            string id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
            using JsonDocument state = JsonDocument.Parse(await _server.Client.GetStringAsync($"api/live/{id}"));
            Assert.True(state.RootElement.GetProperty("hands").GetBoolean());
            Assert.False(state.RootElement.GetProperty("body").GetBoolean());
            using HttpResponseMessage deleted = await _server.Client.DeleteAsync($"api/live/{id}");
        }

        // A word that is neither: the same 400 with the same words from both.
        using (MultipartFormDataContent form = LiveForm(new() { ["body"] = "legs" }))
        using (HttpResponseMessage refused = await _server.Client.PostAsync("api/live", form))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(YesNoRefusal, JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString());
        }

        using (MultipartFormDataContent form = JobClient.Form(JobClient.Media("vid_expr_man_d18.mp4"), ServerFixture.FaceCharacter, fields: new() { ["body"] = "legs" }))
        {
            (int status, JsonElement problem) = await JobClient.PostExpectingProblemAsync(_server.Client, form);
            Assert.Equal(400, status);
            Assert.Equal(YesNoRefusal, problem.GetProperty("detail").GetString());
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(_server.DataDirectory, "uploads")));
    }

    private static MultipartFormDataContent LiveForm(Dictionary<string, string> fields)
    {
        var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(File.ReadAllBytes(ServerFixture.FaceCharacter)), "character", "face.png" },
        };
        foreach ((string name, string value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        return form;
    }

    [Fact]
    public async Task Upload_OverTheSizeLimit_Is413AndNothingIsKept()
    {
        await using JobServer small = await JobServer.StartAsync(Path.Combine(_dir, "small"), o =>
        {
            o.MaxUploadBytes = 64 * 1024;
            o.MaxPictureBytes = 64 * 1024;
        });
        using MultipartFormDataContent form = JobClient.Form(JobClient.Media("vid_expr_man_d18.mp4"), JobClient.Media("char_painting_mona_lisa_s9.jpg"));

        (int status, JsonElement problem) = await JobClient.PostExpectingProblemAsync(small.Client, form);

        Assert.Equal(413, status);
        Assert.Contains("limit", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(small.DataDirectory, "uploads")));
        Assert.Empty(Directory.GetDirectories(Path.Combine(small.DataDirectory, "jobs")));

        // Without a declared length (chunked), the limit is enforced while streaming.
        using var chunked = new MultipartFormDataContent();
        var body = new StreamContent(new NonSeekable(File.OpenRead(JobClient.Media("vid_expr_man_d18.mp4"))));
        chunked.Add(body, "driving", "clip.mp4");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/jobs") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        using HttpResponseMessage r = await small.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.Empty(Directory.GetFiles(Path.Combine(small.DataDirectory, "uploads")));
    }

    [Fact]
    public async Task Upload_OverTheDurationLimit_Is422NamingTheLimit()
    {
        await using JobServer strict = await JobServer.StartAsync(Path.Combine(_dir, "strict"), o => o.MaxDurationSeconds = 3);
        using MultipartFormDataContent form = JobClient.Form(JobClient.Media("vid_expr_man_d18.mp4"), JobClient.Media("char_painting_mona_lisa_s9.jpg"));

        (int status, JsonElement problem) = await JobClient.PostExpectingProblemAsync(strict.Client, form);

        Assert.Equal(422, status);
        Assert.Contains("7.2 s long, over the 3 s limit (Jobs:MaxDurationSeconds)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(Path.Combine(strict.DataDirectory, "jobs")));
    }

    [Fact]
    public async Task Upload_WhenTheDataFolderIsOverItsLimit_Is507()
    {
        await using JobServer full = await JobServer.StartAsync(Path.Combine(_dir, "full"), o =>
        {
            o.MaxUploadBytes = 4 * 1024;
            o.MaxDataBytes = 8 * 1024;
        });
        await File.WriteAllBytesAsync(Path.Combine(full.DataDirectory, "jobs", "filler.bin"), new byte[16 * 1024]);
        using var form = new MultipartFormDataContent { { new ByteArrayContent(new byte[100]), "driving", "a.mp4" } };

        (int status, JsonElement problem) = await JobClient.PostExpectingProblemAsync(full.Client, form);

        Assert.Equal(507, status);
        Assert.Contains("Jobs:MaxDataBytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A stream HttpClient cannot measure, so the request goes out chunked.</summary>
    private sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    private static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !Directory.Exists(Path.Combine(dir, "calibration", "rigs")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("calibration/rigs not found above " + AppContext.BaseDirectory);
    }
}
