using Capture.Core.Frames;
using OpenCvSharp;
using OpenCvSharp.XPhoto;

namespace Capture.Media.Figures;

/// <summary>
/// The picture with its figure taken out and the hole filled from the surroundings, so a limb that moves shows
/// background where it was, not a stretched copy of itself. The hole is the figure grown by a small halo (its edge
/// colours would otherwise bleed into the fill); it is filled by OpenCV's frequency-selective reconstruction
/// (xphoto FSR_FAST, which continues texture and structure across a hole) on the picture shrunk to
/// <see cref="WorkingSide"/>, any pixel FSR leaves unset by Telea's fast marching, and the fill is scaled back and
/// blended in over the halo. docs/figure.md shows it beside plain Telea inpainting.
/// </summary>
public static class BackgroundFill
{
    /// <summary>The fill is computed at most this many pixels a side: what fills a hole is low-frequency anyway, and FSR's cost grows fast with size.</summary>
    public const int WorkingSide = 256;

    /// <summary>Coverage from which a pixel is taken out (a quarter: the figure's soft edge goes too).</summary>
    private const byte Taken = 64;

    /// <summary>A new opaque picture: <paramref name="picture"/> outside the figure, the fill inside it.</summary>
    public static RgbaImage Fill(RgbaImage picture, FigureMask mask)
    {
        ArgumentNullException.ThrowIfNull(picture);
        ArgumentNullException.ThrowIfNull(mask);
        int w = picture.Width, h = picture.Height;
        if (mask.Width != w || mask.Height != h)
        {
            throw new ArgumentException($"the mask is {mask.Width}x{mask.Height}, the picture {w}x{h}", nameof(mask));
        }

        using Mat image = OpenCvImages.ToBgr(picture);
        using Mat alpha = OpenCvImages.FromGray(mask.Alpha, w, h);
        using var hole = new Mat();
        Cv2.Threshold(alpha, hole, Taken - 1, 255, ThresholdTypes.Binary);
        if (Cv2.CountNonZero(hole) == 0)
        {
            return OpenCvImages.ToRgba(image);
        }

        // A halo of 1/80 of the long side (at least 3 px): anti-aliased edges and glows around a figure.
        int halo = Math.Max(3, Math.Max(w, h) / 80);
        using (Mat round = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size((2 * halo) + 1, (2 * halo) + 1)))
        {
            Cv2.Dilate(hole, hole, round);
        }

        double scale = Math.Min(1.0, (double)WorkingSide / Math.Max(w, h));
        var small = new Size(Math.Max(1, (int)Math.Round(w * scale)), Math.Max(1, (int)Math.Round(h * scale)));
        using var smallImage = new Mat();
        using var smallHole = new Mat();
        Cv2.Resize(image, smallImage, small, 0, 0, InterpolationFlags.Area);
        Cv2.Resize(hole, smallHole, small, 0, 0, InterpolationFlags.Area);
        Cv2.Threshold(smallHole, smallHole, 0, 255, ThresholdTypes.Binary);
        using Mat smallFill = FillSmall(smallImage, smallHole);

        using var fill = new Mat();
        Cv2.Resize(smallFill, fill, new Size(w, h), 0, 0, InterpolationFlags.Cubic);

        // Blend over half the halo so the seam is not a hard line: weight 1 in the hole, falling to 0 outside it.
        using var inHole = new Mat();
        hole.ConvertTo(inHole, MatType.CV_32FC1, 1.0 / 255);
        using var weight = new Mat();
        int blur = Math.Max(1, halo / 2);
        Cv2.GaussianBlur(inHole, weight, new Size((2 * blur) + 1, (2 * blur) + 1), 0);
        Cv2.Max(weight, inHole, weight);
        using var weight3 = new Mat();
        Cv2.Merge([weight, weight, weight], weight3);
        using var original = new Mat();
        using var filled = new Mat();
        image.ConvertTo(original, MatType.CV_32FC3);
        fill.ConvertTo(filled, MatType.CV_32FC3);
        using var step = new Mat();
        Cv2.Subtract(filled, original, step);
        Cv2.Multiply(step, weight3, step);
        Cv2.Add(original, step, step);
        using var result = new Mat();
        step.ConvertTo(result, MatType.CV_8UC3);
        return OpenCvImages.ToRgba(result);
    }

    private static Mat FillSmall(Mat image, Mat hole)
    {
        // Telea first: every pixel gets a value, and FSR's reconstruction replaces it where FSR fills.
        var telea = new Mat();
        Cv2.Inpaint(image, hole, telea, 3, OpenCvSharp.InpaintTypes.Telea);
        using var lab = new Mat();
        Cv2.CvtColor(image, lab, ColorConversionCodes.BGR2Lab);
        using var valid = new Mat();
        Cv2.BitwiseNot(hole, valid);
        using var fsr = new Mat();
        CvXPhoto.Inpaint(lab, valid, fsr, OpenCvSharp.XPhoto.InpaintTypes.FSR_FAST);

        // FSR leaves (0, 0, 0) in Lab (not a colour 8-bit Lab produces: black is L 0, a 128, b 128) where it had no
        // support, e.g. along a border the hole runs into; Telea's value stays there.
        using var unset = new Mat();
        Cv2.InRange(fsr, new Scalar(0, 0, 0), new Scalar(0, 0, 0), unset);
        using var fsrBgr = new Mat();
        Cv2.CvtColor(fsr, fsrBgr, ColorConversionCodes.Lab2BGR);
        using var take = new Mat();
        Cv2.BitwiseNot(unset, take);
        Cv2.BitwiseAnd(take, hole, take);
        fsrBgr.CopyTo(telea, take);
        return telea;
    }
}
