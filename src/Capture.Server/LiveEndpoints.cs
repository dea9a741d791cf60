using System.Net.WebSockets;
using Capture.Media;
using Capture.Retargeting.Calibration;
using Capture.Pipeline;
using Capture.Pipeline.Characters;
using Capture.Retargeting.Rigs;
using Capture.Server.Live;
using Capture.Server.Metrics;
using Capture.Server.OpenApi;
using Capture.Server.Security;
using Capture.Tracking.Face;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Capture.Server;

/// <summary>
/// The live-session contract (docs/live.md): <c>POST /api/live</c>, <c>GET</c>/<c>DELETE /api/live/{id}</c>
/// (Bearer API key), the ingest and frames WebSockets (per-session tokens). Every error is
/// <c>application/problem+json</c> with a title naming the problem.
/// </summary>
public static class LiveEndpoints
{
    /// <summary>Form parts (files and fields together) a create may have: it needs four; more is a client out of step.</summary>
    internal const int MaxFormParts = 16;

    public static void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        RouteGroupBuilder api = app.MapGroup("/api/live").AddEndpointFilter(async (context, next) =>
        {
            ServerOptions options = context.HttpContext.RequestServices.GetRequiredService<ServerOptions>();
            return ApiKey.Check(context.HttpContext, options.ApiKey!) ?? await next(context).ConfigureAwait(false);
        });
        api.WithTags("live");
        api.MapPost("", CreateAsync).DisableAntiforgery()
            .WithSummary("Start a live session")
            .WithDescription("Uploads the character; answers the session's tokens, its WebSocket addresses and its two pages.")
            .WithMetadata(new MultipartForm(
                new FormField("character", "The character's picture (PNG, JPEG, WebP, …; at most MaxUploadBytes), or an Animated Drawings character as a zip (texture.png, mask.png, char_cfg.yaml: a body session).", Required: true, File: true),
                new FormField("rig", "A rig file (JSON, calibration/rigs/) for a picture whose face the tracker cannot read.", File: true),
                new FormField("profile", "A performer profile (JSON, `capture calibrate`).", File: true),
                new FormField("size", "The rendered side in pixels (default 256).", Values: ["256", "512"]),
                new FormField("hands", "Render the performer's hands too (default false).", Values: FormSwitch.Values),
                new FormField("idle", "The character breathes, blinks and glances while the face is lost (default true).", Values: FormSwitch.Values),
                new FormField("body", "The performer's pose drives the character's body (default false; an Animated Drawings zip as the character implies it). The output is size wide, the picture's shape kept.", Values: FormSwitch.Values)))
            .Produces<LiveSessionCreated>(StatusCodes.Status201Created)
            .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status413PayloadTooLarge,
                StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status503ServiceUnavailable);
        api.MapGet("/{id}", (string id, LiveSessionManager sessions) =>
            sessions.Find(id) is { } s ? Results.Ok(Describe(s)) : UnknownSession(id))
            .WithSummary("A live session's state and counters")
            .Produces<LiveSessionState>()
            .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound);
        api.MapDelete("/{id}", async (string id, LiveSessionManager sessions) =>
            await sessions.EndAsync(id, "deleted by whoever started it").ConfigureAwait(false) ? Results.NoContent() : UnknownSession(id))
            .WithSummary("End a live session (its performer and viewers are disconnected)")
            .Produces(StatusCodes.Status204NoContent)
            .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound);

        app.Map("/live/{id}/ingest", IngestAsync).WithMetadata(new WebSocketEndpoint(
            "The performer's WebSocket",
            "The performer sends a Hello (with the performer token), then one TrackingFrame packet per frame (MessagePack, docs/protocol.md).",
            "Client → server: Hello, TrackingFrame; server → client: HelloAck, Error.",
            TokenInQuery: false,
            "Not used: the performer token travels in the Hello.",
            [(400, "not a WebSocket request"), (403, "a browser from an origin that is not allowed (AllowedOrigins)"), (404, "no such live session")]));
        app.Map("/live/{id}/frames", FramesAsync).WithMetadata(new WebSocketEndpoint(
            "A viewer's WebSocket",
            "Each rendered frame as a RenderedFrame packet (JPEG inside, with its capture and render timestamps); the latest frame wins for a slow viewer.",
            "Server → client: RenderedFrame.",
            TokenInQuery: true,
            "The session's viewer token (or its performer token).",
            [(400, "not a WebSocket request, or adapt or alpha not 1 or 0"), (401, "the token is not this session's"), (403, "a browser from an origin that is not allowed (AllowedOrigins)"), (404, "no such live session")]));
    }

    internal static IResult Problem(int status, string title, string detail) =>
        Results.Problem(statusCode: status, title: title, detail: detail);

    /// <summary>
    /// scheme://host[:port][/path] with no trailing slash that this server's addresses start with for this client:
    /// <see cref="ServerOptions.PublicBaseUrl"/> when set (behind a proxy), else what the client reached
    /// (its scheme and Host header, port included).
    /// </summary>
    internal static string PublicBase(HttpContext http)
    {
        ServerOptions options = http.RequestServices.GetRequiredService<ServerOptions>();
        if (options.PublicBaseUrl is { } configured)
        {
            return configured.TrimEnd('/');
        }

        HttpRequest req = http.Request;
        return $"{req.Scheme}://{req.Host}{req.PathBase}";
    }

    internal static IResult UnknownSession(string id) =>
        Problem(StatusCodes.Status404NotFound, "no such live session", $"there is no live session '{id}' (it ended, timed out, or never existed)");

    private static LiveSessionState Describe(LiveSession s)
    {
        LiveSessionStats st = s.Stats;
        return new LiveSessionState(s.Id, s.Size, s.PerformerConnected, s.ViewerCount, st.FramesReceived, st.FramesRendered, s.Hands, s.FramesWithHands,
            new LiveSessionDrops(st.IngestDrops, st.ViewerDrops, st.OrderDrops, st.Malformed), s.IdleFrames, s.ViewerLinks())
        {
            Height = s.Height,
            Body = s.Body,
            FramesWithBody = s.FramesWithBody,
        };
    }

    private static async Task<IResult> CreateAsync(HttpContext http, LiveSessionManager sessions, CharacterCache characters, ILogger<LiveSessionManager> logger)
    {
        if (sessions.IsFull)
        {
            // Early and cheap, before the upload is read; Create below takes the slot in one step.
            return TooManySessions(sessions);
        }

        if (!http.Request.HasFormContentType)
        {
            return Problem(StatusCodes.Status415UnsupportedMediaType, "multipart form expected",
                "POST /api/live takes multipart/form-data: 'character' (the picture), optional 'rig', 'profile', 'size' (256 or 512), 'hands', 'idle', 'body' (true/false)");
        }

        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(http.RequestAborted).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            return FormProblem(ex);
        }

        IFormFile? picture = form.Files.GetFile("character");
        if (picture is null || picture.Length == 0)
        {
            return Problem(StatusCodes.Status400BadRequest, "character picture missing", "the multipart field 'character' must hold the character's picture (PNG, JPEG, …)");
        }

        int size = 256;
        string? sizeText = form["size"];
        if (!string.IsNullOrEmpty(sizeText) && !(int.TryParse(sizeText, out size) && size is 256 or 512))
        {
            return Problem(StatusCodes.Status400BadRequest, "size not supported", $"size '{Capture.Jobs.ClientText.Printable(sizeText, 16)}' is not 256 or 512");
        }

        if (Switch(form, "hands", false) is not { } hands)
        {
            return Problem(StatusCodes.Status400BadRequest, "hands not understood", FormSwitch.Problem("hands", form["hands"]));
        }

        // idle=0: the character stays still at neutral while the face is lost, instead of breathing, blinking and glancing.
        if (Switch(form, "idle", true) is not { } idle)
        {
            return Problem(StatusCodes.Status400BadRequest, "idle not understood", FormSwitch.Problem("idle", form["idle"]));
        }

        // body=1, or an Animated Drawings character (a zip of texture.png, mask.png, char_cfg.yaml): the pose drives the body.
        // A zip is told by its content, as jobs and the CLI tell it (a PNG named x.zip is a picture, a zip named x.bin a drawing).
        bool drawing;
        await using (Stream head = picture.OpenReadStream())
        {
            drawing = AnimatedDrawingsFiles.IsZip(head);
        }

        if (Switch(form, "body", drawing) is not { } body)
        {
            return Problem(StatusCodes.Status400BadRequest, "body not understood", FormSwitch.Problem("body", form["body"]));
        }

        if (drawing && !body)
        {
            return Problem(StatusCodes.Status400BadRequest, "a drawing needs its body", "an Animated Drawings zip is a body character: leave out body=0 (or upload a picture for a face-only session)");
        }

        string folder = Path.Combine(Path.GetTempPath(), "capture-upload-" + Secrets.NewToken());
        Directory.CreateDirectory(folder);
        string picturePath = Path.Combine(folder, "character" + (drawing ? ".zip" : Capture.Jobs.DataFolder.SafeExtension(picture.FileName, picture: true)));
        string rigPath = Path.Combine(folder, "rig.json");
        string profilePath = Path.Combine(folder, "profile.json");
        IFormFile? rig = form.Files.GetFile("rig") is { Length: > 0 } r ? r : null;
        IFormFile? profileFile = form.Files.GetFile("profile") is { Length: > 0 } p ? p : null;

        // What the client is told names its own files, never this server's temporary folder.
        string ForClient(string message) => Capture.Jobs.ClientText.NamePaths(message,
            (picturePath, $"'{Capture.Jobs.ClientText.Printable(picture.FileName, 64)}'"),
            (rigPath, $"the 'rig' part ({Capture.Jobs.ClientText.Printable(rig?.FileName ?? "rig.json", 64)})"),
            (profilePath, $"the 'profile' part ({Capture.Jobs.ClientText.Printable(profileFile?.FileName ?? "profile.json", 64)})"),
            (folder, "the upload"));
        try
        {
            await SaveAsync(picture, picturePath, http.RequestAborted).ConfigureAwait(false);
            if (rig is not null)
            {
                await SaveAsync(rig, rigPath, http.RequestAborted).ConfigureAwait(false);
            }

            PerformerProfile? profile = null;
            if (profileFile is not null)
            {
                await SaveAsync(profileFile, profilePath, http.RequestAborted).ConfigureAwait(false);
                try
                {
                    profile = PerformerProfile.Load(profilePath);
                }
                catch (Exception ex) when (ex is InvalidDataException or System.Text.Json.JsonException or IOException)
                {
                    return Problem(StatusCodes.Status422UnprocessableEntity, "performer profile not usable", $"the 'profile' part is not a Capture performer profile: {ForClient(ex.Message)}");
                }
            }

            CharacterRig? character = null;
            BodyCharacter? figure = null;
            try
            {
                if (body)
                {
                    figure = await characters.GetBodyAsync(picturePath, rig is null ? null : rigPath, m => logger.LogInformation("character: {Message}", ForClient(m)), http.RequestAborted).ConfigureAwait(false);
                }
                else
                {
                    character = await characters.GetAsync(picturePath, rig is null ? null : rigPath, WorkingSide(size), m => logger.LogInformation("character: {Message}", ForClient(m)), http.RequestAborted).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or MediaInputException or FileNotFoundException or System.Text.Json.JsonException)
            {
                // No face and no rig, an unreadable picture, a rig file that is not one: the message says which and how to fix it.
                string title = ex.Message.Contains("no face found", StringComparison.Ordinal) ? "no face in the character and no rig"
                    : ex.Message.Contains("no body found", StringComparison.Ordinal) ? "no body in the character" : "character not usable";
                return Problem(StatusCodes.Status422UnprocessableEntity, title, ForClient(ex.Message));
            }

            // The renderer completes landmark-only frames against the canonical face (loaded once a process).
            await CanonicalFace.LoadAsync(http.RequestAborted).ConfigureAwait(false);
            LiveSession session;
            try
            {
                session = figure is not null ? sessions.Create(figure, size, profile, idle) : sessions.Create(character!, size, profile, idle);
                session.Hands = hands;
            }
            catch (SessionLimitException)
            {
                return TooManySessions(sessions);
            }

            // Absolute addresses: OBS and people paste them as they are.
            string site = PublicBase(http);
            string ws = (site.StartsWith("https:", StringComparison.Ordinal) ? "wss" : "ws") + site[site.IndexOf(':', StringComparison.Ordinal)..];
            string id = session.Id;
            return Results.Created($"/api/live/{id}", new LiveSessionCreated(
                id,
                session.PerformerToken,
                session.ViewerToken,
                $"{ws}/live/{id}/ingest",
                $"{ws}/live/{id}/frames?token={session.ViewerToken}",
                $"{site}/live/{id}/view?token={session.ViewerToken}",
                $"{site}/live/{id}/capture?token={session.PerformerToken}" + (hands ? "&hands=1" : "") + (body ? "&body=1" : "")));
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A temp folder left behind is harmless; the OS cleans /tmp.
            }
        }
    }

    /// <summary>A yes/no form field: 1/true/on or 0/false/off, <paramref name="absent"/> when missing or empty, null when it is something else.</summary>
    private static bool? Switch(IFormCollection form, string name, bool absent) => FormSwitch.Parse(form[name], absent);

    /// <summary>
    /// A viewer's frames follow its socket (<see cref="ViewerAdaptation"/>) with <c>adapt=1</c>, never with <c>adapt=0</c>; by
    /// default they do unless the viewer is on this machine (loopback, and no proxy's <c>X-Forwarded-For</c>/<c>Forwarded</c>
    /// header): a local viewer that falls behind is short of CPU, not bandwidth, and fewer bytes would not help it.
    /// </summary>
    private static bool? Adapts(HttpContext http)
    {
        if (FormSwitch.Parse(http.Request.Query["adapt"], absent: true) is not { } asked)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(http.Request.Query["adapt"].ToString()))
        {
            return asked;
        }

        bool local = http.Connection.RemoteIpAddress is { } remote && System.Net.IPAddress.IsLoopback(remote)
            && !http.Request.Headers.ContainsKey("X-Forwarded-For") && !http.Request.Headers.ContainsKey("Forwarded");
        return !local;
    }

    /// <summary>
    /// The character picture a session of <paramref name="size"/>² works from: 4 × the output side (1024 px at 256²,
    /// 2048 at 512²), so the face's crop keeps the output's resolution even when the face is an eighth of the
    /// picture's height (the crop is 2.2 face heights), at a sixteenth of a 8192² picture's memory.
    /// </summary>
    internal static int WorkingSide(int size) => 4 * size;

    private static IResult TooManySessions(LiveSessionManager sessions) =>
        Problem(StatusCodes.Status503ServiceUnavailable, "too many live sessions", $"this server already runs {sessions.Limit} live sessions, its limit (MaxSessions); end one first");

    /// <summary>
    /// What the form reader's limits mean for the client (ASP.NET Core reports each as an <see cref="InvalidDataException"/>):
    /// a body over the size limit is 413; too many parts, an over-long part header or field, or broken framing is 400.
    /// </summary>
    private static IResult FormProblem(InvalidDataException ex)
    {
        string m = ex.Message;
        if (m.Contains("body length limit", StringComparison.OrdinalIgnoreCase))
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, "upload too large", $"the upload is over the server's limit (MaxUploadBytes): {m}");
        }

        if (m.Contains("count limit", StringComparison.OrdinalIgnoreCase))
        {
            return Problem(StatusCodes.Status400BadRequest, "too many form parts",
                $"POST /api/live takes at most {MaxFormParts} form parts ('character', 'rig', 'profile', 'size'): {m}");
        }

        if (m.Contains("header", StringComparison.OrdinalIgnoreCase) || m.Contains("Line length limit", StringComparison.OrdinalIgnoreCase))
        {
            return Problem(StatusCodes.Status400BadRequest, "form part header too large", $"a form part's headers are over the server's limit: {m}");
        }

        return Problem(StatusCodes.Status400BadRequest, "malformed form", $"the multipart form could not be read: {m}");
    }

    private static async Task IngestAsync(HttpContext http, string id, LiveSessionManager sessions, ServerOptions options, LiveMetrics metrics, ILogger<LiveSessionManager> logger)
    {
        if (CheckOrigin(http, options) is { } refused)
        {
            await refused.ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        if (sessions.Find(id) is not { } session)
        {
            await UnknownSession(id).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        if (!http.WebSockets.IsWebSocketRequest)
        {
            await Problem(StatusCodes.Status400BadRequest, "WebSocket expected", "the ingest URL is a WebSocket: connect with ws:// and send a Hello first").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        using WebSocket socket = await http.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        await new IngestConnection(socket, session, sessions, options, metrics, logger).RunAsync(http.RequestAborted).ConfigureAwait(false);
    }

    private static async Task FramesAsync(HttpContext http, string id, LiveSessionManager sessions, ServerOptions options, LiveMetrics metrics)
    {
        if (CheckOrigin(http, options) is { } refused)
        {
            await refused.ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        if (sessions.Find(id) is not { } session)
        {
            await UnknownSession(id).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        // The viewer token, or the performer's (which grants more): the capture page shows the character it drives.
        string token = http.Request.Query["token"].ToString();
        bool viewer = Secrets.Matches(token, session.ViewerToken);
        bool performer = Secrets.Matches(token, session.PerformerToken);
        if (!(viewer | performer))
        {
            await Problem(StatusCodes.Status401Unauthorized, "viewer token not valid", "the frames URL needs this session's viewer token as ?token=").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        if (Adapts(http) is not { } adapt)
        {
            await Problem(StatusCodes.Status400BadRequest, "adapt not understood", $"{FormSwitch.Problem("adapt", http.Request.Query["adapt"])} (leave it out: on unless the viewer is on this machine)").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        if (FormSwitch.Parse(http.Request.Query["alpha"], absent: true) is not { } alpha)
        {
            await Problem(StatusCodes.Status400BadRequest, "alpha not understood", $"{FormSwitch.Problem("alpha", http.Request.Query["alpha"])} (alpha=0: frames without their alpha plane)").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        if (!http.WebSockets.IsWebSocketRequest)
        {
            await Problem(StatusCodes.Status400BadRequest, "WebSocket expected", "the frames URL is a WebSocket: connect with ws://").ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        ViewerQueue? queue = session.AddViewer(new ViewerAdaptation(adapt, options.ViewerAdaptWindow, alpha));
        if (queue is null)
        {
            await UnknownSession(id).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        using WebSocket socket = await http.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        await ViewerConnection.RunAsync(socket, session, queue, metrics, http.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// With <see cref="ServerOptions.AllowedOrigins"/> set, a browser's WebSocket from another site is refused (403):
    /// its Origin must be one of them or this server's own. No Origin (not a browser) and no list: allowed.
    /// </summary>
    private static IResult? CheckOrigin(HttpContext http, ServerOptions options)
    {
        string? origin = http.Request.Headers.Origin;
        if (options.AllowedOrigins.Count == 0 || string.IsNullOrEmpty(origin) ||
            string.Equals(origin, $"{http.Request.Scheme}://{http.Request.Host}", StringComparison.OrdinalIgnoreCase) ||
            options.AllowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase))
        {
            return null;
        }

        return Problem(StatusCodes.Status403Forbidden, "origin not allowed",
            $"this server takes live connections from browsers only on its own pages and its allowed origins (AllowedOrigins); '{Capture.Jobs.ClientText.Printable(origin, 100)}' is not one");
    }

    private static async Task SaveAsync(IFormFile file, string path, CancellationToken ct)
    {
        await using FileStream output = File.Create(path);
        await file.CopyToAsync(output, ct).ConfigureAwait(false);
    }
}
