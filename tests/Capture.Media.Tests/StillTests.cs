using System.Diagnostics;
using System.Runtime.InteropServices;
using Capture.Core.Frames;

namespace Capture.Media.Tests;

/// <summary>
/// Stills decoded by OpenCV: the same pixels as ffmpeg's decode (what Capture used before) for plain
/// 8-bit PNG/JPEG, and the cases ffmpeg's path got wrong or did not check: 16-bit samples, EXIF
/// orientation, cut-off and damaged files, pictures over the size limit.
/// </summary>
public sealed class StillTests : IClassFixture<TempDir>
{
    private readonly TempDir _temp;

    public StillTests(TempDir temp)
    {
        _temp = temp;
    }

    [Fact]
    public void OpenCvNative_Loads_Version413()
    {
        Assert.StartsWith("4.13.", OpenCvNative.Version, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadRgbaAsync_RgbaPng_SamePixelsAsFfmpeg()
    {
        RgbaImage image = await ImageFile.LoadRgbaAsync(TestMedia.EileenRgba);
        byte[] ffmpeg = FfmpegRgba(TestMedia.EileenRgba, image.Width, image.Height);
        Assert.Equal(ffmpeg, image.Pixels); // lossless format: exactly the same
    }

    [Theory]
    [InlineData("char_statue_terracotta_s6.jpg")]
    [InlineData("face_jianzhuguo_3ddfa.jpg")]
    public async Task LoadRgbaAsync_Jpeg_SamePixelsAsFfmpegWithinTolerance(string name)
    {
        string path = Path.Combine(TestMedia.Dir, name);
        RgbaImage image = await ImageFile.LoadRgbaAsync(path);
        byte[] ffmpeg = FfmpegRgba(path, image.Width, image.Height);

        // libjpeg (OpenCV) and ffmpeg's own MJPEG decoder differ in IDCT and chroma upsampling by a
        // level or two; a different picture or channel order would be off by tens.
        (double mean, int max) = Diff(ffmpeg, image.Pixels);
        Assert.True(mean < 1.5, $"{name}: mean |diff| {mean:F3}");
        Assert.True(max <= 40, $"{name}: max |diff| {max}");
    }

    [Theory]
    [InlineData("rgb48be", false)]
    [InlineData("rgba64be", true)]
    [InlineData("gray16be", false)]
    public async Task LoadRgbaAsync_SixteenBitPng_ScaledTo8Bit(string pixFmt, bool alpha)
    {
        // The same testsrc picture as 8-bit and as 16-bit PNG: 16-bit v becomes round(v / 257).
        string eight = _temp.File($"eight-{pixFmt}.png");
        string sixteen = _temp.File($"sixteen-{pixFmt}.png");
        string eightFmt = pixFmt switch { "rgb48be" => "rgb24", "rgba64be" => "rgba", _ => "gray" };
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=96x64:rate=1", "-frames:v", "1", "-pix_fmt", eightFmt, eight);
        TestMedia.Ffmpeg("-i", eight, "-pix_fmt", pixFmt, sixteen);
        Assert.Equal(16, PngBitDepth(sixteen));

        RgbaImage a = await ImageFile.LoadRgbaAsync(eight);
        RgbaImage b = await ImageFile.LoadRgbaAsync(sixteen);
        Assert.Equal((96, 64, alpha), (b.Width, b.Height, b.HasAlpha));
        (double mean, int max) = Diff(a.Pixels, b.Pixels);
        Assert.True(max <= 1, $"max |diff| {max}, mean {mean:F3}");
        Assert.True(b.Pixels.Distinct().Count() > 20, "16-bit picture decoded to a few levels only");
    }

    [Theory]
    [InlineData(1, 64, 32, 0)] // as stored: red on the left
    [InlineData(3, 64, 32, 1)] // 180°: red on the right
    [InlineData(6, 32, 64, 2)] // 90° clockwise: left becomes top
    [InlineData(8, 32, 64, 3)] // 90° counter-clockwise: left becomes bottom
    public void Decode_JpegWithExifOrientation_IsTurnedUpright(int orientation, int width, int height, int redAt)
    {
        byte[] jpeg = WithExifOrientation(RedLeftBlueRightJpeg(), orientation);
        RgbaImage image = ImageFile.Decode("exif.jpg", jpeg, ImageLimits.Default);
        Assert.Equal((width, height), (image.Width, image.Height));
        (int x, int y) red = redAt switch { 0 => (8, 16), 1 => (56, 16), 2 => (16, 8), _ => (16, 56) };
        (int x, int y) blue = redAt switch { 0 => (56, 16), 1 => (8, 16), 2 => (16, 56), _ => (16, 8) };
        AssertColour(image, red, isRed: true);
        AssertColour(image, blue, isRed: false);
    }

    [Fact]
    public async Task OpenImageAsync_ExifRotatedJpeg_OneUprightScaledFrame()
    {
        string path = _temp.File("rotated.jpg");
        await File.WriteAllBytesAsync(path, WithExifOrientation(RedLeftBlueRightJpeg(), 6));
        await using IFrameSource source = await FrameSources.OpenAsync(path, new FrameSourceOptions { Width = 16 });
        Assert.Equal(("image rotated.jpg 16x32", 1L), (source.Description, source.FrameCount!.Value));
        using (Capture.Core.Frames.VideoFrame frame = (await source.ReadAsync())!)
        {
            Assert.Equal((16, 32), (frame.Width, frame.Height));
            Assert.True(frame.Row(4)[(8 * 3)] > 200 && frame.Row(4)[(8 * 3) + 2] < 60, "top should be red (was the left)");
            Assert.True(frame.Row(28)[(8 * 3) + 2] > 200 && frame.Row(28)[8 * 3] < 60, "bottom should be blue");
        }

        Assert.Null(await source.ReadAsync());
    }

    [Fact]
    public async Task LoadRgbaAsync_TruncatedJpeg_NamesFileAndSaysCutShort()
    {
        byte[] whole = await File.ReadAllBytesAsync(TestMedia.StatueJpeg);
        string path = _temp.File("cut.jpg");
        await File.WriteAllBytesAsync(path, whole[..(whole.Length / 2)]);
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => ImageFile.LoadRgbaAsync(path));
        Assert.Equal($"{path}: JPEG is cut short or damaged (no end-of-image marker after the picture data)", ex.Message);
    }

    [Fact]
    public async Task LoadRgbaAsync_JpegWithGarbageAfterHeader_NamesFile()
    {
        // SOI, then noise: not a JPEG the decoder can read.
        byte[] bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        bytes[0] = 0xFF;
        bytes[1] = 0xD8;
        string path = _temp.File("noise.jpg");
        await File.WriteAllBytesAsync(path, bytes);
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => ImageFile.LoadRgbaAsync(path));
        Assert.StartsWith($"{path}: ", ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Contains("damaged", StringComparison.Ordinal) || ex.Message.Contains("could not be decoded", StringComparison.Ordinal), ex.Message);
    }

    [Fact]
    public async Task LoadRgbaAsync_DamagedPng_NamesFile()
    {
        byte[] whole = await File.ReadAllBytesAsync(TestMedia.EileenRgba);
        string path = _temp.File("cut.png");
        await File.WriteAllBytesAsync(path, whole[..(whole.Length / 3)]);
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => ImageFile.LoadRgbaAsync(path));
        Assert.Equal($"{path}: could not be decoded as a picture (not PNG, JPEG, WebP, BMP, TIFF or GIF, or the file is damaged)", ex.Message);
    }

    [Fact]
    public async Task LoadRgbaAsync_OverPixelLimit_RefusedWithSizes()
    {
        var limits = new ImageLimits(ImageLimits.Default.MaxBytes, 100_000);
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => ImageFile.LoadRgbaAsync(TestMedia.StatueJpeg, limits));
        Assert.Equal($"{TestMedia.StatueJpeg}: picture too large: 725x725 is 525625 pixels, the limit is 100000", ex.Message);
    }

    [Fact]
    public async Task LoadRgbaAsync_OverByteLimit_Refused()
    {
        var limits = new ImageLimits(50_000, ImageLimits.Default.MaxPixels);
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => ImageFile.LoadRgbaAsync(TestMedia.StatueJpeg, limits));
        Assert.Equal($"{TestMedia.StatueJpeg}: picture too large: 107520 bytes, the limit is 50000", ex.Message);
    }

    [Fact]
    public async Task LoadRgbaAsync_MissingAndEmpty_NameTheFile()
    {
        string missing = _temp.File("nope.png");
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => ImageFile.LoadRgbaAsync(missing));
        Assert.Equal($"{missing}: no such file", ex.Message);
        string empty = _temp.File("empty.png");
        await File.WriteAllBytesAsync(empty, []);
        ex = await Assert.ThrowsAsync<MediaInputException>(() => ImageFile.LoadRgbaAsync(empty));
        Assert.Equal($"{empty}: empty file", ex.Message);
    }

    [Fact]
    public void Describe_RealFailedLoad_NamesLibraryAndInstall()
    {
        // A real loader failure (dlopen of a library that is not there), wrapped as OpenCvSharp's first
        // call reports it: in the TypeInitializationException of its NativeMethods class.
        var dll = Assert.Throws<DllNotFoundException>(() => NativeLibrary.Load("/nonexistent/libgtk-3.so.0"));
        var wrapped = new TypeInitializationException("OpenCvSharp.Internal.NativeMethods", dll);
        Assert.True(OpenCvNative.IsLoadFailure(wrapped));
        string line = OpenCvNative.Describe(wrapped);
        Assert.DoesNotContain('\n', line);
        Assert.StartsWith("OpenCV's native library libOpenCvSharpExtern.so could not be loaded (", line, StringComparison.Ordinal);
        Assert.Contains("apt-get install libgtk-3-0", line, StringComparison.Ordinal);
        Assert.False(OpenCvNative.IsLoadFailure(new InvalidOperationException("x")));
    }

    [Theory]
    [InlineData("/app/runtimes/linux-x64/native/libOpenCvSharpExtern.so: cannot open shared object file: No such file or directory\nlibpangocairo-1.0.so.0: cannot open shared object file: No such file or directory", "libpangocairo-1.0.so.0 is missing")]
    [InlineData("/app/OpenCvSharpExtern.so: cannot open shared object file: No such file or directory\n/tmp/x/libgtk-3.so.0: file too short", "libgtk-3.so.0: file too short")]
    [InlineData("/app/OpenCvSharpExtern.so: cannot open shared object file: No such file or directory\n/app/libOpenCvSharpExtern: cannot open shared object file: No such file or directory", "libOpenCvSharpExtern.so itself was not found beside the program (runtimes/linux-x64/native)")]
    public void Cause_DotnetLoaderMessage_NamesTheRealFailure(string lines, string cause)
    {
        // The shape of .NET's DllNotFoundException text on Linux: a first sentence, then one dlerror line per path tried.
        string message = "Unable to load shared library 'OpenCvSharpExtern' or one of its dependencies. In order to help diagnose loading problems, consider using a tool like strace.\n" + lines;
        Assert.Equal(cause, OpenCvNative.Cause(message));
    }

    private static void AssertColour(RgbaImage image, (int X, int Y) at, bool isRed)
    {
        int o = ((at.Y * image.Width) + at.X) * 4;
        (byte r, byte b) = (image.Pixels[o], image.Pixels[o + 2]);
        Assert.True(isRed ? r > 200 && b < 60 : b > 200 && r < 60, $"pixel {at} is r={r} b={b}, expected {(isRed ? "red" : "blue")}");
    }

    /// <summary>64×32 JPEG: left half red, right half blue (encoded by our own encoder).</summary>
    private static byte[] RedLeftBlueRightJpeg()
    {
        byte[] rgb = new byte[64 * 32 * 3];
        for (int y = 0; y < 32; y++)
        {
            for (int x = 0; x < 64; x++)
            {
                int o = ((y * 64) + x) * 3;
                rgb[o] = (byte)(x < 32 ? 255 : 0);
                rgb[o + 2] = (byte)(x < 32 ? 0 : 255);
            }
        }

        using var encoder = new JpegEncoder();
        return encoder.Encode(rgb, 64, 32, 64 * 3, JpegInputFormat.Rgb24, 95).ToArray();
    }

    /// <summary>Inserts an APP1 Exif segment (big-endian TIFF, IFD0 with one Orientation entry) after SOI.</summary>
    internal static byte[] WithExifOrientation(byte[] jpeg, int orientation)
    {
        byte[] tiff =
        [
            (byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, // header, IFD0 at 8
            0, 1, // one entry
            0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0, // Orientation, SHORT, count 1, value
            0, 0, 0, 0, // no next IFD
        ];
        byte[] payload = [.. "Exif\0\0"u8, .. tiff];
        int length = payload.Length + 2;
        return [0xFF, 0xD8, 0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload, .. jpeg.AsSpan(2)];
    }

    private static int PngBitDepth(string path) => File.ReadAllBytes(path)[24];

    private static (double Mean, int Max) Diff(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        long sum = 0;
        int max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            int d = Math.Abs(a[i] - b[i]);
            sum += d;
            max = Math.Max(max, d);
        }

        return ((double)sum / a.Length, max);
    }

    /// <summary>ffmpeg's decode of a picture as RGBA: how Capture loaded stills before OpenCV.</summary>
    private static byte[] FfmpegRgba(string path, int width, int height)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["-hide_banner", "-nostdin", "-loglevel", "error", "-i", path, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgba", "pipe:1"])
        {
            info.ArgumentList.Add(a);
        }

        using Process p = Process.Start(info)!;
        var ms = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(ms);
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        Assert.Equal(width * height * 4, (int)ms.Length);
        return ms.ToArray();
    }
}
