using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media.Figures;

namespace Capture.Media.Tests;

/// <summary>The figure cut-out's parts on pictures whose answer is known: painted figures, the shared sprite's alpha, the stick figure's mask.</summary>
public sealed class FigureTests
{
    private const int W = 240, H = 320;

    /// <summary>
    /// A painted stick-person standing on a striped wall: red torso, orange arms and legs, a pink head. The joints are where
    /// the limbs were painted, the truth is what was painted.
    /// </summary>
    private static (RgbaImage Picture, byte[] Truth, Vector2[] Joints, bool[] Known) Painted(bool armRaised = false)
    {
        var picture = new RgbaImage(W, H);
        var truth = new byte[W * H];
        for (int y = 0; y < H; y++)
        {
            for (int x = 0; x < W; x++)
            {
                // Wall: blue-grey stripes, 8 px a stripe, with a gentle gradient.
                bool stripe = (y / 8) % 2 == 0;
                Set(picture, x, y, (byte)(90 + (x / 8)), (byte)(110 + (y / 10)), (byte)(stripe ? 170 : 150));
            }
        }

        var joints = new Vector2[TrackingFrame.BodyLandmarkCount];
        var known = new bool[joints.Length];
        void Joint(int i, float x, float y)
        {
            joints[i] = new Vector2(x, y);
            known[i] = true;
        }

        Joint(BodyTopology.Nose, 120, 60);
        Joint(BodyTopology.LeftShoulder, 145, 105);
        Joint(BodyTopology.RightShoulder, 95, 105);
        Joint(BodyTopology.LeftElbow, 170, armRaised ? 80 : 150);
        Joint(BodyTopology.LeftWrist, 180, armRaised ? 40 : 195);
        Joint(BodyTopology.RightElbow, 75, 150);
        Joint(BodyTopology.RightWrist, 65, 195);
        Joint(BodyTopology.LeftHip, 135, 200);
        Joint(BodyTopology.RightHip, 105, 200);
        Joint(BodyTopology.LeftKnee, 140, 250);
        Joint(BodyTopology.RightKnee, 100, 250);
        Joint(BodyTopology.LeftAnkle, 142, 300);
        Joint(BodyTopology.RightAnkle, 98, 300);

        void Capsule(Vector2 a, Vector2 b, float r, byte red, byte green, byte blue)
        {
            for (int y = 0; y < H; y++)
            {
                for (int x = 0; x < W; x++)
                {
                    var p = new Vector2(x, y);
                    Vector2 ab = b - a;
                    float t = Math.Clamp(Vector2.Dot(p - a, ab) / MathF.Max(1e-3f, ab.LengthSquared()), 0, 1);
                    if (Vector2.Distance(p, a + (t * ab)) <= r)
                    {
                        Set(picture, x, y, red, green, blue);
                        truth[(y * W) + x] = 255;
                    }
                }
            }
        }

        Vector2 J(int i) => joints[i];
        Capsule((J(11) + J(12)) / 2, (J(23) + J(24)) / 2, 26, 200, 40, 40);                       // torso
        Capsule(J(11), J(13), 8, 230, 140, 40);
        Capsule(J(13), J(15), 7, 230, 140, 40);
        Capsule(J(12), J(14), 8, 230, 140, 40);
        Capsule(J(14), J(16), 7, 230, 140, 40);
        Capsule(J(23), J(25), 10, 230, 140, 40);
        Capsule(J(25), J(27), 9, 230, 140, 40);
        Capsule(J(24), J(26), 10, 230, 140, 40);
        Capsule(J(26), J(28), 9, 230, 140, 40);
        Capsule(J(0), J(0), 28, 240, 190, 170);                                                     // head
        Capsule(J(0) + new Vector2(0, 28), (J(11) + J(12)) / 2, 8, 240, 190, 170);                  // neck
        return (picture, truth, joints, known);
    }

    private static void Set(RgbaImage p, int x, int y, byte r, byte g, byte b)
    {
        int o = ((y * p.Width) + x) * 4;
        (p.Pixels[o], p.Pixels[o + 1], p.Pixels[o + 2], p.Pixels[o + 3]) = (r, g, b, 255);
    }

    [Fact]
    public void GrabCut_PaintedFigureOnStripes_CutsOutWhatWasPainted()
    {
        (RgbaImage picture, byte[] truth, Vector2[] joints, bool[] known) = Painted();

        FigureMask mask = GrabCutFigure.Compute(picture, new FigureSeeds(joints, known, null));

        Assert.Equal(FigureSource.GrabCut, mask.Source);
        double iou = Capture.Testing.FigureReferences.IoU(mask.Alpha, truth);
        Assert.True(iou > 0.9, $"IoU {iou:F3}");
        Assert.All(Enumerable.Range(0, known.Length).Where(i => known[i]), i => Assert.True(mask.Covers(joints[i], 2), BodyTopology.Names[i]));
    }

    [Fact]
    public async Task GrabCut_SharedStickFigureWithItsJoints_FindsTheDrawnFigure()
    {
        // Animated Drawings' own mask is the truth; the joints are char_cfg.yaml's (hands on the wrists, feet on the ankles).
        RgbaImage texture = await ImageFile.LoadRgbaAsync(Path.Combine(TestMedia.Dir, "drawing_stick_char4/texture.png"));
        RgbaImage truthPicture = await ImageFile.LoadRgbaAsync(Path.Combine(TestMedia.Dir, "drawing_stick_char4/mask.png"));
        FigureMask truth = FigureMask.FromMaskPicture(truthPicture, texture.Width, texture.Height, "mask.png");
        var joints = new Vector2[TrackingFrame.BodyLandmarkCount];
        var known = new bool[joints.Length];
        foreach ((int i, float x, float y) in new[]
        {
            (BodyTopology.Nose, 124f, 68f), (BodyTopology.RightShoulder, 87f, 198f), (BodyTopology.RightElbow, 36f, 152f), (BodyTopology.RightWrist, 22f, 64f),
            (BodyTopology.LeftShoulder, 138f, 189f), (BodyTopology.LeftElbow, 185f, 147f), (BodyTopology.LeftWrist, 198f, 54f),
            (BodyTopology.RightHip, 64f, 328f), (BodyTopology.RightKnee, 45f, 393f), (BodyTopology.RightAnkle, 31f, 467f),
            (BodyTopology.LeftHip, 120f, 323f), (BodyTopology.LeftKnee, 124f, 388f), (BodyTopology.LeftAnkle, 124f, 458f),
        })
        {
            joints[i] = new Vector2(x, y);
            known[i] = true;
        }

        FigureMask mask = GrabCutFigure.Compute(texture, new FigureSeeds(joints, known, null));

        // Measured 0.60 (docs/figure.md): pencil lines a few pixels wide; AD's mask is filled in between them.
        double iou = Capture.Testing.FigureReferences.IoU(mask.Alpha, truth.Alpha);
        Assert.True(iou > 0.5, $"IoU {iou:F3} against mask.png");
    }

    [Fact]
    public void BackgroundFill_RaisedArm_LeavesWallWhereTheFigureWas()
    {
        (RgbaImage picture, byte[] truth, _, _) = Painted();
        (RgbaImage wall, _, _, _) = Painted();
        for (int i = 0; i < truth.Length; i++)
        {
            if (truth[i] != 0)
            {
                // The wall as it was painted before the figure: repaint it from the same formula.
                int x = i % W, y = i / W;
                Set(wall, x, y, (byte)(90 + (x / 8)), (byte)(110 + (y / 10)), (byte)((y / 8) % 2 == 0 ? 170 : 150));
            }
        }

        RgbaImage filled = BackgroundFill.Fill(picture, new FigureMask(W, H, truth, FigureSource.UploadedMask));

        // Inside the figure: wall colours, not the figure's (red torso, orange limbs, pink head): the fill's mean
        // distance to the true wall is small next to its distance to the figure that stood there.
        double toWall = 0, toFigure = 0;
        int n = 0;
        for (int i = 0; i < truth.Length; i++)
        {
            if (truth[i] == 0)
            {
                // Away from the figure and its halo (4 px here, blended over 2 more) the picture is untouched.
                if (!NearFigure(truth, i % W, i / W, 10))
                {
                    Assert.Equal(picture.Pixels.AsSpan(i * 4, 3).ToArray(), filled.Pixels.AsSpan(i * 4, 3).ToArray());
                }

                continue;
            }

            for (int c = 0; c < 3; c++)
            {
                toWall += Math.Abs(filled.Pixels[(i * 4) + c] - wall.Pixels[(i * 4) + c]);
                toFigure += Math.Abs(filled.Pixels[(i * 4) + c] - picture.Pixels[(i * 4) + c]);
            }

            n++;
        }

        toWall /= 3 * n;
        toFigure /= 3 * n;
        Assert.True(toWall < 20 && toFigure > 3 * toWall, $"fill to wall {toWall:F1}, to the figure {toFigure:F1} grey levels");
        Assert.All(Enumerable.Range(0, W * H), i => Assert.Equal(255, filled.Pixels[(i * 4) + 3]));
    }

    private static bool NearFigure(byte[] truth, int cx, int cy, int r)
    {
        for (int y = Math.Max(0, cy - r); y <= Math.Min(H - 1, cy + r); y++)
        {
            for (int x = Math.Max(0, cx - r); x <= Math.Min(W - 1, cx + r); x++)
            {
                if (truth[(y * W) + x] != 0)
                {
                    return true;
                }
            }
        }

        return false;
    }

    [Fact]
    public async Task FromPictureAlpha_SharedSprite_IsItsAlphaAndAnOpaquePictureHasNone()
    {
        RgbaImage sprite = await ImageFile.LoadRgbaAsync(Path.Combine(TestMedia.Dir, "char_anime_eileen_renpy.png"));

        FigureMask? mask = FigureMask.FromPictureAlpha(sprite);

        Assert.NotNull(mask);
        Assert.Equal(FigureSource.PictureAlpha, mask.Source);
        Assert.Equal(sprite.AlphaAt(160, 400), mask.Alpha[(400 * sprite.Width) + 160]);
        Assert.InRange(mask.Coverage, 0.5f, 0.8f);
        Assert.Null(FigureMask.FromPictureAlpha(Painted().Picture));

        // The cut-out is the picture with that alpha (a transparent figure for an OBS source).
        RgbaImage cut = mask.CutOut(sprite);
        Assert.Equal(sprite.Pixels, cut.Pixels);
    }

    [Fact]
    public void FromMaskPicture_EmptyOrOtherShape_SaysSo_SameShapeIsScaled()
    {
        var black = new RgbaImage(W, H);
        for (int i = 0; i < W * H; i++)
        {
            black.Pixels[(i * 4) + 3] = 255;
        }

        var empty = Assert.Throws<InvalidDataException>(() => FigureMask.FromMaskPicture(black, W, H, "mask.png"));
        Assert.StartsWith("mask.png: the mask is empty", empty.Message, StringComparison.Ordinal);

        var wide = Assert.Throws<InvalidDataException>(() => FigureMask.FromMaskPicture(Painted().Picture, 400, 300, "mask.png"));
        Assert.Contains("the mask is 240x320, the picture 400x300", wide.Message, StringComparison.Ordinal);

        (RgbaImage picture, byte[] truth, _, _) = Painted();
        var white = new RgbaImage(W, H);
        for (int i = 0; i < W * H; i++)
        {
            byte v = truth[i];
            (white.Pixels[i * 4], white.Pixels[(i * 4) + 1], white.Pixels[(i * 4) + 2], white.Pixels[(i * 4) + 3]) = (v, v, v, 255);
        }

        FigureMask doubled = FigureMask.FromMaskPicture(white, W * 2, H * 2, "mask.png");
        Assert.Equal((W * 2, H * 2), (doubled.Width, doubled.Height));
        Assert.InRange(doubled.Coverage, truth.Count(v => v != 0) / (float)truth.Length * 0.95f, truth.Count(v => v != 0) / (float)truth.Length * 1.05f);
        _ = picture;
    }

    [Fact]
    public void KeepPartsNear_SpeckAwayFromTheFigure_IsDropped()
    {
        (_, byte[] truth, Vector2[] joints, bool[] known) = Painted();
        byte[] speckled = (byte[])truth.Clone();
        for (int y = 10; y < 16; y++)
        {
            for (int x = 10; x < 16; x++)
            {
                speckled[(y * W) + x] = 255;
            }
        }

        var mask = new FigureMask(W, H, speckled, FigureSource.GrabCut);
        FigureMask tidy = mask.KeepPartsNear(joints.Where((_, i) => known[i]), 2);

        Assert.Equal(0, tidy.Alpha[(12 * W) + 12]);
        Assert.Equal(truth, tidy.Alpha);
        Assert.Same(tidy, tidy.KeepPartsNear(joints.Where((_, i) => known[i]), 2));
    }
}
