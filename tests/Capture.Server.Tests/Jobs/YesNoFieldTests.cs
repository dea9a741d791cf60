using System.Net;
using System.Text.Json;

namespace Capture.Server.Tests.Jobs;

/// <summary>
/// The yes/no fields (body, hands, idle, sideBySide, motionData) read one way by live sessions and jobs on one real
/// server: the same words accepted (any case, spaces around ignored), the same 400 for a word that is neither, and the
/// same values listed in the OpenAPI document.
/// </summary>
[Collection(JobsCollection.Name)]
public sealed class YesNoFieldTests : IAsyncLifetime
{
    private const string Refusal = "body 'legs' is not true or false (1/0, on/off, yes/no)";

    private readonly string _dir = Directory.CreateTempSubdirectory("capture-yes-no-").FullName;
    private JobServer _server = null!;

    public async Task InitializeAsync() => _server = await JobServer.StartAsync(Path.Combine(_dir, "data"));

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task LiveAndJobs_SameWordsAccepted_SameRefusalForABadOne()
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
            Assert.Equal(Refusal, JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString());
        }

        using (MultipartFormDataContent form = JobClient.Form(JobClient.Media("vid_expr_man_d18.mp4"), ServerFixture.FaceCharacter, fields: new() { ["body"] = "legs" }))
        {
            (int status, JsonElement problem) = await JobClient.PostExpectingProblemAsync(_server.Client, form);
            Assert.Equal(400, status);
            Assert.Equal(Refusal, problem.GetProperty("detail").GetString());
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(_server.DataDirectory, "uploads")));
    }

    [Fact]
    public async Task OpenApi_LiveAndJobsSwitches_ListTheSameWords()
    {
        using JsonDocument doc = JsonDocument.Parse(await _server.Client.GetStringAsync("openapi/v1.json"));
        string[] Words(string path, string field) =>
        [
            .. doc.RootElement.GetProperty("paths").GetProperty(path).GetProperty("post").GetProperty("requestBody").GetProperty("content")
                .GetProperty("multipart/form-data").GetProperty("schema").GetProperty("properties").GetProperty(field).GetProperty("enum")
                .EnumerateArray().Select(e => e.GetString()!),
        ];

        string[] liveBody = Words("/api/live", "body");
        Assert.Equal(["true", "false", "1", "0", "on", "off", "yes", "no"], liveBody);
        foreach ((string path, string field) in new[] { ("/api/live", "hands"), ("/api/live", "idle"), ("/api/jobs", "body"), ("/api/jobs", "sideBySide"), ("/api/jobs", "motionData") })
        {
            Assert.True(liveBody.SequenceEqual(Words(path, field)), $"{path} {field}: {string.Join(", ", Words(path, field))}");
        }
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
}
