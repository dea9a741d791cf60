using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Capture.Server.Client;
using Microsoft.Extensions.Logging;

namespace Capture.Server.Tests;

/// <summary>The HTTP half of the contract: keys, status codes, problem+json, the session's addresses.</summary>
public sealed class ApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Healthz_WithoutKey_Returns200()
    {
        using HttpResponseMessage r = await server.Anonymous.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
    }

    [Fact]
    public async Task Create_WithoutKey_Returns401Problem()
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(ServerFixture.FaceCharacter)), "character", "face.png" } };
        using HttpResponseMessage r = await server.Anonymous.PostAsync("/api/live", form);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains("API key", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WithWrongKey_Returns401Problem()
    {
        using var api = new LiveApi(server.BaseAddress, "not-the-key");
        LiveApiException ex = await Assert.ThrowsAsync<LiveApiException>(() => api.CreateSessionAsync(ServerFixture.FaceCharacter));
        Assert.Equal(HttpStatusCode.Unauthorized, ex.Status);
        Assert.Contains("API key not valid", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_AddressesAreAsTheClientReachedTheServer()
    {
        // The same server reached by another name (as through a LAN name or a port forward): the addresses follow it.
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(File.ReadAllBytes(ServerFixture.FaceCharacter)), "character", "face.png" },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/live") { Content = form };
        request.Headers.Host = $"localhost:{server.BaseAddress.Port}";
        using HttpResponseMessage r = await server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using JsonDocument doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        string id = doc.RootElement.GetProperty("id").GetString()!;
        Assert.StartsWith($"http://localhost:{server.BaseAddress.Port}/live/{id}/view?token=", doc.RootElement.GetProperty("viewerPage").GetString(), StringComparison.Ordinal);
        Assert.StartsWith($"ws://localhost:{server.BaseAddress.Port}/live/{id}/ingest", doc.RootElement.GetProperty("ingestUrl").GetString(), StringComparison.Ordinal);
        await server.DeleteAsync(id);
    }

    [Fact]
    public async Task Create_BehindAProxy_AddressesStartWithThePublicBaseUrl()
    {
        var options = server.Options with { Urls = "http://127.0.0.1:0", PublicBaseUrl = "https://capture.example.com/studio/" };
        await using Microsoft.AspNetCore.Builder.WebApplication app = CaptureServer.Build(options, l => l.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(CaptureServer.Addresses(app)[0]) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", options.ApiKey);
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(File.ReadAllBytes(ServerFixture.FaceCharacter)), "character", "face.png" },
        };
        using HttpResponseMessage r = await http.PostAsync("/api/live", form);
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.Created, body);
        using JsonDocument doc = JsonDocument.Parse(body);
        JsonElement s = doc.RootElement;
        string id = s.GetProperty("id").GetString()!;
        Assert.Equal($"https://capture.example.com/studio/live/{id}/view?token={s.GetProperty("viewerToken").GetString()}", s.GetProperty("viewerPage").GetString());
        Assert.Equal($"https://capture.example.com/studio/live/{id}/capture?token={s.GetProperty("performerToken").GetString()}", s.GetProperty("capturePage").GetString());
        Assert.Equal($"wss://capture.example.com/studio/live/{id}/ingest", s.GetProperty("ingestUrl").GetString());
        Assert.Equal($"wss://capture.example.com/studio/live/{id}/frames?token={s.GetProperty("viewerToken").GetString()}", s.GetProperty("framesUrl").GetString());
        await app.StopAsync();
    }

    [Fact]
    public void Options_PublicBaseUrlNotAnAddress_IsRefusedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => (new ServerOptions { PublicBaseUrl = "capture.example.com" }).Validate());
        Assert.Contains("public base URL 'capture.example.com'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_FaceCharacter_Returns201WithTheContract_AndDeleteEndsIt()
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(File.ReadAllBytes(ServerFixture.FaceCharacter)), "character", "face.png" },
            { new StringContent("512"), "size" },
        };
        using HttpResponseMessage r = await server.Http.PostAsync("/api/live", form);
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using JsonDocument doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        JsonElement s = doc.RootElement;
        string id = s.GetProperty("id").GetString()!;
        string performer = s.GetProperty("performerToken").GetString()!;
        string viewer = s.GetProperty("viewerToken").GetString()!;
        // 128 random bits in base64url are 22 characters; the two tokens differ.
        Assert.True(performer.Length >= 22 && viewer.Length >= 22);
        Assert.NotEqual(performer, viewer);
        Assert.Matches("^[A-Za-z0-9_-]+$", performer);
        Assert.Equal($"ws://{server.BaseAddress.Authority}/live/{id}/ingest", s.GetProperty("ingestUrl").GetString());
        Assert.Equal($"ws://{server.BaseAddress.Authority}/live/{id}/frames?token={viewer}", s.GetProperty("framesUrl").GetString());
        // Absolute, as the client reached the server: OBS users paste them as they are.
        Assert.Equal($"http://{server.BaseAddress.Authority}/live/{id}/view?token={viewer}", s.GetProperty("viewerPage").GetString());
        Assert.Equal($"http://{server.BaseAddress.Authority}/live/{id}/capture?token={performer}", s.GetProperty("capturePage").GetString());
        Assert.Equal(512, (await server.StateAsync(id))!.Size);

        using HttpResponseMessage page = await server.Anonymous.GetAsync($"/live/{id}/view?token={viewer}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        using HttpResponseMessage wrongPage = await server.Anonymous.GetAsync($"/live/{id}/capture?token={viewer}");
        Assert.Equal(HttpStatusCode.Unauthorized, wrongPage.StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, await server.DeleteAsync(id));
        Assert.Null(await server.StateAsync(id));
        Assert.Equal(HttpStatusCode.NotFound, await server.DeleteAsync(id));
    }

    [Fact]
    public async Task Delete_UnknownSession_Returns404Problem()
    {
        using HttpResponseMessage r = await server.Http.DeleteAsync("/api/live/no-such-session");
        Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no such live session", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_FacelessPictureWithoutRig_Returns422NamingTheProblem()
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(ServerFixture.FacelessPicture)), "character", "chessboard.jpg" } };
        using HttpResponseMessage r = await server.Http.PostAsync("/api/live", form);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
        Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        string body = await r.Content.ReadAsStringAsync();
        Assert.Contains("no face", body, StringComparison.Ordinal);
        Assert.Contains("chessboard.jpg", body, StringComparison.Ordinal);
        Assert.DoesNotContain("/tmp/", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_AnimeSpriteWithItsRig_Returns201_AndABadRig422()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Capture.sln")))
        {
            root = Path.GetDirectoryName(root)!;
        }

        byte[] picture = File.ReadAllBytes(Capture.Testing.SharedMedia.File("char_anime_eileen_renpy.png"));
        using (var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(picture), "character", "eileen.png" },
            { new ByteArrayContent(File.ReadAllBytes(Path.Combine(root, "calibration", "rigs", "char_anime_eileen_renpy.json"))), "rig", "eileen.json" },
        })
        {
            using HttpResponseMessage r = await server.Http.PostAsync("/api/live", form);
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
            using JsonDocument doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.NoContent, await server.DeleteAsync(doc.RootElement.GetProperty("id").GetString()!));
        }

        using var bad = new MultipartFormDataContent
        {
            { new ByteArrayContent(picture), "character", "eileen.png" },
            { new ByteArrayContent("{ not json"u8.ToArray()), "rig", "broken.json" },
        };
        using HttpResponseMessage refused = await server.Http.PostAsync("/api/live", bad);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        string body = await refused.Content.ReadAsStringAsync();
        Assert.Contains("the 'rig' part", body, StringComparison.Ordinal);
        Assert.DoesNotContain("/tmp/", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_NotAPicture_Returns422()
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent("this is not a picture"u8.ToArray()), "character", "notes.png" } };
        using HttpResponseMessage r = await server.Http.PostAsync("/api/live", form);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, r.StatusCode);
        Assert.Contains("notes.png", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "300", "size not supported")]
    [InlineData("rig", "256", "character picture missing")]
    public async Task Create_BadForm_Returns400(string? otherField, string size, string title)
    {
        using var form = new MultipartFormDataContent { { new StringContent(size), "size" } };
        if (otherField is null)
        {
            form.Add(new ByteArrayContent(File.ReadAllBytes(ServerFixture.FaceCharacter)), "character", "face.png");
        }
        else
        {
            form.Add(new ByteArrayContent("{}"u8.ToArray()), otherField, "rig.json");
        }

        using HttpResponseMessage r = await server.Http.PostAsync("/api/live", form);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains(title, await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_OverTheUploadLimit_Returns413()
    {
        byte[] huge = new byte[(int)server.Options.MaxUploadBytes + (512 * 1024)];
        using var form = new MultipartFormDataContent { { new ByteArrayContent(huge), "character", "huge.png" } };
        using HttpResponseMessage r = await server.Http.PostAsync("/api/live", form);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r.StatusCode);
        Assert.Contains("upload too large", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_NotMultipart_Returns415()
    {
        using var body = new StringContent("{}", new MediaTypeHeaderValue("application/json"));
        using HttpResponseMessage r = await server.Http.PostAsync("/api/live", body);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, r.StatusCode);
    }

    [Fact]
    public async Task Frames_WrongToken_Returns401BeforeUpgrade()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        try
        {
            using var socket = new System.Net.WebSockets.ClientWebSocket();
            socket.Options.CollectHttpResponseDetails = true;
            string url = s.FramesUrl.Replace(s.ViewerToken, Security.Secrets.NewToken(), StringComparison.Ordinal);
            await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => socket.ConnectAsync(new Uri(url), CancellationToken.None));
            Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
        }
        finally
        {
            await server.DeleteAsync(s.Id);
        }
    }

    [Fact]
    public async Task Frames_PerformerToken_IsAcceptedToo()
    {
        LiveSessionInfo s = await server.CreateSessionAsync();
        await using var viewer = new LiveViewer();
        await viewer.ConnectAsync(new Uri(s.FramesUrl.Replace(s.ViewerToken, s.PerformerToken, StringComparison.Ordinal)));
        await IngestTests.WaitUntilAsync(async () => (await server.StateAsync(s.Id))!.Viewers == 1);
        await server.DeleteAsync(s.Id);
    }

    [Theory]
    [InlineData("/vendor/@mediapipe/face_mesh/face_mesh.js", HttpStatusCode.OK, "text/javascript")]
    [InlineData("/vendor/@mediapipe/face_mesh/face_mesh_solution_packed_assets.data", HttpStatusCode.OK, "application/octet-stream")]
    [InlineData("/vendor/@msgpack/msgpack/dist.esm/index.mjs", HttpStatusCode.OK, "text/javascript")]
    [InlineData("/vendor/com.github.asus4.onnxruntime/package.json", HttpStatusCode.NotFound, null)]
    [InlineData("/vendor/@mediapipe/face_mesh/../../com.github.asus4.onnxruntime/package.json", HttpStatusCode.NotFound, null)]
    public async Task Vendor_ServesOnlyThePagesPackages(string path, HttpStatusCode status, string? type)
    {
        using HttpResponseMessage r = await server.Anonymous.GetAsync(path);
        Assert.Equal(status, r.StatusCode);
        if (type is not null)
        {
            Assert.Equal(type, r.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Metrics_PrometheusText_ListsTheInstruments()
    {
        using HttpResponseMessage r = await server.Anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        string text = await r.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE capture_live_frames_rendered_total counter", text, StringComparison.Ordinal);
        Assert.Contains("capture_live_drops_total{link=\"viewer\"}", text, StringComparison.Ordinal);
        Assert.Contains("capture_live_render_ms_bucket{le=\"40\"}", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE capture_live_sessions gauge", text, StringComparison.Ordinal);
    }
}
