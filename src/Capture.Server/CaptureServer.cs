using System.Net.Sockets;
using Capture.Server.Jobs;
using Capture.Server.Live;
using Capture.Server.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Capture.Server;

/// <summary>
/// Builds the Capture web application: Kestrel on <see cref="ServerOptions.Urls"/> (loopback by default),
/// the live-session API and WebSockets (<see cref="LiveEndpoints"/>), the pages and <c>/vendor</c> packages,
/// <c>/healthz</c> and <c>/metrics</c>. `capture serve` runs it; the tests start it on port 0.
/// </summary>
public static class CaptureServer
{
    /// <summary>
    /// A configured, not yet started application. <paramref name="options"/> must carry the API key already
    /// (<see cref="ResolveApiKey"/>). <paramref name="configureLogging"/> lets callers quiet or redirect logs.
    /// </summary>
    public static WebApplication Build(ServerOptions options, Action<ILoggingBuilder>? configureLogging = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrEmpty(options.ApiKey))
        {
            throw new ArgumentException("the server needs an API key (ResolveApiKey makes one when none is configured)", nameof(options));
        }

        options.Validate();

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [],
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseUrls(options.Urls);
        if (options.SocketSendBufferBytes > 0)
        {
            builder.WebHost.UseSockets(s => s.CreateBoundListenSocket = endpoint =>
            {
                Socket listen = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
                listen.SendBufferSize = options.SocketSendBufferBytes;
                return listen;
            });
        }

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            // The upload limit plus room for the multipart framing and the small rig/profile parts.
            k.Limits.MaxRequestBodySize = options.MaxUploadBytes + (1024 * 1024);
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });
        builder.Services.Configure<FormOptions>(f =>
        {
            f.MultipartBodyLengthLimit = options.MaxUploadBytes;
            f.ValueCountLimit = LiveEndpoints.MaxFormParts;
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c =>
        {
            c.SingleLine = true;
            c.TimestampFormat = "HH:mm:ss ";
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        configureLogging?.Invoke(builder.Logging);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ClientFaultHandler>();
        // A query or route value that cannot be bound (?limit=abc) throws, so ClientFaultHandler answers it as problem+json.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddMetrics();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<LiveMetrics>();
        builder.Services.AddSingleton(sp => new PrometheusExporter(sp.GetRequiredService<LiveMetrics>().Meter));
        builder.Services.AddSingleton<LiveSessionManager>();
        builder.Services.AddSingleton<CharacterCache>();
        options.ConfigureServices?.Invoke(builder.Services);
        builder.Services.AddCaptureJobs(builder.Configuration, options.ConfigureJobs);

        WebApplication app = builder.Build();
        // Created now, so the exporter sees every instrument from the first measurement.
        app.Services.GetRequiredService<PrometheusExporter>();
        // Stopping waits for open requests, and live sockets stay open while their session runs: end them first.
        LiveSessionManager sessions = app.Services.GetRequiredService<LiveSessionManager>();
        app.Lifetime.ApplicationStopping.Register(() => sessions.EndAll("the server is shutting down"));
        Security.SecurityHeaders.Use(app);
        // Anything unforeseen is a 500 problem+json (logged), never a bare connection reset; a client's fault is its 4xx (ClientFaultHandler).
        app.UseExceptionHandler();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(15) });
        StaticPages.Map(app, options);
        LiveEndpoints.Map(app);
        app.MapJobs(() => options.ApiKey!, options.WebRoot);
        return app;
    }

    /// <summary>
    /// The key to use: the configured one (command line, then <c>CAPTURE_API_KEY</c>), else a new random one;
    /// <c>generated</c> says which, so the caller can print it.
    /// </summary>
    public static (string Key, bool Generated) ResolveApiKey(string? configured)
    {
        string? key = !string.IsNullOrWhiteSpace(configured) ? configured : Environment.GetEnvironmentVariable("CAPTURE_API_KEY");
        return string.IsNullOrWhiteSpace(key) ? (Security.Secrets.NewToken(24), true) : (key.Trim(), false);
    }

    /// <summary>The addresses Kestrel actually listens on (port 0 resolved), after the app has started.</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToArray() ?? [];
    }
}
