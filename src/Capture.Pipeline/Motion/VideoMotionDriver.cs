using System.Diagnostics;
using Capture.Core.Diagnostics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Tracking;
using Stages = Capture.Core.Diagnostics.CaptureMetrics.Stages;

namespace Capture.Pipeline.Motion;

/// <summary>
/// A video through the face tracker: each decoded frame is tracked and handed on with its picture. Restarting
/// decodes the file again (pictures are not kept: a second of them is far more memory than a second decode
/// costs) and takes the frames already tracked from the caller, then tracks on where the tracker stopped.
/// </summary>
public sealed class VideoMotionDriver : IMotionDriver
{
    private readonly string _path;
    private readonly MediaInfo? _probe;
    private readonly Tracker _tracker;
    private readonly bool _owns;
    private readonly FrameSourceOptions? _sourceOptions;
    private readonly string? _metrics;
    private IFrameSource _source;
    private IReadOnlyList<TrackingFrame> _known = [];
    private long _read;

    private VideoMotionDriver(string path, MediaInfo? probe, IFrameSource source, Tracker tracker, bool owns, FrameSourceOptions? sourceOptions, string? metrics)
    {
        _path = path;
        _probe = probe;
        _source = source;
        _tracker = tracker;
        _owns = owns;
        _sourceOptions = sourceOptions;
        _metrics = metrics;
        Info = new MotionInfo
        {
            Path = path,
            Kind = MotionKind.Video,
            FrameRate = source.FrameRate > 0 ? source.FrameRate : 30,
            FrameCount = source.FrameCount,
            Width = source.Width,
            Height = source.Height,
            AudioPath = probe?.Audio is null ? null : path,
            AudioInfo = probe?.Audio is null ? null : probe,
            Description = $"{System.IO.Path.GetFileName(path)}: {source.Description}",
        };
    }

    public MotionInfo Info { get; }

    /// <summary>Drives from a source and tracker the caller owns (they are left open, where they stopped). It cannot restart.</summary>
    public static VideoMotionDriver Over(IFrameSource source, Tracker tracker)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(tracker);
        return new VideoMotionDriver(source.Description, null, source, tracker, owns: false, null, null);
    }

    /// <summary>Probes the video once, opens it and a face tracker; the driver owns both.</summary>
    public static async Task<VideoMotionDriver> OpenAsync(string path, MotionDriverOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        MediaInfo info = await MediaProbe.ProbeAsync(path, ct).ConfigureAwait(false);
        if (info.Video is null)
        {
            throw new InvalidDataException($"{path} has no video stream (and is not a motion file: .mpk, Live Link Face .csv or .bvh)");
        }

        Tracker tracker = await Tracker.CreateAsync(
            new TrackerOptions { Face = true, Body = options.Body, PoseModel = options.PoseModel, Threads = 1, RefineLandmarks = options.Iris, Camera = options.Camera }, ct).ConfigureAwait(false);
        try
        {
            var sourceOptions = new FrameSourceOptions { PoolCapacity = options.PoolCapacity };
            IFrameSource source = FrameSources.OpenFile(path, info, sourceOptions);
            return new VideoMotionDriver(path, info, source, tracker, owns: true, sourceOptions, options.MetricsPipeline);
        }
        catch
        {
            tracker.Dispose();
            throw;
        }
    }

    public async ValueTask<MotionStep> ReadAsync(TrackingFrame tracking, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tracking);
        long t0 = Stopwatch.GetTimestamp();
        VideoFrame? frame = await _source.ReadAsync(ct).ConfigureAwait(false);
        if (frame is null)
        {
            return default;
        }

        long t1 = Stopwatch.GetTimestamp();
        if (_read < _known.Count)
        {
            _known[(int)_read].CopyTo(tracking); // tracked before the restart
        }
        else
        {
            _tracker.Process(frame, tracking);
        }

        _read++;
        if (_metrics is not null)
        {
            CaptureMetrics.RecordPool(_metrics, frame.Pool);
            CaptureMetrics.RecordStage(_metrics, Stages.Decode, t0, t1);
            CaptureMetrics.RecordStage(_metrics, Stages.Track, t1, Stopwatch.GetTimestamp());
        }

        return new MotionStep(true, frame);
    }

    public async ValueTask RestartAsync(IReadOnlyList<TrackingFrame> alreadyRead, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(alreadyRead);
        if (!_owns || _probe is null)
        {
            throw new InvalidOperationException("a driver over a caller's source cannot restart it");
        }

        await _source.DisposeAsync().ConfigureAwait(false);
        _source = FrameSources.OpenFile(_path, _probe, _sourceOptions);
        _known = alreadyRead;
        _read = 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (_owns)
        {
            await _source.DisposeAsync().ConfigureAwait(false);
            _tracker.Dispose();
        }
    }
}
