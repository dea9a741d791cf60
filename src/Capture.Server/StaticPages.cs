using Capture.Server.Live;
using Capture.Server.Metrics;
using Capture.Server.OpenApi;
using Capture.Server.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace Capture.Server;

/// <summary>
/// What a browser fetches: <c>/healthz</c>, <c>/metrics</c>, the two live pages under their session's address
/// (<c>/live/{id}/view</c>, <c>/live/{id}/capture</c>; token checked, the page reads id and token from the
/// URL), the rest of wwwroot at the root, and under <c>/vendor/&lt;npm name&gt;/</c> only the restored npm
/// packages the pages use (no CDN).
/// </summary>
public static class StaticPages
{
    /// <summary>npm packages served under /vendor, as the pages import them (/vendor/@scope/name/…).</summary>
    public static readonly IReadOnlyList<string> VendorPackages = ["@mediapipe/face_mesh", "@mediapipe/hands", "@msgpack/msgpack"];

    public static void Map(WebApplication app, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        ILogger logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Capture.Server.Pages");
        string webRoot = options.WebRoot ?? Path.Combine(AppContext.BaseDirectory, "wwwroot");
        var types = new FileExtensionContentTypeProvider();
        types.Mappings[".mjs"] = "text/javascript";
        types.Mappings[".wasm"] = "application/wasm";
        types.Mappings[".binarypb"] = "application/octet-stream";
        types.Mappings[".data"] = "application/octet-stream";
        types.Mappings[".tflite"] = "application/octet-stream";
        types.Mappings[".map"] = "application/json";

        app.MapGet("/healthz", () => Results.Ok(Health.Current))
            .WithSummary("Health and versions")
            .WithDescription("200 while the server runs, with Capture's version and the protocol schema version it speaks. No key needed.")
            .Produces<Health>(StatusCodes.Status200OK);
        app.MapGet("/metrics", (PrometheusExporter exporter) => Results.Text(exporter.Scrape(), "text/plain; version=0.0.4; charset=utf-8"))
            .WithSummary("Prometheus metrics (live sessions, drops, latency)")
            .Produces(StatusCodes.Status200OK, contentType: "text/plain");
        app.MapGet("/live/{id}/view", (HttpContext http, string id, LiveSessionManager sessions) => Page(http, id, sessions, webRoot, "live-view.html", viewer: true))
            .WithTags("pages").WithSummary("A live session's viewer page (OBS Browser Source); ?token= the viewer token")
            .Produces(StatusCodes.Status200OK, contentType: "text/html")
            .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound);
        app.MapGet("/live/{id}/capture", (HttpContext http, string id, LiveSessionManager sessions) => Page(http, id, sessions, webRoot, "live-capture.html", viewer: false))
            .WithTags("pages").WithSummary("A live session's performer page (webcam); ?token= the performer token")
            .Produces(StatusCodes.Status200OK, contentType: "text/html")
            .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound);
        // Browsers and OBS ask for /favicon.ico whatever the page links: the same icon, not a 404 in every log.
        app.MapGet("/favicon.ico", () => Results.File(Path.Combine(webRoot, "favicon.svg"), "image/svg+xml"))
            .WithTags("pages").WithSummary("The site's icon (SVG), where browsers and OBS ask for it")
            .Produces(StatusCodes.Status200OK, contentType: "image/svg+xml");
        app.MapGet("/live/{id}/performer", (HttpContext http, string id, LiveSessionManager sessions) => Performer(http, id, sessions))
            .WithTags("pages").WithSummary("Whether a live session's performer is connected and how long it has sent nothing; ?token= the viewer or performer token")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound);

        if (Directory.Exists(webRoot))
        {
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(webRoot), ContentTypeProvider = types });
        }
        else
        {
            logger.LogWarning("no pages folder at {WebRoot}: the live pages will answer 404", webRoot);
        }

        string? vendor = options.VendorDirectory ?? FindVendorDirectory();
        if (vendor is null)
        {
            logger.LogWarning("restored npm packages (.cache/npm) not found above {Base}: /vendor is not served (run scripts/setup.sh, or set CAPTURE_ROOT)", AppContext.BaseDirectory);
            return;
        }

        foreach (string package in VendorPackages)
        {
            string folder = Path.Combine(vendor, package.Replace("/", "__", StringComparison.Ordinal));
            if (!Directory.Exists(folder))
            {
                logger.LogWarning("npm package {Package} is not restored in {Folder}: /vendor/{Package} is not served", package, folder, package);
                continue;
            }

            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = new PhysicalFileProvider(folder),
                RequestPath = "/vendor/" + package,
                ContentTypeProvider = types,
            });
        }
    }

    private static IResult Page(HttpContext http, string id, LiveSessionManager sessions, string webRoot, string file, bool viewer)
    {
        if (sessions.Find(id) is not { } session)
        {
            return LiveEndpoints.UnknownSession(id);
        }

        string token = http.Request.Query["token"].ToString();
        if (!Secrets.Matches(token, viewer ? session.ViewerToken : session.PerformerToken))
        {
            return LiveEndpoints.Problem(StatusCodes.Status401Unauthorized, viewer ? "viewer token not valid" : "performer token not valid",
                $"open the page with the session's {(viewer ? "viewer" : "performer")} token as ?token= (POST /api/live returns the full address)");
        }

        string path = Path.Combine(webRoot, file);
        if (!File.Exists(path))
        {
            return LiveEndpoints.Problem(StatusCodes.Status404NotFound, "page not installed", $"{file} is missing from {webRoot}");
        }

        http.Response.Headers.CacheControl = "no-store";
        return Results.File(path, "text/html; charset=utf-8");
    }

    /// <summary>
    /// <c>GET /live/{id}/performer?token=</c> (the viewer or the performer token, as the frames socket takes): whether a
    /// performer is connected and how long since it last sent anything. The viewer page asks when frames stop coming,
    /// to tell "waiting for the performer" (the ingest closed) from a performer whose camera stalled; <c>idleFrames</c> is
    /// true while the session draws idle frames for a connected performer who sends none (the overlay says so).
    /// </summary>
    private static IResult Performer(HttpContext http, string id, LiveSessionManager sessions)
    {
        if (sessions.Find(id) is not { } session)
        {
            return LiveEndpoints.UnknownSession(id);
        }

        string token = http.Request.Query["token"].ToString();
        if (!Secrets.Matches(token, session.ViewerToken) && !Secrets.Matches(token, session.PerformerToken))
        {
            return LiveEndpoints.Problem(StatusCodes.Status401Unauthorized, "viewer token not valid", "ask with the session's viewer token as ?token=");
        }

        http.Response.Headers.CacheControl = "no-store";
        return Results.Json(new { performerConnected = session.PerformerConnected, idleMs = (long)session.Idle.TotalMilliseconds, idleFrames = session.DrawingIdle });
    }

    /// <summary>
    /// .cache/npm of the checkout: CAPTURE_ROOT's, else the first one at or above the application's folder; in the
    /// installed tool, its own npm/ folder (the same layout, packed with it).
    /// </summary>
    private static string? FindVendorDirectory()
    {
        if (Capture.Inference.Models.ModelStore.IsInstalledLayout(AppContext.BaseDirectory))
        {
            return Path.Combine(AppContext.BaseDirectory, Capture.Inference.Models.ModelStore.InstalledSourcesFolder);
        }

        string? root = Environment.GetEnvironmentVariable("CAPTURE_ROOT");
        if (root is not null && Directory.Exists(Path.Combine(root, ".cache", "npm")))
        {
            return Path.Combine(root, ".cache", "npm");
        }

        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, ".cache", "npm");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
