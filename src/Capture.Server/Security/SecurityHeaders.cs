using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Capture.Server.Security;

/// <summary>
/// Headers on every answer (set as it starts, so error answers carry them too): <c>X-Content-Type-Options: nosniff</c>
/// (an upload is never run as a script), no framing (<c>frame-ancestors 'none'</c> and <c>X-Frame-Options: DENY</c>:
/// OBS's Browser Source opens the viewer page as a page, not in a frame), <c>Referrer-Policy: no-referrer</c> (the
/// pages' addresses carry session tokens) and a Content-Security-Policy that allows what the pages use and nothing else.
/// </summary>
internal static class SecurityHeaders
{
    /// <summary>
    /// The pages' policy: scripts, styles, fetches and WebSockets from this server only (<c>'self'</c> covers ws:// and
    /// wss:// to the same host); inline <c>&lt;style&gt;</c> blocks; pictures and videos also from <c>blob:</c> (a result
    /// being played, a picture being rigged) and <c>data:</c> (the empty favicon); WebAssembly compiled
    /// (<c>'wasm-unsafe-eval'</c>: MediaPipe's face mesh); no plugins, no base-URL change, forms to this server only.
    /// </summary>
    public const string Policy =
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "media-src 'self' blob:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>
    /// The capture page's policy: the same, plus <c>'unsafe-eval'</c>, because MediaPipe's Emscripten glue makes
    /// functions with <c>new Function</c> when it registers its classes; no other page gets it.
    /// </summary>
    public static readonly string CapturePagePolicy = Policy.Replace("'wasm-unsafe-eval'", "'wasm-unsafe-eval' 'unsafe-eval'", StringComparison.Ordinal);

    public static void Use(WebApplication app) => app.Use((http, next) =>
    {
        http.Response.OnStarting(static state =>
        {
            var context = (HttpContext)state;
            IHeaderDictionary headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.ContentSecurityPolicy = IsCapturePage(context.Request.Path) ? CapturePagePolicy : Policy;
            return Task.CompletedTask;
        }, http);
        return next(http);
    });

    // /live/{id}/capture
    private static bool IsCapturePage(PathString path) =>
        path.StartsWithSegments("/live", StringComparison.Ordinal, out PathString rest) &&
        rest.Value is { } r && r.EndsWith("/capture", StringComparison.Ordinal) && r.Count(c => c == '/') == 2;
}
