using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Media.Figures;
using Capture.Pipeline;
using Capture.Pipeline.Characters;
using Capture.Retargeting.Rigs;
using OpenCvSharp;

namespace Capture.Benchmarks;

/// <summary>
/// The figure cut-out's comparison (docs/figure.md): selfie segmentation, GrabCut from the joints and the face, and the
/// default's choice between them, on every shared character, against references made without either method
/// (tests/figure-references/README.md): IoU and boundary F-score (edges within 1 % of the picture's diagonal), and
/// the time each took. <c>--pictures DIR</c> writes each cut-out over magenta and the filled backgrounds.
/// </summary>
public sealed class FigureBenchmark : IBenchmarkCommand
{
    public string Name => "figure";

    public string Description => "figure cut-out on the shared characters: selfie segmentation vs GrabCut vs the default, IoU and edge F against references [--pictures DIR]";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        string? pictures = args.Length > 1 && args[0] == "--pictures" ? args[1] : null;
        if (pictures is not null)
        {
            Directory.CreateDirectory(pictures);
        }

        string media = Capture.Testing.SharedMedia.Directory;
        Console.WriteLine(BenchmarkReport.MachineLine());
        Console.WriteLine($"{"character",-34} {"method",-22} {"IoU",6} {"edge F",7} {"ms",7}");
        foreach (Case c in Cases(media))
        {
            RgbaImage picture = c.Picture;
            FigureSeeds seeds = c.Seeds ?? (await CharacterLoader.TrackFigureAsync(picture)).Seeds;
            var rows = new List<(string Method, FigureMask? Mask, double Ms)>();
            var clock = Stopwatch.StartNew();
            FigureMask selfie = await FigureCutout.SelfieAsync(picture);
            rows.Add(("selfie segmentation", selfie, clock.Elapsed.TotalMilliseconds));
            clock.Restart();
            FigureMask? grabCut = seeds.IsEmpty ? null : GrabCutFigure.Compute(picture, seeds);
            rows.Add(("GrabCut (joints, face)", grabCut, clock.Elapsed.TotalMilliseconds));
            clock.Restart();
            string chosen = "";
            FigureMask? choice = seeds.IsEmpty ? null : await FigureCutout.ChooseAsync(Opaque(picture), seeds, null, c.Name, m => chosen = m);
            rows.Add(($"default ({(choice?.Source == FigureSource.GrabCut ? "GrabCut" : "selfie")})", choice, clock.Elapsed.TotalMilliseconds));
            foreach ((string method, FigureMask? mask, double ms) in rows)
            {
                (double iou, double edge) = mask is null ? (double.NaN, double.NaN) : Score(mask.Alpha, c.Truth, picture.Width, picture.Height);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Name,-34} {method,-22} {iou,6:F3} {edge,7:F3} {ms,7:F0}"));
            }

            if (pictures is not null && choice is not null)
            {
                await SaveAsync(Path.Combine(pictures, $"figure_{c.Name}_selfie.png"), OverMagenta(picture, selfie));
                if (grabCut is not null)
                {
                    await SaveAsync(Path.Combine(pictures, $"figure_{c.Name}_grabcut.png"), OverMagenta(picture, grabCut));
                }

                clock.Restart();
                RgbaImage filled = BackgroundFill.Fill(picture, choice);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{c.Name,-34} {"background fill",-22} {"",6} {"",7} {clock.Elapsed.TotalMilliseconds,7:F0}"));
                await SaveAsync(Path.Combine(pictures, $"figure_{c.Name}_background.png"), filled);
            }
        }

        return 0;
    }

    private sealed record Case(string Name, RgbaImage Picture, byte[] Truth, FigureSeeds? Seeds);

    private static IEnumerable<Case> Cases(string media)
    {
        // The sprite over grey and over a landscape: its alpha is the truth.
        RgbaImage eileen = ImageFile.LoadRgbaAsync(Path.Combine(media, "char_anime_eileen_renpy.png")).GetAwaiter().GetResult();
        byte[] eileenAlpha = [.. Enumerable.Range(0, eileen.Width * eileen.Height).Select(i => eileen.Pixels[(i * 4) + 3])];
        yield return new Case("eileen (over grey)", Over(eileen, null), eileenAlpha, null);
        RgbaImage mona = ImageFile.LoadRgbaAsync(Path.Combine(media, "char_painting_mona_lisa_s9.jpg")).GetAwaiter().GetResult();
        yield return new Case("eileen (over a landscape)", Over(eileen, Landscape(mona, eileen.Width, eileen.Height)), eileenAlpha, null);

        foreach (string name in new[] { "char_statue_terracotta_s6.jpg", "char_cartoon3d_boy_s7.jpg" })
        {
            RgbaImage p = ImageFile.LoadRgbaAsync(Path.Combine(media, name)).GetAwaiter().GetResult();
            yield return new Case(Path.GetFileNameWithoutExtension(name), p, FloodReference(p), null);
        }

        foreach (string name in new[] { "char_painting_mona_lisa_s9.jpg", "char_fullbody_anime_musepose_ref.jpg" })
        {
            RgbaImage p = ImageFile.LoadRgbaAsync(Path.Combine(media, name)).GetAwaiter().GetResult();
            yield return new Case(Path.GetFileNameWithoutExtension(name), p, Capture.Testing.FigureReferences.Polygon(Path.ChangeExtension(name, ".poly"), p.Width, p.Height), null);
        }

        // The stick drawing: Animated Drawings' mask is the truth, its char_cfg.yaml's joints the seeds.
        string folder = Path.Combine(media, "drawing_stick_char4");
        RgbaImage texture = ImageFile.LoadRgbaAsync(Path.Combine(folder, "texture.png")).GetAwaiter().GetResult();
        FigureMask mask = FigureMask.FromMaskPicture(ImageFile.LoadRgbaAsync(Path.Combine(folder, "mask.png")).GetAwaiter().GetResult(), texture.Width, texture.Height, "mask.png");
        (Vector2[] joints, bool[] known) = AnimatedDrawingsConfig.Load(Path.Combine(folder, AnimatedDrawingsConfig.FileName)).ToPoseJoints();
        yield return new Case("drawing_stick_char4", Opaque(texture), mask.Alpha, new FigureSeeds(joints, known, null));
    }

    /// <summary>The picture with its alpha dropped (opaque), so the default computes a cut-out instead of taking the alpha.</summary>
    private static RgbaImage Opaque(RgbaImage p)
    {
        var result = new RgbaImage(p.Width, p.Height, (byte[])p.Pixels.Clone());
        for (int i = 3; i < result.Pixels.Length; i += 4)
        {
            result.Pixels[i] = 255;
        }

        return result;
    }

    /// <summary>The sprite over <paramref name="background"/> (mid grey when null), opaque.</summary>
    private static RgbaImage Over(RgbaImage sprite, RgbaImage? background)
    {
        var result = new RgbaImage(sprite.Width, sprite.Height);
        for (int i = 0; i < sprite.Width * sprite.Height; i++)
        {
            int a = sprite.Pixels[(i * 4) + 3];
            for (int c = 0; c < 3; c++)
            {
                int under = background?.Pixels[(i * 4) + c] ?? 128;
                result.Pixels[(i * 4) + c] = (byte)(((sprite.Pixels[(i * 4) + c] * a) + (under * (255 - a)) + 127) / 255);
            }

            result.Pixels[(i * 4) + 3] = 255;
        }

        return result;
    }

    /// <summary>The Mona Lisa's landscape left of her hair (230×517), scaled to the given size.</summary>
    private static RgbaImage Landscape(RgbaImage mona, int width, int height)
    {
        using Mat source = new(mona.Height, mona.Width, MatType.CV_8UC4);
        System.Runtime.InteropServices.Marshal.Copy(mona.Pixels, 0, source.Data, mona.Pixels.Length);
        using Mat crop = new(source, new Rect(0, 0, 230, 517));
        using var scaled = new Mat();
        Cv2.Resize(crop, scaled, new Size(width, height), 0, 0, InterpolationFlags.Linear);
        var result = new RgbaImage(width, height);
        System.Runtime.InteropServices.Marshal.Copy(scaled.Data, result.Pixels, 0, result.Pixels.Length);
        return result;
    }

    /// <summary>Figure = what a flood fill of the flat backdrop from the top, left and right borders does not reach.</summary>
    private static byte[] FloodReference(RgbaImage p)
    {
        using Mat bgr = new(p.Height, p.Width, MatType.CV_8UC3);
        for (int y = 0; y < p.Height; y++)
        {
            for (int x = 0; x < p.Width; x++)
            {
                int o = ((y * p.Width) + x) * 4;
                bgr.Set(y, x, new Vec3b(p.Pixels[o + 2], p.Pixels[o + 1], p.Pixels[o]));
            }
        }

        Cv2.GaussianBlur(bgr, bgr, new Size(3, 3), 0);
        using var filled = new Mat(p.Height + 2, p.Width + 2, MatType.CV_8UC1, new Scalar(0));
        var range = new Scalar(3, 3, 3);
        var flags = FloodFillFlags.MaskOnly | FloodFillFlags.Link8 | (FloodFillFlags)(255 << 8);
        void Seed(int x, int y)
        {
            if (filled.At<byte>(y + 1, x + 1) == 0)
            {
                Cv2.FloodFill(bgr, filled, new Point(x, y), default, out _, range, range, flags);
            }
        }

        for (int x = 0; x < p.Width; x += 3)
        {
            Seed(x, 0);
        }

        for (int y = 0; y < p.Height; y += 3)
        {
            Seed(0, y);
            Seed(p.Width - 1, y);
        }

        var truth = new byte[p.Width * p.Height];
        for (int y = 0; y < p.Height; y++)
        {
            for (int x = 0; x < p.Width; x++)
            {
                truth[(y * p.Width) + x] = filled.At<byte>(y + 1, x + 1) == 0 ? (byte)255 : (byte)0;
            }
        }

        return truth;
    }

    /// <summary>IoU of the masks at half coverage, and the boundary F-score with edges matched within 1 % of the diagonal.</summary>
    private static (double IoU, double Edge) Score(byte[] mask, byte[] truth, int w, int h)
    {
        int tolerance = Math.Max(2, (int)(Math.Sqrt((w * w) + (h * h)) * 0.01));
        using Mat em = Edge(mask, w, h);
        using Mat et = Edge(truth, w, h);
        using Mat round = Cv2.GetStructuringElement(MorphShapes.Ellipse, new Size((2 * tolerance) + 1, (2 * tolerance) + 1));
        using var dm = new Mat();
        using var dt = new Mat();
        Cv2.Dilate(em, dm, round);
        Cv2.Dilate(et, dt, round);
        using var hitM = new Mat();
        using var hitT = new Mat();
        Cv2.BitwiseAnd(em, dt, hitM);
        Cv2.BitwiseAnd(et, dm, hitT);
        double precision = Cv2.CountNonZero(hitM) / (double)Math.Max(1, Cv2.CountNonZero(em));
        double recall = Cv2.CountNonZero(hitT) / (double)Math.Max(1, Cv2.CountNonZero(et));
        return (Capture.Testing.FigureReferences.IoU(mask, truth), precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0);
    }

    private static Mat Edge(byte[] values, int w, int h)
    {
        using var m = new Mat(h, w, MatType.CV_8UC1);
        System.Runtime.InteropServices.Marshal.Copy(values, 0, m.Data, values.Length);
        Cv2.Threshold(m, m, 127, 255, ThresholdTypes.Binary);
        using var eroded = new Mat();
        Cv2.Erode(m, eroded, null);
        var edge = new Mat();
        Cv2.Subtract(m, eroded, edge);
        return edge;
    }

    private static RgbaImage OverMagenta(RgbaImage picture, FigureMask mask)
    {
        var result = new RgbaImage(picture.Width, picture.Height);
        for (int i = 0; i < mask.Alpha.Length; i++)
        {
            int a = mask.Alpha[i];
            byte[] magenta = [255, 0, 255];
            for (int c = 0; c < 3; c++)
            {
                result.Pixels[(i * 4) + c] = (byte)(((picture.Pixels[(i * 4) + c] * a) + (magenta[c] * (255 - a)) + 127) / 255);
            }

            result.Pixels[(i * 4) + 3] = 255;
        }

        return result;
    }

    private static Task SaveAsync(string path, RgbaImage image) => ImageFile.SavePngAsync(path, image.Pixels, image.Width, image.Height, hasAlpha: true);
}
