using System.Globalization;

namespace Capture.Media;

/// <summary>
/// How large a video may be, and how large its frames are decoded. A clip over <see cref="MaxWidth"/>,
/// <see cref="MaxHeight"/> (either orientation) or <see cref="MaxPixels"/> is refused before anything is decoded, with
/// a <see cref="MediaInputException"/> naming its size and the limit; a clip whose longer side is over
/// <see cref="FrameSourceOptions.MaxLongSide"/> is scaled down by ffmpeg before the pipe, so its frames
/// cost what tracking and the output need rather than what the camera recorded.
/// </summary>
/// <param name="MaxWidth">Longer side limit (default 8192: DCI 8K, the widest frame cameras record).</param>
/// <param name="MaxHeight">Shorter side limit (default 4320: 8K UHD).</param>
/// <param name="MaxPixels">Width × height limit (default 8192 × 4320, 35.4 Mpx; an 8192² frame, 67 Mpx, is refused).</param>
public sealed record VideoLimits(int MaxWidth, int MaxHeight, long MaxPixels)
{
    public static VideoLimits Default { get; } = new(8192, 4320, 8192L * 4320);

    /// <summary>Why a video of <paramref name="width"/>×<paramref name="height"/> is refused, or null when it is within the limits.</summary>
    public string? Check(int width, int height)
    {
        int longer = Math.Max(width, height);
        int shorter = Math.Min(width, height);
        return longer > MaxWidth || shorter > MaxHeight || (long)width * height > MaxPixels
            ? string.Create(CultureInfo.InvariantCulture,
                $"the video is {width}x{height} ({width * (double)height / 1e6:0.#} Mpx), over the {MaxWidth}x{MaxHeight} ({MaxPixels / 1e6:0.#} Mpx) limit for video frames; scale it down first (e.g. ffmpeg -vf scale=1920:-2)")
            : null;
    }
}
