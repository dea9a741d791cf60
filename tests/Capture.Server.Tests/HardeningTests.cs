using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Capture.Server.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Capture.Server.Tests;

/// <summary>
/// What an outsider tried on the live API (issue 18), each answered as it should be: the session limit held under
/// a burst, client faults as 4xx problem+json (never a 500 or a stack trace), nothing of the server in an answer,
/// client text escaped in the log, the security headers, and the optional allowed-origins list.
/// </summary>
public sealed class HardeningTests : IAsyncLifetime
{
    private const string Key = "hardening-key-0123456789";
    private const int MaxSessions = 3;
    private readonly CapturedLog _log = new();
    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private Uri _base = null!;

    public async Task InitializeAsync()
    {
        _app = CaptureServer.Build(
            new ServerOptions
            {
                Urls = "http://127.0.0.1:0",
                ApiKey = Key,
                MaxSessions = MaxSessions,
                MaxUploadBytes = 4L * 1024 * 1024,
                AllowedOrigins = ["https://studio.example"],
                CalibrationSeconds = 0.2,
            },
            logging =>
            {
                logging.SetMinimumLevel(LogLevel.Information);
                logging.AddProvider(_log);
            });
        await _app.StartAsync();
        _base = new Uri(CaptureServer.Addresses(_app)[0]);
        _http = new HttpClient { BaseAddress = _base, Timeout = TimeSpan.FromMinutes(2) };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static MultipartFormDataContent Form(string? rigJson = null, string? profileJson = null, string? picture = null, string pictureName = "face.png")
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(File.ReadAllBytes(picture ?? ServerFixture.FaceCharacter)), "character", pictureName } };
        if (rigJson is not null)
        {
            form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(rigJson)), "rig", "my-rig.json");
        }

        if (profileJson is not null)
        {
            form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes(profileJson)), "profile", "me.json");
        }

        return form;
    }

    private async Task<(HttpStatusCode Status, JsonElement Problem)> PostAsync(HttpContent content)
    {
        using HttpResponseMessage r = await _http.PostAsync("/api/live", content);
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{(int)r.StatusCode} {r.Content.Headers.ContentType}: {body}");
        return (r.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    private static void AssertNothingOfTheServer(JsonElement problem)
    {
        string text = problem.ToString();
        foreach (string leak in new[] { Path.GetTempPath(), "capture-upload-", "Capture.Retargeting", "System.", "@ 0x", "   at " })
        {
            Assert.DoesNotContain(leak, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Create_BurstOverTheLimit_ExactlyMaxSessionsCreated()
    {
        // Warm the character cache, so the burst's creates race on the limit and not on the picture's tracking.
        using var api = new LiveApi(_base, Key);
        await api.DeleteSessionAsync((await api.CreateSessionAsync(ServerFixture.FaceCharacter)).Id);

        (HttpStatusCode Status, string? Id)[] results = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            using MultipartFormDataContent form = Form();
            using HttpResponseMessage r = await _http.PostAsync("/api/live", form);
            string? id = r.StatusCode == HttpStatusCode.Created ? JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString() : null;
            return (r.StatusCode, id);
        }));

        Assert.Equal(MaxSessions, results.Count(r => r.Status == HttpStatusCode.Created));
        Assert.Equal(12 - MaxSessions, results.Count(r => r.Status == HttpStatusCode.ServiceUnavailable));
        Live.LiveSessionManager sessions = Sessions();
        Assert.Equal(MaxSessions, sessions.Count);
        foreach ((_, string? id) in results.Where(r => r.Id is not null))
        {
            await api.DeleteSessionAsync(id!);
        }

        Assert.False(sessions.IsFull);
    }

    [Fact]
    public async Task Create_SeventeenFormParts_400NotA413()
    {
        using MultipartFormDataContent form = Form();
        for (int i = 0; i < 16; i++)
        {
            form.Add(new StringContent("x"), $"extra{i}");
        }

        (HttpStatusCode status, JsonElement problem) = await PostAsync(form);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("too many form parts", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Create_100KbPartHeader_400NotA413()
    {
        string boundary = "b0undary";
        byte[] body = Encoding.ASCII.GetBytes(
            $"--{boundary}\r\nContent-Disposition: form-data; name=\"character\"; filename=\"face.png\"\r\nX-Pad: {new string('a', 100 * 1024)}\r\n\r\nxx\r\n--{boundary}--\r\n");
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse($"multipart/form-data; boundary={boundary}");
        (HttpStatusCode status, JsonElement problem) = await PostAsync(content);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("form part header too large", problem.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData("""{"format":"capture-rig","version":1,"imageSize":[512,512],"points":{"rightEyeOuter":["NaN",1],"leftEyeOuter":[300,200],"mouthRight":[220,330],"mouthLeft":[290,330]}}""", "rightEyeOuter")]
    [InlineData("""{"format":"capture-rig","version":"1","imageSize":[512,512],"points":{}}""", "\"version\" must be 1")]
    public async Task Create_RigWithStringsForNumbers_422NamingTheField(string rig, string expected)
    {
        (HttpStatusCode status, JsonElement problem) = await PostAsync(Form(rigJson: rig));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Contains(expected, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("'rig' part (my-rig.json)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        AssertNothingOfTheServer(problem);
    }

    [Theory]
    [InlineData("{ this is not json", "not valid JSON")]
    [InlineData("""{"format":"capture-performer-profile","version":"1"}""", "$.version has the wrong type")]
    [InlineData("[1, 2]", "the top level must be an object")]
    public async Task Create_BadProfile_422NamingTheUploadedFileNotTheServer(string profile, string expected)
    {
        (HttpStatusCode status, JsonElement problem) = await PostAsync(Form(profileJson: profile));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(expected, detail, StringComparison.Ordinal);
        Assert.Contains("'profile' part (me.json)", detail, StringComparison.Ordinal);
        AssertNothingOfTheServer(problem);
    }

    [Fact]
    public async Task Create_PngClaiming100000Squared_4xxWithoutFfmpegsMemoryAddresses()
    {
        string png = Path.Combine(Path.GetTempPath(), $"capture-absurd-{Guid.NewGuid():N}.png");
        await File.WriteAllBytesAsync(png, AbsurdPng());
        try
        {
            (HttpStatusCode status, JsonElement problem) = await PostAsync(Form(picture: png, pictureName: "huge.png"));
            Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
            Assert.Contains("'huge.png'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            AssertNothingOfTheServer(problem);
        }
        finally
        {
            File.Delete(png);
        }
    }

    [Fact]
    public async Task Ingest_HelloAndByeWithControlCharacters_LoggedEscapedOnOneLine()
    {
        using var api = new LiveApi(_base, Key);
        LiveSessionInfo s = await api.CreateSessionAsync(ServerFixture.FaceCharacter);
        await using (TestPerformer performer = new())
        {
            await performer.Socket.ConnectAsync(new Uri(s.IngestUrl), CancellationToken.None);
            await performer.SendRawAsync(HelloBytes("mallory\u001b[31m\r\n12:00:00 info: FORGED", s.PerformerToken));
            await performer.SendFrameAsync(0);
            await performer.SendByeAsync("done\r\n12:00:01 crit: FORGED TOO\u0007");
            await performer.WaitForCloseAsync(TimeSpan.FromSeconds(10));
        }

        string[] lines = await _log.WaitForAsync(l => l.Contains($"live session {s.Id} ended", StringComparison.Ordinal));
        string connected = Assert.Single(lines, l => l.Contains("performer mallory", StringComparison.Ordinal));
        Assert.Contains("mallory\\u001b[31m\\u000d\\u000a12:00:00 info: FORGED", connected, StringComparison.Ordinal);
        string ended = Assert.Single(lines, l => l.Contains($"live session {s.Id} ended", StringComparison.Ordinal));
        Assert.Contains("done\\u000d\\u000a12:00:01 crit: FORGED TOO\\u0007", ended, StringComparison.Ordinal);
        Assert.All(lines, l => Assert.DoesNotContain(l, c => c is '\r' or '\n' or '\u001b' or '\u0007'));
    }

    [Fact]
    public async Task Ingest_60KbPerformerId_RefusedAndTheLogStaysShort()
    {
        using var api = new LiveApi(_base, Key);
        LiveSessionInfo s = await api.CreateSessionAsync(ServerFixture.FaceCharacter);
        await using var performer = new TestPerformer();
        await performer.Socket.ConnectAsync(new Uri(s.IngestUrl), CancellationToken.None);
        await performer.SendRawAsync(HelloBytes(new string('x', 60_000), s.PerformerToken));
        (WebSocketCloseStatus? status, string? reason) = await performer.WaitForCloseAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, status);
        Assert.Contains("Performer id of 60000 bytes is longer than the limit of 256", reason, StringComparison.Ordinal);
        Assert.All(_log.Lines, l => Assert.True(l.Length < 2000, $"a {l.Length}-character log line"));
        await api.DeleteSessionAsync(s.Id);
    }

    [Fact]
    public async Task Answers_CarryTheSecurityHeaders_CapturePageAloneMayEval()
    {
        using var api = new LiveApi(_base, Key);
        LiveSessionInfo s = await api.CreateSessionAsync(ServerFixture.FaceCharacter);
        using var anonymous = new HttpClient { BaseAddress = _base };
        foreach (string path in new[] { "/healthz", "/", "/api/live/none", s.ViewerPage, s.CapturePage })
        {
            using HttpResponseMessage r = await anonymous.GetAsync(path);
            Assert.Equal("nosniff", r.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("DENY", r.Headers.GetValues("X-Frame-Options").Single());
            Assert.Equal("no-referrer", r.Headers.GetValues("Referrer-Policy").Single());
            string csp = r.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
            Assert.Contains("connect-src 'self'", csp, StringComparison.Ordinal);
            Assert.Equal(path == s.CapturePage, csp.Contains("'unsafe-eval'", StringComparison.Ordinal));
        }

        await api.DeleteSessionAsync(s.Id);
    }

    [Fact]
    public async Task WebSockets_WithAllowedOrigins_OtherSitesRefusedOwnPagesAndNonBrowsersServed()
    {
        using var api = new LiveApi(_base, Key);
        LiveSessionInfo s = await api.CreateSessionAsync(ServerFixture.FaceCharacter);
        string own = $"http://{_base.Authority}";
        foreach ((string? origin, bool allowed) in new (string?, bool)[] { ("https://evil.example", false), ("https://studio.example", true), (own, true), (null, true) })
        {
            using var socket = new ClientWebSocket();
            if (origin is not null)
            {
                socket.Options.SetRequestHeader("Origin", origin);
            }

            socket.Options.CollectHttpResponseDetails = true;
            Exception? refused = await Record.ExceptionAsync(() => socket.ConnectAsync(new Uri(s.FramesUrl), CancellationToken.None));
            Assert.True(allowed == (refused is null), $"origin {origin ?? "(none)"}: {refused?.Message}");
            if (!allowed)
            {
                Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
            }
        }

        await api.DeleteSessionAsync(s.Id);
    }

    [Fact]
    public async Task Upload_SoSlowKestrelCutsIt_408ProblemAndNoStackTraceLogged()
    {
        // Kestrel's minimum body rate is 240 bytes/s after a 5 s grace: 64 bytes and then silence is cut off.
        Task<string> live = StallAsync("/api/live");
        Task<string> jobs = StallAsync("/api/jobs");
        foreach (string answer in await Task.WhenAll(live, jobs))
        {
            Assert.StartsWith("HTTP/1.1 408", answer, StringComparison.Ordinal);
            Assert.Contains("application/problem+json", answer, StringComparison.Ordinal);
            Assert.Contains("upload too slow", answer, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(_log.Entries, e => e.Exception is not null || e.Level >= LogLevel.Error);
    }

    private async Task<string> StallAsync(string path)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(_base.Host, _base.Port);
        NetworkStream stream = client.GetStream();
        string head = $"POST {path} HTTP/1.1\r\nHost: {_base.Authority}\r\nAuthorization: Bearer {Key}\r\n" +
            "Content-Type: multipart/form-data; boundary=zz\r\nContent-Length: 1000000\r\n\r\n--zz\r\nContent-Disposition: form-data; name=\"driving\"; filename=\"a.mp4\"\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head + new string('v', 64)));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = new StringBuilder();
        string? line;
        while ((line = await reader.ReadLineAsync(timeout.Token)) is not null)
        {
            answer.AppendLine(line);
            if (line.Contains("\"status\"", StringComparison.Ordinal))
            {
                break;
            }
        }

        return answer.ToString();
    }

    private Live.LiveSessionManager Sessions() => (Live.LiveSessionManager)_app.Services.GetService(typeof(Live.LiveSessionManager))!;

    private static byte[] HelloBytes(string performer, string token)
    {
        using var packet = new Capture.Protocol.MessagePack.PooledBufferWriter(128 * 1024);
        Capture.Protocol.Schema.ProtocolWriter.WriteHello(packet, new Capture.Protocol.Schema.HelloMessage(
            Capture.Protocol.Schema.ProtocolVersion.Minor, ["face", "blendshapes", "headpose"], performer, token));
        return packet.WrittenSpan.ToArray();
    }

    // A 68-byte PNG whose header claims 100000×100000 (ffmpeg reports it through two "[component @ 0x…]" prefixes).
    private static byte[] AbsurdPng() => Convert.FromHexString(
        "89504e470d0a1a0a0000000d49484452000186a0000186a0080200000027309c9f0000000b49444154789c6360800100000a00017f80745e0000000049454e44ae426082");

    /// <summary>Every log entry of the server, one line each (as a console logger writes it), with its exception.</summary>
    private sealed class CapturedLog : ILoggerProvider
    {
        private readonly ConcurrentQueue<(LogLevel Level, string Line, Exception? Exception)> _entries = new();

        public IReadOnlyList<(LogLevel Level, string Line, Exception? Exception)> Entries => [.. _entries];

        public IReadOnlyList<string> Lines => [.. _entries.Select(e => e.Line)];

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public async Task<string[]> WaitForAsync(Func<string, bool> match)
        {
            for (int i = 0; i < 100 && !Lines.Any(match); i++)
            {
                await Task.Delay(100);
            }

            return [.. Lines];
        }

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLog owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner._entries.Enqueue((logLevel, $"{category}: {formatter(state, exception)}", exception));
        }
    }
}
