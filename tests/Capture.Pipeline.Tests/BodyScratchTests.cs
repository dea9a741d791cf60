using System.Numerics;
using Capture.Core.Frames;
using Capture.Media;
using Capture.Pipeline.Evaluation;
using Capture.Pipeline.Rendering;
using Capture.Retargeting.Rigs;
using Capture.Testing;

namespace Capture.Pipeline.Tests;

public class BodyScratchTests
{
    internal static async Task<BodyCharacter> MuseposeAsync()
    {
        string pic = Path.Combine(SharedMedia.Directory, "char_fullbody_anime_musepose_ref.jpg");
        RgbaImage picture = await ImageFile.LoadRgbaAsync(pic);
        RgbaImage m = await ImageFile.LoadRgbaAsync("/tmp/b23/musepose/mask.png");
        RgbaImage bg = await ImageFile.LoadRgbaAsync("/tmp/b23/musepose/background.png");
        var mask = new byte[picture.Width * picture.Height];
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = m.Pixels[i * 4];
        }

        var joints = new Vector2[33];
        var known = new bool[33];
        foreach (string line in File.ReadAllLines("/tmp/b23/musepose/joints.txt"))
        {
            string[] p = line.Split(' ');
            int i = int.Parse(p[0]);
            known[i] = bool.Parse(p[1]);
            joints[i] = new Vector2(float.Parse(p[2]), float.Parse(p[3]));
        }
        BodyRig rig = BodyRig.Create("musepose", joints, known, picture.Width, picture.Height, "pose tracker (dumped)");
        CharacterRig? face = null;
        try
        {
            face = await CharacterLoader.LoadAsync(pic, null, Console.WriteLine);
        }
        catch (InvalidDataException e)
        {
            Console.WriteLine(e.Message);
        }

        return BodyCharacter.Create("musepose", picture, mask, bg, rig, face);
    }

    [Fact]
    public async Task Scratch_Render()
    {
        BodyCharacter c = await MuseposeAsync();
        string clip = Environment.GetEnvironmentVariable("B23_CLIP") ?? "vid_body_fullbody_gesture_s13.mp4";
        RenderResult r = await RenderPipeline.RunAsync(new RenderOptions
        {
            DrivingPath = Path.Combine(SharedMedia.Directory, clip),
            CharacterPath = "x", BodyCharacter = c, OutputPath = "/tmp/b23/musepose.mp4", Size = 360, SideBySide = true,
        }, log: Console.WriteLine);
        Console.WriteLine($"{r.Frames} frames {r.Seconds:F1} s body {r.FramesWithBody} faceless {r.FramesWithoutFace}");
    }

    [Fact]
    public async Task Scratch_Agreement()
    {
        BodyCharacter c = await MuseposeAsync();
        string clip = Environment.GetEnvironmentVariable("B23_CLIP") ?? "vid_body_fullbody_gesture_s13.mp4";
        IReadOnlyList<BodyScores> scores = await BodyAgreement.RunAsync([c], [Path.Combine(SharedMedia.Directory, clip)], new BodyAgreement.Options(Size: 360, PicturesDirectory: "/tmp/b23/pics"), Console.WriteLine);
        foreach (BodyScores s in scores)
        {
            Console.WriteLine($"RESULT {s.Character} {s.Clip} limbs {s.LimbDegrees:F1} driven {s.DrivenDegrees:F1} found {s.BodyFound:P0} folds {s.FoldOverFrames} compared {s.Compared} per limb {string.Join(", ", s.PerLimb.Select(x => x.ToString("F1")))} joint error {s.DrivenJointError:F3} {s.Seconds:F0}s");
        }
    }
}
