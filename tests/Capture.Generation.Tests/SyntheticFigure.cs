using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Retargeting;
using Capture.Retargeting.Rigs;
using Capture.Retargeting.Tests;

namespace Capture.Generation.Tests;

/// <summary>
/// A full-body figure painted on a picture: a torso, a head and limbs of flat, distinct colours over a
/// smooth background, with its exact mask and the background alone (the stand-in for the figure
/// cut-out and the filled background, which come from the picture's own tools in the pipeline).
/// </summary>
internal static class SyntheticFigure
{
    internal static (byte R, byte G, byte B) Skin => (230, 180, 150);
    internal static (byte R, byte G, byte B) Shirt => (40, 90, 200);
    internal static (byte R, byte G, byte B) LeftArm => (220, 40, 40);
    internal static (byte R, byte G, byte B) RightArm => (40, 180, 60);
    internal static (byte R, byte G, byte B) Legs => (60, 50, 40);

    /// <summary>The figure of <see cref="SyntheticBody.Standing"/> at <paramref name="hips"/> with a <paramref name="torso"/> long torso.</summary>
    internal static BodyCharacter Create(int width, int height, Vector2 hips, float torso, bool[]? known = null)
    {
        Vector2[] joints = SyntheticBody.Standing(hips, torso);
        known ??= Enumerable.Repeat(true, joints.Length).ToArray();
        BodyRig rig = BodyRig.Create("figure", joints, known, width, height, "test");
        var picture = new RgbaImage(width, height);
        var background = new RgbaImage(width, height);
        var mask = new byte[width * height];
        float limb = 0.09f * torso;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                var q = new Vector2(x + 0.5f, y + 0.5f);
                (byte R, byte G, byte B) bg = ((byte)(100 + (x * 100 / width)), (byte)(200 - (y * 80 / height)), 220);
                (byte R, byte G, byte B)? c = null;
                if (known[BodyTopology.LeftHip] && Capsule(q, joints[BodyTopology.LeftHip], joints[BodyTopology.LeftKnee], limb * 1.3f)
                    || (known[BodyTopology.LeftKnee] && Capsule(q, joints[BodyTopology.LeftKnee], joints[BodyTopology.LeftAnkle], limb * 1.1f))
                    || (known[BodyTopology.RightHip] && Capsule(q, joints[BodyTopology.RightHip], joints[BodyTopology.RightKnee], limb * 1.3f))
                    || (known[BodyTopology.RightKnee] && Capsule(q, joints[BodyTopology.RightKnee], joints[BodyTopology.RightAnkle], limb * 1.1f)))
                {
                    c = Legs;
                }

                if (InsideTorso(q, joints, torso))
                {
                    c = Shirt;
                }

                if (Vector2.Distance(q, (joints[BodyTopology.LeftEar] + joints[BodyTopology.RightEar]) * 0.5f) < 0.26f * torso
                    || Capsule(q, (joints[BodyTopology.LeftShoulder] + joints[BodyTopology.RightShoulder]) * 0.5f, joints[BodyTopology.Nose], 0.08f * torso))
                {
                    c = Skin;
                }

                if ((known[BodyTopology.LeftElbow] && Capsule(q, joints[BodyTopology.LeftShoulder], joints[BodyTopology.LeftElbow], limb))
                    || (known[BodyTopology.LeftWrist] && Capsule(q, joints[BodyTopology.LeftElbow], joints[BodyTopology.LeftWrist], limb)))
                {
                    c = LeftArm;
                }

                if ((known[BodyTopology.RightElbow] && Capsule(q, joints[BodyTopology.RightShoulder], joints[BodyTopology.RightElbow], limb))
                    || (known[BodyTopology.RightWrist] && Capsule(q, joints[BodyTopology.RightElbow], joints[BodyTopology.RightWrist], limb)))
                {
                    c = RightArm;
                }

                int o = ((y * width) + x) * 4;
                (byte R, byte G, byte B) p = c ?? bg;
                picture.Pixels[o] = p.R;
                picture.Pixels[o + 1] = p.G;
                picture.Pixels[o + 2] = p.B;
                picture.Pixels[o + 3] = 255;
                background.Pixels[o] = bg.R;
                background.Pixels[o + 1] = bg.G;
                background.Pixels[o + 2] = bg.B;
                background.Pixels[o + 3] = 255;
                mask[(y * width) + x] = c is null ? (byte)0 : (byte)255;
            }
        }

        return BodyCharacter.Create("figure", picture, mask, background, rig, face: null);
    }

    /// <summary>
    /// <see cref="Create"/>'s figure with a face rig on its head: the synthetic face's points scaled so its
    /// oval's radius is <paramref name="faceShare"/> of the painted head disc's (as the face tracker puts a face
    /// on a full-body picture; under ~0.5 the head reaches past the face's animation mask, as big hair does).
    /// </summary>
    internal static BodyCharacter WithFace(int width, int height, Vector2 hips, float torso, float faceShare)
    {
        BodyCharacter plain = Create(width, height, hips, torso);
        Vector2[] joints = SyntheticBody.Standing(hips, torso);
        Vector2 head = (joints[BodyTopology.LeftEar] + joints[BodyTopology.RightEar]) * 0.5f;
        Vector3[] face = SyntheticFace.Create();
        (Vector2 centre, Vector2 radius) = FaceMeasures.OvalEllipse(face);
        float scale = faceShare * 0.26f * torso / MathF.Max(radius.X, radius.Y);
        Vector3[] pixels = [.. face.Select(p => new Vector3(head + ((new Vector2(p.X, p.Y) - centre) * scale), p.Z * scale))];
        CharacterRig rig = CharacterRigBuilder.FromLandmarks("figure", plain.Picture, pixels, "test");
        return BodyCharacter.Create("figure", plain.Picture, plain.Mask, plain.Background, plain.Body, rig);
    }

    private static bool InsideTorso(Vector2 q, Vector2[] j, float torso)
    {
        Vector2 ls = j[BodyTopology.LeftShoulder], rs = j[BodyTopology.RightShoulder];
        Vector2 lh = j[BodyTopology.LeftHip] + new Vector2(0.08f * torso, 0), rh = j[BodyTopology.RightHip] - new Vector2(0.08f * torso, 0);
        ReadOnlySpan<Vector2> poly = [ls, rs, rh, lh];
        return LayerPainter.Inside(poly, q);
    }

    private static bool Capsule(Vector2 q, Vector2 a, Vector2 b, float radius)
    {
        Vector2 ab = b - a;
        float t = Math.Clamp(Vector2.Dot(q - a, ab) / MathF.Max(ab.LengthSquared(), 1e-6f), 0, 1);
        return Vector2.Distance(q, a + (t * ab)) <= radius;
    }

    /// <summary>The output pixel's colour at picture point <paramref name="p"/> of a generator's <see cref="WarpGenerator.Frame"/> (frame = whole picture).</summary>
    internal static (byte R, byte G, byte B) At(WarpGenerator generator, BodyCharacter character, Vector2 p)
    {
        Matrix3x2 toFrame = BodyMeshMap.PictureToFrame(character, generator.Width, generator.Height);
        Vector2 o = Vector2.Transform(p, toFrame);
        int x = Math.Clamp((int)MathF.Round(o.X), 0, generator.Width - 1), y = Math.Clamp((int)MathF.Round(o.Y), 0, generator.Height - 1);
        int i = ((y * generator.Width) + x) * 3;
        ReadOnlySpan<byte> f = generator.Frame;
        return (f[i], f[i + 1], f[i + 2]);
    }

    /// <summary>The largest per-channel difference between two colours.</summary>
    internal static int Distance((byte R, byte G, byte B) a, (byte R, byte G, byte B) b) =>
        Math.Max(Math.Abs(a.R - b.R), Math.Max(Math.Abs(a.G - b.G), Math.Abs(a.B - b.B)));
}
