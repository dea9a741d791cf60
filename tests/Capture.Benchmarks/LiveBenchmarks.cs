using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.WebSockets;
using Capture.Core.Frames;
using Capture.Core.Timing;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Server;
using Capture.Server.Client;
using Capture.Server.Metrics;
using Capture.Testing;
using Capture.Tracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Capture.Benchmarks;

/// <summary>A Capture server in this process on a free loopback port, plus raw measurements of its histograms.</summary>
internal sealed class BenchServer : IAsyncDisposable
{
    public const string Key = "bench-key-0123456789abcdef";
    private readonly MeterListener _listener = new();

    private BenchServer(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
        _listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == LiveMetrics.MeterName && i.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<double>((i, v, _, _) => Samples.GetOrAdd(i.Name, _ => new ConcurrentQueue<double>()).Enqueue(v));
        _listener.Start();
    }

    public WebApplication App { get; }

    public Uri Address { get; }

    /// <summary>Every histogram measurement so far, by instrument name (ms).</summary>
    public ConcurrentDictionary<string, ConcurrentQueue<double>> Samples { get; } = new();

    public static async Task<BenchServer> StartAsync(int maxSessions = 32)
    {
        WebApplication app = CaptureServer.Build(
            new ServerOptions { Urls = "http://127.0.0.1:0", ApiKey = Key, MaxSessions = maxSessions },
            logging => logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        return new BenchServer(app, new Uri(CaptureServer.Addresses(app)[0]));
    }

    /// <summary>
    /// A new session for <paramref name="character"/> at <paramref name="size"/>, played by <paramref name="clip"/> as a
    /// camera through <see cref="LivePerformer"/> (plain face mesh, a viewer measuring glass-to-glass), with this server's
    /// histograms cleared first so that <see cref="Take"/> reads this run's alone.
    /// </summary>
    public async Task<LivePerformerResult> PerformAsync(LiveApi api, string character, int size, string clip, bool body = false, PoseModel pose = PoseModel.Full, bool parallel = true)
    {
        LiveSessionInfo s = await api.CreateSessionAsync(character, size, body: body);
        Samples.Clear();
        return await LivePerformer.RunAsync(new LivePerformerOptions
        {
            Source = clip,
            IngestUrl = new Uri(s.IngestUrl),
            PerformerToken = s.PerformerToken,
            FramesUrl = new Uri(s.FramesUrl),
            Iris = false,
            Body = body,
            PoseModel = pose,
            ParallelFaceAndBody = parallel,
        });
    }

    public double[] Take(string instrument) => Samples.TryRemove(instrument, out ConcurrentQueue<double>? q) ? [.. q] : [];

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        double[] sorted = [.. values];
        Array.Sort(sorted);
        return sorted[Math.Clamp((int)Math.Ceiling((p / 100.0 * sorted.Length) - 1), 0, sorted.Length - 1)];
    }
}

/// <summary>
/// Glass-to-glass on loopback: the shared talking clip played as a 30 fps camera → C# tracker → ingest
/// WebSocket → retarget + generate + JPEG → frames WebSocket → a viewer, all in this process, at 256² and
/// 512² on the CPU; p50/p99 and the per-stage breakdown, median over runs.
/// </summary>
public sealed class LiveLatencyBenchmark : IBenchmarkCommand
{
    public string Name => "live-latency";

    public string Description => "live glass-to-glass (capture → viewer) p50/p99 at 30 fps, 256² and 512², CPU, per stage (goal p50 ≤ 40 ms, p99 ≤ 80 ms); args: [runs] [clip]";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        Console.WriteLine(BenchmarkReport.MachineLine());
        int runs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
        string clip = args.Length > 1 ? args[1] : SharedMedia.File("vid_expr_man_d18.mp4");
        Console.WriteLine($"clip: {Path.GetFileName(clip)} played at its own rate as a camera; plain face mesh (no iris); {runs} run(s) a size");
        await using BenchServer server = await BenchServer.StartAsync();
        using var api = new LiveApi(server.Address, BenchServer.Key);
        foreach (int size in new[] { 256, 512 })
        {
            var p50 = new List<double>();
            var p99 = new List<double>();
            var stages = new Dictionary<string, List<double>>();
            for (int run = 0; run < runs; run++)
            {
                LivePerformerResult r = await server.PerformAsync(api, SharedMedia.File("face_woman_happy_sadtalker.png"), size, clip);
                double[] g2g = [.. r.Viewed.Select(f => f.LatencyMs)];
                p50.Add(BenchServer.Percentile(g2g, 50));
                p99.Add(BenchServer.Percentile(g2g, 99));
                double track = BenchServer.Percentile(r.TrackMs, 50);
                double ingest = BenchServer.Percentile(server.Take("capture_live_ingest_latency_ms"), 50);
                double toSocket = BenchServer.Percentile(server.Take("capture_live_latency_ms"), 50);
                Add(stages, "track", track);
                Add(stages, "source queue + network in", ingest - track);
                Add(stages, "ingest queue", BenchServer.Percentile(server.Take("capture_live_queue_ms"), 50));
                Add(stages, "render (retarget+generate)", BenchServer.Percentile(server.Take("capture_live_render_ms"), 50));
                Add(stages, "JPEG", BenchServer.Percentile(server.Take("capture_live_jpeg_ms"), 50));
                Add(stages, "send (ready→socket)", BenchServer.Percentile(server.Take("capture_live_send_ms"), 50));
                Add(stages, "network out + viewer (socket→viewer)", BenchServer.Percentile(g2g, 50) - toSocket);
                Add(stages, "source drops", r.SourceDrops);
                Add(stages, "frames sent / viewed", r.FramesSent - r.Viewed.Count);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {size}² run {run + 1}: {r.FramesSent} frames sent, {r.Viewed.Count} viewed, {r.SourceDrops} source drops; glass-to-glass p50 {p50[^1]:F1} ms, p99 {p99[^1]:F1} ms"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{size}²: glass-to-glass p50 {BenchmarkReport.Median(p50):F1} ms, p99 {BenchmarkReport.Median(p99):F1} ms (median of {runs}; goal p50 ≤ 40, p99 ≤ 80)"));
            foreach ((string stage, List<double> values) in stages)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    {stage,-40} {BenchmarkReport.Median(values),8:F1}{(stage.Contains("drops") || stage.Contains('/') ? "" : " ms (p50)")}"));
            }
        }

        return 0;
    }

    private static void Add(Dictionary<string, List<double>> stages, string name, double value)
    {
        if (!stages.TryGetValue(name, out List<double>? list))
        {
            stages[name] = list = [];
        }

        list.Add(value);
    }
}

/// <summary>
/// Concurrent 256² sessions at 30 fps the server sustains with no drops: each performer replays a `.mpk`
/// recording (made once by tracking the shared clip, or given) restamped with the Unix clock, so only the
/// server's work counts; each session has one viewer. N grows until a session drops a frame.
/// </summary>
public sealed class LiveSessionsBenchmark : IBenchmarkCommand
{
    public string Name => "live-sessions";

    public string Description => "concurrent 256² live sessions at 30 fps with no drops, performers replayed from .mpk (goal ≥ 6); args: [seconds] [max] [rec.mpk]";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        Console.WriteLine(BenchmarkReport.MachineLine());
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 6;
        int max = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 16;
        string recording = args.Length > 2 ? args[2] : await RecordAsync(SharedMedia.File("vid_expr_man_d18.mp4"));
        List<byte[]> frames = LoadFrames(recording);
        Console.WriteLine($"recording: {recording} ({frames.Count} tracking frames), {seconds:0.#} s a step, one viewer a session");
        await using BenchServer server = await BenchServer.StartAsync(max);
        using var api = new LiveApi(server.Address, BenchServer.Key);
        int sustained = 0;
        // Step 0 warms up (JIT, ORT, the character cache) and is not counted.
        for (int n = 0; n <= max; n++)
        {
            bool warmUp = n == 0;
            int count = Math.Max(n, 1);
            var sessions = new List<LiveSessionInfo>();
            for (int i = 0; i < count; i++)
            {
                sessions.Add(await api.CreateSessionAsync(SharedMedia.File("face_woman_happy_sadtalker.png"), 256));
            }

            var viewers = new List<LiveViewer>();
            foreach (LiveSessionInfo s in sessions)
            {
                var v = new LiveViewer();
                await v.ConnectAsync(new Uri(s.FramesUrl));
                viewers.Add(v);
            }

            int total = (int)(seconds * 30);
            server.Samples.Clear();
            long[] sent = await Task.WhenAll(sessions.Select(s => ReplayAsync(s, frames, total)));
            await Task.Delay(500);
            long received = 0, rendered = 0, drops = 0, ingestDrops = 0, viewerDrops = 0;
            using var http = new HttpClient { BaseAddress = server.Address };
            http.DefaultRequestHeaders.Authorization = new("Bearer", BenchServer.Key);
            foreach (LiveSessionInfo s in sessions)
            {
                using System.Text.Json.JsonDocument doc = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"/api/live/{s.Id}"));
                System.Text.Json.JsonElement root = doc.RootElement;
                received += root.GetProperty("framesReceived").GetInt64();
                rendered += root.GetProperty("framesRendered").GetInt64();
                System.Text.Json.JsonElement d = root.GetProperty("drops");
                ingestDrops += d.GetProperty("ingest").GetInt64();
                viewerDrops += d.GetProperty("viewer").GetInt64();
                drops += d.GetProperty("ingest").GetInt64() + d.GetProperty("viewer").GetInt64() + d.GetProperty("order").GetInt64();
            }

            double renderP50 = BenchServer.Percentile(server.Take("capture_live_render_ms"), 50);
            double latencyP99 = BenchServer.Percentile(server.Take("capture_live_latency_ms"), 99);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {(warmUp ? "warm-up" : $"{n,2} sessions")}: {sent.Sum()} frames sent, {rendered} rendered, {drops} dropped ({ingestDrops} ingest, {viewerDrops} viewer); render p50 {renderP50:F1} ms; capture→viewer socket p99 {latencyP99:F1} ms"));
            foreach (LiveViewer v in viewers)
            {
                await v.DisposeAsync();
            }

            foreach (LiveSessionInfo s in sessions)
            {
                await api.DeleteSessionAsync(s.Id);
            }

            if (warmUp)
            {
                continue;
            }

            if (drops > 0 || rendered < received)
            {
                break;
            }

            sustained = n;
        }

        Console.WriteLine($"sustained with no drops: {sustained} sessions at 256², 30 fps (goal ≥ 6)");
        return 0;
    }

    // One performer: the recorded frames, looped, restamped now, at 30 fps.
    internal static async Task<long> ReplayAsync(LiveSessionInfo s, List<byte[]> frames, int total)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(s.IngestUrl), CancellationToken.None);
        using var packet = new PooledBufferWriter(16 * 1024);
        ProtocolWriter.WriteHello(packet, new HelloMessage(ProtocolVersion.Minor, ["face", "blendshapes", "headpose"], "bench", s.PerformerToken));
        await socket.SendAsync(packet.WrittenMemory, WebSocketMessageType.Binary, true, CancellationToken.None);
        var reader = new ProtocolReader();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < total; i++)
        {
            reader.Read(frames[i % frames.Count]);
            TrackingFrame f = reader.Frame;
            f.Sequence = i;
            f.CaptureTimestampUs = UnixClock.NowUs;
            packet.Reset();
            ProtocolWriter.WriteTrackingFrame(packet, f);
            await socket.SendAsync(packet.WrittenMemory, WebSocketMessageType.Binary, true, CancellationToken.None);
            TimeSpan due = TimeSpan.FromSeconds((i + 1) / 30.0) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }
        }

        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        return total;
    }

    internal static List<byte[]> LoadFrames(string path)
    {
        using RecordingReader reader = RecordingReader.Open(path);
        var frames = new List<byte[]>();
        var decoder = new ProtocolReader();
        while (reader.TryReadNext(out ReadOnlyMemory<byte> packet))
        {
            if (decoder.Read(packet.Span) == MessageKind.TrackingFrame)
            {
                frames.Add(packet.ToArray());
            }
        }

        return frames.Count > 0 ? frames : throw new InvalidDataException($"{path} holds no tracking frames");
    }

    // What `capture track CLIP -o rec.mpk` makes: every frame of the clip, tracked, in a recording.
    internal static async Task<string> RecordAsync(string clip)
    {
        string path = Path.Combine(Path.GetTempPath(), $"capture-live-bench-{Path.GetFileNameWithoutExtension(clip)}.mpk");
        if (File.Exists(path))
        {
            return path;
        }

        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true });
        await using IFrameSource source = await FrameSources.OpenAsync(clip);
        string partial = path + ".part";
        using (var file = File.Create(partial))
        using (var writer = new RecordingWriter(file, $"capture track {Path.GetFileName(clip)}"))
        using (var packet = new PooledBufferWriter(16 * 1024))
        {
            var result = new TrackingFrame();
            while (await source.ReadAsync() is VideoFrame frame)
            {
                using (frame)
                {
                    tracker.Process(frame, result);
                }

                packet.Reset();
                ProtocolWriter.WriteTrackingFrame(packet, result);
                writer.Write(packet.WrittenSpan);
            }
        }

        File.Move(partial, path, overwrite: true);
        return path;
    }
}
