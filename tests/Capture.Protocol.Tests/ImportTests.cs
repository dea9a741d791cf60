using System.Globalization;
using System.Numerics;
using Capture.Core.Tracking;
using Capture.Protocol.Export;
using Capture.Protocol.Import;
using Capture.Testing;

namespace Capture.Protocol.Tests;

/// <summary>Motion read back: Live Link Face CSV and BVH, well-formed and not.</summary>
public sealed class ImportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-import-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void LiveLinkRead_WhatTheWriterWrote_SameBlendshapesHeadAnglesAndTimes()
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        var writer = new LiveLinkFaceCsvWriter(text);
        var frames = new List<TrackingFrame>();
        for (int i = 0; i < 90; i++)
        {
            TrackingFrame f = TestFrames.Make(i, body: false);
            f.CaptureTimestampUs = 5_000_000 + (i * 33_333); // 30 fps, not starting at 0
            f.Face.HeadPose = HeadPose.FromEulerDegrees(i * 0.2f, -i * 0.1f, 3);
            writer.Write(f);
            frames.Add(f);
        }

        LiveLinkFaceTake take = LiveLinkFaceCsvReader.Read(new StringReader(text.ToString()), "take.csv");

        Assert.Equal(90, take.Count);
        Assert.Equal(60, take.TimecodeFramesPerSecond);
        for (int i = 0; i < take.Count; i++)
        {
            // The writer's timecode keeps thousandths of a 60 fps frame: 17 µs.
            Assert.InRange(take.TimesUs[i] - (i * 33_333), -20, 20);
            for (int b = 0; b < ArkitBlendshapes.Count; b++)
            {
                Assert.Equal(frames[i].Face.Blendshapes[b], take.Blendshapes[(i * ArkitBlendshapes.Count) + b], 6);
            }

            Vector3 expected = frames[i].Face.HeadPose.EulerDegrees() * (MathF.PI / 180f);
            Assert.Equal(expected.X, take.Head[i].X, 4);
            Assert.Equal(expected.Y, take.Head[i].Y, 4);
            Assert.Equal(expected.Z, take.Head[i].Z, 4);
        }
    }

    [Fact]
    public void LiveLinkRead_ColumnsInAnotherOrderAndCase_FoundByName()
    {
        string[] columns = ["Timecode", .. LiveLinkFaceCsvWriter.BlendshapeColumns.Reverse().Select(c => c.ToUpperInvariant()), "HeadRoll", "HeadPitch", "HeadYaw"];
        string[] row = ["10:00:00:00.000", .. LiveLinkFaceCsvWriter.BlendshapeColumns.Reverse().Select(c => c == "JawOpen" ? "0.75" : "0"), "0.3", "0.2", "0.1"];
        string csv = string.Join(',', columns) + "\n" + string.Join(',', row) + "\n";

        LiveLinkFaceTake take = LiveLinkFaceCsvReader.Read(new StringReader(csv), "odd.csv");

        Assert.Equal(0.75f, take.Blendshapes[(int)ArkitBlendshape.JawOpen]);
        Assert.Equal(new Vector3(0.1f, 0.2f, 0.3f), take.Head[0]);
    }

    [Fact]
    public void LiveLinkRead_MissingColumns_OneLineNamingFileAndColumns()
    {
        string header = LiveLinkFaceCsvWriter.Header.Replace(",JawOpen", "", StringComparison.Ordinal).Replace(",HeadPitch", "", StringComparison.Ordinal);

        var ex = Assert.Throws<InvalidDataException>(() => LiveLinkFaceCsvReader.Read(new StringReader(header + "\n"), "cut.csv"));

        Assert.StartsWith("cut.csv: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("missing: JawOpen, HeadPitch", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void LiveLinkRead_TimecodeGoesBack_NamesTheLine()
    {
        string csv = Csv("00:00:01:02.000", "00:00:01:04.000", "00:00:01:03.000");

        var ex = Assert.Throws<InvalidDataException>(() => LiveLinkFaceCsvReader.Read(new StringReader(csv), "back.csv"));

        Assert.StartsWith("back.csv line 4: timecode 00:00:01:03.000 is not after the previous row's 00:00:01:04.000", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:01", "is not HH:MM:SS:FF")]
    [InlineData("00:61:01:00", "is not HH:MM:SS:FF")]
    public void LiveLinkRead_BadTimecode_SaysWhatItShouldBe(string timecode, string problem)
    {
        var ex = Assert.Throws<InvalidDataException>(() => LiveLinkFaceCsvReader.Read(new StringReader(Csv(timecode)), "bad.csv"));

        Assert.Contains("bad.csv line 2: timecode", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LiveLinkRead_RowCutShortOrNotANumber_NamesLineAndColumn()
    {
        string csv = Csv("00:00:00:00.000");
        string shortRow = csv + "00:00:00:01.000,61,0.1\n";
        string word = csv.Replace("00:00:00:00.000,61,0,", "00:00:00:00.000,61,abc,", StringComparison.Ordinal);

        Assert.Contains("short.csv line 3: 3 values, the header has", Assert.Throws<InvalidDataException>(() => LiveLinkFaceCsvReader.Read(new StringReader(shortRow), "short.csv")).Message, StringComparison.Ordinal);
        Assert.Contains("word.csv line 2, column EyeBlinkLeft: 'abc' is not a number", Assert.Throws<InvalidDataException>(() => LiveLinkFaceCsvReader.Read(new StringReader(word), "word.csv")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LiveLinkRead_ThirtyFpsTimecodeAcrossMidnight_RateInferredAndTimeKeepsRising()
    {
        LiveLinkFaceTake take = LiveLinkFaceCsvReader.Read(new StringReader(Csv("23:59:59:28", "23:59:59:29", "00:00:00:00", "00:00:00:01")), "midnight.csv");

        Assert.Equal(30, take.TimecodeFramesPerSecond);
        Assert.Equal([0L, 33_333, 66_667, 100_000], take.TimesUs);
    }

    [Fact]
    public void BvhRead_SharedTakes_HierarchyAndMotionAsTheFileSays()
    {
        BvhMotion dab = BvhReader.Read(SharedMedia.File("bvh/dab.bvh"));
        BvhMotion wave = BvhReader.Read(SharedMedia.File("bvh/wave_hello.bvh"));

        Assert.Equal(27, dab.Joints.Count);
        Assert.Equal(84, dab.ChannelCount);
        Assert.Equal(339, dab.FrameCount);
        Assert.Equal(0.0333333, dab.FrameTime, 7);
        Assert.Equal(839, wave.FrameCount);
        Assert.Equal("Hips", dab.Joints[0].Name);
        Assert.Equal(-1, dab.Joints[0].Parent);
        Assert.Equal(new Vector3(0, 1.15266f, 1.729f), dab.Joints[1].Offset);
        Assert.Equal(-1.2344f, dab.Frame(0)[0]);
        Assert.Equal(-0.0000f, dab.Frame(0)[83]);
    }

    [Fact]
    public void BvhBody_SharedTake_RigidBonesUprightFacingTheCamera()
    {
        BvhBody body = BvhBody.From(BvhReader.Read(SharedMedia.File("bvh/dab.bvh")));
        var points = new Vector3[BvhBody.PointCount];
        var first = new Vector3[BvhBody.PointCount];
        body.Sample(0, first, out Quaternion turn0);
        (BvhBodyPoint A, BvhBodyPoint B)[] bones =
        [
            (BvhBodyPoint.LeftArm, BvhBodyPoint.LeftForeArm), (BvhBodyPoint.LeftForeArm, BvhBodyPoint.LeftHand),
            (BvhBodyPoint.RightUpLeg, BvhBodyPoint.RightLeg), (BvhBodyPoint.RightLeg, BvhBodyPoint.RightFoot),
        ];

        // Upright, its left on +x (the image's right seen from +z), feet on the floor, about 1.7 m tall.
        Assert.True(first[(int)BvhBodyPoint.HeadTop].Y > first[(int)BvhBodyPoint.Hips].Y + 0.4f);
        Assert.True(first[(int)BvhBodyPoint.LeftUpLeg].X > first[(int)BvhBodyPoint.RightUpLeg].X);
        Assert.InRange(MathF.Min(first[(int)BvhBodyPoint.LeftFoot].Y, first[(int)BvhBodyPoint.RightFoot].Y), -0.001f, 0.001f);
        Assert.InRange(first[(int)BvhBodyPoint.HeadTop].Y, 1.3f, 2.0f);
        Assert.Equal(1, turn0.W, 5);
        float turned = 0;
        for (double t = 0; t <= body.Motion.DurationSeconds; t += 0.25)
        {
            body.Sample(t, points, out Quaternion turn);
            foreach ((BvhBodyPoint a, BvhBodyPoint b) in bones)
            {
                // Joints move, bones keep their length: forward kinematics, not interpolated points.
                Assert.Equal(Vector3.Distance(first[(int)a], first[(int)b]), Vector3.Distance(points[(int)a], points[(int)b]), 3);
            }

            turned = MathF.Max(turned, 2 * MathF.Acos(Math.Clamp(MathF.Abs(turn.W), 0, 1)) * 180 / MathF.PI);
        }

        // The dab drops the head into the elbow.
        Assert.True(turned > 15, $"the head turned at most {turned:F1}°");
    }

    [Fact]
    public void BvhBody_WhatCapturesWriterWrote_JointsWhereTheLandmarksWere()
    {
        string path = Path.Combine(_dir, "capture.bvh");
        using (var writer = new BvhStreamWriter(path, 30))
        {
            for (int t = 0; t < 20; t++)
            {
                writer.Add(Standing(t));
            }

            writer.Complete();
        }

        BvhBody body = BvhBody.From(BvhReader.Read(path));
        var points = new Vector3[BvhBody.PointCount];
        body.Sample(10 / 30.0, points, out _);
        Vector4[] landmarks = Standing(10).Body.Landmarks;

        // The writer's rest pose has the take's mean bone lengths, so the read-back joints give the landmarks'
        // bone directions (the file keeps directions exactly, lengths as means): compare forearm directions.
        Vector3 Direction(int a, int b)
        {
            Vector3 d = BvhSkeleton.ToSpace(landmarks[b], 1) - BvhSkeleton.ToSpace(landmarks[a], 1);
            return Vector3.Normalize(d);
        }

        Vector3 read = Vector3.Normalize(points[(int)BvhBodyPoint.LeftHand] - points[(int)BvhBodyPoint.LeftForeArm]);
        Assert.True(Vector3.Dot(read, Direction(13, 15)) > 0.999f, $"left forearm {read} vs {Direction(13, 15)}");
        read = Vector3.Normalize(points[(int)BvhBodyPoint.RightLeg] - points[(int)BvhBodyPoint.RightUpLeg]);
        Assert.True(Vector3.Dot(read, Direction(24, 26)) > 0.999f, $"right thigh {read} vs {Direction(24, 26)}");
    }

    [Fact]
    public void BvhBody_UnknownJoints_OneLineNamingWhatIsMissingAndWhatIsThere()
    {
        string text = File.ReadAllText(SharedMedia.File("bvh/dab.bvh")).Replace("JOINT LeftForeArm", "JOINT Bone07", StringComparison.Ordinal)
            .Replace("JOINT RightUpLeg", "JOINT Bone12", StringComparison.Ordinal);
        BvhMotion motion = BvhReader.Read(new StringReader(text), "bones.bvh");

        var ex = Assert.Throws<InvalidDataException>(() => BvhBody.From(motion));

        Assert.StartsWith("bones.bvh: unknown joints, the body's LeftForeArm, RightUpLeg are not among them (joints not recognised: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Bone07", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Bone12", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void BvhRead_TruncatedMotion_SaysHowManyFramesAreThere()
    {
        string[] lines = File.ReadAllLines(SharedMedia.File("bvh/dab.bvh"));
        string missingLines = string.Join('\n', lines.Take(lines.Length - 39));
        string cutLine = string.Join('\n', lines.Take(lines.Length - 1)) + "\n" + lines[^1][..(lines[^1].Length / 2)];

        var lost = Assert.Throws<InvalidDataException>(() => BvhReader.Read(new StringReader(missingLines), "lost.bvh"));
        var cut = Assert.Throws<InvalidDataException>(() => BvhReader.Read(new StringReader(cutLine), "cut.bvh"));

        Assert.Equal("lost.bvh: the motion is truncated: 300 of the 339 frames 'Frames:' announces are there", lost.Message);
        Assert.StartsWith($"cut.bvh line {lines.Length}: frame 339 has ", cut.Message, StringComparison.Ordinal);
        Assert.EndsWith("of its 84 values (the motion is truncated)", cut.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 x\n", "bad.bvh line 4: OFFSET value 'x' is not a number")]
    [InlineData("HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\nCHANNELS 3 Xposition Yposition Wrotation\n}\nMOTION\n", "unknown channel 'Wrotation'")]
    [InlineData("HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\nCHANNELS 1 Xposition\n}\nMOTION\nFrames: 2\nFrame Time: 0\n1\n2\n", "'Frame Time: 0' is not a number of seconds")]
    [InlineData("HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\n", "the file ends where")]
    public void BvhRead_MalformedHierarchy_NamesTheProblem(string text, string problem)
    {
        var ex = Assert.Throws<InvalidDataException>(() => BvhReader.Read(new StringReader(text), "bad.bvh"));

        Assert.StartsWith("bad.bvh", ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BvhPose_BetweenFrames_Interpolated()
    {
        const string text = "HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\nCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n" +
            "JOINT Arm\n{\nOFFSET 10 0 0\nCHANNELS 3 Zrotation Xrotation Yrotation\nEnd Site\n{\nOFFSET 5 0 0\n}\n}\n}\n" +
            "MOTION\nFrames: 2\nFrame Time: 0.5\n0 0 0 0 0 0 0 0 0\n2 0 0 90 0 0 0 0 0\n";
        BvhMotion motion = BvhReader.Read(new StringReader(text), "two.bvh");
        var positions = new Vector3[2];
        var rotations = new Quaternion[2];

        motion.Pose(0.25, positions, rotations);

        // Half way: the root at x = 1, turned 45° about z, so the arm's joint is at 1 + 10·(cos 45°, sin 45°).
        Assert.Equal(1, positions[0].X, 5);
        Assert.Equal(1 + (10 * MathF.Cos(MathF.PI / 4)), positions[1].X, 4);
        Assert.Equal(10 * MathF.Sin(MathF.PI / 4), positions[1].Y, 4);
    }

    private static string Csv(params string[] timecodes)
    {
        var text = new System.Text.StringBuilder(LiveLinkFaceCsvWriter.Header).Append('\n');
        foreach (string t in timecodes)
        {
            text.Append(t).Append(",61").Append(string.Concat(Enumerable.Repeat(",0", 61))).Append('\n');
        }

        return text.ToString();
    }

    // A person standing, arms half raised, swaying a little frame by frame (normalized landmarks, 1:1 image).
    private static TrackingFrame Standing(int t)
    {
        var frame = new TrackingFrame { ImageWidth = 720, ImageHeight = 720 };
        frame.Body.Present = true;
        frame.Body.Score = 1;
        float s = 0.01f * MathF.Sin(t * 0.3f);
        Vector4[] p = frame.Body.Landmarks;
        for (int i = 0; i < p.Length; i++)
        {
            p[i] = new Vector4(0.5f, 0.2f, 0, 1);
        }

        p[0] = new Vector4(0.5f + s, 0.18f, -0.05f, 1);
        p[7] = new Vector4(0.53f + s, 0.19f, 0, 1);
        p[8] = new Vector4(0.47f + s, 0.19f, 0, 1);
        p[11] = new Vector4(0.58f, 0.3f, 0, 1);
        p[12] = new Vector4(0.42f, 0.3f, 0, 1);
        p[13] = new Vector4(0.66f, 0.38f + s, -0.02f, 1);
        p[14] = new Vector4(0.34f, 0.38f - s, -0.02f, 1);
        p[15] = new Vector4(0.7f, 0.3f + s, -0.05f, 1);
        p[16] = new Vector4(0.3f, 0.3f - s, -0.05f, 1);
        p[19] = new Vector4(0.71f, 0.27f + s, -0.06f, 1);
        p[20] = new Vector4(0.29f, 0.27f - s, -0.06f, 1);
        p[23] = new Vector4(0.55f, 0.55f, 0, 1);
        p[24] = new Vector4(0.45f, 0.55f, 0, 1);
        p[25] = new Vector4(0.56f + s, 0.72f, -0.01f, 1);
        p[26] = new Vector4(0.44f - s, 0.72f, -0.01f, 1);
        p[27] = new Vector4(0.56f, 0.9f, 0, 1);
        p[28] = new Vector4(0.44f, 0.9f, 0, 1);
        p[31] = new Vector4(0.56f, 0.92f, -0.05f, 1);
        p[32] = new Vector4(0.44f, 0.92f, -0.05f, 1);
        return frame;
    }
}
