using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Capture.Pipeline.Characters;
using Capture.Server.Client;
using Spectre.Console;

namespace Capture.Cli.Commands;

/// <summary>
/// <c>capture live SOURCE --server URL (--key KEY --character IMAGE | --session ID --token TOKEN) …</c>: tracks a
/// camera, lavfi source or video file here and streams it to a live session (docs/live.md).
/// </summary>
internal static class LiveCommand
{
    // Read by name where it is used: the option only changes the create request.
    private const string NoIdleName = "--no-idle";

    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "/dev/videoN (a webcam), lavfi:<graph> (a test source), or a video file, played at its own rate like a camera." };
        var server = new Option<string>("--server") { Description = "The Capture server, e.g. http://127.0.0.1:5080 (`capture serve`).", Required = true };
        var key = new Option<string?>("--key") { Description = "The server's API key: create a new session for --character (default: $CAPTURE_API_KEY)." };
        var character = new Option<FileInfo?>("--character") { Description = "With --key: the character picture the session renders, or an Animated Drawings folder (texture.png, mask.png, char_cfg.yaml; implies --body)." };
        var rig = new Option<FileInfo?>("--rig") { Description = "With --key: a rig file for a character the face tracker cannot read." };
        var profile = new Option<FileInfo?>("--profile") { Description = "With --key: a performer profile (`capture calibrate`); default: your first second of frames is your neutral face." };
        var size = new Option<int>("--size") { Description = "With --key: the rendered size, 256 or 512.", DefaultValueFactory = _ => 256 };
        var session = new Option<string?>("--session") { Description = "Join an existing session (its id) instead of creating one; needs --token." };
        var token = new Option<string?>("--token") { Description = "With --session: the session's performerToken." };
        var vmc = new Option<string?>("--vmc") { Description = "Also send the tracking as VMC (OSC over UDP) to HOST:PORT, e.g. 127.0.0.1:39539 for VSeeFace or Warudo." };
        var audio = new Option<string?>("--audio") { Description = "Send audio too (viewers get it as it comes): pulse[:NAME] or alsa[:DEVICE] (a microphone), lavfi:GRAPH, or a file played at real time." };
        var maxFrames = new Option<long?>("--max-frames") { Description = "Stop after sending this many frames (default: until the source ends or Ctrl+C)." };
        var noIris = new Option<bool>("--no-iris") { Description = "Plain face mesh (no iris points, no gaze): faster tracking." };
        var hands = new Option<bool>("--hands") { Description = "Track both hands too and send them (protocol v1.4; with --vmc, the 30 finger bones). Costs the hand model twice a frame, and the palm detector while a hand is out of view." };
        var noIdle = new Option<bool>(NoIdleName) { Description = "With --key: keep the character still at neutral when your face is lost or you send no frames (by default it breathes, blinks and glances)." };
        var body = new Option<bool>("--body") { Description = "Track the body too (the pose model) and send its landmarks (protocol v1.3); with --key the session's character moves its body with yours (a full-body or half-body picture; an Animated Drawings folder implies it). Costs the pose model a frame; the face models run beside it on a second thread while the face is tracked." };
        var poseModel = new Option<Capture.Tracking.PoseModel>("--pose-model") { Description = "With --body: the BlazePose model (Full by default; Lite tracks a frame in about 0.7x the time, twice as far from MediaPipe's points; Heavy the most exact).", DefaultValueFactory = _ => Capture.Tracking.PoseModel.Full };
        var noViewer = new Option<bool>("--no-viewer") { Description = "Do not watch the session's frames (then no glass-to-glass latency is measured)." };
        var record = new Option<string?>("--record") { Description = "Also keep the take as a Capture recording (take.mpk: every frame and audio chunk sent), to re-render later: capture render take.mpk --character IMAGE --size 1024." };
        Option<bool> json = CliJson.CreateOption();
        var command = new Command("live",
            "Be the performer of a live session: track SOURCE here and stream the landmarks to a Capture server, which renders the character for every viewer.\n" +
            "  new session:   capture live /dev/video0 --server http://127.0.0.1:5080 --key KEY --character face.png\n" +
            "  body too:      capture live /dev/video0 --server http://127.0.0.1:5080 --key KEY --character fullbody.png --body\n" +
            "  join one:      capture live clip.mp4 --server http://127.0.0.1:5080 --session ID --token PERFORMER_TOKEN\n" +
            "It prints the viewer page to open (OBS: Browser Source), and at the end the frames sent, the drops and the latency it measured.")
        {
            source, server, key, character, rig, profile, size, session, token, vmc, audio, maxFrames, noIris, hands, body, poseModel, noViewer, record, json, noIdle,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            CliJson.Begin(parseResult.GetValue(json));
            return await RunAsync(parseResult, source, server, key, character, rig, profile, size, session, token, vmc, audio, maxFrames, noIris, hands, body, poseModel, noViewer, record, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(
        ParseResult p, Argument<string> sourceArg, Option<string> serverOpt, Option<string?> keyOpt, Option<FileInfo?> characterOpt, Option<FileInfo?> rigOpt,
        Option<FileInfo?> profileOpt, Option<int> sizeOpt, Option<string?> sessionOpt, Option<string?> tokenOpt, Option<string?> vmcOpt, Option<string?> audioOpt,
        Option<long?> maxFramesOpt, Option<bool> noIrisOpt, Option<bool> handsOpt, Option<bool> bodyOpt, Option<Capture.Tracking.PoseModel> poseModelOpt, Option<bool> noViewerOpt, Option<string?> recordOpt, CancellationToken ct)
    {
        string source = p.GetValue(sourceArg)!;
        if (!source.StartsWith("lavfi:", StringComparison.Ordinal) && !source.StartsWith("/dev/", StringComparison.Ordinal) && !File.Exists(source))
        {
            throw new FileNotFoundException($"{source}: no such file (SOURCE is /dev/videoN, lavfi:<graph> or a video file)", source);
        }

        string serverText = p.GetValue(serverOpt)!;
        if (!Uri.TryCreate(serverText, UriKind.Absolute, out Uri? server) || server.Scheme is not ("http" or "https"))
        {
            throw new CaptureUserException($"--server '{serverText}' is not an http:// or https:// address (e.g. http://127.0.0.1:5080)");
        }

        long? maxFrames = p.GetValue(maxFramesOpt);
        if (maxFrames is <= 0)
        {
            throw new CaptureUserException($"--max-frames {maxFrames} must be at least 1");
        }

        string? record = p.GetValue(recordOpt);
        if (record is not null)
        {
            string? folder = Path.GetDirectoryName(Path.GetFullPath(record));
            if (folder is not null && !Directory.Exists(folder))
            {
                throw new CaptureUserException($"--record {record}: the folder {folder} does not exist");
            }
        }

        IPEndPoint? vmc = p.GetValue(vmcOpt) is { } vmcText ? ParseEndpoint(vmcText) : null;
        string? sessionId = p.GetValue(sessionOpt);
        string? key = p.GetValue(keyOpt) ?? (sessionId is null ? Environment.GetEnvironmentVariable("CAPTURE_API_KEY") : null);
        LiveSessionInfo info;
        bool created = false;
        bool trackBody = p.GetValue(bodyOpt);
        if (sessionId is not null)
        {
            string token = p.GetValue(tokenOpt) ?? throw new CaptureUserException("--session needs --token (the session's performerToken)");
            if (p.GetValue(characterOpt) is not null)
            {
                throw new CaptureUserException("--character creates a new session; with --session the session's character is already chosen");
            }

            if (p.GetValue<bool>(NoIdleName))
            {
                throw new CaptureUserException("--no-idle applies to a session this command creates (--key); the session you join chose idle when it was created (idle=0)");
            }

            string ws = server.Scheme == "https" ? "wss" : "ws";
            string authority = server.Authority;
            info = new LiveSessionInfo(sessionId, token, "", $"{ws}://{authority}/live/{sessionId}/ingest", "", "", $"/live/{sessionId}/capture?token={token}");
        }
        else
        {
            if (key is null)
            {
                throw new CaptureUserException("give --key KEY --character IMAGE to create a session (or set CAPTURE_API_KEY), or --session ID --token TOKEN to join one");
            }

            FileInfo picture = p.GetValue(characterOpt) ?? throw new CaptureUserException("--key needs --character IMAGE (the picture the session renders)");
            if (!picture.Exists && !Directory.Exists(picture.FullName))
            {
                throw new CaptureUserException($"--character {picture}: no such file or folder");
            }

            int size = p.GetValue(sizeOpt);
            if (size is not (256 or 512))
            {
                throw new CaptureUserException($"--size {size} is not 256 or 512");
            }

            using var api = new LiveApi(server, key);
            trackBody |= AnimatedDrawingsFiles.IsCharacterFolder(picture.FullName);
            try
            {
                info = await api.CreateSessionAsync(picture.FullName, size, p.GetValue(rigOpt)?.FullName, p.GetValue(profileOpt)?.FullName, ct, p.GetValue(handsOpt), trackBody,
                    idle: !p.GetValue<bool>(NoIdleName));
            }
            catch (HttpRequestException ex)
            {
                throw new CaptureUserException($"cannot reach {server}: {ex.Message} (is `capture serve` running?)", ex);
            }
            catch (LiveApiException ex)
            {
                throw new CaptureUserException(ex.Message, ex);
            }

            created = true;
            AnsiConsole.MarkupLine($"session [green]{Markup.Escape(info.Id)}[/] created");
            Console.WriteLine($"viewer page: {new Uri(server, info.ViewerPage)}");
            Console.WriteLine($"frames: {info.FramesUrl}");
        }

        var options = new LivePerformerOptions
        {
            Source = source,
            IngestUrl = new Uri(info.IngestUrl),
            PerformerToken = info.PerformerToken,
            FramesUrl = created && !p.GetValue(noViewerOpt) ? new Uri(info.FramesUrl) : null,
            Iris = !p.GetValue(noIrisOpt),
            Hands = p.GetValue(handsOpt),
            Body = trackBody,
            PoseModel = p.GetValue(poseModelOpt),
            MaxFrames = maxFrames,
            Vmc = vmc,
            Audio = p.GetValue(audioOpt),
            RecordPath = record,
        };
        Console.Out.Flush();
        LivePerformerResult result;
        try
        {
            result = await LivePerformer.RunAsync(options, m => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]"), ct);
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or SocketException)
        {
            throw new CaptureUserException($"streaming to {info.IngestUrl} failed: {ex.Message}", ex);
        }

        Report(result);
        if (CliJson.Active)
        {
            CliJson.Write(ToJson(result, info, server));
        }

        return result.ServerClose is null ? 0 : 1;
    }

    private static void Report(LivePerformerResult r)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"frames: {r.FramesSent} sent of {r.FramesCaptured} captured in {r.Seconds:F1} s ({r.FramesSent / Math.Max(r.Seconds, 1e-3):F1} fps), {r.SourceDrops} dropped at the source (tracking behind)"));
        if (r.TrackMs.Count > 0)
        {
            Console.WriteLine(string.Create(c, $"track: p50 {Percentile(r.TrackMs, 50):F1} ms, p99 {Percentile(r.TrackMs, 99):F1} ms"));
        }

        if (r.Viewed.Count > 0)
        {
            double[] latency = [.. r.Viewed.Select(f => f.LatencyMs)];
            long renderedBehind = r.FramesSent - r.Viewed.Count;
            Console.WriteLine(string.Create(c, $"viewer: {r.Viewed.Count} frames received ({Math.Max(0, renderedBehind)} of those sent never reached it: dropped on the server or still in flight)"));
            Console.WriteLine(string.Create(c, $"glass-to-glass (capture → viewer received): p50 {Percentile(latency, 50):F1} ms, p99 {Percentile(latency, 99):F1} ms, max {latency.Max():F1} ms"));
        }

        if (r.AudioChunksSent > 0)
        {
            Console.WriteLine(string.Create(c, $"audio: {r.AudioChunksSent} chunks sent ({r.AudioChunksSent * 0.02:F1} s), {r.AudioChunksViewed} came back to the viewer"));
        }

        if (r.RecordingPath is not null)
        {
            Console.WriteLine(string.Create(c, $"recorded: {r.RecordingPath} ({r.RecordedPackets} packets); re-render with: capture render {r.RecordingPath} --character IMAGE --size 1024"));
        }

        if (r.ServerClose is not null)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] the server closed the stream: {Markup.Escape(r.ServerClose)}");
        }
    }

    private static object ToJson(LivePerformerResult r, LiveSessionInfo info, Uri server)
    {
        double[] latency = [.. r.Viewed.Select(f => f.LatencyMs)];
        return new
        {
            command = "live",
            session = info.Id,
            viewerPage = string.IsNullOrEmpty(info.ViewerPage) ? null : new Uri(server, info.ViewerPage).ToString(),
            recording = r.RecordingPath,
            recordedPackets = r.RecordedPackets,
            framesCaptured = r.FramesCaptured,
            framesSent = r.FramesSent,
            sourceDrops = r.SourceDrops,
            seconds = r.Seconds,
            framesPerSecond = r.FramesSent / Math.Max(r.Seconds, 1e-3),
            trackMs = r.TrackMs.Count == 0 ? null : new { p50 = Percentile(r.TrackMs, 50), p99 = Percentile(r.TrackMs, 99) },
            viewer = latency.Length == 0 ? null : new
            {
                frames = r.Viewed.Count,
                neverReached = Math.Max(0, r.FramesSent - r.Viewed.Count),
                latencyMs = new { p50 = Percentile(latency, 50), p99 = Percentile(latency, 99), max = latency.Max() },
            },
            audio = r.AudioChunksSent == 0 ? null : new { chunksSent = r.AudioChunksSent, chunksViewed = r.AudioChunksViewed },
            serverClose = r.ServerClose,
        };
    }

    internal static double Percentile(IReadOnlyList<double> values, double p)
    {
        double[] sorted = [.. values];
        Array.Sort(sorted);
        int i = (int)Math.Ceiling((p / 100.0 * sorted.Length) - 1);
        return sorted[Math.Clamp(i, 0, sorted.Length - 1)];
    }

    private static IPEndPoint ParseEndpoint(string text)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            throw new CaptureUserException($"--vmc '{text}' is not HOST:PORT (e.g. 127.0.0.1:39539)");
        }

        string host = text[..colon];
        if (IPAddress.TryParse(host, out IPAddress? address))
        {
            return new IPEndPoint(address, port);
        }

        IPAddress[] found = Dns.GetHostAddresses(host);
        return found.Length > 0 ? new IPEndPoint(found[0], port) : throw new CaptureUserException($"--vmc host '{host}' does not resolve");
    }
}
