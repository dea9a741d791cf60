using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Retargeting;
using Capture.Retargeting.Body;
using Capture.Retargeting.Rigs;
using Capture.Retargeting.Tests;
using static Capture.Generation.Tests.SyntheticFigure;

namespace Capture.Generation.Tests;

/// <summary>The body generator on a painted figure: rest is the picture, limbs go where driven, the background shows behind them, depth order, no allocation.</summary>
public class BodyGeneratorTests
{
    private const int Width = 200;
    private const int Height = 320;

    private static BodyCharacter Figure() => Create(Width, Height, new Vector2(100, 170), 80);

    private static (WarpGenerator Generator, DrivenBody Body, DrivenFace Face) Start(BodyCharacter character, WarpOutput output = WarpOutput.Bytes, int size = Width, bool withAlpha = false)
    {
        (int w, int h) = character.OutputSize(size);
        var generator = WarpGenerator.ForBody(w, h, 1, output, withAlpha);
        generator.SetCharacter(character);
        var body = new DrivenBody();
        body.SetRest(character.Body);
        return (generator, body, new DrivenFace());
    }

    [Fact]
    public void Generate_RestPose_IsThePicture()
    {
        BodyCharacter character = Figure();
        (WarpGenerator generator, DrivenBody body, DrivenFace face) = Start(character);
        using WarpGenerator owned = generator;
        Assert.Equal((Width, Height), (generator.Width, generator.Height));

        generator.Generate(face, body);

        ReadOnlySpan<byte> frame = generator.Frame;
        byte[] picture = character.Picture.Pixels;
        int off = 0;
        for (int i = 0; i < Width * Height; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                off += Math.Abs(frame[(i * 3) + c] - picture[(i * 4) + c]) > 24 ? 1 : 0;
            }
        }

        // Only the figure's edge pixels may differ (bilinear sampling of the hard-edged mask).
        Assert.True(off < Width * Height * 3 / 50, $"{off} channel values off by more than 24 levels");
    }

    [Fact]
    public void Generate_ArmRaised_ArmIsWhereDrivenAndBackgroundWhereItWas()
    {
        BodyCharacter character = Figure();
        (WarpGenerator generator, DrivenBody body, DrivenFace face) = Start(character);
        using WarpGenerator owned = generator;
        BodyRig rig = character.Body;
        Vector2 shoulder = rig.Joint(BodyTopology.LeftShoulder);

        // The left arm straight out to the image's right, horizontal.
        float upper = rig.Length(BodyTopology.LeftShoulder, BodyTopology.LeftElbow);
        float fore = rig.Length(BodyTopology.LeftElbow, BodyTopology.LeftWrist);
        body.Joints[BodyTopology.LeftElbow] = shoulder + new Vector2(upper, 0);
        body.Joints[BodyTopology.LeftWrist] = shoulder + new Vector2(upper + fore, 0);
        foreach (int tip in new[] { BodyTopology.LeftPinky, BodyTopology.LeftIndex, BodyTopology.LeftThumb })
        {
            Vector2 rest = rig.Joint(tip) - rig.Joint(BodyTopology.LeftWrist);
            float turn = SyntheticBody.Angle(shoulder, body.Joints[BodyTopology.LeftWrist]) - SyntheticBody.Angle(rig.Joint(BodyTopology.LeftElbow), rig.Joint(BodyTopology.LeftWrist));
            body.Joints[tip] = body.Joints[BodyTopology.LeftWrist] + Vector2.Transform(rest, Matrix3x2.CreateRotation(turn));
        }

        generator.Generate(face, body);

        // The raised forearm's middle is arm-coloured; where the forearm hung there is background now.
        Vector2 raised = shoulder + new Vector2(upper + (fore * 0.5f), 0);
        Assert.True(Distance(At(generator, character, raised), LeftArm) < 40, $"raised forearm reads {At(generator, character, raised)}");
        Vector2 hung = (rig.Joint(BodyTopology.LeftElbow) + rig.Joint(BodyTopology.LeftWrist)) * 0.5f;
        (byte R, byte G, byte B) behind = At(generator, character, hung);
        int o = (((int)hung.Y * Width) + (int)hung.X) * 4;
        (byte R, byte G, byte B) wall = (character.Background.Pixels[o], character.Background.Pixels[o + 1], character.Background.Pixels[o + 2]);
        Assert.True(Distance(behind, wall) < 30, $"where the forearm hung: {behind}, background {wall}");

        // The other arm, the torso and the legs did not move.
        Vector2 right = (rig.Joint(BodyTopology.RightElbow) + rig.Joint(BodyTopology.RightWrist)) * 0.5f;
        Assert.True(Distance(At(generator, character, right), RightArm) < 40);
        Assert.True(Distance(At(generator, character, (rig.Neck + rig.Root) * 0.5f), Shirt) < 40);
    }

    [Fact]
    public void Generate_WithAlpha_AlphaIsTheFigureMovesWithItAndTheColourIsUnchanged()
    {
        BodyCharacter character = Figure();
        (WarpGenerator generator, DrivenBody body, DrivenFace face) = Start(character, withAlpha: true);
        using WarpGenerator owned = generator;
        (WarpGenerator plain, DrivenBody plainBody, _) = Start(character);
        using WarpGenerator ownedPlain = plain;
        Assert.True(generator.WithAlpha);
        Assert.False(plain.WithAlpha);
        var alpha = new byte[Width * Height];

        // At rest the alpha is the figure's mask (the frame is the whole picture): only its bilinear edge differs.
        generator.Generate(face, body);
        generator.CopyAlphaTo(alpha);
        int off = 0;
        for (int i = 0; i < alpha.Length; i++)
        {
            off += Math.Abs(alpha[i] - character.Mask[i]) > 64 ? 1 : 0;
        }

        Assert.True(off < Width * Height / 50, $"{off} alpha values off the figure's mask by more than 64 levels");
        Assert.Equal(0, AlphaAt(generator, character, alpha, new Vector2(3, 3)));
        Assert.Equal(0, AlphaAt(generator, character, alpha, new Vector2(Width - 4, Height - 4)));
        Assert.Equal(255, AlphaAt(generator, character, alpha, (character.Body.Neck + character.Body.Root) * 0.5f));

        // The left arm swung out: its alpha goes with it, and where it hung the background is transparent.
        BodyRig rig = character.Body;
        var swing = Matrix3x2.CreateRotation(-1.2f, rig.Joint(BodyTopology.LeftShoulder));
        foreach (DrivenBody b in new[] { body, plainBody })
        {
            foreach (int j in new[] { BodyTopology.LeftElbow, BodyTopology.LeftWrist, BodyTopology.LeftPinky, BodyTopology.LeftIndex, BodyTopology.LeftThumb })
            {
                b.Joints[j] = Vector2.Transform(rig.Joint(j), swing);
            }
        }

        generator.Generate(face, body);
        generator.CopyAlphaTo(alpha);
        Vector2 hung = (rig.Joint(BodyTopology.LeftElbow) + rig.Joint(BodyTopology.LeftWrist)) * 0.5f;
        Vector2 swung = Vector2.Transform(hung, swing);
        Assert.Equal(0, AlphaAt(generator, character, alpha, hung));
        Assert.Equal(255, AlphaAt(generator, character, alpha, swung));
        Assert.True(Distance(At(generator, character, swung), LeftArm) < 40, $"the swung forearm reads {At(generator, character, swung)}");

        // The alpha is a second output of the same graph: the colour is what a generator without it renders.
        plain.Generate(face, plainBody);
        Assert.True(generator.Frame.SequenceEqual(plain.Frame), "the frame's colour differs with the alpha plane on");
    }

    [Fact]
    public void ForBody_AlphaWithFloatOutput_IsRefusedNamingIt()
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => WarpGenerator.ForBody(Width, Height, 1, WarpOutput.Floats, withAlpha: true));
        Assert.Contains("WarpOutput.Bytes", e.Message, StringComparison.Ordinal);
    }

    // The alpha plane's value at picture point p (frame = whole picture, as At).
    private static byte AlphaAt(WarpGenerator generator, BodyCharacter character, byte[] alpha, Vector2 p)
    {
        Vector2 o = Vector2.Transform(p, BodyMeshMap.PictureToFrame(character, generator.Width, generator.Height));
        int x = Math.Clamp((int)MathF.Round(o.X), 0, generator.Width - 1), y = Math.Clamp((int)MathF.Round(o.Y), 0, generator.Height - 1);
        return alpha[(y * generator.Width) + x];
    }

    [Fact]
    public void Generate_ArmAcrossTheChest_DrawnInFrontOnlyWhenNearer()
    {
        BodyCharacter character = Figure();
        (WarpGenerator generator, DrivenBody body, DrivenFace face) = Start(character);
        using WarpGenerator owned = generator;
        BodyRig rig = character.Body;

        // The right arm (image left) bent so its forearm lies across the chest.
        Vector2 elbow = rig.Joint(BodyTopology.RightElbow);
        float fore = rig.Length(BodyTopology.RightElbow, BodyTopology.RightWrist);
        Vector2 wrist = elbow + new Vector2(fore * 0.97f, -fore * 0.25f);
        body.Joints[BodyTopology.RightWrist] = wrist;
        foreach (int tip in new[] { BodyTopology.RightPinky, BodyTopology.RightIndex, BodyTopology.RightThumb })
        {
            body.Joints[tip] = wrist + new Vector2(fore * 0.1f, 0);
        }

        Vector2 crossing = elbow + ((wrist - elbow) * 0.75f);
        Assert.True(LayerPainter.Inside([rig.Joint(BodyTopology.LeftShoulder), rig.Joint(BodyTopology.RightShoulder), rig.Joint(BodyTopology.RightHip), rig.Joint(BodyTopology.LeftHip)], crossing), "the test's crossing point lies on the chest");

        // Nearer than the torso: the forearm shows over the shirt.
        body.Depth[BodyTopology.RightElbow] = body.Depth[BodyTopology.RightWrist] = -0.3f;
        generator.Generate(face, body);
        Assert.True(Distance(At(generator, character, crossing), RightArm) < 40, $"in front: {At(generator, character, crossing)}");

        // Behind the torso: the shirt hides it.
        body.Depth[BodyTopology.RightElbow] = body.Depth[BodyTopology.RightWrist] = 0.3f;
        generator.Generate(face, body);
        Assert.True(Distance(At(generator, character, crossing), Shirt) < 40, $"behind: {At(generator, character, crossing)}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Generate_FigureBox_SamePixelsAsWarpingTheWholeFrame(int scale)
    {
        // The graph warps only the box around the covered lattice cells (and painted layers); outside it
        // the frame is the still one made once. Rest pose and an arm swung out: the same pixels either way,
        // with either GridSample kernel (scale 3: 600×960 is over WarpGraph.PlannedGridSamplePixels), and the same alpha.
        int width = Width * scale, height = Height * scale;
        BodyCharacter character = Create(width, height, new Vector2(100, 170) * scale, 80 * scale);
        var generator = WarpGenerator.ForBody(width, height, 1, withAlpha: true);
        using WarpGenerator owned = generator;
        generator.SetCharacter(character);
        var boxedAlpha = new byte[width * height];
        var wholeAlpha = new byte[width * height];
        var body = new DrivenBody();
        body.SetRest(character.Body);
        var face = new DrivenFace();
        BodyRig rig = character.Body;
        for (int pose = 0; pose < 2; pose++)
        {
            if (pose == 1)
            {
                var swing = Matrix3x2.CreateRotation(-1.2f, rig.Joint(BodyTopology.LeftShoulder));
                foreach (int j in new[] { BodyTopology.LeftElbow, BodyTopology.LeftWrist, BodyTopology.LeftPinky, BodyTopology.LeftIndex, BodyTopology.LeftThumb })
                {
                    body.Joints[j] = Vector2.Transform(rig.Joint(j), swing);
                }
            }

            generator.WholeFrame = false;
            generator.Generate(face, body);
            byte[] boxed = generator.Frame.ToArray();
            generator.CopyAlphaTo(boxedAlpha);
            (int top, int left, int bottom, int right) = generator.LastBox;
            generator.WholeFrame = true;
            generator.Generate(face, body);
            Assert.Equal((0, 0, height, width), generator.LastBox);
            byte[] whole = generator.Frame.ToArray();
            generator.CopyAlphaTo(wholeAlpha);

            Assert.True((right - left) * (bottom - top) < width * height * 0.9, $"pose {pose}: box ({top}, {left})–({bottom}, {right}) is nearly the whole {width}x{height} frame");
            int off = 0, worst = 0;
            for (int i = 0; i < whole.Length; i++)
            {
                int d = Math.Abs(whole[i] - boxed[i]);
                off += d > 1 ? 1 : 0;
                worst = Math.Max(worst, d);
            }

            // Float rounding of the box's crop of the lattice may move a sample by a hair: a level at most.
            Assert.True(off == 0, $"pose {pose}: {off} channel values differ by more than 1 level (worst {worst})");

            // The alpha plane too: the box's alpha padded with zeros is the whole frame's.
            int alphaOff = 0;
            for (int i = 0; i < wholeAlpha.Length; i++)
            {
                alphaOff += Math.Abs(wholeAlpha[i] - boxedAlpha[i]) > 1 ? 1 : 0;
            }

            Assert.True(alphaOff == 0, $"pose {pose}: {alphaOff} alpha values differ by more than 1 level");
            Assert.Contains((byte)255, boxedAlpha);
            Assert.Contains((byte)0, boxedAlpha);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GenerateInto_BodyDriven_AllocatesNothingPerFrame(bool withAlpha)
    {
        BodyCharacter character = Figure();
        (WarpGenerator generator, DrivenBody body, DrivenFace face) = Start(character, withAlpha: withAlpha);
        using WarpGenerator owned = generator;
        var retargeter = new BodyRetargeter(character.Body);
        var pose = new BodyPose();
        var frame = VideoFrame.CreateUnpooled(generator.Width, generator.Height);
        var alpha = new byte[generator.Width * generator.Height];
        Vector2[] performer = SyntheticBody.Standing(new Vector2(300, 300), 100);
        var p = new Vector2[performer.Length];
        int[] arm = [BodyTopology.LeftElbow, BodyTopology.LeftWrist, BodyTopology.LeftPinky, BodyTopology.LeftIndex, BodyTopology.LeftThumb];
        void Drive(int t)
        {
            performer.CopyTo(p, 0);
            SyntheticBody.Rotate(p, BodyTopology.LeftShoulder, -0.15f * t, arm);
            SyntheticBody.Pose(pose, p, t * 33_333L);
            retargeter.Update(pose, body);
            generator.GenerateInto(face, body, frame, 0, 0, (0, 0, 0));
            generator.CopyAlphaTo(alpha);
        }

        for (int t = 0; t < 4; t++)
        {
            Drive(t);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 4; t < 20; t++)
        {
            Drive(t);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated over 16 frames");

        // The last frame's figure is there (the swung arm's alpha included) or, without the plane, alpha 255 throughout.
        Assert.Equal(withAlpha, alpha.Contains((byte)0));
        Assert.Contains((byte)255, alpha);
    }
    [Theory]
    [InlineData(-170)]
    [InlineData(-120)]
    [InlineData(-60)]
    [InlineData(60)]
    [InlineData(120)]
    [InlineData(170)]
    public void Generate_ElbowBentEitherWay_TheMapNeverFolds(int degrees)
    {
        // Bent up to 170° either way (the forearm folded back over the upper arm): the skin around the
        // elbow turns about it and is relaxed where the lattice straddles the crease; no cell of one
        // part's picture turns over (the fold-over metric's test).
        BodyCharacter character = Figure();
        (WarpGenerator generator, DrivenBody body, DrivenFace face) = Start(character);
        using WarpGenerator owned = generator;
        BodyRig rig = character.Body;
        var turn = Matrix3x2.CreateRotation(degrees * MathF.PI / 180, rig.Joint(BodyTopology.LeftElbow));
        foreach (int j in new[] { BodyTopology.LeftWrist, BodyTopology.LeftPinky, BodyTopology.LeftIndex, BodyTopology.LeftThumb })
        {
            body.Joints[j] = Vector2.Transform(rig.Joint(j), turn);
        }

        generator.Generate(face, body);

        var map = (BodyMeshMap)generator.Map;
        Assert.Equal(0, generator.Map.CountFolds(new FoldOverCheck(), [], []));
        Assert.Equal(0, map.Mesh!.CountFoldedCells(map.Lattice));

        // And the forearm is where it was bent to.
        Vector2 middle = (rig.Joint(BodyTopology.LeftElbow) + body.Joints[BodyTopology.LeftWrist]) * 0.5f;
        Assert.True(Distance(At(generator, character, middle), LeftArm) < 40, $"{degrees}°: the forearm's middle reads {At(generator, character, middle)}");
    }

    [Theory]
    [InlineData(30, 0)]
    [InlineData(-30, 0)]
    [InlineData(20, 0.08)]
    [InlineData(-20, 0.08)]
    [InlineData(0, 0.15)]
    public void Generate_FaceTurnsAndLowersTheHead_TheHeadNeverFolds(int rollDegrees, float lower)
    {
        // A figure with a face: the face map turns and moves the head (its ring anchors over the hair follow the
        // head), the body map places it. Taken whole at the face lattice's edge, the face map's motion met the
        // body's reading there in a step, a row of turned-over cells across the hair (the anime figure on the
        // dance clip, 102 of 288 frames); weighted by the face's animation mask it fades out before that edge.
        BodyCharacter character = WithFace(2 * Width, 2 * Height, new Vector2(200, 340), 160, 0.35f);
        (WarpGenerator generator, DrivenBody body, DrivenFace face) = Start(character, size: 2 * Width);
        using WarpGenerator owned = generator;
        CharacterRig rig = character.Face!;
        face.SetNeutral(rig.Neutral);
        face.HeadPivot = rig.Neutral[FaceTopology.NoseTip];
        face.HeadRotation = Quaternion.CreateFromAxisAngle(Vector3.UnitZ, rollDegrees * MathF.PI / 180);
        face.HeadShift = new Vector3(0, lower, 0);
        for (int i = 0; i < face.Points.Length; i++)
        {
            Vector3 moved = face.MoveWithHead(rig.Neutral[i]);
            face.Points[i] = new Vector2(moved.X, moved.Y);
        }

        generator.Generate(face, body);

        var map = (BodyMeshMap)generator.Map;
        Assert.Equal(0, map.Mesh!.CountFoldedCells(map.Lattice));
        Assert.Equal(0, generator.Map.CountFolds(new FoldOverCheck(), [], []));

        // Unfolded as composed, not by the relaxation after it (a rigid body here leaves it nothing else to do).
        Assert.Equal(0, map.Mesh.RelaxedIterations);

        // And the face still rides on the head: where the driven nose tip is drawn, the picture is read at the rest one.
        Vector2 Frame(Vector2 crop) => Vector2.Transform(new Vector2(rig.CropLeft, rig.CropTop) + (crop * rig.CropSide), BodyMeshMap.PictureToFrame(character, generator.Width, generator.Height));
        Vector2 nose = Frame(face.Points[FaceTopology.NoseTip]);
        Vector2 rest = Frame(new Vector2(rig.Neutral[FaceTopology.NoseTip].X, rig.Neutral[FaceTopology.NoseTip].Y));
        int g = map.GridSize, nodes = g * map.GridHeight;
        int node = ((int)MathF.Round(nose.Y / BodyMeshMap.LatticeStep) * g) + (int)MathF.Round(nose.X / BodyMeshMap.LatticeStep);
        var read = new Vector2((map.Lattice[node] + 1) * 0.5f * (generator.Width - 1), (map.Lattice[nodes + node] + 1) * 0.5f * (generator.Height - 1));
        Assert.True(Vector2.Distance(read, rest) < 2.5f, $"the driven nose tip at {nose} reads {read}, its rest place is {rest}");
    }
}
