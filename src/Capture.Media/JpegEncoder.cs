using System.Runtime.InteropServices;
using OpenCvSharp;
using OpenCvSharp.Internal;
using OpenCvSharp.Internal.Vectors;

namespace Capture.Media;

/// <summary>Pixel layout of a frame handed to <see cref="JpegEncoder"/>.</summary>
public enum JpegInputFormat
{
    /// <summary>3 bytes a pixel, R G B.</summary>
    Rgb24,

    /// <summary>4 bytes a pixel, R G B A; alpha is dropped (JPEG has none).</summary>
    Rgba32,

    /// <summary>1 byte a pixel: a greyscale JPEG (one component), e.g. a frame's alpha plane (docs/protocol.md, v1.5).</summary>
    Grey8,
}

/// <summary>
/// Encodes rendered frames as baseline JPEG with OpenCV (libjpeg), reusing every buffer: one native
/// BGR (or greyscale) <see cref="Mat"/> (reallocated only when the frame size or format changes), one native std::vector for the
/// encoder's output and one managed output buffer that grows to the largest frame seen. In steady
/// state an <see cref="Encode"/> allocates no managed memory. Not thread-safe: one encoder per stream.
/// </summary>
public sealed class JpegEncoder : IDisposable
{
    private readonly VectorOfByte _encoded;
    private readonly int[] _params = [(int)ImwriteFlags.JpegQuality, 90];
    private Mat? _bgr;
    private InputArray? _bgrInput;
    private byte[] _output = new byte[64 * 1024];
    private bool _disposed;

    /// <exception cref="OpenCvUnavailableException">OpenCV's native library did not load.</exception>
    public JpegEncoder()
    {
        OpenCvNative.EnsureLoaded(); // before the first native object, so a missing library is one clear line
        _encoded = new VectorOfByte();
    }

    /// <summary>
    /// Encodes one frame. <paramref name="pixels"/> holds <paramref name="height"/> rows of
    /// <paramref name="stride"/> bytes (stride ≥ width × bytes a pixel); it is only read during the call.
    /// The returned memory is the encoder's own buffer: valid until the next <see cref="Encode"/> or
    /// <see cref="Dispose"/>; copy it to keep it longer.
    /// </summary>
    /// <param name="quality">libjpeg quality 1..100.</param>
    public ReadOnlyMemory<byte> Encode(ReadOnlySpan<byte> pixels, int width, int height, int stride, JpegInputFormat format, int quality = 90)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentOutOfRangeException.ThrowIfLessThan(quality, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(quality, 100);
        int bpp = format switch { JpegInputFormat.Rgb24 => 3, JpegInputFormat.Grey8 => 1, _ => 4 };
        if (stride < width * bpp)
        {
            throw new ArgumentOutOfRangeException(nameof(stride), $"stride {stride} is less than {width} pixels × {bpp} bytes");
        }

        if (pixels.Length < ((long)stride * (height - 1)) + (width * bpp))
        {
            throw new ArgumentException($"{width}x{height} with stride {stride} needs {((long)stride * (height - 1)) + (width * bpp)} bytes, not {pixels.Length}", nameof(pixels));
        }

        EnsureMat(width, height, format == JpegInputFormat.Grey8 ? MatType.CV_8UC1 : MatType.CV_8UC3);
        Mat bgr = _bgr!;
        for (int y = 0; y < height; y++)
        {
            ReadOnlySpan<byte> src = pixels.Slice(y * stride, width * bpp);
            Span<byte> dst = bgr.RowSpan<byte>(y);
            if (bpp == 1)
            {
                src.CopyTo(dst);
                continue;
            }

            for (int x = 0, s = 0, d = 0; x < width; x++, s += bpp, d += 3)
            {
                dst[d] = src[s + 2];
                dst[d + 1] = src[s + 1];
                dst[d + 2] = src[s];
            }
        }

        _params[1] = quality;
        ExceptionStatus status = NativeMethods.imgcodecs_imencode_vector(".jpg", _bgrInput!.CvPtr, _encoded.CvPtr, _params, _params.Length, out int ok);
        GC.KeepAlive(bgr);
        if (status != ExceptionStatus.NotOccurred || ok == 0)
        {
            throw new InvalidOperationException($"OpenCV could not encode a {width}x{height} JPEG");
        }

        int size = _encoded.Size;
        if (size > _output.Length)
        {
            _output = new byte[Math.Max(size, _output.Length * 2)];
        }

        Marshal.Copy(_encoded.ElemPtr, _output, 0, size);
        return new ReadOnlyMemory<byte>(_output, 0, size);
    }

    private void EnsureMat(int width, int height, MatType type)
    {
        if (_bgr is not null && _bgr.Cols == width && _bgr.Rows == height && _bgr.Type() == type)
        {
            return;
        }

        _bgrInput?.Dispose();
        _bgr?.Dispose();
        _bgr = new Mat(height, width, type);
        _bgrInput = InputArray.Create(_bgr);
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _bgrInput?.Dispose();
        _bgr?.Dispose();
        _encoded.Dispose();
    }
}
