using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Retargeting;
using Capture.Retargeting.Rigs;
using Capture.Retargeting.Tests;
using static Capture.Retargeting.Tests.TestRigs;

namespace Capture.Generation.Tests;

public class WarpGeneratorTests
{
    [Theory]
    [InlineData(WarpKind.Spline)]
    [InlineData(WarpKind.Mesh)]
    public void Generate_NeutralFace_ReproducesTheCrop(WarpKind warp)
    {
        RgbaImage picture = Picture(96, 96, transparentCorners: false);
        CharacterRig rig = SyntheticRig(picture);
        using var generator = new WarpGenerator(64, 1, gridSize: 16, output: WarpOutput.Floats, warp: warp);
        generator.SetCharacter(rig);
        var face = new DrivenFace();
        face.SetNeutral(rig.Neutral);

        generator.Generate(face);

        var crop = new float[4 * 64 * 64];
        rig.SampleCrop(64, crop);
        float worst = 0;
        for (int i = 0; i < crop.Length; i++)
        {
            worst = MathF.Max(worst, MathF.Abs(crop[i] - generator.Output[i]));
        }

        Assert.True(worst < 0.02f, $"identity {warp} warp differs from the crop by {worst}");
        Assert.Equal(warp, generator.Warp);
    }

    [Fact]
    public void Generate_TransparentPicture_KeepsAlphaOutsideTheFace()
    {
        RgbaImage picture = Picture(96, 96, transparentCorners: true);
        CharacterRig rig = SyntheticRig(picture);
        using var generator = new WarpGenerator(64, 1, gridSize: 16);
        generator.SetCharacter(rig);
        var face = new DrivenFace();
        face.SetNeutral(rig.Neutral);
        for (int i = 0; i < face.Points.Length; i++)
        {
            face.Points[i] += new Vector2(0.02f, 0.01f);
        }

        generator.Generate(face);
        var rgba = new byte[64 * 64 * 4];
        generator.CopyRgbaTo(rgba);

        Assert.Equal(0, rgba[3]);
        Assert.Equal(255, rgba[(((40 * 64) + 40) * 4) + 3]);
        Assert.True(rig.Picture.HasAlpha);
    }

    [Fact]
    public void Generate_OpenMouth_PaintsTheMouthInteriorDark()
    {
        RgbaImage picture = Picture(128, 128, transparentCorners: false);
        CharacterRig rig = SyntheticRig(picture);
        using var generator = new WarpGenerator(128, 1, gridSize: 32, output: WarpOutput.Floats);
        generator.SetCharacter(rig);
        var face = new DrivenFace();
        face.SetNeutral(rig.Neutral);
        Vector3[] open = SyntheticFace.Create(mouthOpen: 0.08f);
        foreach (int i in FaceTopology.LipsInner)
        {
            face.Points[i] = new Vector2(open[i].X, open[i].Y);
        }

        generator.Generate(face);

        // Centre of the opening, a little below the upper teeth band.
        Vector2 centre = (face.Points[FaceTopology.UpperLipInner] + face.Points[FaceTopology.LowerLipInner]) / 2;
        int x = (int)(centre.X * 127);
        int y = (int)((centre.Y + 0.004f) * 127);
        int plane = 128 * 128;
        Vector3 got = new(generator.Output[(y * 128) + x], generator.Output[plane + (y * 128) + x], generator.Output[(2 * plane) + (y * 128) + x]);
        Vector3 expected = new(rig.MouthColor.X, rig.MouthColor.Y, rig.MouthColor.Z);

        // Midway between the lips the cavity is the mouth colour in shadow (0.55× there, a little
        // more just off the middle), the same hue.
        Vector3 ratio = got / expected;
        Assert.True(ratio.X is > 0.5f and < 0.7f && MathF.Abs(ratio.X - ratio.Y) < 0.02f && MathF.Abs(ratio.X - ratio.Z) < 0.02f, $"mouth pixel {got}, mouth colour {expected}");
    }

    [Fact]
    public void Generate_PerformersLipsParted_TakesTheirMouthFromItsOwnPlaceColourMatched()
    {
        RgbaImage picture = Picture(128, 128, transparentCorners: false);
        CharacterRig rig = SyntheticRig(picture);
        using var generator = new WarpGenerator(128, 1, gridSize: 32, output: WarpOutput.Floats);
        generator.SetCharacter(rig);
        var face = new DrivenFace();
        face.SetNeutral(rig.Neutral);
        Vector3[] open = SyntheticFace.Create(mouthOpen: 0.08f);
        foreach (int i in FaceTopology.LipsInner)
        {
            face.Points[i] = new Vector2(open[i].X, open[i].Y);
        }

        // The performer's frame (RGB24, 160×128): red lips and skin, a green mouth interior between
        // their inner lips, which sit 16 px to the right of the character's.
        var frame = VideoFrame.CreateUnpooled(160, 128);
        var shift = new Vector2(16, 0);
        for (int i = 0; i < face.PerformerPoints.Length; i++)
        {
            face.PerformerPoints[i] = (new Vector2(open[i].X, open[i].Y) * 127) + shift;
        }

        Vector2[] inner = FaceTopology.LipsInner.ToArray().Select(i => face.PerformerPoints[i]).ToArray();
        for (int y = 0; y < 128; y++)
        {
            for (int x = 0; x < 160; x++)
            {
                bool mouth = LayerPainter.Inside(inner, new Vector2(x, y));
                frame.Row(y)[x * 3] = mouth ? (byte)0 : (byte)255;
                frame.Row(y)[(x * 3) + 1] = mouth ? (byte)255 : (byte)0;
            }
        }

        face.PerformerFrame = frame;
        face.PerformerMouthVisible = true;
        generator.Generate(face);

        Vector2 centre = (face.Points[FaceTopology.UpperLipInner] + face.Points[FaceTopology.LowerLipInner]) / 2;
        int plane = 128 * 128;
        int px = (int)(centre.X * 127);
        int py = (int)(centre.Y * 127);
        Vector3 got = new(generator.Output[(py * 128) + px], generator.Output[plane + (py * 128) + px], generator.Output[(2 * plane) + (py * 128) + px]);

        // Matched to the character's lips, the performer's red lips become the character's lip
        // colour and green (far from red) stays green.
        Assert.True(got.Y > 0.9f && got.X < 0.1f, $"mouth pixel {got}: the performer's green interior, colour-matched");

        // The performer's face not found in this frame: the painted interior again.
        face.PerformerMouthVisible = false;
        generator.Generate(face);
        Vector3 painted = new(generator.Output[(py * 128) + px], generator.Output[plane + (py * 128) + px], generator.Output[(2 * plane) + (py * 128) + px]);
        Assert.True(Vector3.Distance(painted, got) > 0.5f, $"painted mouth pixel {painted}");

        // Lips closed in the performer's frame (under 2 px apart): painted too.
        face.PerformerMouthVisible = true;
        face.PerformerPoints[FaceTopology.LowerLipInner] = face.PerformerPoints[FaceTopology.UpperLipInner] + new Vector2(0, 1);
        generator.Generate(face);
        Vector3 closed = new(generator.Output[(py * 128) + px], generator.Output[plane + (py * 128) + px], generator.Output[(2 * plane) + (py * 128) + px]);
        Assert.Equal(painted, closed);
    }
}

public class WarpGeneratorChannelTests
{
    [Fact]
    public void Generate_WithoutAlpha_MatchesTheRgbaGeneratorOnColourAndReportsOpaque()
    {
        RgbaImage picture = TestRigs.Picture(96, 96, transparentCorners: false);
        CharacterRig rig = TestRigs.SyntheticRig(picture);
        using var rgba = new WarpGenerator(64, 1, gridSize: 16, output: WarpOutput.Floats);
        using var rgb = new WarpGenerator(64, 1, gridSize: 16, withAlpha: false, output: WarpOutput.Floats);
        rgba.SetCharacter(rig);
        rgb.SetCharacter(rig);
        var face = new DrivenFace();
        face.SetNeutral(rig.Neutral);
        face.Points[FaceTopology.Chin] += new System.Numerics.Vector2(0, 0.03f);

        rgba.Generate(face);
        rgb.Generate(face);

        int plane = 64 * 64;
        for (int i = 0; i < plane * 3; i++)
        {
            Assert.Equal(rgba.Output[i], rgb.Output[i], 4);
        }

        for (int i = plane * 3; i < plane * 4; i++)
        {
            Assert.Equal(1f, rgb.Output[i]);
        }
    }
}

public class HeadOutlineTests
{
    // Backward map at a crop point (u, v): where the generator reads the picture for that output pixel
    // (the spline's; the mesh moves the same ring anchors through the same MoveRingWithHead).
    private static Vector2 ReadFrom(WarpGenerator generator, float u, float v) =>
        (((SplineMap)generator.Map).Spline.Evaluate(new Vector2((2 * u) - 1, (2 * v) - 1)) + Vector2.One) * 0.5f;

    // A synthetic character on a 64² generator, and a driven face at its neutral.
    private static (CharacterRig Rig, WarpGenerator Generator, DrivenFace Face) AtRest()
    {
        CharacterRig rig = TestRigs.SyntheticRig(TestRigs.Picture(96, 96, transparentCorners: false));
        var generator = new WarpGenerator(64, 1, gridSize: 16, warp: WarpKind.Spline);
        generator.SetCharacter(rig);
        var face = new DrivenFace();
        face.SetNeutral(rig.Neutral);
        return (rig, generator, face);
    }

    [Fact]
    public void Generate_HeadRaised_HairAboveFollowsAndNeckBelowStays()
    {
        (CharacterRig rig, WarpGenerator generator, DrivenFace face) = AtRest();
        using WarpGenerator owned = generator;
        (Vector2 center, Vector2 radius) = FaceMeasures.OvalEllipse(rig.Neutral);
        var shift = new Vector3(0, -0.04f, 0);
        for (int i = 0; i < face.Points.Length; i++)
        {
            face.Points[i] += new Vector2(shift.X, shift.Y);
        }

        face.HeadPivot = rig.Neutral[FaceTopology.NoseTip];
        face.HeadShift = shift;

        generator.Generate(face);

        // Above the forehead, between the face and the ring: the output reads from lower down (the hair rose).
        float above = ReadFrom(generator, center.X, center.Y - (1.45f * radius.Y)).Y - (center.Y - (1.45f * radius.Y));
        // Below the chin at the same distance: the neck is not dragged up with the head.
        float below = ReadFrom(generator, center.X, center.Y + (1.45f * radius.Y)).Y - (center.Y + (1.45f * radius.Y));
        Assert.True(above > 0.25f * -shift.Y, $"hair above the face moved by {above} for a head shift of {-shift.Y}");
        Assert.True(MathF.Abs(below) < 0.5f * above, $"neck below the chin moved by {below}, hair by {above}");
    }

    [Fact]
    public void MoveWithHead_Identity_LeavesPointsWhereTheyAre()
    {
        var face = new DrivenFace { HeadPivot = new Vector3(0.5f, 0.4f, 0.1f) };
        var q = new Vector3(0.3f, 0.2f, 0.15f);

        Assert.Equal(q, face.MoveWithHead(q));
        face.HeadRotation = Quaternion.CreateFromAxisAngle(Vector3.UnitZ, MathF.PI / 2);
        Vector3 turned = face.MoveWithHead(q);
        Assert.Equal(0.5f + 0.2f, turned.X, 4);
        Assert.Equal(0.4f - 0.2f, turned.Y, 4);
    }

    [Fact]
    public void EyeFrame_RoundTrip_ReturnsThePoint()
    {
        var outer = new Vector2(0.30f, 0.41f);
        var inner = new Vector2(0.42f, 0.43f);
        var p = new Vector2(0.37f, 0.40f);

        Vector2 local = FaceMeasures.ToEyeFrame(outer, inner, p);
        Vector2 back = FaceMeasures.FromEyeFrame(outer, inner, local);

        Assert.Equal(p.X, back.X, 5);
        Assert.Equal(p.Y, back.Y, 5);
        Assert.Equal(0.5f, FaceMeasures.ToEyeFrame(outer, inner, inner).X, 5);
    }

    [Fact]
    public void Generate_Gaze_MovesTheIrisTextureWithinTheEye()
    {
        (CharacterRig rig, WarpGenerator generator, DrivenFace face) = AtRest();
        using WarpGenerator owned = generator;
        face.GazeRight = new Vector2(0.15f, 0);
        Vector2 outer = FaceMeasures.XY(rig.Neutral[FaceTopology.RightEyeOuter]);
        Vector2 inner = FaceMeasures.XY(rig.Neutral[FaceTopology.RightEyeInner]);
        Vector2 rest = FaceMeasures.ToEyeFrame(outer, inner, rig.IrisCenters[0]);
        Vector2 moved = FaceMeasures.FromEyeFrame(outer, inner, rest + face.GazeRight);

        generator.Generate(face);

        // The output pixel where the iris now is reads the picture where the iris was; the other eye is untouched.
        Vector2 readRight = ReadFrom(generator, moved.X, moved.Y);
        Vector2 readLeft = ReadFrom(generator, rig.IrisCenters[1].X, rig.IrisCenters[1].Y);
        Assert.True(Vector2.Distance(readRight, rig.IrisCenters[0]) < 1e-3f, $"iris read from {readRight}, rests at {rig.IrisCenters[0]}");
        Assert.True(Vector2.Distance(moved, rig.IrisCenters[0]) > 0.1f * Vector2.Distance(outer, inner));
        Assert.True(Vector2.Distance(readLeft, rig.IrisCenters[1]) < 1e-3f);
    }
}
