using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;

namespace Capture.Retargeting.Rigs;

/// <summary>Colours of what the warp cannot make, sampled from the character's own picture.</summary>
internal static class RigColors
{
    public static (Vector4 Mouth, Vector4 Teeth, Vector4 Lid) Sample(CharacterRig rig)
    {
        Vector3[] f = rig.Neutral;
        Vector3 lip = Average(rig, [Mid(f, 0, 13), Mid(f, 17, 14), Mid(f, 37, 82), Mid(f, 267, 312), Mid(f, 84, 87), Mid(f, 314, 317)]);
        Vector3 skin = Average(rig, [XY(f[50]), XY(f[280]), XY(f[205]), XY(f[425])]);
        Vector2 rightLid = XY(f[FaceTopology.RightEyeTop]) + (0.6f * (XY(f[FaceTopology.RightEyeTop]) - XY(f[FaceTopology.RightEyeBottom])));
        Vector2 leftLid = XY(f[FaceTopology.LeftEyeTop]) + (0.6f * (XY(f[FaceTopology.LeftEyeTop]) - XY(f[FaceTopology.LeftEyeBottom])));
        Vector3 lid = Average(rig, [rightLid, leftLid]);

        // A mouth interior is shadow, tongue and gums: the lips' hue at 60% of their brightness.
        Vector3 mouth = lip * 0.6f;

        // Teeth: off-white pulled halfway to the skin tone, shaded like the face and in the lips' shadow.
        float light = Math.Clamp((skin.X + skin.Y + skin.Z) / 3f / 0.6f, 0.45f, 1f);
        Vector3 teeth = Vector3.Lerp(new Vector3(0.95f, 0.93f, 0.88f), skin, 0.5f) * light * 0.75f;
        return (new Vector4(mouth, 1), new Vector4(teeth, 1), new Vector4(lid, 1));
    }

    private static Vector2 XY(Vector3 p) => new(p.X, p.Y);

    private static Vector2 Mid(Vector3[] f, int a, int b) => (XY(f[a]) + XY(f[b])) * 0.5f;

    private static Vector3 Average(CharacterRig rig, ReadOnlySpan<Vector2> cropPoints)
    {
        RgbaImage pic = rig.Picture;
        Vector3 sum = Vector3.Zero;
        int count = 0;
        foreach (Vector2 c in cropPoints)
        {
            Vector2 p = rig.ToPicture(c);
            int cx = (int)p.X;
            int cy = (int)p.Y;
            for (int dy = -1; dy <= 1; dy++)
            {
                for (int dx = -1; dx <= 1; dx++)
                {
                    int x = Math.Clamp(cx + dx, 0, pic.Width - 1);
                    int y = Math.Clamp(cy + dy, 0, pic.Height - 1);
                    int o = ((y * pic.Width) + x) * 4;
                    sum += new Vector3(pic.Pixels[o], pic.Pixels[o + 1], pic.Pixels[o + 2]) / 255f;
                    count++;
                }
            }
        }

        return count == 0 ? new Vector3(0.5f) : sum / count;
    }
}
