using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;

namespace Capture.Pipeline.Motion;

/// <summary>Where a driver's motion comes from.</summary>
public enum MotionKind
{
    /// <summary>A video file, tracked frame by frame.</summary>
    Video,

    /// <summary>A Capture <c>.mpk</c> recording (the protocol's TrackingFrames, as tracked).</summary>
    Recording,

    /// <summary>A Live Link Face CSV: blendshapes and head angles, landmarks made by the face basis.</summary>
    LiveLinkCsv,

    /// <summary>A BVH take: the body; the face neutral, turned with the head.</summary>
    Bvh,
}

/// <summary>What a driver knows about its motion before the first frame.</summary>
public sealed record MotionInfo
{
    public required string Path { get; init; }

    public required MotionKind Kind { get; init; }

    /// <summary>Frames a second the driver yields (a video's own; a file's from its timestamps, see <see cref="MotionClock"/>).</summary>
    public required double FrameRate { get; init; }

    /// <summary>Frames the driver will yield, when known.</summary>
    public long? FrameCount { get; init; }

    /// <summary>Size of the performer's picture the landmarks are normalized to (a video's frames; a file's recorded or virtual image).</summary>
    public required int Width { get; init; }

    public required int Height { get; init; }

    /// <summary>False for files: no picture comes with the frames (side-by-side shows the tracked points; the mouth interior is painted).</summary>
    public bool HasPictures => Kind == MotionKind.Video;

    /// <summary>The file the render's audio is taken from (the video itself, or a recording's AudioChunks written out as WAV), or null.</summary>
    public string? AudioPath { get; init; }

    /// <summary>The probe of <see cref="AudioPath"/> when the driver already has it.</summary>
    public MediaInfo? AudioInfo { get; init; }

    /// <summary>
    /// The square of the performer's picture side-by-side shows (left, top, side in pixels); null: around the
    /// performer's first face, as for a video.
    /// </summary>
    public System.Numerics.Vector4? PreviewCrop { get; init; }

    /// <summary>True when the motion carries the body (33 pose points in the frames).</summary>
    public bool HasBody { get; init; }

    /// <summary>One line for people: "d18.mpk: Capture recording, 216 frames at 30 fps".</summary>
    public required string Description { get; init; }
}

/// <summary>One read: whether a frame came, and the picture it was tracked on (video only; the caller disposes it).</summary>
public readonly record struct MotionStep(bool HasFrame, VideoFrame? Picture);

/// <summary>
/// Where render's motion comes from, one frame at a time: a video through the tracker, or a motion file
/// read back (<see cref="MotionDrivers.OpenAsync"/> picks). Everything after it (calibration, retargeting,
/// generation, encoding) sees TrackingFrames and does not care which. Frames come at a constant
/// <see cref="MotionInfo.FrameRate"/>, timestamps from 0 in microseconds.
/// </summary>
public interface IMotionDriver : IAsyncDisposable
{
    MotionInfo Info { get; }

    /// <summary>
    /// Writes the next frame's motion into <paramref name="tracking"/> (every field: the driver clears what it
    /// does not set). <see cref="MotionStep.HasFrame"/> is false at the end.
    /// </summary>
    ValueTask<MotionStep> ReadAsync(TrackingFrame tracking, CancellationToken ct);

    /// <summary>
    /// Starts again from the first frame. The first <paramref name="alreadyRead"/>.Count frames' motion may be
    /// taken from <paramref name="alreadyRead"/> instead of being worked out again (a video is decoded again,
    /// for its pictures, but not tracked again): the calibration pass reads a clip's first seconds, the render
    /// then reads it all.
    /// </summary>
    ValueTask RestartAsync(IReadOnlyList<TrackingFrame> alreadyRead, CancellationToken ct);
}
