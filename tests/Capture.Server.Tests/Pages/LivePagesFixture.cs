using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Capture.Server.Client;
using Capture.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace Capture.Server.Tests.Pages;

/// <summary>
/// One real Capture server (Kestrel on 127.0.0.1, port 0) and one Debian Chromium (through
/// Microsoft.Playwright, never a downloaded browser) whose fake camera plays a shared talking clip, for
/// every page test. The performing session (capture page streaming, character rendering) is started
/// once, on first use, and shared: the pages under test are opened against it in their own contexts.
/// </summary>
public sealed class LivePagesFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>The man opening his mouth wide, frontal, grey studio (MANIFEST: clean expression test).</summary>
    public const string TalkingClip = "vid_expr_man_d18.mp4";

    /// <summary>A frontal cartoon character on a plain background: its mouth is easy to see move.</summary>
    public const string Character = "char_cartoon3d_boy_s7.jpg";

    private readonly string _temp = Path.Combine(Path.GetTempPath(), "capture-pages-" + Guid.NewGuid().ToString("N")[..12]);
    private readonly SemaphoreSlim _performingGate = new(1, 1);
    private WebApplication? _app;
    private IPlaywright? _playwright;
    private PerformingSession? _performing;

    public string ApiKey { get; } = Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    public Uri BaseUri { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public IPlaywright Playwright => _playwright ?? throw new InvalidOperationException("not started");

    /// <summary>Chromium with the talking clip as its fake camera.</summary>
    public IBrowser Browser { get; private set; } = null!;

    /// <summary>The talking clip as .y4m (what Chromium's fake camera plays, looping).</summary>
    public string TalkingY4m => Path.Combine(_temp, "talking.y4m");

    public string TempFolder => _temp;

    /// <summary>Messages for the test log (server warnings, what the pages said on their consoles when a test fails).</summary>
    public List<string> Log { get; } = [];

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"{ChromiumPath} is missing: scripts/setup.sh installs Debian's chromium");
        }

        Directory.CreateDirectory(_temp);
        // 360x360 at 30 fps: the face fills the frame as it would in front of a webcam; the 7 s clip loops.
        await FfmpegAsync("-i", SharedMedia.File(TalkingClip), "-an", "-vf", "scale=360:360,fps=30", "-pix_fmt", "yuv420p", TalkingY4m);

        _app = CaptureServer.Build(
            new ServerOptions { Urls = "http://127.0.0.1:0", ApiKey = ApiKey },
            logging => logging.SetMinimumLevel(LogLevel.Warning));
        await _app.StartAsync();
        BaseUri = new Uri(CaptureServer.Addresses(_app)[0]);
        Http = new HttpClient { BaseAddress = BaseUri, Timeout = TimeSpan.FromMinutes(3) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);

        _playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await LaunchAsync(TalkingY4m);
    }

    /// <summary>
    /// Debian's Chromium, headless, with a fake camera playing <paramref name="y4m"/>. Camera permission is
    /// granted or not per browser context (<see cref="BrowserNewContextOptions.Permissions"/>): a context
    /// without it is refused, as a person clicking "Block" would be.
    /// </summary>
    public Task<IBrowser> LaunchAsync(string y4m) =>
        Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                // MediaPipe's face mesh hands frames to its graph through WebGL2; without a GPU that is
                // SwiftShader, which Chromium only offers pages when asked to.
                "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                // Pages that are never visible keep full-rate timers and camera frames.
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
                // Audio plays without a click first, as in OBS's Browser Source.
                "--autoplay-policy=no-user-gesture-required",
                "--use-fake-device-for-media-stream", "--use-file-for-fake-video-capture=" + y4m,
            ],
        });

    /// <summary>
    /// Creates a live session at 256² through <see cref="LiveApi"/> (what <c>capture live</c> uses) for <see cref="Character"/>
    /// or <paramref name="character"/> (a picture, or an Animated Drawings folder, sent zipped: a body session), on
    /// <paramref name="server"/> or the fixture's server; with <paramref name="hands"/>, a session for a performer who
    /// tracks the hands.
    /// </summary>
    public async Task<LiveSessionInfo> CreateSessionAsync(Uri? server = null, bool hands = false, string? character = null)
    {
        using var api = new LiveApi(server ?? BaseUri, ApiKey);
        return await api.CreateSessionAsync(character ?? SharedMedia.File(Character), 256, hands: hands);
    }

    /// <summary>The session's state as GET /api/live/{id} reports it.</summary>
    public async Task<JsonElement> SessionStateAsync(string id) =>
        await Http.GetFromJsonAsync<JsonElement>(new Uri($"/api/live/{id}", UriKind.Relative));

    public Uri PageUri(string relative) => new(BaseUri, relative);

    /// <summary>
    /// The shared performing session: a session, and the capture page streaming the talking clip to it
    /// (its frames traced). Started on first use; later callers get the same one.
    /// </summary>
    public async Task<PerformingSession> PerformingAsync()
    {
        await _performingGate.WaitAsync();
        try
        {
            if (_performing is null)
            {
                LiveSessionInfo session = await CreateSessionAsync();
                IBrowserContext context = await Browser.NewContextAsync(new BrowserNewContextOptions
                {
                    Permissions = ["camera"],
                    ViewportSize = new ViewportSize { Width = 1280, Height = 720 },
                });
                IPage page = await context.NewPageAsync();
                Trace(page, "capture");
                // The capture page shows the character too: the frames socket takes the viewer token.
                await page.GotoAsync(PageUri($"{session.CapturePage}&viewer={Uri.EscapeDataString(session.ViewerToken)}").ToString());
                _performing = new PerformingSession(session, context, page);
            }

            return _performing;
        }
        finally
        {
            _performingGate.Release();
        }
    }

    /// <summary>Keeps the page's errors and console errors in <see cref="Log"/>, for the failure message.</summary>
    public void Trace(IPage page, string name)
    {
        page.PageError += (_, e) => { lock (Log) { Log.Add($"[{name} page error] {e}"); } };
        page.Console += (_, m) =>
        {
            if (m.Type is "error")
            {
                lock (Log) { Log.Add($"[{name} console] {m.Text}"); }
            }
        };
    }

    public string LogText()
    {
        lock (Log)
        {
            return string.Join('\n', Log.TakeLast(40));
        }
    }

    public async Task FfmpegAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["-v", "error", "-nostdin", "-y", .. args])
        {
            psi.ArgumentList.Add(a);
        }

        using Process p = Process.Start(psi) ?? throw new InvalidOperationException("ffmpeg did not start");
        string err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg {string.Join(' ', args)} failed ({p.ExitCode}): {err}");
        }
    }

    public async Task DisposeAsync()
    {
        if (_performing is not null)
        {
            await _performing.Context.CloseAsync();
        }

        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        _performingGate.Dispose();
        try
        {
            Directory.Delete(_temp, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by an exiting browser: the temp folder is cleaned by the OS.
        }
    }
}

/// <summary>A session with the capture page performing into it.</summary>
public sealed record PerformingSession(LiveSessionInfo Session, IBrowserContext Context, IPage CapturePage);

[CollectionDefinition(Name)]
public sealed class LivePagesCollection : ICollectionFixture<LivePagesFixture>
{
    public const string Name = "live pages";
}
