using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Text.Json.Nodes;
using Capture.Core.Tracking;
using Capture.Protocol.Export;

namespace Capture.Protocol.Tests;

public sealed class ExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-export-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Vmc_FramesSent_ParsedByOscJsWithEveryAddressAndValue()
    {
        (Process listener, int port, Task<string> rest, Task<string> stderr) = await NodeInterop.StartVmcListenerAsync(2);
        using Process node = listener;

        TrackingFrame frame = TestFrames.Make(3);
        using (var sender = new VmcSender(new IPEndPoint(IPAddress.Loopback, port)))
        {
            sender.Send(frame, 1.25f);
            frame.Face.Blendshapes[(int)ArkitBlendshape.JawOpen] = 0.75f;
            sender.Send(frame, 1.5f);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await node.WaitForExitAsync(timeout.Token);
        Assert.True(node.ExitCode == 0, $"node exited {node.ExitCode}: {await stderr}");
        var messages = (await rest).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2 * (4 + 52 + 1), messages.Count);

        List<JsonNode> firstBundle = messages.Take(57).ToList();
        Assert.Equal("/VMC/Ext/OK", (string)firstBundle[0]["address"]!);
        Assert.Equal(1, (int)firstBundle[0]["args"]![0]!);
        Assert.Equal("/VMC/Ext/T", (string)firstBundle[1]["address"]!);
        Assert.Equal(1.25, (double)firstBundle[1]["args"]![0]!);
        Assert.Equal("/VMC/Ext/Root/Pos", (string)firstBundle[2]["address"]!);
        Assert.Equal("root", (string)firstBundle[2]["args"]![0]!);
        JsonNode head = firstBundle[3];
        Assert.Equal("/VMC/Ext/Bone/Pos", (string)head["address"]!);
        Assert.Equal("Head", (string)head["args"]![0]!);
        Quaternion q = frame.Face.HeadPose.Rotation;
        Assert.Equal((double)-q.X, (double)head["args"]![4]!);
        Assert.Equal((double)q.Z, (double)head["args"]![6]!);
        Assert.Equal((double)q.W, (double)head["args"]![7]!);

        List<JsonNode> blends = firstBundle.Skip(4).Take(52).ToList();
        Assert.All(blends, b => Assert.Equal("/VMC/Ext/Blend/Val", (string)b["address"]!));
        Assert.Equal(ArkitBlendshapes.Names, blends.Select(b => (string)b["args"]![0]!));
        for (int i = 0; i < 52; i++)
        {
            float expected = i == (int)ArkitBlendshape.JawOpen ? TestFrames.Blendshape(i, 3) : frame.Face.Blendshapes[i];
            Assert.Equal((double)expected, (double)blends[i]["args"]![1]!);
        }

        Assert.Equal("/VMC/Ext/Blend/Apply", (string)firstBundle[56]["address"]!);
        JsonNode jaw = messages[57 + 4 + (int)ArkitBlendshape.JawOpen];
        Assert.Equal("jawOpen", (string)jaw["args"]![0]!);
        Assert.Equal(0.75, (double)jaw["args"]![1]!);
    }

    [Fact]
    public async Task Vmc_HandsTrackedThenLost_OscJsReceivesThe30FingerBonesEasingToRest()
    {
        (Process listener, int port, Task<string> rest, Task<string> stderr) = await NodeInterop.StartVmcListenerAsync(4);
        using Process node = listener;

        TrackingFrame frame = TestFrames.Make(3, body: false);
        foreach (Handedness side in new[] { Handedness.Left, Handedness.Right })
        {
            HandObservation hand = frame.Hand(side);
            hand.Present = true;
            hand.Score = 0.9f;
            hand.HandednessScore = 0.9f;
            TestFrames.IndexBentHand(side).CopyTo(hand.WorldLandmarks, 0);
        }

        using (var sender = new VmcSender(new IPEndPoint(IPAddress.Loopback, port)))
        {
            // Both hands, then the right hand lost for 0.1 s and 0.2 s, then neither for a second.
            frame.CaptureTimestampUs = 1_000_000;
            sender.Send(frame, 1f);
            frame.RightHand.Clear();
            frame.CaptureTimestampUs = 1_100_000;
            sender.Send(frame, 1.1f);
            frame.CaptureTimestampUs = 1_200_000;
            sender.Send(frame, 1.2f);
            frame.LeftHand.Clear();
            frame.CaptureTimestampUs = 2_200_000;
            sender.Send(frame, 2.2f);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await node.WaitForExitAsync(timeout.Token);
        Assert.True(node.ExitCode == 0, $"node exited {node.ExitCode}: {await stderr}");
        List<JsonNode> messages = [.. (await rest).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!)];
        const int Bundle = 4 + 30 + 52 + 1;
        Assert.Equal(4 * Bundle, messages.Count);

        string[] expectedNames =
        [
            .. new[] { "Left", "Right" }.SelectMany(side => new[] { "Thumb", "Index", "Middle", "Ring", "Little" }
                .SelectMany(finger => new[] { "Proximal", "Intermediate", "Distal" }.Select(segment => side + finger + segment))),
        ];
        for (int b = 0; b < 4; b++)
        {
            List<JsonNode> bones = messages.Skip((b * Bundle) + 4).Take(30).ToList();
            Assert.All(bones, m => Assert.Equal("/VMC/Ext/Bone/Pos", (string)m["address"]!));
            Assert.Equal(expectedNames, bones.Select(m => (string)m["args"]![0]!));
        }

        // The bent index: Unity turns the left hand's about +Z, the right's about −Z, by 90°; the right hand's weight
        // then eases 1 → 2/3 → 1/3, and after a second without hands every finger is at rest.
        static Quaternion Bone(List<JsonNode> all, int bundle, int bone)
        {
            JsonNode args = all[(bundle * Bundle) + 4 + bone]["args"]!;
            return new Quaternion((float)(double)args[4]!, (float)(double)args[5]!, (float)(double)args[6]!, (float)(double)args[7]!);
        }

        const int Intermediate = 4;
        float half = MathF.Sqrt(0.5f);
        AssertClose(new Quaternion(0, 0, half, half), Bone(messages, 0, Intermediate));
        AssertClose(new Quaternion(0, 0, -half, half), Bone(messages, 0, 15 + Intermediate));
        AssertClose(new Quaternion(0, 0, half, half), Bone(messages, 1, Intermediate));
        AssertClose(Quaternion.CreateFromAxisAngle(Vector3.UnitZ, -MathF.PI / 2 * 2 / 3), Bone(messages, 1, 15 + Intermediate));
        AssertClose(Quaternion.CreateFromAxisAngle(Vector3.UnitZ, -MathF.PI / 2 / 3), Bone(messages, 2, 15 + Intermediate));
        AssertClose(Quaternion.Identity, Bone(messages, 3, Intermediate));
        AssertClose(Quaternion.Identity, Bone(messages, 3, 15 + Intermediate));
        AssertClose(Quaternion.Identity, Bone(messages, 0, 3));
    }

    private static void AssertClose(Quaternion expected, Quaternion actual) =>
        Assert.True(MathF.Abs(Quaternion.Dot(expected, actual)) > 0.9999f, $"{actual} vs {expected}");

    [Fact]
    public void Vmc_Encode_SteadyState_AllocatesNothing()
    {
        TrackingFrame frame = TestFrames.Make(1);
        using var sender = new VmcSender(new IPEndPoint(IPAddress.Loopback, NodeInterop.FreeUdpPort()));
        sender.Encode(frame, 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            sender.Encode(frame, i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sender.LastBundleSize is > 2000 and < 4096, $"bundle of {sender.LastBundleSize} bytes");

        // With both hands the 30 finger bones come too, still without allocating.
        TrackingFrame hands = TestFrames.Make(2, leftHand: true);
        TestFrames.IndexBentHand(Handedness.Left).CopyTo(hands.LeftHand.WorldLandmarks, 0);
        sender.Encode(hands, 0);
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            hands.CaptureTimestampUs += 33_333;
            sender.Encode(hands, i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void LiveLinkCsv_Frames_HeaderInAppOrderAndValuesByName()
    {
        const string ExpectedHeader =
            "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,EyeLookUpLeft,EyeSquintLeft,EyeWideLeft," +
            "EyeBlinkRight,EyeLookDownRight,EyeLookInRight,EyeLookOutRight,EyeLookUpRight,EyeSquintRight,EyeWideRight," +
            "JawForward,JawRight,JawLeft,JawOpen,MouthClose,MouthFunnel,MouthPucker,MouthRight,MouthLeft,MouthSmileLeft,MouthSmileRight," +
            "MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,MouthDimpleRight,MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper," +
            "MouthShrugLower,MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,MouthUpperUpLeft,MouthUpperUpRight," +
            "BrowDownLeft,BrowDownRight,BrowInnerUp,BrowOuterUpLeft,BrowOuterUpRight,CheekPuff,CheekSquintLeft,CheekSquintRight," +
            "NoseSneerLeft,NoseSneerRight,TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll";
        var text = new StringWriter();
        var csv = new LiveLinkFaceCsvWriter(text);
        TrackingFrame frame = TestFrames.Make(2);
        frame.Face.Blendshapes[(int)ArkitBlendshape.JawLeft] = 0.125f;
        frame.Face.Blendshapes[(int)ArkitBlendshape.JawRight] = 0.875f;
        frame.CaptureTimestampUs = ((3600 + 120 + 3) * 1_000_000L) + 512_500;
        csv.Write(frame);
        csv.Write(TestFrames.Make(3, face: false));
        string[] lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal(ExpectedHeader, lines[0]);
        string[] columns = lines[0].Split(',');
        string[] row = lines[1].Split(',');
        Assert.Equal(columns.Length, row.Length);
        Assert.Equal("01:02:03:30.750", row[0]);
        Assert.Equal("61", row[1]);
        for (int c = 2; c < 54; c++)
        {
            int arkit = ArkitBlendshapes.IndexOf(columns[c]);
            Assert.True(arkit >= 0, columns[c]);
            Assert.Equal(frame.Face.Blendshapes[arkit], float.Parse(row[c], CultureInfo.InvariantCulture));
        }

        Assert.Equal("0.875", row[Array.IndexOf(columns, "JawRight")]);
        float yaw = float.Parse(row[Array.IndexOf(columns, "HeadYaw")], CultureInfo.InvariantCulture);
        Assert.Equal(frame.Face.HeadPose.EulerDegrees().X * MathF.PI / 180f, yaw, 5);
        Assert.All(lines[2].Split(',').Skip(2), v => Assert.Equal("0", v));
    }

    [Theory]
    [InlineData(0L, 30, "00:00:00:00.000")]
    [InlineData(1_016_667L, 60, "00:00:01:01.000")]
    [InlineData(86_400_000_000L + 50_000L, 30, "00:00:00:01.500")]
    public void LiveLinkCsv_FormatTimecode_FramesAndSubframes(long us, int fps, string expected)
    {
        Assert.Equal(expected, new LiveLinkFaceCsvWriter(TextWriter.Null, fps).FormatTimecode(us));
    }

    private static TrackingFrame MovingBody(int k)
    {
        TrackingFrame f = TestFrames.Make(k, face: false);
        Vector4[] l = f.Body.Landmarks;
        void Set(int i, float x, float y, float z) => l[i] = new Vector4(x, y, z, 0.99f);
        float a = k * 0.2f;
        Set(0, 0.5f, 0.2f, -0.05f);
        Set(7, 0.53f, 0.22f, 0f);
        Set(8, 0.47f, 0.22f, 0f);
        Set(11, 0.58f, 0.35f, 0.01f * k);
        Set(12, 0.42f, 0.35f, -0.01f);
        Set(13, 0.65f + (0.02f * MathF.Cos(a)), 0.45f + (0.05f * MathF.Sin(a)), 0.02f);
        Set(14, 0.35f, 0.46f, -0.02f);
        Set(15, 0.70f, 0.40f - (0.03f * k), 0.05f);
        Set(16, 0.33f, 0.56f, 0.01f);
        Set(19, 0.72f, 0.38f - (0.03f * k), 0.06f);
        Set(20, 0.32f, 0.59f, 0.02f);
        Set(23, 0.55f, 0.6f, 0f);
        Set(24, 0.45f, 0.6f, 0f);
        Set(25, 0.56f + (0.01f * k), 0.75f, -0.03f);
        Set(26, 0.44f, 0.76f, 0.01f);
        Set(27, 0.57f, 0.9f, 0f);
        Set(28, 0.43f, 0.91f, 0.02f);
        Set(31, 0.58f, 0.93f, -0.06f);
        Set(32, 0.42f, 0.94f, -0.05f);
        return f;
    }

    [Fact]
    public void Bvh_MovingBody_ParsedByThreeBvhLoaderWithTrackedBoneDirections()
    {
        string file = Path.Combine(_dir, "body.bvh");
        using (var bvh = new BvhStreamWriter(file, 30))
        {
            for (int k = 0; k < 8; k++)
            {
                bvh.Add(MovingBody(k));
            }

            bvh.Complete();
        }

        var result = JsonNode.Parse(NodeInterop.Run("bvh-read.mjs", file, "0", "5", "7"))!;
        Assert.Equal(8, (int)result["frameCount"]!);
        Assert.Equal(1 / 30.0, (double)result["frameTime"]!, 5);
        var bones = result["bones"]!.AsArray().Select(b => (string)b!).ToList();
        foreach (string name in BvhSkeleton.Body.JointNames)
        {
            Assert.Contains(name, bones);
        }

        (string Joint, string Child)[] limbs =
        [
            ("LeftArm", "LeftForeArm"), ("LeftForeArm", "LeftHand"), ("RightArm", "RightForeArm"), ("RightForeArm", "RightHand"),
            ("LeftUpLeg", "LeftLeg"), ("LeftLeg", "LeftFoot"), ("RightUpLeg", "RightLeg"), ("RightLeg", "RightFoot"),
            ("Hips", "Spine"), ("Spine", "Neck"), ("Neck", "Head"),
        ];
        foreach (int k in new[] { 0, 5, 7 })
        {
            TrackingFrame frame = MovingBody(k);
            Vector3[] points = [.. frame.Body.Landmarks.Select(l => BvhSkeleton.ToSpace(l, 1280f / 720f))];
            JsonNode pose = result["poses"]![k.ToString(CultureInfo.InvariantCulture)]!;
            Vector3 At(string bone)
            {
                var a = pose[bone]!.AsArray();
                return new Vector3((float)a[0]!, (float)a[1]!, (float)a[2]!);
            }

            Vector3 hips = BvhSkeleton.Body.JointPosition("Hips", points);
            Assert.True(Vector3.Distance(hips, At("Hips")) < 1e-3f, $"frame {k}: hips at {At("Hips")}, expected {hips}");
            foreach (var (joint, child) in limbs)
            {
                Vector3 expected = Vector3.Normalize(BvhSkeleton.Body.BoneTip(joint, points) - BvhSkeleton.Body.JointPosition(joint, points));
                Vector3 got = Vector3.Normalize(At(child) - At(joint));
                Assert.True(Vector3.Dot(expected, got) > 0.9999f, $"frame {k}: {joint}→{child} points {got}, landmarks say {expected}");
            }
        }
    }

    /// <summary>
    /// <see cref="MovingBody"/> with both hands (normalized image points): each hand is <see cref="TestFrames.IndexBentHand"/>
    /// scaled into the picture at the pose's wrist, turned a little more every frame, its index bent, the other fingers
    /// curling with <paramref name="k"/>; the right hand is lost from frame <paramref name="rightLostFrom"/> on.
    /// </summary>
    private static TrackingFrame MovingBodyWithHands(int k, int rightLostFrom)
    {
        TrackingFrame f = MovingBody(k);
        f.CaptureTimestampUs = k * 33_333L;
        foreach (Handedness side in new[] { Handedness.Left, Handedness.Right })
        {
            if (side == Handedness.Right && k >= rightLostFrom)
            {
                continue;
            }

            HandObservation hand = f.Hand(side);
            hand.Present = true;
            hand.Score = 0.95f;
            hand.HandednessScore = 0.9f;
            Vector3[] metres = TestFrames.IndexBentHand(side);
            float curl = 0.05f * k;
            for (int finger = 2; finger < 5; finger++)
            {
                ReadOnlySpan<int> chain = HandTopology.Finger(finger);
                metres[chain[3]] += new Vector3(0, curl * 0.02f, -curl * 0.02f);
            }

            var turn = Quaternion.CreateFromYawPitchRoll(0.1f * k, 0.3f, side == Handedness.Left ? -0.8f : 0.8f);
            Vector4 wrist = f.Body.Landmarks[side == Handedness.Left ? 15 : 16];
            for (int i = 0; i < TrackingFrame.HandLandmarkCount; i++)
            {
                Vector3 p = Vector3.Transform(metres[i], turn) * 0.5f;
                hand.Landmarks[i] = new Vector3(wrist.X + (p.X * 720f / 1280f), wrist.Y + p.Y, wrist.Z + p.Z);
                hand.WorldLandmarks[i] = Vector3.Transform(metres[i], turn);
            }
        }

        return f;
    }

    [Fact]
    public void Bvh_BodyWithFingers_ParsedByThreeBvhLoaderWithTrackedFingerDirectionsAndALostHandRelaxing()
    {
        const int Frames = 24, RightLostFrom = 12;
        string file = Path.Combine(_dir, "fingers.bvh");
        using (var bvh = new BvhStreamWriter(file, 30, fingers: true))
        {
            for (int k = 0; k < Frames; k++)
            {
                bvh.Add(MovingBodyWithHands(k, RightLostFrom));
            }

            bvh.Complete();
            Assert.Equal(Frames, bvh.FramesWithHand(Handedness.Left));
            Assert.Equal(RightLostFrom, bvh.FramesWithHand(Handedness.Right));
        }

        var result = JsonNode.Parse(NodeInterop.Run("bvh-read.mjs", file, "0", "7", "11", "23"))!;
        Assert.Equal(Frames, (int)result["frameCount"]!);
        var bones = result["bones"]!.AsArray().Select(b => (string)b!).ToList();
        BvhSkeleton skeleton = BvhSkeleton.WithFingers;
        Assert.Equal(46, skeleton.JointNames.Count);
        foreach (string name in skeleton.JointNames)
        {
            Assert.Contains(name, bones);
        }

        string[] fingers = ["Thumb", "Index", "Middle", "Ring", "Pinky"];
        foreach (int k in new[] { 0, 7, 11, 23 })
        {
            TrackingFrame frame = MovingBodyWithHands(k, RightLostFrom);
            var points = new Vector3[skeleton.PointCount];
            for (int i = 0; i < 33; i++)
            {
                points[i] = BvhSkeleton.ToSpace(frame.Body.Landmarks[i], 1280f / 720f);
            }

            for (int i = 0; i < 21; i++)
            {
                points[BvhSkeleton.LeftHandPoints + i] = BvhSkeleton.ToSpace(frame.LeftHand.Landmarks[i], 1280f / 720f);
                points[BvhSkeleton.RightHandPoints + i] = BvhSkeleton.ToSpace(frame.RightHand.Landmarks[i], 1280f / 720f);
            }

            JsonNode pose = result["poses"]![k.ToString(CultureInfo.InvariantCulture)]!;
            Vector3 At(string bone)
            {
                var a = pose[bone]!.AsArray();
                return new Vector3((float)a[0]!, (float)a[1]!, (float)a[2]!);
            }

            foreach (string side in new[] { "Left", "Right" })
            {
                bool tracked = side == "Left" || k < RightLostFrom;
                foreach (string finger in fingers)
                {
                    for (int segment = 1; segment <= 2; segment++)
                    {
                        string joint = $"{side}Hand{finger}{segment}";
                        Vector3 got = Vector3.Normalize(At($"{side}Hand{finger}{segment + 1}") - At(joint));
                        if (tracked)
                        {
                            // The file's finger bone points where the hand's points say.
                            Vector3 expected = Vector3.Normalize(skeleton.BoneTip(joint, points) - skeleton.JointPosition(joint, points));
                            Assert.True(Vector3.Dot(expected, got) > 0.9999f, $"frame {k}: {joint} points {got}, landmarks say {expected}");
                        }
                        else if (k == Frames - 1)
                        {
                            // 0.4 s after the hand was lost its fingers are straight again: each segment continues the one before.
                            Vector3 before = Vector3.Normalize(At($"{side}Hand{finger}{segment}") - (segment == 1 ? At($"{side}Hand") : At($"{side}Hand{finger}{segment - 1}")));
                            Assert.True(segment == 1 || Vector3.Dot(before, got) > 0.9999f, $"frame {k}: {joint} is still bent ({got} after {before})");
                        }
                    }
                }
            }

            // The bent index shows on the tracked left hand every frame.
            Vector3 index1 = Vector3.Normalize(At("LeftHandIndex2") - At("LeftHandIndex1"));
            Vector3 index2 = Vector3.Normalize(At("LeftHandIndex3") - At("LeftHandIndex2"));
            Assert.True(Vector3.Dot(index1, index2) < 0.5f, $"frame {k}: the left index is not bent ({index1}, {index2})");
        }
    }

    [Fact]
    public void Bvh_EulerZxy_RecomposesToTheSameRotation()
    {
        var random = new Random(5);
        for (int i = 0; i < 200; i++)
        {
            var q = Quaternion.Normalize(new Quaternion((float)random.NextDouble() - 0.5f, (float)random.NextDouble() - 0.5f, (float)random.NextDouble() - 0.5f, (float)random.NextDouble() - 0.5f));
            Vector3 e = BvhSkeleton.ToEulerZxyDegrees(q) * (MathF.PI / 180f);
            Quaternion back = Quaternion.CreateFromAxisAngle(Vector3.UnitZ, e.Z) * Quaternion.CreateFromAxisAngle(Vector3.UnitX, e.X) * Quaternion.CreateFromAxisAngle(Vector3.UnitY, e.Y);
            Assert.True(MathF.Abs(Quaternion.Dot(q, back)) > 0.99999f, $"{q} → {e} → {back}");
        }
    }
}
