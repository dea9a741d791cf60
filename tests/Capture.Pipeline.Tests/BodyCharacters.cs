using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Retargeting.Rigs;
using Capture.Testing;

namespace Capture.Pipeline.Tests;

/// <summary>
/// Body characters for the render tests, built from the shared media with stand-ins for the
/// character loader's parts: the Animated Drawings stick figure's own mask, its joints placed from its
/// char_cfg.yaml by hand (hands → wrists, feet → ankles, neck → nose), and a background that is the
/// paper's colour (the median outside the mask) where the figure was.
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

        var joints = new Vector2[TrackingFrame.BodyLandmarkCount];
        var known = new bool[joints.Length];
        void Set(int i, float x, float y)
        {
            joints[i] = new Vector2(x, y);
            known[i] = true;
        }

        // char_cfg.yaml's locations (AD's neck is inside the drawn head: the nose's place).
        Set(BodyTopology.Nose, 124, 68);
        Set(BodyTopology.RightShoulder, 87, 198);
        Set(BodyTopology.RightElbow, 36, 152);
        Set(BodyTopology.RightWrist, 22, 64);
        Set(BodyTopology.LeftShoulder, 138, 189);
        Set(BodyTopology.LeftElbow, 185, 147);
        Set(BodyTopology.LeftWrist, 198, 54);
        Set(BodyTopology.RightHip, 64, 328);
        Set(BodyTopology.RightKnee, 45, 393);
        Set(BodyTopology.RightAnkle, 31, 467);
        Set(BodyTopology.LeftHip, 120, 323);
        Set(BodyTopology.LeftKnee, 124, 388);
        Set(BodyTopology.LeftAnkle, 124, 458);
        BodyRig rig = BodyRig.Create("drawing_stick_char4", joints, known, w, h, "char_cfg.yaml (placed by the test)");

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
