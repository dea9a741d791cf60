using Capture.Core.Frames;

namespace Capture.Media;

/// <summary>
/// A stream of RGB24 frames from a file, a still, a lavfi test source or a camera. One consumer
/// reads at a time. Disposing stops the producer (killing its ffmpeg) at once.
/// </summary>
public interface IFrameSource : IAsyncDisposable
{
    int Width { get; }

    int Height { get; }

    /// <summary>Frames a second delivered (the input's rate, or the cap asked for).</summary>
    double FrameRate { get; }

    /// <summary>Frames expected in all; null where unknown or endless (cameras, endless lavfi).</summary>
    long? FrameCount { get; }

    /// <summary>What this is, for logs: e.g. <c>file clip.mp4 480x480 @30</c>.</summary>
    string Description { get; }

    /// <summary>
    /// The next frame, or null at the end of the stream. The frame is rented from this source's own
    /// <see cref="FramePool"/>: the caller owns it and must <see cref="VideoFrame.Dispose"/> it, after
    /// which its pixels belong to the source again. <see cref="VideoFrame.TimestampUs"/> is the
    /// presentation time (files, lavfi) or the capture time on <c>CaptureClock</c> (cameras).
    /// </summary>
    /// <exception cref="MediaInputException">The input failed mid-way (e.g. a truncated file); thrown after every frame that did decode was delivered.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the source has then stopped for good (its ffmpeg is killed).</exception>
    ValueTask<VideoFrame?> ReadAsync(CancellationToken ct = default);
}

/// <summary>
/// A source that runs at the input's own pace (a camera, a real-time lavfi source): frames are
/// stamped with their arrival time, and when the consumer falls behind the oldest queued frame is
/// dropped rather than the input made to wait, so what <see cref="IFrameSource.ReadAsync"/> returns is
/// always recent.
/// </summary>
public interface ILiveFrameSource : IFrameSource
{
    /// <summary>Frames dropped so far because the consumer was behind.</summary>
    long DroppedFrames { get; }
}
