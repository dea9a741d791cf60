using System.Numerics;
using Capture.Core.Frames;
using Capture.Retargeting.Rigs;

namespace Capture.Retargeting.Tests;

/// <summary>A synthetic character picture and its rig, for tests of the generator and of eval (linked into their test projects).</summary>
internal static class TestRigs
{
    internal static RgbaImage Picture(int width, int height, bool transparentCorners)
    {
        var bitmap = new RgbaImage(width, height, hasAlpha: transparentCorners);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int o = ((y * width) + x) * 4;
                bitmap.Pixels[o] = (byte)(x * 255 / width);
                bitmap.Pixels[o + 1] = (byte)(y * 255 / height);
                bitmap.Pixels[o + 2] = (byte)(((x / 8) + (y / 8)) % 2 * 200);
                bool corner = transparentCorners && (x < width / 8 || y < height / 8);
                bitmap.Pixels[o + 3] = corner ? (byte)0 : (byte)255;
            }
        }

        return bitmap;
    }

    internal static CharacterRig SyntheticRig(RgbaImage picture, float mouthOpen = 0)
    {
        Vector3[] crop = SyntheticFace.Create(mouthOpen: mouthOpen);
        float side = Math.Min(picture.Width, picture.Height);
        var pixels = crop.Select(p => new Vector3(p.X * side, p.Y * side, p.Z * side)).ToArray();
        return CharacterRigBuilder.FromLandmarks("synthetic", picture, pixels, "test");
    }
}
