using System.Diagnostics;
using System.Diagnostics.Metrics;
using Capture.Core.Frames;

namespace Capture.Core.Diagnostics;

/// <summary>
/// Capture's live counters, as <see cref="System.Diagnostics.Metrics"/> instruments on one meter
/// named <see cref="MeterName"/> ("Capture"): per-stage time, frames, frames without a face, drops,
/// frame-pool use and the runtime's GC counts. Render and track record into them; <c>--verbose</c>
/// prints them (<see cref="CaptureMetricsListener"/>), and a host exports them by meter name
/// (OpenTelemetry <c>AddMeter("Capture")</c>, <c>dotnet-counters monitor --counters Capture</c>).
/// The names and tags are a stable interface, listed in docs/metrics.md. Recording allocates nothing.
/// </summary>
public static class CaptureMetrics
{
    /// <summary>The meter's name: what an exporter subscribes to.</summary>
    public const string MeterName = "Capture";

    /// <summary>Tag: which pipeline recorded (<c>render</c>, <c>track</c>, <c>live</c>, …).</summary>
    public const string PipelineTag = "pipeline";

    /// <summary>Tag: which stage of it (<see cref="Stages"/>).</summary>
    public const string StageTag = "stage";

    /// <summary>Tag of the GC counters: the generation (0, 1, 2).</summary>
    public const string GenerationTag = "generation";

    private static readonly Meter s_meter = new(MeterName, "1");

    /// <summary><c>capture.stage.duration</c> (s): time spent in one stage for one frame (or once, for set-up and finish). Tags: pipeline, stage.</summary>
    public static Histogram<double> StageDuration { get; } = s_meter.CreateHistogram<double>(
        "capture.stage.duration", "s", "Time spent in one pipeline stage for one frame (set-up and finish: once a run).");

    /// <summary><c>capture.frames</c>: frames that went all the way through. Tag: pipeline.</summary>
    public static Counter<long> Frames { get; } = s_meter.CreateCounter<long>("capture.frames", "{frame}", "Frames processed.");

    /// <summary><c>capture.frames.faceless</c>: frames in which the tracker found no face. Tag: pipeline.</summary>
    public static Counter<long> FramesWithoutFace { get; } = s_meter.CreateCounter<long>("capture.frames.faceless", "{frame}", "Frames in which no face was found.");

    /// <summary><c>capture.frames.dropped</c>: frames a live source dropped because the pipeline was behind. Tag: pipeline.</summary>
    public static Counter<long> FramesDropped { get; } = s_meter.CreateCounter<long>("capture.frames.dropped", "{frame}", "Frames dropped by a live source because the consumer was behind.");

    /// <summary><c>capture.pool.in_use</c>: frames out of the source's pool when a frame is read (of its capacity). Tag: pipeline.</summary>
    public static Histogram<int> PoolInUse { get; } = s_meter.CreateHistogram<int>("capture.pool.in_use", "{frame}", "Frames rented from the decoder's pool, sampled at each read.");

    private static readonly ObservableCounter<long> s_gcCollections = s_meter.CreateObservableCounter(
        "capture.gc.collections", ObserveCollections, "{collection}", "Garbage collections since the process started, by generation.");

    private static readonly ObservableCounter<long> s_gcAllocated = s_meter.CreateObservableCounter(
        "capture.gc.allocated", () => GC.GetTotalAllocatedBytes(), "By", "Bytes allocated on the managed heap since the process started.");

    private static readonly ObservableCounter<double> s_gcPause = s_meter.CreateObservableCounter(
        "capture.gc.pause", () => GC.GetTotalPauseDuration().TotalSeconds, "s", "Time the runtime paused for GC since the process started.");

    /// <summary>The meter itself (for listeners that filter by instance).</summary>
    public static Meter Meter => s_meter;

    /// <summary>Records <c>capture.stage.duration</c> from two <see cref="Stopwatch.GetTimestamp"/> readings.</summary>
    public static void RecordStage(string pipeline, string stage, long startTimestamp, long endTimestamp) =>
        StageDuration.Record(
            Stopwatch.GetElapsedTime(startTimestamp, endTimestamp).TotalSeconds,
            new KeyValuePair<string, object?>(PipelineTag, pipeline),
            new KeyValuePair<string, object?>(StageTag, stage));

    /// <summary>Records one stage's seconds.</summary>
    public static void RecordStage(string pipeline, string stage, double seconds) =>
        StageDuration.Record(seconds, new KeyValuePair<string, object?>(PipelineTag, pipeline), new KeyValuePair<string, object?>(StageTag, stage));

    /// <summary>Adds <paramref name="count"/> to a per-pipeline counter.</summary>
    public static void Add(Counter<long> counter, string pipeline, long count = 1)
    {
        ArgumentNullException.ThrowIfNull(counter);
        counter.Add(count, new KeyValuePair<string, object?>(PipelineTag, pipeline));
    }

    /// <summary>Samples <c>capture.pool.in_use</c> for a frame's pool (nothing for unpooled frames).</summary>
    public static void RecordPool(string pipeline, FramePool? pool)
    {
        if (pool is not null)
        {
            PoolInUse.Record(pool.InUse, new KeyValuePair<string, object?>(PipelineTag, pipeline));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveCollections()
    {
        for (int g = 0; g <= GC.MaxGeneration; g++)
        {
            yield return new Measurement<long>(GC.CollectionCount(g), new KeyValuePair<string, object?>(GenerationTag, g.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
    }

    /// <summary>Pipeline names (the <c>pipeline</c> tag).</summary>
    public static class Pipelines
    {
        /// <summary><c>capture render</c> (and render jobs).</summary>
        public const string Render = "render";

        /// <summary><c>capture track</c>.</summary>
        public const string Track = "track";
    }

    /// <summary>Stage names (the <c>stage</c> tag); docs/metrics.md says which pipeline records which.</summary>
    public static class Stages
    {
        /// <summary>Once a run: models, trackers, the generator, the calibration pass.</summary>
        public const string Setup = "setup";

        /// <summary>Waiting for the decoder's next frame.</summary>
        public const string Decode = "decode";

        /// <summary>Face (and body) tracking of one frame.</summary>
        public const string Track = "track";

        /// <summary>Render with the body tracked: the body model on one frame (its own stage between face tracking and generation).</summary>
        public const string TrackBody = "track.body";

        /// <summary>Render's stage 1 waiting for stage 2 (the channel between them is full).</summary>
        public const string TrackQueue = "track.blocked";

        /// <summary>Render's stage 2 waiting for stage 1.</summary>
        public const string GenerateWait = "generate.waiting";

        /// <summary>The retargeter: tracked face → driven face.</summary>
        public const string Retarget = "retarget";

        /// <summary>The generator, whole; the three <c>generate.*</c> stages below are inside it.</summary>
        public const string Generate = "generate";

        /// <summary>Inside <see cref="Generate"/>: the thin-plate spline solve.</summary>
        public const string GenerateSpline = "generate.spline";

        /// <summary>Inside <see cref="Generate"/>: painting the mouth, lid and gaze layers.</summary>
        public const string GenerateLayers = "generate.layers";

        /// <summary>Inside <see cref="Generate"/>: the ONNX Runtime run of the warp graph.</summary>
        public const string GenerateSession = "generate.session";

        /// <summary>Side-by-side crop and the conversion to the output frame.</summary>
        public const string Composite = "composite";

        /// <summary>Writing one frame into the encoder's pipe.</summary>
        public const string Encode = "encode";

        /// <summary>Track's recording packet (and overlay frame).</summary>
        public const string Write = "write";

        /// <summary>Once a run: the encoder finishing the file, recordings flushed.</summary>
        public const string Finish = "finish";
    }
}
