using System.CommandLine;
using Capture.Jobs.Distributed;
using Capture.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Spectre.Console;

namespace Capture.Cli.Commands;

/// <summary><c>capture serve [--urls URL] [--api-key KEY]</c>: the live service (docs/live.md).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Where to listen (Kestrel URLs, ';'-separated). Loopback by default; port 0 picks a free port.",
            DefaultValueFactory = _ => "http://127.0.0.1:5080",
        };
        var apiKey = new Option<string?>("--api-key")
        {
            Description = "The API key clients send as 'Authorization: Bearer KEY'. Default: $CAPTURE_API_KEY, else a random key printed at start.",
        };
        var timeout = new Option<double>("--performer-timeout")
        {
            Description = "Seconds a session waits for its performer (or their next packet) before it ends.",
            DefaultValueFactory = _ => 60,
        };
        var maxSessions = new Option<int>("--max-sessions") { Description = "Live sessions at once.", DefaultValueFactory = _ => 32 };
        var origins = new Option<string[]>("--allowed-origin")
        {
            Description = "A browser origin (https://host[:port]) whose pages may open the live WebSockets besides this server's own; repeat for more. Default: $CAPTURE_ALLOWED_ORIGINS (';'-separated), else any origin (the session tokens guard the sockets).",
        };
        var publicUrl = new Option<string?>("--public-url")
        {
            Description = "The address people reach this server at when it sits behind a reverse proxy (e.g. https://capture.example.com): the page and socket addresses POST /api/live returns start with it. Default: $CAPTURE_PUBLIC_URL, else the scheme, host and port each client used.",
        };
        var scale = new ScaleOutOptions();
        var record = new Option<string?>("--record-sessions") { Description = "Keep each live session's motion (what its performer sent) as DIR/SESSION-ID.mpk, for `capture render DIR/ID.mpk --character … --size 1024` later." };
        var data = new Option<string?>("--data") { Description = $"Jobs' data folder (database, uploads, results; docs/jobs.md). Default: configuration Jobs:DataDirectory, else {Capture.Jobs.JobsOptions.DefaultDataDirectory}." };
        var command = new Command("serve",
            "Run the Capture server: live sessions (POST /api/live), the capture and viewer pages, /healthz, /metrics;\n" +
            "jobs (POST /api/jobs, the upload page at /, the rig page at /rig.html; docs/jobs.md).\n" +
            "Then open the capturePage address a session returns in a browser with a webcam, and its viewerPage in OBS " +
            "(Browser Source), or stream from this machine with `capture live`. See docs/live.md.")
        {
            urls, apiKey, timeout, maxSessions, data, origins, publicUrl, record,
        };
        scale.AddTo(command, includeData: false); // --data is the option above, in both modes
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            double seconds = parseResult.GetValue(timeout);
            if (!(seconds > 0))
            {
                throw new CaptureUserException($"--performer-timeout {seconds} must be more than 0 seconds");
            }

            int max = parseResult.GetValue(maxSessions);
            if (max < 1)
            {
                throw new CaptureUserException($"--max-sessions {max} must be at least 1");
            }

            (string key, bool generated) = CaptureServer.ResolveApiKey(parseResult.GetValue(apiKey));
            var options = new ServerOptions
            {
                Urls = parseResult.GetValue(urls)!,
                ApiKey = key,
                PerformerTimeout = TimeSpan.FromSeconds(seconds),
                MaxSessions = max,
                RecordDirectory = parseResult.GetValue(record) is { } keep ? Path.GetFullPath(keep) : null,
                AllowedOrigins = parseResult.GetValue(origins) is { Length: > 0 } given ? given
                    : (Environment.GetEnvironmentVariable("CAPTURE_ALLOWED_ORIGINS") ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                PublicBaseUrl = parseResult.GetValue(publicUrl) ?? (Environment.GetEnvironmentVariable("CAPTURE_PUBLIC_URL") is { Length: > 0 } env ? env : null),
                ConfigureServices = scale.Read(parseResult, consume: false) is { } distributed ? s => s.AddDistributedJobs(distributed, "api") : null,
                ConfigureJobs = o => o.DataDirectory = parseResult.GetValue(data) ?? o.DataDirectory ?? Capture.Jobs.JobsOptions.DefaultDataDirectory,
            };
            return await RunAsync(options, generated, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(ServerOptions options, bool generatedKey, CancellationToken ct)
    {
        WebApplication built;
        try
        {
            built = CaptureServer.Build(options);
        }
        catch (ArgumentException ex)
        {
            throw new CaptureUserException($"cannot start the server: {ex.Message}", ex);
        }

        await using WebApplication app = built;
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException ex)
        {
            throw new CaptureUserException($"cannot listen on {options.Urls}: {ex.Message}", ex);
        }

        foreach (string address in CaptureServer.Addresses(app))
        {
            // Plain lines (no markup): scripts and the tests read the address from here.
            Console.WriteLine($"listening on {address}");
            if (Uri.TryCreate(address, UriKind.Absolute, out Uri? uri) && !uri.IsLoopback)
            {
                AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(address)} is reachable from other machines; the API key and session tokens guard it, but plain http is not encrypted (put https or a reverse proxy in front)");
            }
        }

        Console.WriteLine(generatedKey
            ? $"API key (generated for this run; set CAPTURE_API_KEY or --api-key to choose one): {options.ApiKey}"
            : "API key: from " + (Environment.GetEnvironmentVariable("CAPTURE_API_KEY") == options.ApiKey ? "CAPTURE_API_KEY" : "--api-key"));
        AnsiConsole.MarkupLine("[grey]create a session: curl -H 'Authorization: Bearer KEY' -F character=@face.png " +
            "ADDRESS/api/live, then open its capturePage (performer) and viewerPage (OBS). Ctrl+C stops.[/]");
        Console.Out.Flush();
        try
        {
            await app.WaitForShutdownAsync(ct);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C.
        }

        await app.StopAsync(CancellationToken.None);
        return 0;
    }
}
