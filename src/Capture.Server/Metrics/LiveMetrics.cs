using System.Diagnostics.Metrics;

namespace Capture.Server.Metrics;

/// <summary>
/// The live service's instruments (meter <see cref="MeterName"/>, visible to <c>dotnet-counters</c> and
/// <c>GET /metrics</c>). One instance per server, created from the host's <see cref="IMeterFactory"/>, so two
/// servers in one process (tests) keep separate figures. Durations in milliseconds.
/// </summary>
public sealed class LiveMetrics : IDisposable
{
    public const string MeterName = "Capture.Server";

    /// <summary>Tag naming the link a drop happened on: <c>ingest</c> (performer → renderer, oldest frame dropped),
    /// <c>viewer</c> (renderer → one viewer, oldest frame dropped), <c>order</c> (a frame older than the last one rendered),
    /// <c>malformed</c> (a packet that did not decode).</summary>
    public const string LinkTag = "link";

    private long _sessions;

    public LiveMetrics(IMeterFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Meter = factory.Create(MeterName);
        Meter.CreateObservableGauge("capture_live_sessions", () => Interlocked.Read(ref _sessions), description: "Live sessions open now");
        SessionsOpened = Meter.CreateCounter<long>("capture_live_sessions_opened", description: "Live sessions created");
        FramesReceived = Meter.CreateCounter<long>("capture_live_frames_received", description: "Tracking frames received from performers");
        FramesRendered = Meter.CreateCounter<long>("capture_live_frames_rendered", description: "Character frames rendered");
        FramesSent = Meter.CreateCounter<long>("capture_live_frames_sent", description: "Rendered frames sent to viewers (one per viewer)");
        Drops = Meter.CreateCounter<long>("capture_live_drops", description: "Frames or packets dropped, by link");
        RenderMs = Meter.CreateHistogram<double>("capture_live_render_ms", "ms", "Retarget + generate + copy of one frame");
        JpegMs = Meter.CreateHistogram<double>("capture_live_jpeg_ms", "ms", "JPEG encoding of one rendered frame");
        IngestLatencyMs = Meter.CreateHistogram<double>("capture_live_ingest_latency_ms", "ms", "Performer capture → packet received by the server (track + network)");
        QueueMs = Meter.CreateHistogram<double>("capture_live_queue_ms", "ms", "Packet received → render started (time in the ingest queue)");
        SendMs = Meter.CreateHistogram<double>("capture_live_send_ms", "ms", "Frame ready → handed to a viewer's socket");
        LatencyMs = Meter.CreateHistogram<double>("capture_live_latency_ms", "ms", "Performer capture → frame handed to a viewer's socket");
    }

    public Meter Meter { get; }

    public Counter<long> SessionsOpened { get; }

    public Counter<long> FramesReceived { get; }

    public Counter<long> FramesRendered { get; }

    public Counter<long> FramesSent { get; }

    public Counter<long> Drops { get; }

    public Histogram<double> RenderMs { get; }

    public Histogram<double> JpegMs { get; }

    public Histogram<double> IngestLatencyMs { get; }

    public Histogram<double> QueueMs { get; }

    public Histogram<double> SendMs { get; }

    public Histogram<double> LatencyMs { get; }

    /// <summary>Sessions open now.</summary>
    public long Sessions => Interlocked.Read(ref _sessions);

    public void SessionOpened()
    {
        Interlocked.Increment(ref _sessions);
        SessionsOpened.Add(1);
    }

    public void SessionClosed() => Interlocked.Decrement(ref _sessions);

    /// <summary>Counts <paramref name="count"/> drops on <paramref name="link"/> (one of the <see cref="LinkTag"/> values, a constant string).</summary>
    public void Drop(string link, long count = 1) => Drops.Add(count, new KeyValuePair<string, object?>(LinkTag, link));

    public void Dispose() => Meter.Dispose();
}

/// <summary>The values of <see cref="LiveMetrics.LinkTag"/>.</summary>
public static class DropLink
{
    public const string Ingest = "ingest";
    public const string Viewer = "viewer";
    public const string Order = "order";
    public const string Malformed = "malformed";
}
