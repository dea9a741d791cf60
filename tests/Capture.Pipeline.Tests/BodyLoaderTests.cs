using System.IO.Compression;
using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Pipeline.Characters;
using Capture.Retargeting.Rigs;
using Capture.Testing;

namespace Capture.Pipeline.Tests;

/// <summary>
/// Body characters from files as users give them: an Animated Drawings folder or a zip of it, a full-body and a half-body
/// picture; and the inputs that must fail with a message naming the file and the problem.
/// </summary>
public sealed class BodyLoaderTests : IDisposable
{
    private static readonly string s_stick = Path.Combine(SharedMedia.Directory, "drawing_stick_char4");
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-body-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Media(string name) => Path.Combine(SharedMedia.Directory, name);

    /// <summary>A copy of the stick figure's folder with <paramref name="edit"/> applied to its files.</summary>
    private string StickCopy(string name, Action<string>? edit = null)
    {
        string folder = Path.Combine(_dir, name);
        Directory.CreateDirectory(folder);
        foreach (string file in Directory.GetFiles(s_stick))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        edit?.Invoke(folder);
        return folder;
    }

    [Fact]
    public async Task LoadBodyAsync_AnimatedDrawingsFolder_JointsFromTheConfigFigureFromTheMaskWallBehind()
    {
        var messages = new List<string>();

        BodyCharacter c = await CharacterLoader.LoadBodyAsync(s_stick, log: messages.Add);

        Assert.Equal((216, 475), (c.Picture.Width, c.Picture.Height));
        Assert.Equal(AnimatedDrawingsConfig.FileName, c.Body.Source);
        Assert.True(c.Body.HasLegs);
        Assert.Equal(new Vector2(198, 54), c.Body.Joint(BodyTopology.LeftWrist));
        Assert.Equal(new Vector2(31, 467), c.Body.Joint(BodyTopology.RightAnkle));
        Assert.False(c.Body.Known(BodyTopology.LeftIndex));
        Assert.Null(c.Face);
        Assert.Contains(messages, m => m.Contains("figure from mask.png", StringComparison.Ordinal));

        // The mask is mask.png as it is.
        RgbaImage mask = await ImageFile.LoadRgbaAsync(Path.Combine(s_stick, "mask.png"));
        Assert.Equal(Enumerable.Range(0, c.Mask.Length).Select(i => mask.Pixels[i * 4]), c.Mask);

        // Behind the figure: paper, not pencil. The pencil strokes are dark; the fill there is as light as the paper around.
        double Brightness(RgbaImage p, Func<int, bool> where) =>
            Enumerable.Range(0, c.Mask.Length).Where(where).Average(i => (p.Pixels[i * 4] + p.Pixels[(i * 4) + 1] + p.Pixels[(i * 4) + 2]) / 3.0);
        double pencil = Brightness(c.Picture, i => c.Mask[i] >= 128);
        double filled = Brightness(c.Background, i => c.Mask[i] >= 128);
        double paper = Brightness(c.Picture, i => c.Mask[i] < 128);
        Assert.True(filled > pencil + 20 && Math.Abs(filled - paper) < 20, $"figure {pencil:F0}, fill {filled:F0}, paper {paper:F0} (grey levels)");
    }

    [Fact]
    public async Task LoadBodyAsync_ZipOfTheFolderWholeOrFlat_SameCharacter()
    {
        string whole = Path.Combine(_dir, "char4.zip");
        ZipFile.CreateFromDirectory(s_stick, whole, CompressionLevel.Fastest, includeBaseDirectory: true);
        string flat = Path.Combine(_dir, "flat.zip");
        ZipFile.CreateFromDirectory(s_stick, flat, CompressionLevel.Fastest, includeBaseDirectory: false);

        BodyCharacter folder = await CharacterLoader.LoadBodyAsync(s_stick);
        BodyCharacter zipped = await CharacterLoader.LoadBodyAsync(whole);
        BodyCharacter zippedFlat = await CharacterLoader.LoadBodyAsync(flat);

        Assert.Equal("drawing_stick_char4", zipped.Name);
        foreach (BodyCharacter z in new[] { zipped, zippedFlat })
        {
            Assert.Equal(folder.Mask, z.Mask);
            Assert.Equal(folder.Body.Joints.ToArray(), z.Body.Joints.ToArray());
            Assert.Equal(folder.Picture.Pixels, z.Picture.Pixels);
        }
    }

    [Fact]
    public async Task LoadBodyAsync_ZipToldByContentNotName_ZipNamedBinIsTheDrawing_PictureNamedZipIsAPicture()
    {
        string bin = Path.Combine(_dir, "character.bin");
        ZipFile.CreateFromDirectory(s_stick, bin, CompressionLevel.Fastest, includeBaseDirectory: false);
        string cat = Path.Combine(_dir, "cat.zip");
        File.Copy(Media("char_animal_cat_chelsea.png"), cat);

        BodyCharacter drawing = await CharacterLoader.LoadBodyAsync(bin);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => CharacterLoader.LoadBodyAsync(cat));

        Assert.Equal(AnimatedDrawingsConfig.FileName, drawing.Body.Source);
        Assert.Equal((216, 475), (drawing.Picture.Width, drawing.Picture.Height));
        Assert.True(AnimatedDrawingsFiles.IsCharacterFolder(s_stick) && AnimatedDrawingsFiles.IsCharacterFolder(bin));
        Assert.False(AnimatedDrawingsFiles.IsCharacterFolder(cat) || AnimatedDrawingsFiles.IsCharacterFolder(Path.Combine(_dir, "missing.zip")));

        // Read as the picture it is: the pose tracker's message, not "not a readable zip".
        Assert.Contains("no body found in the picture", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadBodyAsync_DrawingOverTheWorkingSize_JointsScaledWithThePicture()
    {
        // The stick figure nine times over (1944x4275): taller than the 4096-px working size, so the loader halves the
        // picture and scales char_cfg.yaml's joints with it.
        const int Times = 9;
        string big = StickCopy("big", folder =>
        {
            foreach (string png in new[] { "texture.png", "mask.png" })
            {
                string path = Path.Combine(folder, png);
                RgbaImage small = ImageFile.LoadRgbaAsync(path).GetAwaiter().GetResult();
                var pixels = new byte[small.Width * Times * small.Height * Times * 4];
                for (int y = 0; y < small.Height * Times; y++)
                {
                    for (int x = 0; x < small.Width * Times; x++)
                    {
                        small.Pixels.AsSpan((((y / Times) * small.Width) + (x / Times)) * 4, 4).CopyTo(pixels.AsSpan(((y * small.Width * Times) + x) * 4));
                    }
                }

                ImageFile.SavePngAsync(path, pixels, small.Width * Times, small.Height * Times, hasAlpha: true).GetAwaiter().GetResult();
            }

            string config = Path.Combine(folder, "char_cfg.yaml");
            File.WriteAllText(config, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(config), @"(?m)^(\s*- |width: |height: )(\d+)\s*$",
                m => m.Groups[1].Value + (int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) * Times).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        });

        BodyCharacter c = await CharacterLoader.LoadBodyAsync(big);

        Assert.Equal((216 * Times / 2, 475 * Times / 2), (c.Picture.Width, c.Picture.Height)); // halved to fit 4096
        Assert.Equal((c.Picture.Width, c.Picture.Height), (c.Body.Width, c.Body.Height));
        Assert.Equal(AnimatedDrawingsConfig.FileName, c.Body.Source);
        float scale = c.Picture.Width / (216f * Times);
        Assert.Equal(new Vector2(198 * Times, 54 * Times) * scale, c.Body.Joint(BodyTopology.LeftWrist));
        Assert.Equal(new Vector2(31 * Times, 467 * Times) * scale, c.Body.Joint(BodyTopology.RightAnkle));
        Assert.True(c.Body.HasLegs);
    }

    public static TheoryData<string, string, string> BrokenFolders => new()
    {
        // What is done to a copy of the stick figure's folder, and what the message must say.
        { "delete mask.png", "mask.png", "no mask.png; an Animated Drawings character folder holds" },
        { "reparent left_hand", "char_cfg.yaml:", "joint 'left_hand' hangs from 'right_elbow'" },
        { "swap hips", "char_cfg.yaml", "the hips are crossed against the shoulders" },
        { "resize config", "char_cfg.yaml", "width 300 and height 475 do not match texture.png, which is 216x475" },
        { "empty mask", "mask.png", "the mask is empty" },
        { "mask misses the legs", "mask_misses_the_legs", "the figure mask does not cover" },
    };

    [Theory]
    [MemberData(nameof(BrokenFolders))]
    public async Task LoadBodyAsync_BrokenFolder_MessageNamesTheFileAndTheProblem(string edit, string file, string expected)
    {
        string folder = StickCopy(edit.Replace(' ', '_'), f =>
        {
            string cfg = Path.Combine(f, AnimatedDrawingsConfig.FileName);
            string text = File.ReadAllText(cfg);
            switch (edit)
            {
                case "delete mask.png":
                    File.Delete(Path.Combine(f, "mask.png"));
                    break;
                case "reparent left_hand":
                    File.WriteAllText(cfg, text.Replace("name: left_hand\n  parent: left_elbow", "name: left_hand\n  parent: right_elbow", StringComparison.Ordinal));
                    break;
                case "swap hips":
                    // The hips' places exchanged (left_hip drawn on the image's left): crossed against the shoulders.
                    File.WriteAllText(cfg, text.Replace("  - 64\n  - 328", "  - 999a", StringComparison.Ordinal)
                        .Replace("  - 120\n  - 323", "  - 64\n  - 328", StringComparison.Ordinal).Replace("  - 999a", "  - 120\n  - 323", StringComparison.Ordinal));
                    break;
                case "resize config":
                    File.WriteAllText(cfg, text.Replace("width: 216", "width: 300", StringComparison.Ordinal));
                    break;
                case "empty mask":
                    WritePng(Path.Combine(f, "mask.png"), 216, 475, (_, _) => 0);
                    break;
                case "mask misses the legs":
                    // Only the top half is figure: the knees and ankles lie outside it.
                    WritePng(Path.Combine(f, "mask.png"), 216, 475, (_, y) => y < 230 ? (byte)255 : (byte)0);
                    break;
            }
        });

        var e = await Assert.ThrowsAnyAsync<Exception>(() => CharacterLoader.LoadBodyAsync(folder));

        Assert.True(e is InvalidDataException or FileNotFoundException, e.ToString());
        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadBodyAsync_MaskFillingThePicture_LoadsAndSaysThereIsNoBackground()
    {
        string folder = StickCopy("white", f => WritePng(Path.Combine(f, "mask.png"), 216, 475, (_, _) => 255));
        var messages = new List<string>();

        BodyCharacter c = await CharacterLoader.LoadBodyAsync(folder, log: messages.Add);

        Assert.True(c.FigureShare > BodyCharacter.MaxFigureShare);
        Assert.Contains(messages, m => m.Contains("the figure fills 100 % of the picture, so there is no background", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LoadBodyAsync_FullBodyPicture_LegsFaceFromThePoseAndTheFigureCutOut()
    {
        var messages = new List<string>();

        BodyCharacter c = await CharacterLoader.LoadBodyAsync(Media("char_fullbody_anime_musepose_ref.jpg"), log: messages.Add);

        Assert.True(c.Body.HasLegs);
        Assert.Equal("pose tracker", c.Body.Source);
        Assert.NotNull(c.Face);   // too small for the face detector alone: found around the pose's head
        Assert.Contains(messages, m => m.Contains("GrabCut", StringComparison.Ordinal));
        Assert.Equal(new Vector4(0, 0, 704, 1216), c.Frame);

        // Against the hand-traced outline (tests/figure-references; the benchmark 'figure' measured 0.85).
        byte[] truth = FigureReferences.Polygon("char_fullbody_anime_musepose_ref.poly", 704, 1216);
        double iou = FigureReferences.IoU(c.Mask, truth);
        Assert.True(iou > 0.8, $"IoU {iou:F3}");

        // Feet on the ground near the bottom, the raised hands above the head.
        Assert.True(c.Body.Joint(BodyTopology.LeftAnkle).Y > 1000 && c.Body.Joint(BodyTopology.RightAnkle).Y > 1000);
        Assert.True(c.Body.Joint(BodyTopology.LeftWrist).Y < c.Body.Joint(BodyTopology.Nose).Y + 40);
    }

    [Fact]
    public async Task LoadBodyAsync_HalfBodyPortrait_ArmsAndShouldersKnownLegsNot()
    {
        var messages = new List<string>();

        BodyCharacter c = await CharacterLoader.LoadBodyAsync(Media("char_painting_mona_lisa_s9.jpg"), log: messages.Add);

        Assert.False(c.Body.HasLegs);
        Assert.True(c.Body.Known(BodyTopology.LeftShoulder) && c.Body.Known(BodyTopology.RightShoulder));
        Assert.False(c.Body.Known(BodyTopology.LeftKnee) || c.Body.Known(BodyTopology.RightKnee) || c.Body.Known(BodyTopology.LeftAnkle));
        Assert.Contains(messages, m => m.Contains("selfie segmentation", StringComparison.Ordinal));
        byte[] truth = FigureReferences.Polygon("char_painting_mona_lisa_s9.poly", 720, 1280);
        double iou = FigureReferences.IoU(c.Mask, truth);
        Assert.True(iou > 0.9, $"IoU {iou:F3}");
    }

    [Theory]
    [InlineData("char_animal_cat_chelsea.png", "no body found in the picture")]
    [InlineData("char_cartoon3d_boy_s7.jpg", "a body needs both shoulders")]
    public async Task LoadBodyAsync_PictureWithoutABody_SaysSo(string picture, string expected)
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => CharacterLoader.LoadBodyAsync(Media(picture)));

        Assert.Contains(picture, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    private static void WritePng(string path, int width, int height, Func<int, int, byte> value)
    {
        var rgba = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                byte v = value(x, y);
                int o = ((y * width) + x) * 4;
                (rgba[o], rgba[o + 1], rgba[o + 2], rgba[o + 3]) = (v, v, v, 255);
            }
        }

        ImageFile.SavePngAsync(path, rgba, width, height, hasAlpha: true).GetAwaiter().GetResult();
    }
}
