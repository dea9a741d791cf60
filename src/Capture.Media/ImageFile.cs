using System.Runtime.InteropServices;
using Capture.Core.Frames;
using Capture.Media.Internal;
using OpenCvSharp;

namespace Capture.Media;

/// <summary>
/// Stills: decoded in-process by OpenCV (PNG, JPEG, WebP, BMP, TIFF, GIF's first frame…) with alpha kept,
/// 16-bit samples scaled to 8 and the EXIF orientation applied; written as PNG through ffmpeg.
/// </summary>
public static class ImageFile
{
    /// <summary>
    /// Loads a still picture as RGBA8, upright (EXIF orientation applied). <see cref="RgbaImage.HasAlpha"/>
    /// says whether the file had an alpha channel; without one, alpha is 255. Grey pictures come back
    /// with R = G = B; 16-bit samples become v / 257 rounded (65535 → 255).
    /// </summary>
    /// <exception cref="MediaInputException">Missing, empty, over <paramref name="limits"/>, cut short, damaged or not a picture.</exception>
    /// <exception cref="OpenCvUnavailableException">OpenCV's native library did not load.</exception>
    public static async Task<RgbaImage> LoadRgbaAsync(string path, CancellationToken ct = default) =>
        await LoadRgbaAsync(path, ImageLimits.Default, ct).ConfigureAwait(false);

    /// <inheritdoc cref="LoadRgbaAsync(string, CancellationToken)"/>
    public static Task<RgbaImage> LoadRgbaAsync(string path, ImageLimits limits, CancellationToken ct = default) =>
        LoadRgbaAsync(path, limits, maxSide: null, ct);

    /// <summary>
    /// As <see cref="LoadRgbaAsync(string, CancellationToken)"/>, scaled down while it is decoded so that neither side is
    /// over <paramref name="maxSide"/> (aspect kept; null: full size). A JPEG is decoded at 1/2, 1/4 or 1/8 of its
    /// size by the decoder itself; other formats are reduced right after decoding, before any conversion, so an 8192²
    /// picture wanted at 2048 px never costs its full-size RGBA copies.
    /// </summary>
    public static async Task<RgbaImage> LoadRgbaAsync(string path, ImageLimits limits, int? maxSide, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(limits);
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new MediaInputException(path, Directory.Exists(path) ? "is a folder, not a picture" : "no such file");
        }

        if (file.Length == 0)
        {
            throw new MediaInputException(path, "empty file");
        }

        if (file.Length > limits.MaxBytes)
        {
            throw new MediaInputException(path, $"picture too large: {file.Length} bytes, the limit is {limits.MaxBytes}");
        }

        byte[] bytes = await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
        return Decode(path, bytes, limits, maxSide);
    }

    /// <summary>Decodes an encoded picture held in memory (same rules as <see cref="LoadRgbaAsync(string, ImageLimits, CancellationToken)"/>); <paramref name="name"/> names it in errors.</summary>
    public static RgbaImage Decode(string name, ReadOnlySpan<byte> bytes, ImageLimits limits) => Decode(name, bytes, limits, maxSide: null);

    /// <summary>Decodes an encoded picture held in memory, no side over <paramref name="maxSide"/> (null: full size); see <see cref="LoadRgbaAsync(string, ImageLimits, int?, CancellationToken)"/>.</summary>
    public static RgbaImage Decode(string name, ReadOnlySpan<byte> bytes, ImageLimits limits, int? maxSide)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (maxSide is int m)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(m, 1, nameof(maxSide));
        }

        if (bytes.Length > limits.MaxBytes)
        {
            throw new MediaInputException(name, $"picture too large: {bytes.Length} bytes, the limit is {limits.MaxBytes}");
        }

        ImageHeader header = ImageHeader.Read(bytes);
        CheckPixels(name, header.Width, header.Height, limits);
        if (header.Kind == ImageKind.Jpeg && !header.JpegComplete)
        {
            throw new MediaInputException(name, "JPEG is cut short or damaged (no end-of-image marker after the picture data)");
        }

        OpenCvNative.EnsureLoaded();
        Mat raw;
        try
        {
            // IMREAD_UNCHANGED keeps alpha and 16 bits (and ignores EXIF orientation: applied below). A JPEG (8-bit,
            // no alpha) much larger than wanted is decoded reduced by the decoder's own DCT scaling instead.
            raw = Cv2.ImDecode(bytes, JpegReduction(header, maxSide) is ImreadModes reduced ? reduced | ImreadModes.IgnoreOrientation : ImreadModes.Unchanged);
        }
        catch (OpenCVException ex)
        {
            throw new MediaInputException(name, $"could not be decoded as a picture (OpenCV: {ex.Message})", ex);
        }

        try
        {
            if (raw.Empty())
            {
                throw new MediaInputException(name, "could not be decoded as a picture (not PNG, JPEG, WebP, BMP, TIFF or GIF, or the file is damaged)");
            }

            CheckPixels(name, raw.Width, raw.Height, limits);
            if (maxSide is int max && Math.Max(raw.Width, raw.Height) > max)
            {
                // Area averaging (the filter for shrinking), done first, so every copy below is of the small picture.
                double scale = (double)max / Math.Max(raw.Width, raw.Height);
                var small = new Mat();
                Cv2.Resize(raw, small, new Size(Math.Max(1, (int)Math.Round(raw.Width * scale)), Math.Max(1, (int)Math.Round(raw.Height * scale))), 0, 0, InterpolationFlags.Area);
                raw.Dispose();
                raw = small;
            }

            using Mat rgba = ToRgba8(name, raw, out bool hasAlpha);
            using Mat upright = Orient(rgba, header.Orientation);
            byte[] pixels = new byte[checked(upright.Width * upright.Height * 4)];
            CopyOut(upright, pixels);

            // As browsers do: the embedded colour profile's RGB converted to sRGB (a Display P3 photo would
            // otherwise read as if its values were sRGB's). Decoding itself (IDCT, chroma upsampling, YCbCr)
            // is libjpeg-turbo's, the same as Chromium's: the shared JPEGs without a profile decode to the same bytes.
            if (header.IccProfile is { } profile && IccColour.ToSrgb(profile) is { } toSrgb)
            {
                toSrgb.Apply(pixels);
            }

            return new RgbaImage(upright.Width, upright.Height, pixels, hasAlpha);
        }
        finally
        {
            raw.Dispose();
        }
    }

    // The largest JPEG decoder reduction (1/8, 1/4, 1/2) that still leaves the longer side at least maxSide; null for
    // other formats, small pictures or no limit.
    private static ImreadModes? JpegReduction(ImageHeader header, int? maxSide)
    {
        if (header.Kind != ImageKind.Jpeg || maxSide is not int max)
        {
            return null;
        }

        int longer = Math.Max(header.Width, header.Height);
        return longer / 8 >= max ? ImreadModes.ReducedColor8
            : longer / 4 >= max ? ImreadModes.ReducedColor4
            : longer / 2 >= max ? ImreadModes.ReducedColor2
            : null;
    }

    private static void CheckPixels(string name, int width, int height, ImageLimits limits)
    {
        if ((long)width * height > limits.MaxPixels)
        {
            throw new MediaInputException(name, $"picture too large: {width}x{height} is {(long)width * height} pixels, the limit is {limits.MaxPixels}");
        }
    }

    /// <summary>Any depth and channel count OpenCV decodes to 8-bit RGBA (a new Mat the caller disposes).</summary>
    private static Mat ToRgba8(string name, Mat raw, out bool hasAlpha)
    {
        int channels = raw.Channels();
        hasAlpha = channels == 4;
        using var eight = new Mat();
        MatType depth = raw.Depth();
        if (depth == MatType.CV_8U)
        {
            raw.CopyTo(eight);
        }
        else if (depth == MatType.CV_16U)
        {
            raw.ConvertTo(eight, MatType.MakeType(MatType.CV_8U, channels), 1.0 / 257.0);
        }
        else if (depth == MatType.CV_32F)
        {
            // Floating-point pictures (EXR/HDR, float TIFF) are read as linear 0..1 and clipped.
            raw.ConvertTo(eight, MatType.MakeType(MatType.CV_8U, channels), 255.0);
        }
        else
        {
            throw new MediaInputException(name, $"unsupported sample format ({raw.Type()})");
        }

        var rgba = new Mat();
        switch (channels)
        {
            case 1:
                Cv2.CvtColor(eight, rgba, ColorConversionCodes.GRAY2RGBA);
                break;
            case 3:
                Cv2.CvtColor(eight, rgba, ColorConversionCodes.BGR2RGBA);
                break;
            case 4:
                Cv2.CvtColor(eight, rgba, ColorConversionCodes.BGRA2RGBA);
                break;
            default:
                rgba.Dispose();
                throw new MediaInputException(name, $"unsupported channel count {channels}");
        }

        return rgba;
    }

    /// <summary>EXIF orientation 1..8 applied (a new Mat the caller disposes).</summary>
    internal static Mat Orient(Mat src, int orientation)
    {
        var dst = new Mat();
        switch (orientation)
        {
            case 2: Cv2.Flip(src, dst, FlipMode.Y); break;
            case 3: Cv2.Rotate(src, dst, RotateFlags.Rotate180); break;
            case 4: Cv2.Flip(src, dst, FlipMode.X); break;
            case 5: Cv2.Transpose(src, dst); break;
            case 6: Cv2.Rotate(src, dst, RotateFlags.Rotate90Clockwise); break;
            case 7:
                using (var t = new Mat())
                {
                    Cv2.Transpose(src, t);
                    Cv2.Rotate(t, dst, RotateFlags.Rotate180);
                }

                break;
            case 8: Cv2.Rotate(src, dst, RotateFlags.Rotate90Counterclockwise); break;
            default: src.CopyTo(dst); break;
        }

        return dst;
    }

    private static void CopyOut(Mat rgba, byte[] pixels)
    {
        int rowBytes = rgba.Width * 4;
        int height = rgba.Height;
        for (int y = 0; y < height; y++)
        {
            Marshal.Copy(rgba.Ptr(y), pixels, y * rowBytes, rowBytes);
        }
    }

    /// <summary>
    /// Saves packed RGB24 (<paramref name="hasAlpha"/> false) or RGBA8 (true) pixels as a PNG, RGBA
    /// when alpha is given. The pixels are read before the returned task completes.
    /// </summary>
    public static async Task SavePngAsync(string path, ReadOnlyMemory<byte> rgb24OrRgba, int width, int height, bool hasAlpha, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        int channels = hasAlpha ? 4 : 3;
        if (rgb24OrRgba.Length != checked(width * height * channels))
        {
            throw new ArgumentException($"{width}x{height} {(hasAlpha ? "RGBA" : "RGB24")} needs {width * height * channels} bytes, not {rgb24OrRgba.Length}.", nameof(rgb24OrRgba));
        }

        string url = MediaProbe.FileUrl(path);
        string format = hasAlpha ? "rgba" : "rgb24";
        string[] args =
        [
            "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", format, "-s", $"{width}x{height}", "-i", "pipe:0",
            "-frames:v", "1", "-c:v", "png", "-pix_fmt", format, "-f", "image2", "-update", "1", url,
        ];
        await using FfmpegProcess ffmpeg = FfmpegProcess.Start("ffmpeg", args, readStdout: false, writeStdin: true);
        using CancellationTokenRegistration kill = ct.Register(ffmpeg.Kill);
        try
        {
            await ffmpeg.StandardInput.WriteAsync(rgb24OrRgba, ct).ConfigureAwait(false);
            ffmpeg.StandardInput.Close();
        }
        catch (IOException ex)
        {
            await ffmpeg.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            throw new IOException($"{path}: writing the PNG failed ({ffmpeg.ErrorSummary(url, path)})", ex);
        }

        int code = await ffmpeg.WaitForExitAsync(ct).ConfigureAwait(false);
        if (code != 0)
        {
            throw new IOException($"{path}: writing the PNG failed (ffmpeg exit {code}: {ffmpeg.ErrorSummary(url, path)})");
        }
    }
}
