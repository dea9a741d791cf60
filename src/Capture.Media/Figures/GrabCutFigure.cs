using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using OpenCvSharp;

namespace Capture.Media.Figures;

/// <summary>
/// A figure cut out by OpenCV's GrabCut, seeded by the figure's joints and face (<see cref="FigureSeeds"/>): thin bone
/// lines and the inner face are certainly figure; capsules around the bones, the torso between the shoulders and the
/// hips (down to the picture's bottom for a half-body figure) and the head grown for hair are probably figure; the
/// picture's border is certainly background except where the figure runs into it; everything else is probably
/// background. GrabCut's colour models decide the rest. It runs on the picture shrunk to <see cref="WorkingSide"/> and
/// the mask is scaled back (soft at the edge by that scale). The better cut-out for full-body figures and drawings
/// (docs/figure.md has the comparison with selfie segmentation).
/// </summary>
public static class GrabCutFigure
{
    /// <summary>GrabCut's cost grows with the pixel count: at most this many pixels a side (about a second for a 640² picture).</summary>
    public const int WorkingSide = 640;

    /// <summary>GrabCut iterations (its colour models settle within about five).</summary>
    public const int Iterations = 5;

    // Fractions of the shoulder width (the body's scale): a limb is about 0.4 shoulder widths across, so a
    // capsule of radius 0.22 holds an arm, and a line of radius 0.04 lies inside even a thin one.
    private const float ProbableRadius = 0.22f;

    /// <summary>OpenCV's RNG state before each GrabCut (any fixed value; OpenCV's own default state is 0xFFFFFFFF).</summary>
    private const ulong RandomState = 0xFFFFFFFF;
    private const float SureRadius = 0.04f;

    /// <summary>Cuts the figure out of <paramref name="picture"/>; an <see cref="ArgumentException"/> when the seeds are empty.</summary>
    public static FigureMask Compute(RgbaImage picture, FigureSeeds seeds)
    {
        ArgumentNullException.ThrowIfNull(picture);
        ArgumentNullException.ThrowIfNull(seeds);
        if (seeds.IsEmpty)
        {
            throw new ArgumentException("GrabCut needs joints or a face to start from", nameof(seeds));
        }

        int w = picture.Width, h = picture.Height;
        double scale = Math.Min(1.0, (double)WorkingSide / Math.Max(w, h));
        using Mat full = OpenCvImages.ToBgr(picture);
        using var image = new Mat();
        Cv2.Resize(full, image, new Size(Math.Max(1, (int)Math.Round(w * scale)), Math.Max(1, (int)Math.Round(h * scale))), 0, 0, InterpolationFlags.Area);
        using Mat labels = Seed(image.Width, image.Height, seeds, (float)scale);

        using var bgd = new Mat();
        using var fgd = new Mat();
        if (HasBoth(labels))
        {
            // GrabCut starts its colour models with k-means seeded from OpenCV's per-thread RNG: a fixed state makes the
            // same picture give the same cut-out whatever ran on this thread before.
            Cv2.SetTheRNG(RandomState);
            Cv2.GrabCut(image, labels, default, bgd, fgd, Iterations, GrabCutModes.InitWithMask);
        }

        // GC_FGD (1) or GC_PR_FGD (3): the low bit.
        using var fg = new Mat();
        Cv2.BitwiseAnd(labels, new Scalar(1), fg);
        fg.ConvertTo(fg, MatType.CV_8UC1, 255);
        using var alpha = new Mat();
        Cv2.Resize(fg, alpha, new Size(w, h), 0, 0, InterpolationFlags.Linear);
        return new FigureMask(w, h, OpenCvImages.ToGray(alpha), FigureSource.GrabCut);
    }

    // GrabCut labels: GC_BGD 0, GC_FGD 1, GC_PR_BGD 2, GC_PR_FGD 3.
    private static Mat Seed(int w, int h, FigureSeeds seeds, float scale)
    {
        var m = new Mat(h, w, MatType.CV_8UC1, new Scalar((int)GrabCutClasses.PR_BGD));
        Vector2 J(int i) => seeds.Joints[i] * scale;
        Point P(Vector2 v) => new((int)MathF.Round(v.X), (int)MathF.Round(v.Y));
        Point[]? hull = null;
        Vector2 faceCentre = default;
        float faceWidth = 0;
        if (seeds.Face is { Count: > 2 } face)
        {
            hull = Cv2.ConvexHull(face.Select(v => P(v * scale)).ToArray());
            Rect box = Cv2.BoundingRect(hull);
            faceWidth = box.Width;
            faceCentre = new Vector2(box.X + (box.Width / 2f), box.Y + (box.Height / 2f));
        }

        bool shoulders = seeds.Has(BodyTopology.LeftShoulder) && seeds.Has(BodyTopology.RightShoulder);
        bool hips = seeds.Has(BodyTopology.LeftHip) && seeds.Has(BodyTopology.RightHip);
        float body = shoulders ? Vector2.Distance(J(BodyTopology.LeftShoulder), J(BodyTopology.RightShoulder)) : faceWidth * 2.2f;
        if (body <= 0)
        {
            body = Math.Min(w, h) / 3f;
        }

        var probable = new Scalar((int)GrabCutClasses.PR_FGD);
        var sure = new Scalar((int)GrabCutClasses.FGD);
        int thick = Math.Max(2, (int)(body * ProbableRadius * 2));
        int thin = Math.Max(1, (int)(body * SureRadius * 2));
        Vector2 neck = shoulders ? (J(BodyTopology.LeftShoulder) + J(BodyTopology.RightShoulder)) / 2 : default;
        if (shoulders)
        {
            // The torso; a half-body figure's runs out of the bottom of the picture.
            Vector2 down = new(0, 2 * h);
            Vector2 lh = hips ? J(BodyTopology.LeftHip) : J(BodyTopology.LeftShoulder) + down;
            Vector2 rh = hips ? J(BodyTopology.RightHip) : J(BodyTopology.RightShoulder) + down;
            Point[] torso = [P(J(BodyTopology.RightShoulder)), P(J(BodyTopology.LeftShoulder)), P(lh), P(rh)];
            Cv2.FillConvexPoly(m, torso, probable);
            Cv2.Polylines(m, [torso], true, probable, thick / 2);
            Vector2 pelvis = hips ? (J(BodyTopology.LeftHip) + J(BodyTopology.RightHip)) / 2 : neck + new Vector2(0, body);
            Cv2.Line(m, P(neck), P(pelvis), sure, Math.Max(thin, (int)(body * 0.3f)));
        }

        foreach ((int from, int to) in FigureSeeds.Bones)
        {
            if (seeds.Has(from) && seeds.Has(to))
            {
                Cv2.Line(m, P(J(from)), P(J(to)), probable, thick);
            }
        }

        if (hull is not null)
        {
            // The head with its hair: the face grown 1.6× sideways, 1.9× up and 1.3× down; the inner face is certain.
            Point[] head = [.. hull.Select(q => P(faceCentre + Grow(new Vector2(q.X, q.Y) - faceCentre)))];
            Cv2.FillConvexPoly(m, head, probable);
            if (shoulders)
            {
                Cv2.Line(m, P(faceCentre), P(neck), probable, Math.Max(thin, (int)(faceWidth * 0.6f)));
            }

            Cv2.FillConvexPoly(m, [.. hull.Select(q => P(faceCentre + ((new Vector2(q.X, q.Y) - faceCentre) * 0.7f)))], sure);
        }
        else if (seeds.Has(BodyTopology.Nose))
        {
            Cv2.Circle(m, P(J(BodyTopology.Nose)), Math.Max(2, (int)(body * 0.45f)), probable, -1);
            Cv2.Circle(m, P(J(BodyTopology.Nose)), Math.Max(1, (int)(body * 0.1f)), sure, -1);
            if (shoulders)
            {
                Cv2.Line(m, P(J(BodyTopology.Nose)), P(neck), probable, thick);
            }
        }

        foreach ((int from, int to) in FigureSeeds.Bones)
        {
            if (seeds.Has(from) && seeds.Has(to))
            {
                Cv2.Line(m, P(J(from)), P(J(to)), sure, thin);
            }
        }

        // The border band is background, except where the figure (probably) runs out of the picture.
        int band = Math.Max(2, Math.Min(w, h) / 100);
        using var border = new Mat(h, w, MatType.CV_8UC1, new Scalar(255));
        Cv2.Rectangle(border, new Rect(band, band, Math.Max(0, w - (2 * band)), Math.Max(0, h - (2 * band))), new Scalar(0), -1);
        using var background = new Mat();
        Cv2.Compare(m, new Scalar((int)GrabCutClasses.PR_BGD), background, CmpTypes.EQ);
        Cv2.BitwiseAnd(background, border, background);
        m.SetTo(new Scalar((int)GrabCutClasses.BGD), background);
        return m;
    }

    private static Vector2 Grow(Vector2 v) => new(v.X * 1.6f, v.Y < 0 ? v.Y * 1.9f : v.Y * 1.3f);

    // GrabCut needs samples of both the figure and the background to fit its colour models.
    private static bool HasBoth(Mat labels)
    {
        using var fg = new Mat();
        Cv2.BitwiseAnd(labels, new Scalar(1), fg);
        int figure = Cv2.CountNonZero(fg);
        return figure > 0 && figure < labels.Width * labels.Height;
    }
}
