using System.Diagnostics;
using Capture.Core.Diagnostics;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Tracking;
using Capture.Tracking.Overlay;
using Stages = Capture.Core.Diagnostics.CaptureMetrics.Stages;

namespace Capture.Pipeline;

/// <summary>What <see cref="TrackPipeline"/> tracks, and where it writes.</summary>
public sealed record TrackOptions
{
    /// <summary>A video file, an image, /dev/videoN or lavfi:&lt;graph&gt;.</summary>
    public required string Input { get; init; }

    /// <summary>The .mpk recording to write (header, then one tracking packet a frame).</summary>
    public required string OutputPath { get; init; }

    public TrackerOptions Tracker { get; init; } = new();

    /// <summary>
    /// Also write the input with the mesh points, skeleton and blendshape bars drawn on it: an MP4 for a video or
    /// camera, a PNG (a path ending in .png) for a still picture; the other way round is refused, naming the right one.
    /// </summary>
    public string? OverlayPath { get; init; }

    /// <summary>Scale frames to this width (and/or <see cref="Height"/>) before tracking.</summary>
    public int? Width { get; init; }

    public int? Height { get; init; }

    /// <summary>How the recording stores the face landmarks: float32 (exact, the default) or int16 (half the size, within 3.1e-5; docs/protocol.md).</summary>
    public LandmarkEncoding Landmarks { get; init; } = LandmarkEncoding.Float32;
}

/// <summary>Progress of a track, once a frame. <see cref="TotalFrames"/> is null for endless inputs (cameras, lavfi).</summary>
public readonly record struct TrackProgress(long Frame, long? TotalFrames, double FramesPerSecond, string Source);

/// <summary>What a track did.</summary>
public sealed record TrackResult(long Frames, long FramesWithFace, long FramesWithBody, double Seconds, string OutputPath, string? OverlayPath)
{
    /// <summary>Frames with the performer's left hand, and with the right (hand tracking on).</summary>
    public long FramesWithLeftHand { get; init; }

    public long FramesWithRightHand { get; init; }

    public double FramesPerSecond => Seconds > 0 ? Frames / Seconds : 0;
}

/// <summary>
/// <c>capture track</c>'s loop: decode → track → one protocol packet a frame into a recording, and
/// optionally the overlay video. One packet buffer and one result for the whole run. Stage times,
/// frames, drops (cameras) and pool use go to <see cref="CaptureMetrics"/> (pipeline "track").
/// </summary>
public static class TrackPipeline
{
    private const string Pipeline = CaptureMetrics.Pipelines.Track;

    public static async Task<TrackResult> RunAsync(TrackOptions options, IProgress<TrackProgress>? progress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Tracker.Face && !options.Tracker.Body && !options.Tracker.Hands)
        {
            throw new ArgumentException("tracking neither the face, the body nor the hands leaves nothing to track", nameof(options));
        }

        string input = options.Input;
        bool isDevice = input.StartsWith("lavfi:", StringComparison.Ordinal) || input.StartsWith("/dev/video", StringComparison.Ordinal);
        if (!isDevice && !File.Exists(input))
        {
            throw new FileNotFoundException($"{input}: no such file", input);
        }

        long setupStart = Stopwatch.GetTimestamp();
        using Tracker tracker = await Tracker.CreateAsync(options.Tracker, ct).ConfigureAwait(false);
        await using IFrameSource source = await FrameSources.OpenAsync(input, new FrameSourceOptions { Width = options.Width, Height = options.Height }, ct).ConfigureAwait(false);

        // A still picture (no frame rate) gets its overlay as a picture; a video or camera as a video.
        bool still = source.FrameRate <= 0;
        bool pictureOverlay = options.OverlayPath is string o && Path.GetExtension(o).Equals(".png", StringComparison.OrdinalIgnoreCase);
        if (options.OverlayPath is string overlay && still != pictureOverlay)
        {
            throw new ArgumentException(still
                ? $"{input} is a still picture, so its overlay is a picture too: --overlay {Path.ChangeExtension(overlay, ".png")}"
                : $"{input} is a video, so its overlay is a video too: --overlay {Path.ChangeExtension(overlay, ".mp4")} (a .png overlay is for a still picture)");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.OutputPath))!);
        await using var file = new FileStream(options.OutputPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16, useAsync: false);
        using var recording = new RecordingWriter(file, $"capture track {Path.GetFileName(input)}");
        Mp4Sink? sink = options.OverlayPath is null || still ? null
            : Mp4Sink.Create(options.OverlayPath, source.Width, source.Height, source.FrameRate, isDevice ? null : input);
        using var packet = new PooledBufferWriter(16 * 1024);
        var result = new TrackingFrame();
        long frames = 0, faces = 0, bodies = 0, leftHands = 0, rightHands = 0;
        var clock = Stopwatch.StartNew();
        long dropped = 0;
        CaptureMetrics.RecordStage(Pipeline, Stages.Setup, setupStart, Stopwatch.GetTimestamp());
        try
        {
            long t0 = Stopwatch.GetTimestamp();
            while (await source.ReadAsync(ct).ConfigureAwait(false) is { } frame)
            {
                using (frame)
                {
                    long t1 = Stopwatch.GetTimestamp();
                    CaptureMetrics.RecordPool(Pipeline, frame.Pool);
                    tracker.Process(frame, result);
                    long t2 = Stopwatch.GetTimestamp();
                    packet.Reset();
                    ProtocolWriter.WriteTrackingFrame(packet, result, options.Landmarks);
                    recording.Write(packet.WrittenSpan);
                    frames++;
                    faces += result.Face.Present ? 1 : 0;
                    bodies += result.Body.Present ? 1 : 0;
                    leftHands += result.LeftHand.Present ? 1 : 0;
                    rightHands += result.RightHand.Present ? 1 : 0;
                    if (sink is not null)
                    {
                        TrackingOverlay.Draw(frame.Pixels, frame.Width, frame.Height, result, tracker.FaceRegion);
                        await sink.WriteAsync(frame, ct).ConfigureAwait(false);
                    }
                    else if (still && options.OverlayPath is string picture)
                    {
                        TrackingOverlay.Draw(frame.Pixels, frame.Width, frame.Height, result, tracker.FaceRegion);
                        await ImageFile.SavePngAsync(picture, frame.Memory, frame.Width, frame.Height, hasAlpha: false, ct).ConfigureAwait(false);
                    }

                    long t3 = Stopwatch.GetTimestamp();
                    CaptureMetrics.RecordStage(Pipeline, Stages.Decode, t0, t1);
                    CaptureMetrics.RecordStage(Pipeline, Stages.Track, t1, t2);
                    CaptureMetrics.RecordStage(Pipeline, Stages.Write, t2, t3);
                    CaptureMetrics.Add(CaptureMetrics.Frames, Pipeline);
                    if (!result.Face.Present && options.Tracker.Face)
                    {
                        CaptureMetrics.Add(CaptureMetrics.FramesWithoutFace, Pipeline);
                    }

                    if (source is ILiveFrameSource live && live.DroppedFrames != dropped)
                    {
                        CaptureMetrics.Add(CaptureMetrics.FramesDropped, Pipeline, live.DroppedFrames - dropped);
                        dropped = live.DroppedFrames;
                    }

                    t0 = Stopwatch.GetTimestamp();
                }

                progress?.Report(new TrackProgress(frames, source.FrameCount, frames / Math.Max(clock.Elapsed.TotalSeconds, 1e-3), source.Description));
            }

            long finish = Stopwatch.GetTimestamp();
            if (sink is not null)
            {
                await sink.CompleteAsync(ct).ConfigureAwait(false);
            }

            recording.Flush();
            CaptureMetrics.RecordStage(Pipeline, Stages.Finish, finish, Stopwatch.GetTimestamp());
        }
        finally
        {
            if (sink is not null)
            {
                await sink.DisposeAsync().ConfigureAwait(false);
            }
        }

        return new TrackResult(frames, faces, bodies, clock.Elapsed.TotalSeconds, Path.GetFullPath(options.OutputPath), options.OverlayPath is null ? null : Path.GetFullPath(options.OverlayPath))
        {
            FramesWithLeftHand = leftHands,
            FramesWithRightHand = rightHands,
        };
    }
}
