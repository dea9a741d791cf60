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
/// A BVH take as motion, sampled at the take's own rate (60 at most, <see cref="MotionClock"/>): each frame's
/// body (<see cref="BvhBody"/>: world points, y up, metres) seen by a virtual camera straight in front of the
/// figure as it stands at the start, framed once for the whole take, as the 33 pose points, with their world
/// landmarks (metres, hips at the origin, as MediaPipe's: <see cref="BodyObservation.WorldLandmarks"/>); the face neutral
/// (the basis's, <see cref="BlendshapeBasis"/>), turned as the take's head turns. <see cref="Points"/> gives
/// the last frame's world points for a body rig. Side-by-side shows the whole figure.
/// </summary>
public sealed class BvhMotionDriver : IMotionDriver
{
    /// <summary>Side of the virtual square image the body and face are normalized to.</summary>
    public const int ImageSide = 720;

    private readonly BvhBody _body;
    private readonly BlendshapeBasis _basis;
    private readonly MotionClock _clock;
    private readonly string? _metrics;
    private readonly Vector2 _centre;
    private readonly float _framing;
    private readonly Vector2 _eyes;
    private readonly float _eyeDistance;
    private readonly Vector3[] _points = new Vector3[BvhBody.PointCount];
    private readonly Vector3[] _scratch = new Vector3[BlendshapeBasis.PointCount];
    private long _output;

    private BvhMotionDriver(BvhBody body, BlendshapeBasis basis, string? metrics)
    {
        _body = body;
        _basis = basis;
        _metrics = metrics;
        long durationUs = (long)Math.Round(body.Motion.DurationSeconds * 1e6);
        _clock = new MotionClock(MotionClock.Rate(body.FramesPerSecond), durationUs);

        // Framed once: the box around every output frame's points, with a margin, so the figure never leaves the picture.
        Vector2 min = new(float.MaxValue), max = new(float.MinValue);
        for (long k = 0; k < _clock.FrameCount; k++)
        {
            body.Sample(_clock.TimeUs(k) / 1e6, _points, out _);
            foreach (Vector3 p in _points)
            {
                min = Vector2.Min(min, new Vector2(p.X, p.Y));
                max = Vector2.Max(max, new Vector2(p.X, p.Y));
            }
        }

        _centre = (min + max) * 0.5f;
        _framing = MathF.Max(max.X - min.X, max.Y - min.Y) * 1.15f;

        // The face stays where the head is at the start, sized to it (the eye centres ~0.55 of the head
        // joint's length to the crown apart), and only turns: a mocap take's walk would otherwise carry a
        // face-only character's head across its picture.
        body.Sample(0, _points, out _);
        Vector3 head = (_points[(int)BvhBodyPoint.Head] + _points[(int)BvhBodyPoint.HeadTop]) * 0.5f;
        _eyes = new Vector2(0.5f + ((head.X - _centre.X) / _framing), 0.5f - ((head.Y - _centre.Y) / _framing));
        _eyeDistance = 0.55f * Vector3.Distance(_points[(int)BvhBodyPoint.Head], _points[(int)BvhBodyPoint.HeadTop]) / _framing;
        Info = new MotionInfo
        {
            Path = body.Motion.Name,
            Kind = MotionKind.Bvh,
            FrameRate = _clock.FrameRate,
            FrameCount = _clock.FrameCount,
            Width = ImageSide,
            Height = ImageSide,
            HasBody = true,
            PreviewCrop = new System.Numerics.Vector4(0, 0, ImageSide, 0),
            Description = string.Create(CultureInfo.InvariantCulture,
                $"{Path.GetFileName(body.Motion.Name)}: BVH, {body.Motion.Joints.Count} joints, {body.Motion.FrameCount} frames at {body.FramesPerSecond:0.###} fps → {_clock.FrameCount} frames at {_clock.FrameRate:0.###} fps; face neutral, turned with the head"),
        };
    }

    public MotionInfo Info { get; }

    /// <summary>The last frame read as world points (<see cref="BvhBodyPoint"/> order, see <see cref="BvhBody"/>); valid until the next read.</summary>
    public ReadOnlySpan<Vector3> Points => _points;

    public static BvhMotionDriver Open(string path, MotionDriverOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        BvhBody body = BvhBody.From(BvhReader.Read(path));
        return new BvhMotionDriver(body, options.LoadBasis(), options.MetricsPipeline);
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
        _body.Sample(due / 1e6, _points, out Quaternion headTurn);
        tracking.Clear();
        tracking.Sequence = _output;
        tracking.CaptureTimestampUs = due;

        // The body's frame (x the figure's left = the image's right, y up, z toward the camera) is camera space.
        _basis.Synthesize(_basis.NeutralWeights, BlendshapeBasis.ImageRotation(headTurn), ImageSide, tracking, _scratch, _eyes, _eyeDistance);
        BvhBody.ToPoseLandmarks(_points, headTurn, _centre, _framing, tracking.Body.Landmarks, tracking.Body.WorldLandmarks);
        tracking.Body.HasWorld = true;
        tracking.Body.Present = true;
        tracking.Body.Score = 1;
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
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
