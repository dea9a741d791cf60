using System.Runtime.InteropServices;
using Capture.Core.Frames;

namespace Capture.Media.Tests;

public sealed class JpegEncoderTests
{
    [Theory]
    [InlineData(JpegInputFormat.Rgb24, 3, 0)]
    [InlineData(JpegInputFormat.Rgba32, 4, 0)]
    [InlineData(JpegInputFormat.Rgb24, 3, 16)] // padded rows
    public void Encode_Frame_DecodesToSamePicture(JpegInputFormat format, int bpp, int padding)
    {
        const int W = 320, H = 240;
        int stride = (W * bpp) + padding;
        byte[] frame = Gradient(W, H, bpp, stride);
        using var encoder = new JpegEncoder();
        ReadOnlyMemory<byte> jpeg = encoder.Encode(frame, W, H, stride, format, 95);
        Assert.Equal(0xFF, jpeg.Span[0]);
        Assert.Equal(0xD8, jpeg.Span[1]);

        RgbaImage back = ImageFile.Decode("encoded.jpg", jpeg.Span, ImageLimits.Default);
        Assert.Equal((W, H, false), (back.Width, back.Height, back.HasAlpha));
        double sq = 0;
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    double d = frame[(y * stride) + (x * bpp) + c] - back.Pixels[(((y * W) + x) * 4) + c];
                    sq += d * d;
                }
            }
        }

        double psnr = 10 * Math.Log10(255.0 * 255 / (sq / (W * H * 3)));
        Assert.True(psnr > 35, $"PSNR {psnr:F1} dB: channels swapped or rows misread?");
    }

    [Fact]
    public void Encode_SteadyState_NoManagedAllocationAndSameBuffer()
    {
        const int W = 640, H = 480;
        byte[] frame = Gradient(W, H, 3, W * 3);
        using var encoder = new JpegEncoder();
        ReadOnlyMemory<byte> first = default;
        for (int i = 0; i < 5; i++)
        {
            frame[i] ^= 0x55; // different frames, same size
            first = encoder.Encode(frame, W, H, W * 3, JpegInputFormat.Rgb24, 80);
        }

        Assert.True(MemoryMarshal.TryGetArray(first, out ArraySegment<byte> a));
        long before = GC.GetAllocatedBytesForCurrentThread();
        ReadOnlyMemory<byte> last = default;
        for (int i = 0; i < 50; i++)
        {
            frame[i] ^= 0x55;
            last = encoder.Encode(frame, W, H, W * 3, JpegInputFormat.Rgb24, 80);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(MemoryMarshal.TryGetArray(last, out ArraySegment<byte> b));
        Assert.Same(a.Array, b.Array);
    }

    [Fact]
    public void Encode_BadArguments_Throw()
    {
        using var encoder = new JpegEncoder();
        byte[] frame = new byte[10 * 10 * 3];
        Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Encode(frame, 10, 10, 20, JpegInputFormat.Rgb24));
        Assert.Throws<ArgumentException>(() => encoder.Encode(frame, 10, 11, 30, JpegInputFormat.Rgb24));
        Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Encode(frame, 10, 10, 30, JpegInputFormat.Rgb24, 0));
        encoder.Dispose();
        Assert.Throws<ObjectDisposedException>(() => encoder.Encode(frame, 10, 10, 30, JpegInputFormat.Rgb24));
    }

    private static byte[] Gradient(int w, int h, int bpp, int stride)
    {
        byte[] f = new byte[stride * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int o = (y * stride) + (x * bpp);
                f[o] = (byte)(x * 255 / w);
                f[o + 1] = (byte)(y * 255 / h);
                f[o + 2] = (byte)(((x + y) * 255) / (w + h));
                if (bpp == 4)
                {
                    f[o + 3] = 255;
                }
            }
        }

        return f;
    }
}
