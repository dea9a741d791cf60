namespace Capture.Media;

/// <summary>How a source delivers frames. Scaling and rate limiting are done by ffmpeg, before the pipe.</summary>
public sealed record FrameSourceOptions
{
    /// <summary>Output width. With only one of width/height given the other follows the aspect ratio (rounded to even).</summary>
    public int? Width { get; init; }

    /// <summary>Output height. With both given the frame is stretched to exactly that size.</summary>
    public int? Height { get; init; }

    /// <summary>
    /// With neither <see cref="Width"/> nor <see cref="Height"/> given, a video (file or camera) whose longer side is over
    /// this is scaled down to it by ffmpeg, aspect kept (even sizes). 1920 by default: the trackers work on
    /// 128–256 px crops and the largest output shows the clip at 1024 px, so a 4K or 8K clip decoded in full
    /// would only cost memory (an 8K frame is 100 MB as RGB24). Null: decode at the source's size.
    /// </summary>
    public int? MaxLongSide { get; init; } = 1920;

    /// <summary>Frames a second at most; a faster input has frames dropped by ffmpeg. Null keeps the input rate.</summary>
    public double? MaxFrameRate { get; init; }

    /// <summary>
    /// Frames in the source's own pool: how far ffmpeg may decode ahead of the consumer plus how
    /// many frames the consumer may hold at once. When all are out the source waits.
    /// </summary>
    public int PoolCapacity { get; init; } = 4;

    internal static FrameSourceOptions Default { get; } = new();
}
