using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Retargeting.Rigs;
using Capture.Testing;

namespace Capture.Pipeline.Tests;

/// <summary>
/// Body characters for the render tests, built from the shared media with a stand-in for the
/// character loader's background fill: the Animated Drawings stick figure's own mask and its
/// char_cfg.yaml joints, and a background that is the paper's colour (the median outside the mask)
/// where the figure was.
/// </summary>
internal static class BodyCharacters
{
    internal static string Folder => Path.Combine(SharedMedia.Directory, "drawing_stick_char4");

    internal static async Task<BodyCharacter> DrawingAsync()
    {
        RgbaImage texture = await ImageFile.LoadRgbaAsync(Path.Combine(Folder, "texture.png"));
        RgbaImage maskPicture = await ImageFile.LoadRgbaAsync(Path.Combine(Folder, "mask.png"));
        int w = texture.Width, h = texture.Height;
        var mask = new byte[w * h];
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = maskPicture.Pixels[i * 4];
        }

        (Vector2[] joints, bool[] known) = AnimatedDrawingsConfig.Load(Path.Combine(Folder, AnimatedDrawingsConfig.FileName)).ToPoseJoints();
        BodyRig rig = BodyRig.Create("drawing_stick_char4", joints, known, w, h, AnimatedDrawingsConfig.FileName);

        // The paper's colour outside the figure, filled where the figure was.
        var paper = new List<int>[3] { [], [], [] };
        for (int i = 0; i < mask.Length; i += 7)
        {
            if (mask[i] < 128)
            {
                for (int c = 0; c < 3; c++)
                {
                    paper[c].Add(texture.Pixels[(i * 4) + c]);
                }
            }
        }

        var background = new RgbaImage(w, h);
        byte[] fill = [.. paper.Select(p => (byte)p.Order().ElementAt(p.Count / 2))];
        for (int i = 0; i < mask.Length; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                background.Pixels[(i * 4) + c] = mask[i] >= 128 ? fill[c] : texture.Pixels[(i * 4) + c];
            }

            background.Pixels[(i * 4) + 3] = 255;
        }

        return BodyCharacter.Create("drawing_stick_char4", texture, mask, background, rig, face: null);
    }
}
