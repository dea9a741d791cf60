using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;

namespace Capture.Retargeting.Rigs;

/// <summary>
/// A character whose body moves: its picture, the figure cut out of it (<see cref="Mask"/>), the
/// picture's background with the figure filled in (<see cref="Background"/>: what shows behind a
/// moved limb), its joints (<see cref="Body"/>), its face rig where it has a readable face, and the
/// part of the picture the output shows (<see cref="Frame"/>). Immutable once built; the arrays are
/// shared, not copied: do not modify them.
/// </summary>
/// <remarks>
/// Output framing: a full-body character (<see cref="BodyRig.HasLegs"/>) is shown whole: the frame
/// is the whole picture, so the output has the picture's shape (<see cref="OutputSize"/>: a portrait
/// picture makes a portrait video), and the figure steps and jumps inside it. A half-body character
/// (the portraits the face generator animates) keeps the face's square crop as its frame; its
/// shoulders and torso move inside that crop.
/// </remarks>
public sealed class BodyCharacter
{
    /// <summary>A figure whose mask covers more of its picture than this leaves no background to show behind a moved limb.</summary>
    public const float MaxFigureShare = 0.95f;

    private BodyCharacter(string name, RgbaImage picture, byte[] mask, RgbaImage background, BodyRig body, CharacterRig? face, Vector4 frame, float figureShare)
    {
        Name = name;
        Picture = picture;
        Mask = mask;
        Background = background;
        Body = body;
        Face = face;
        Frame = frame;
        FigureShare = figureShare;
    }

    public string Name { get; }

    /// <summary>The character picture.</summary>
    public RgbaImage Picture { get; }

    /// <summary>The figure's coverage per picture pixel, 0..255, row-major, picture-sized.</summary>
    public byte[] Mask { get; }

    /// <summary>The picture with the figure filled in, picture-sized.</summary>
    public RgbaImage Background { get; }

    /// <summary>The joints, picture pixels.</summary>
    public BodyRig Body { get; }

    /// <summary>The face rig (a square crop of the same picture), or null for a figure without a readable face (a stick figure).</summary>
    public CharacterRig? Face { get; }

    /// <summary>The part of the picture the output shows: left, top, width, height in picture pixels.</summary>
    public Vector4 Frame { get; }

    /// <summary>The share of the picture the figure's mask covers, 0..1.</summary>
    public float FigureShare { get; }

    /// <summary>
    /// The output size for <paramref name="width"/> pixels across: the frame's shape, both sides even
    /// (H.264's 4:2:0 needs them so); at least 16.
    /// </summary>
    public (int Width, int Height) OutputSize(int width)
    {
        int w = Math.Max(16, width & ~1);
        int h = Math.Max(16, (int)MathF.Round(w * Frame.W / Frame.Z / 2) * 2);
        return (w, h);
    }

    /// <summary>
    /// Builds a character from a figure mask (0..255, picture-sized), a filled background
    /// (picture-sized), joints and an optional face rig. Checks what would tear the picture and
    /// names it: an empty mask; a mask that leaves a known joint of the torso or a limb uncovered
    /// (further than <see cref="JointSlack"/> of the figure's height from it); a mask or background of
    /// another size than the picture. A figure that fills more than <see cref="MaxFigureShare"/> of
    /// the picture is accepted (<see cref="FigureShare"/> says so; the caller decides: the render
    /// keeps the face animated and the body still, with a message).
    /// </summary>
    public static BodyCharacter Create(string name, RgbaImage picture, byte[] mask, RgbaImage background, BodyRig body, CharacterRig? face)
    {
        ArgumentNullException.ThrowIfNull(picture);
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(background);
        ArgumentNullException.ThrowIfNull(body);
        int w = picture.Width, h = picture.Height;
        if (mask.Length != w * h)
        {
            throw new InvalidDataException($"{name}: the figure mask has {mask.Length} values, the {w}x{h} picture {w * h}");
        }

        if (background.Width != w || background.Height != h)
        {
            throw new InvalidDataException($"{name}: the filled background is {background.Width}x{background.Height}, the picture {w}x{h}");
        }

        if (body.Width != w || body.Height != h)
        {
            throw new InvalidDataException($"{name}: the joints were placed on a {body.Width}x{body.Height} picture, this one is {w}x{h}");
        }

        int covered = 0, top = h, bottom = -1;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                if (mask[(y * w) + x] >= 128)
                {
                    covered++;
                    top = Math.Min(top, y);
                    bottom = y;
                }
            }
        }

        if (covered == 0)
        {
            throw new InvalidDataException($"{name}: the figure mask is empty (no pixel of the figure is marked)");
        }

        float slack = MathF.Max(2, JointSlack * (bottom - top + 1));
        for (int i = 0; i < TrackingFrame.BodyLandmarkCount; i++)
        {
            if (i < BodyTopology.HeadPointCount || !body.Known(i))
            {
                continue;
            }

            if (!NearMask(mask, w, h, body.Joint(i), slack))
            {
                throw new InvalidDataException(
                    $"{name}: the figure mask does not cover {BodyTopology.Names[i]} at ({body.Joint(i).X:0}, {body.Joint(i).Y:0}): the mask and the joints do not belong together");
            }
        }

        Vector4 frame = body.HasLegs || face is null
            ? new Vector4(0, 0, w, h)
            : new Vector4(face.CropLeft, face.CropTop, face.CropSide, face.CropSide);
        return new BodyCharacter(name, picture, mask, background, body, face, frame, covered / (float)(w * h));
    }

    /// <summary>A joint may lie this fraction of the figure's height outside its mask (a hand drawn at the outline, a joint clicked on the edge).</summary>
    public const float JointSlack = 0.03f;

    private static bool NearMask(byte[] mask, int w, int h, Vector2 p, float slack)
    {
        int r = (int)MathF.Ceiling(slack);
        int cx = (int)p.X, cy = (int)p.Y;
        for (int y = Math.Max(0, cy - r); y <= Math.Min(h - 1, cy + r); y++)
        {
            for (int x = Math.Max(0, cx - r); x <= Math.Min(w - 1, cx + r); x++)
            {
                if (mask[(y * w) + x] >= 128 && ((x - cx) * (x - cx)) + ((y - cy) * (y - cy)) <= r * r)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
