namespace Capture.Server;

/// <summary>
/// What `capture serve` is told: bound from configuration (section <c>Capture</c>, environment
/// <c>CAPTURE_…</c>, e.g. <c>CAPTURE_API_KEY</c>) and the command line. Every limit is set on purpose;
/// the comment beside each says why it is what it is.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>Where Kestrel listens. Loopback by default: a live session is not for the open internet without a proxy.</summary>
    public string Urls { get; init; } = "http://127.0.0.1:5080";

    /// <summary>The key for <c>/api</c> (Bearer). Null or empty: <see cref="CaptureServer"/> generates one at start and says so.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Largest upload (character picture + rig + profile): a 4096² PNG is ~30 MB at worst; 32 MiB covers it and no more.</summary>
    public long MaxUploadBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>
    /// Largest ingest packet. A face+iris frame in float32 is ~6 KB; an AudioChunk of 100 ms of 48 kHz stereo
    /// is 19 KB. 256 KiB leaves room for a second of audio in one chunk and refuses anything absurd.
    /// </summary>
    public int MaxIngestPacketBytes { get; init; } = 256 * 1024;

    /// <summary>
    /// Kernel send buffer per connection (SO_SNDBUF, set on the listening socket and inherited). Linux would
    /// otherwise grow it to megabytes, i.e. seconds of video queued for a viewer that stopped reading, which
    /// defeats "latest frame wins". 128 KiB is ~8 frames at 256² (~0.25 s at 30 fps) and does not slow
    /// loopback or LAN page downloads measurably. 0 leaves the OS default.
    /// </summary>
    public int SocketSendBufferBytes { get; init; } = 128 * 1024;

    /// <summary>
    /// How long a viewer's dropped frames are counted before its frames step down or up (<see cref="Live.ViewerAdaptation"/>).
    /// A second holds 15–30 frames: enough that one late frame is not "behind", short enough to step down within a few
    /// seconds of a link slowing.
    /// </summary>
    public TimeSpan ViewerAdaptWindow { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a session waits for its performer (before the first connection, or after a disconnect without Bye), and how long a connected performer may stay silent.</summary>
    public TimeSpan PerformerTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a new ingest connection has to send its Hello.</summary>
    public TimeSpan HelloTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Malformed packets in a row after which the ingest connection is closed (one bad packet is dropped and counted; a stream of them is a broken client).</summary>
    public int MaxConsecutiveBadPackets { get; init; } = 16;

    /// <summary>Live sessions at once: each holds a generator (~6 MB at 256², ~25 MB at 512²) and renders on the shared cores.</summary>
    public int MaxSessions { get; init; } = 32;

    /// <summary>
    /// Bytes of character pictures kept for sessions to come (<see cref="Live.CharacterCache"/>), least recently used
    /// dropped first. 128 MiB: eight characters at 2048² (a 512² session's working picture, 16 MB each), or 32 at 1024².
    /// </summary>
    public long CharacterCacheBytes { get; init; } = 128L * 1024 * 1024;

    /// <summary>Seconds of the performer's first tracked frames averaged as their neutral face when the session has no profile.</summary>
    public double CalibrationSeconds { get; init; } = 1.0;

    /// <summary>JPEG quality of rendered frames (85: no visible blocking on faces at 256², ~15 KB a frame).</summary>
    public int JpegQuality { get; init; } = 85;

    /// <summary>
    /// Browser origins (scheme://host[:port]) allowed to open the ingest and frames WebSockets, e.g. the site
    /// that embeds the capture page; a browser connection from any other origin is refused (403). Empty (the
    /// default): any origin, which is safe as long as the sockets need a session token (they do) and nothing rides
    /// on cookies (nothing does). Clients that send no Origin (the CLI, OBS's own plugins) are not affected.
    /// </summary>
    public IReadOnlyList<string> AllowedOrigins { get; init; } = [];

    /// <summary>
    /// The address people and OBS reach this server at, when that is not what Kestrel sees: behind a reverse proxy
    /// (TLS ends there), e.g. <c>https://capture.example.com</c> or <c>https://example.com/capture</c>. The addresses
    /// <c>POST /api/live</c> returns (pages, and the ingest and frames sockets as ws(s)://) start with it. Null: the
    /// scheme, host and port the client used to reach this server.
    /// </summary>
    public string? PublicBaseUrl { get; init; }

    /// <summary>Folder holding the pages (live-view.html, live-capture.html); null: wwwroot beside the application.</summary>
    public string? WebRoot { get; init; }

    /// <summary>Folder of the restored npm packages served under <c>/vendor</c> (.cache/npm); null: found above the application.</summary>
    public string? VendorDirectory { get; init; }

    /// <summary>
    /// Keep each live session's motion as <c>DIR/SESSION-ID.mpk</c>: every TrackingFrame and AudioChunk its
    /// performer sent, as received, so <c>capture render DIR/ID.mpk --character … --size 1024</c> re-renders the
    /// take later (docs/live.md). Null: nothing is kept. A live face take is ~3 KB a frame (~5.5 MB a minute at 30 fps).
    /// </summary>
    public string? RecordDirectory { get; init; }

    /// <summary>Job settings on top of configuration section <c>Jobs</c> (data folder, limits; docs/jobs.md).</summary>
    public Action<Capture.Jobs.JobsOptions>? ConfigureJobs { get; init; }

    /// <summary>
    /// Services registered before the jobs machinery, so they take its place: scale-out registers the
    /// PostgreSQL store and RabbitMQ queue here (Capture.Jobs.Distributed, docs/deployment.md). Null: the embedded default.
    /// </summary>
    public Action<Microsoft.Extensions.DependencyInjection.IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>Checks every limit at start, so a bad setting is one clear message rather than a failure mid-session.</summary>
    /// <exception cref="ArgumentException">A setting out of range, named with its value.</exception>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentException(message);
            }
        }

        Require(!string.IsNullOrWhiteSpace(Urls), "Urls is empty");
        foreach (string url in Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Kestrel reads an address it cannot parse as "any host, port 80", i.e. every interface: refuse it instead.
            // Its wildcards (*, +) are checked as a plain host name.
            string checkable = url.Replace("://*", "://any", StringComparison.Ordinal).Replace("://+", "://any", StringComparison.Ordinal);
            Require(Uri.TryCreate(checkable, UriKind.Absolute, out Uri? uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/"
                && System.Text.RegularExpressions.Regex.IsMatch(url, @":\d{1,5}/?$"),
                $"'{url}' is not an http://HOST:PORT address (e.g. http://127.0.0.1:5080; port 0 picks a free port)");
        }

        Require(MaxUploadBytes >= 64 * 1024, $"MaxUploadBytes {MaxUploadBytes} is below 64 KiB: no character picture fits");
        Require(MaxIngestPacketBytes is >= 16 * 1024 and <= 16 * 1024 * 1024, $"MaxIngestPacketBytes {MaxIngestPacketBytes} is not in 16 KiB..16 MiB");
        Require(PerformerTimeout > TimeSpan.Zero, $"PerformerTimeout {PerformerTimeout} must be positive");
        Require(HelloTimeout > TimeSpan.Zero, $"HelloTimeout {HelloTimeout} must be positive");
        Require(MaxConsecutiveBadPackets >= 1, $"MaxConsecutiveBadPackets {MaxConsecutiveBadPackets} must be at least 1");
        Require(CharacterCacheBytes >= 0, $"CharacterCacheBytes {CharacterCacheBytes} is negative");
        Require(MaxSessions >= 1, $"MaxSessions {MaxSessions} must be at least 1");
        Require(CalibrationSeconds is > 0 and <= 10, $"CalibrationSeconds {CalibrationSeconds} is not in (0, 10]");
        Require(JpegQuality is >= 1 and <= 100, $"JpegQuality {JpegQuality} is not in 1..100");
        foreach (string origin in AllowedOrigins)
        {
            // An Origin header is exactly scheme://host[:port]: anything more (a path, a trailing slash) would never match.
            Require(Uri.TryCreate(origin, UriKind.Absolute, out Uri? o) && o.Scheme is "http" or "https"
                && string.Equals(origin, o.GetLeftPart(UriPartial.Authority), StringComparison.OrdinalIgnoreCase),
                $"allowed origin '{origin}' is not scheme://host[:port] (e.g. https://studio.example.com)");
        }

        Require(PublicBaseUrl is null || (Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out Uri? pub) && pub.Scheme is "http" or "https"
                && string.IsNullOrEmpty(pub.Query) && string.IsNullOrEmpty(pub.Fragment)),
            $"public base URL '{PublicBaseUrl}' is not an http(s)://host[:port][/path] address (e.g. https://capture.example.com)");
        Require(ViewerAdaptWindow > TimeSpan.Zero, $"ViewerAdaptWindow {ViewerAdaptWindow} is not positive");
        Require(SocketSendBufferBytes >= 0, $"SocketSendBufferBytes {SocketSendBufferBytes} is negative");
    }
}
