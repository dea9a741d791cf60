using Capture.Core.Frames;
using OpenCvSharp;

namespace Capture.Server.Imaging;

/// <summary>
/// Temporary JPEG encoder on OpenCvSharp (libjpeg-turbo inside OpenCV) until Capture.Media's own
/// JpegEncoder lands: wraps the RGB frame without copying, swaps to BGR into a reused Mat, encodes.
/// OpenCvSharp's <c>ImEncode</c> returns a new array per call; the encoder keeps it until the next call.
/// </summary>
public sealed class OpenCvJpegEncoder : IJpegFrameEncoder
{
    private readonly ImageEncodingParam[] _parameters;
    private Mat? _bgr;
    private byte[] _last = [];

    public OpenCvJpegEncoder(int quality)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        _parameters = [new ImageEncodingParam(ImwriteFlags.JpegQuality, quality)];
    }

    public unsafe ReadOnlyMemory<byte> Encode(VideoFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (_bgr is null || _bgr.Width != frame.Width || _bgr.Height != frame.Height)
        {
            _bgr?.Dispose();
            _bgr = new Mat(frame.Height, frame.Width, MatType.CV_8UC3);
        }

        fixed (byte* pixels = frame.Pixels)
        {
            using Mat rgb = Mat.FromPixelData(frame.Height, frame.Width, MatType.CV_8UC3, (IntPtr)pixels, frame.Width * 3);
            Cv2.CvtColor(rgb, _bgr, ColorConversionCodes.RGB2BGR);
        }

        Cv2.ImEncode(".jpg", _bgr, out _last, _parameters);
        return _last;
    }

    public void Dispose()
    {
        _bgr?.Dispose();
        _bgr = null;
    }
}
