using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Retargeting.Rigs;

namespace Capture.Retargeting.Tests;

/// <summary>A body character's figure checks: each bad input is a message naming the problem, and the output frame's shape.</summary>
public class BodyCharacterTests
{
    private const int Width = 300;
    private const int Height = 600;

    private static (RgbaImage Picture, byte[] Mask, RgbaImage Background, BodyRig Rig) Parts(Func<Vector2, bool> figure)
    {
        BodyRig rig = SyntheticBody.Rig(Width, Height, new Vector2(150, 320), 140);
        var picture = new RgbaImage(Width, Height);
        var mask = new byte[Width * Height];
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                mask[(y * Width) + x] = figure(new Vector2(x, y)) ? (byte)255 : (byte)0;
            }
        }

        return (picture, mask, new RgbaImage(Width, Height), rig);
    }

    // The figure: everything within 30 px of a joint or of the torso's middle line.
    private static bool Around(BodyRig rig, Vector2 q)
    {
        for (int i = 0; i < TrackingFrame.BodyLandmarkCount; i++)
        {
            if (Vector2.Distance(rig.Joint(i), q) < 30)
            {
                return true;
            }
        }

        return false;
    }

    [Fact]
    public void Create_FullBodyFigure_FramesTheWholePictureAtItsShape()
    {
        BodyRig rig = SyntheticBody.Rig(Width, Height, new Vector2(150, 320), 140);
        (RgbaImage picture, byte[] mask, RgbaImage background, _) = Parts(q => Around(rig, q));

        BodyCharacter character = BodyCharacter.Create("figure.png", picture, mask, background, rig, face: null);

        Assert.Equal(new Vector4(0, 0, Width, Height), character.Frame);
        Assert.Equal((360, 720), character.OutputSize(360));
        Assert.Equal((720, 1440), character.OutputSize(721));
        Assert.InRange(character.FigureShare, 0.05f, 0.5f);
    }

    [Fact]
    public void Create_EmptyMask_SaysSo()
    {
        (RgbaImage picture, byte[] mask, RgbaImage background, BodyRig rig) = Parts(_ => false);
        var error = Assert.Throws<InvalidDataException>(() => BodyCharacter.Create("figure.png", picture, mask, background, rig, face: null));
        Assert.Equal("figure.png: the figure mask is empty (no pixel of the figure is marked)", error.Message);
    }

    [Fact]
    public void Create_MaskMissesAJoint_NamesTheJoint()
    {
        BodyRig rig = SyntheticBody.Rig(Width, Height, new Vector2(150, 320), 140);
        Vector2 wrist = rig.Joint(BodyTopology.LeftWrist);
        (RgbaImage picture, byte[] mask, RgbaImage background, _) = Parts(q => Around(rig, q) && Vector2.Distance(q, wrist) > 60);
        var error = Assert.Throws<InvalidDataException>(() => BodyCharacter.Create("figure.png", picture, mask, background, rig, face: null));
        Assert.StartsWith("figure.png: the figure mask does not cover left_wrist", error.Message);
    }

    [Fact]
    public void Create_FigureFillsThePicture_IsAcceptedAndSaysHowMuch()
    {
        (RgbaImage picture, byte[] mask, RgbaImage background, BodyRig rig) = Parts(_ => true);
        BodyCharacter character = BodyCharacter.Create("figure.png", picture, mask, background, rig, face: null);
        Assert.True(character.FigureShare > BodyCharacter.MaxFigureShare);
    }

    [Fact]
    public void Create_BackgroundOfAnotherSize_SaysSo()
    {
        (RgbaImage picture, byte[] mask, _, BodyRig rig) = Parts(_ => true);
        var error = Assert.Throws<InvalidDataException>(() => BodyCharacter.Create("figure.png", picture, mask, new RgbaImage(10, 10), rig, face: null));
        Assert.Contains("the filled background is 10x10, the picture 300x600", error.Message);
    }
}
