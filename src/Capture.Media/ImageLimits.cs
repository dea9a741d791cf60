namespace Capture.Media;

/// <summary>
/// How large a still picture may be. A picture over either limit is refused with a
/// <see cref="MediaInputException"/> naming the file, the size and the limit; PNG and JPEG are
/// refused from their header, before any pixel is decoded.
/// </summary>
/// <param name="MaxBytes">File size limit (default 100 MiB).</param>
/// <param name="MaxPixels">Width × height limit (default 8192², 64 Mpx: 256 MiB as RGBA, above any phone camera's full-size photo).</param>
public sealed record ImageLimits(long MaxBytes, long MaxPixels)
{
    public static ImageLimits Default { get; } = new(100L * 1024 * 1024, 8192L * 8192);
}
