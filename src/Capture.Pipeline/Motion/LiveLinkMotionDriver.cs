using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using Capture.Core.Diagnostics;
using Capture.Core.Tracking;
using Capture.Protocol.Import;
using Capture.Retargeting;
using Stages = Capture.Core.Diagnostics.CaptureMetrics.Stages;

namespace Capture.Pipeline.Motion;

/// <summary>
/// A Live Link Face CSV as motion: at each output frame the blendshapes and head angles are interpolated
/// between the two rows around its time, and the face basis (<see cref="BlendshapeBasis"/>) turns them into
/// the 468 mesh points and 10 iris points, turned by the head, in a square virtual image of
/// <see cref="ImageSide"/> pixels. The CSV carries no head position: the face stays where the basis puts it.
/// </summary>
public sealed class LiveLinkMotionDriver : IMotionDriver
{
    /// <summary>Side of the virtual image the made faces are placed in (the shared clips' faces are about this size).</summary>
    public const int ImageSide = 720;

    private readonly LiveLinkFaceTake _take;
    private readonly BlendshapeBasis _basis;
    private readonly MotionClock _clock;
    private readonly string? _metrics;
    private readonly float[] _weights = new float[ArkitBlendshapes.Count];
    private readonly Vector3[] _scratch = new Vector3[BlendshapeBasis.PointCount];
    private long _output;
    private int _row;

    private LiveLinkMotionDriver(LiveLinkFaceTake take, BlendshapeBasis basis, string? metrics)
    {
        _take = take;
        _basis = basis;
        _metrics = metrics;
        _clock = MotionClock.FromTimestamps(take.TimesUs);
        Info = new MotionInfo
        {
            Path = take.Name,
            Kind = MotionKind.LiveLinkCsv,
            FrameRate = _clock.FrameRate,
            FrameCount = _clock.FrameCount,
            Width = ImageSide,
            Height = ImageSide,
            Description = string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFileName(take.Name)}: Live Link Face CSV, {take.Count} rows ({take.TimecodeFramesPerSecond} fps timecode) → {_clock.FrameCount} frames at {_clock.FrameRate:0.###} fps, faces from the blendshape basis"),
        };
    }

    public MotionInfo Info { get; }

    public static LiveLinkMotionDriver Open(string path, MotionDriverOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        LiveLinkFaceTake take = LiveLinkFaceCsvReader.Read(path);
        return new LiveLinkMotionDriver(take, options.LoadBasis(), options.MetricsPipeline);
    }

    public ValueTask<MotionStep> ReadAsync(TrackingFrame tracking, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tracking);
        ct.ThrowIfCancellationRequested();
        if (_output >= _clock.FrameCount)
        {
            return ValueTask.FromResult(default(MotionStep));
        }

        long t0 = Stopwatch.GetTimestamp();
        long due = _clock.TimeUs(_output);
        long[] times = _take.TimesUs;
        while (_row + 1 < times.Length && times[_row + 1] <= due)
        {
            _row++;
        }

        int next = Math.Min(_row + 1, times.Length - 1);
        float t = next == _row ? 0 : Math.Clamp((float)(due - times[_row]) / (times[next] - times[_row]), 0, 1);
        ReadOnlySpan<float> a = _take.Blendshapes.AsSpan(_row * ArkitBlendshapes.Count, ArkitBlendshapes.Count);
        ReadOnlySpan<float> b = _take.Blendshapes.AsSpan(next * ArkitBlendshapes.Count, ArkitBlendshapes.Count);
        for (int i = 0; i < _weights.Length; i++)
        {
            _weights[i] = a[i] + ((b[i] - a[i]) * t);
        }

        Vector3 head = Vector3.Lerp(_take.Head[_row], _take.Head[next], t) * (180f / MathF.PI);
        tracking.Clear();
        tracking.Sequence = _output;
        tracking.CaptureTimestampUs = due;
        Quaternion camera = HeadPose.FromEulerDegrees(head.X, head.Y, head.Z).Rotation;
        _basis.Synthesize(_weights, BlendshapeBasis.ImageRotation(camera), ImageSide, tracking, _scratch);
        _output++;
        if (_metrics is not null)
        {
            CaptureMetrics.RecordStage(_metrics, Stages.Decode, t0, Stopwatch.GetTimestamp());
        }

        return ValueTask.FromResult(new MotionStep(true, null));
    }

    public ValueTask RestartAsync(IReadOnlyList<TrackingFrame> alreadyRead, CancellationToken ct)
    {
        _output = 0;
        _row = 0;
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
