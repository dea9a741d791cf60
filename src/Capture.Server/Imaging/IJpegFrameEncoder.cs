using Capture.Core.Frames;

namespace Capture.Server.Imaging;

/// <summary>
/// The one seam between the renderer and a JPEG codec: RGB24 frame in, JPEG bytes out. One instance
/// per session render loop (not thread-safe).
/// </summary>
public interface IJpegFrameEncoder : IDisposable
{
    /// <summary>
    /// Encodes <paramref name="frame"/> (read only during the call). The returned bytes live in a buffer the
    /// encoder owns and are valid until the next <see cref="Encode"/> or <see cref="IDisposable.Dispose"/>.
    /// </summary>
    ReadOnlyMemory<byte> Encode(VideoFrame frame);
}
