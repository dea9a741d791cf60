using System.Runtime.InteropServices;
using Capture.Core.Frames;
using OpenCvSharp;

namespace Capture.Media.Figures;

/// <summary>Copies between Capture's managed pictures and OpenCV matrices (each call returns a new Mat the caller disposes).</summary>
internal static class OpenCvImages
{
    /// <summary>The picture as 8-bit BGR; transparent parts over mid grey (no false edges at a cut-out's border).</summary>
    public static Mat ToBgr(RgbaImage picture)
    {
        OpenCvNative.EnsureLoaded();
        int w = picture.Width;
        var row = new byte[w * 3];
        var mat = new Mat(picture.Height, w, MatType.CV_8UC3);
        byte[] p = picture.Pixels;
        for (int y = 0; y < picture.Height; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int s = ((y * w) + x) * 4;
                int a = p[s + 3];
                for (int c = 0; c < 3; c++)
                {
                    row[(x * 3) + c] = (byte)(((p[s + 2 - c] * a) + (128 * (255 - a)) + 127) / 255);
                }
            }

            Marshal.Copy(row, 0, mat.Ptr(y), row.Length);
        }

        return mat;
    }

    /// <summary>A new opaque picture from an 8-bit BGR matrix.</summary>
    public static RgbaImage ToRgba(Mat bgr)
    {
        int w = bgr.Width;
        int h = bgr.Height;
        var result = new RgbaImage(w, h);
        var row = new byte[w * 3];
        for (int y = 0; y < h; y++)
        {
            Marshal.Copy(bgr.Ptr(y), row, 0, row.Length);
            for (int x = 0; x < w; x++)
            {
                int d = ((y * w) + x) * 4;
                result.Pixels[d] = row[(x * 3) + 2];
                result.Pixels[d + 1] = row[(x * 3) + 1];
                result.Pixels[d + 2] = row[x * 3];
                result.Pixels[d + 3] = 255;
            }
        }

        return result;
    }

    public static Mat FromGray(byte[] values, int width, int height)
    {
        OpenCvNative.EnsureLoaded();
        var mat = new Mat(height, width, MatType.CV_8UC1);
        for (int y = 0; y < height; y++)
        {
            Marshal.Copy(values, y * width, mat.Ptr(y), width);
        }

        return mat;
    }

    public static byte[] ToGray(Mat mat)
    {
        int w = mat.Width, h = mat.Height;
        var values = new byte[w * h];
        for (int y = 0; y < h; y++)
        {
            Marshal.Copy(mat.Ptr(y), values, y * w, w);
        }

        return values;
    }

    /// <summary>A grey picture resized (area when shrinking, linear when growing).</summary>
    public static byte[] ResizeGray(byte[] values, int width, int height, int newWidth, int newHeight)
    {
        using Mat src = FromGray(values, width, height);
        using var dst = new Mat();
        Cv2.Resize(src, dst, new Size(newWidth, newHeight), 0, 0, newWidth < width ? InterpolationFlags.Area : InterpolationFlags.Linear);
        return ToGray(dst);
    }
}
