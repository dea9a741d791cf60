using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Capture.Core.Timing;
using Capture.Core.Tracking;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Schema;
using Capture.Server.Client;
using Capture.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Capture.Server.Tests;

/// <summary>A real Capture server (Kestrel on 127.0.0.1, port 0) in this process, with short timeouts for the fault tests.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const string ApiKey = "test-key-0123456789abcdef";

    /// <summary>Performer timeout of this server: short, so the vanishing-performer test is quick.</summary>
    public static readonly TimeSpan PerformerTimeout = TimeSpan.FromSeconds(3);

    /// <summary>A real face the tracker finds (the character of most tests).</summary>
    public static string FaceCharacter => SharedMedia.File("face_woman_happy_sadtalker.png");

    /// <summary>A chessboard: no face anywhere.</summary>
    public static string FacelessPicture => SharedMedia.File("calib_left/left01.jpg");

    public WebApplication App { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public HttpClient Anonymous { get; private set; } = null!;

    public ServerOptions Options { get; } = new()
    {
        Urls = "http://127.0.0.1:0",
        ApiKey = ApiKey,
        PerformerTimeout = PerformerTimeout,
        HelloTimeout = TimeSpan.FromSeconds(5),
        MaxIngestPacketBytes = 64 * 1024,
        MaxUploadBytes = 4L * 1024 * 1024,
        MaxConsecutiveBadPackets = 4,
        MaxSessions = 8,
        CalibrationSeconds = 0.2,
        // A quarter second (the default is 1 s): the adapting-viewer test steps down and back up in seconds.
        ViewerAdaptWindow = TimeSpan.FromMilliseconds(250),
    };

    public async Task InitializeAsync()
    {
        App = CaptureServer.Build(Options, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await App.StartAsync();
        BaseAddress = new Uri(CaptureServer.Addresses(App)[0]);
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        Anonymous = new HttpClient { BaseAddress = BaseAddress };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        Anonymous.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    public Live.LiveSessionManager Sessions => App.Services.GetRequiredService<Live.LiveSessionManager>();

    /// <param name="idle">False: the session draws no idle frames while the performer sends none (a test that counts rendered frames against sent ones).</param>
    public async Task<LiveSessionInfo> CreateSessionAsync(string? picture = null, int size = 256, bool idle = true)
    {
        using var api = new LiveApi(BaseAddress, ApiKey);
        return await api.CreateSessionAsync(picture ?? FaceCharacter, size, idle: idle);
    }

    public async Task<HttpStatusCode> DeleteAsync(string id)
    {
        using HttpResponseMessage r = await Http.DeleteAsync($"/api/live/{id}");
        return r.StatusCode;
    }

    /// <summary>The session's JSON from GET /api/live/{id}, or null when it is gone.</summary>
    public async Task<SessionState?> StateAsync(string id)
    {
        using HttpResponseMessage r = await Http.GetAsync($"/api/live/{id}");
        return r.StatusCode == HttpStatusCode.NotFound ? null : await r.Content.ReadFromJsonAsync<SessionState>();
    }
}

public sealed record SessionDrops(long Ingest, long Viewer, long Order, long Malformed);

public sealed record ViewerLinkState(bool Adapts, int Step, int Side, int Quality, bool Alpha, double KilobytesPerSecond, double FramesPerSecond, long Dropped, int StepsDown, int StepsUp);

public sealed record SessionState(string Id, int Size, bool PerformerConnected, int Viewers, long FramesReceived, long FramesRendered, SessionDrops Drops,
    long IdleFrames = 0, IReadOnlyList<ViewerLinkState>? ViewerLinks = null);

/// <summary>A performer in the tests: a raw ClientWebSocket speaking schema v1.</summary>
public sealed class TestPerformer : IAsyncDisposable
{
    private readonly PooledBufferWriter _packet = new(16 * 1024);

    public ClientWebSocket Socket { get; } = new();

    public static async Task<TestPerformer> ConnectAsync(LiveSessionInfo session, string? token = null, IReadOnlyList<string>? capabilities = null)
    {
        var p = new TestPerformer();
        await p.Socket.ConnectAsync(new Uri(session.IngestUrl), CancellationToken.None);
        await p.SendHelloAsync(token ?? session.PerformerToken, capabilities);
        return p;
    }

    public async Task SendHelloAsync(string token, IReadOnlyList<string>? capabilities = null)
    {
        _packet.Reset();
        ProtocolWriter.WriteHello(_packet, new HelloMessage(ProtocolVersion.Minor, capabilities ?? ["face", "blendshapes", "headpose"], "test", token));
        await SendRawAsync(_packet.WrittenMemory);
    }

    /// <summary>A frame stamped now (Unix µs), without a face unless <paramref name="face"/> is given.</summary>
    public async Task SendFrameAsync(long sequence, TrackingFrame? face = null, LandmarkEncoding encoding = LandmarkEncoding.Int16)
    {
        TrackingFrame frame = face ?? new TrackingFrame { ImageWidth = 640, ImageHeight = 480 };
        frame.Sequence = sequence;
        frame.CaptureTimestampUs = UnixClock.NowUs;
        _packet.Reset();
        ProtocolWriter.WriteTrackingFrame(_packet, frame, encoding);
        await SendRawAsync(_packet.WrittenMemory);
    }

    public async Task SendByeAsync(string reason)
    {
        _packet.Reset();
        ProtocolWriter.WriteBye(_packet, new ByeMessage(reason));
        await SendRawAsync(_packet.WrittenMemory);
    }

    public Task SendRawAsync(ReadOnlyMemory<byte> bytes, WebSocketMessageType type = WebSocketMessageType.Binary) =>
        Socket.SendAsync(bytes, type, true, CancellationToken.None).AsTask();

    /// <summary>Waits for the server's close frame (reading and ignoring anything else) and returns its status and reason.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> WaitForCloseAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        byte[] buffer = new byte[4096];
        while (true)
        {
            ValueWebSocketReceiveResult r = await Socket.ReceiveAsync(buffer.AsMemory(), cts.Token);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                return (Socket.CloseStatus, Socket.CloseStatusDescription);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Socket.Dispose();
        _packet.Dispose();
        return ValueTask.CompletedTask;
    }
}
