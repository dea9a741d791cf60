using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Text.Json.Nodes;
using Capture.Core.Tracking;
using Capture.Protocol.Export;

namespace Capture.Protocol.Tests;

public sealed class EyeRotationTests
{
    private const float K = EyeRotation.FullScaleRadians;

    private static float[] Shapes(params (ArkitBlendshape Shape, float Value)[] set)
    {
        var s = new float[ArkitBlendshapes.Count];
        foreach (var (shape, value) in set)
        {
            s[(int)shape] = value;
        }

        return s;
    }

    private static TrackingFrame IrisFrame(long sequence, params (ArkitBlendshape Shape, float Value)[] eyes)
    {
        TrackingFrame f = TestFrames.Make(sequence);
        f.Face.HasIris = true;
        ReadOnlySpan<ArkitBlendshape> look =
        [
            ArkitBlendshape.EyeLookInLeft, ArkitBlendshape.EyeLookOutLeft, ArkitBlendshape.EyeLookUpLeft, ArkitBlendshape.EyeLookDownLeft,
            ArkitBlendshape.EyeLookInRight, ArkitBlendshape.EyeLookOutRight, ArkitBlendshape.EyeLookUpRight, ArkitBlendshape.EyeLookDownRight,
        ];
        foreach (ArkitBlendshape b in look)
        {
            f.Face.Blendshapes[(int)b] = 0;
        }

        foreach (var (shape, value) in eyes)
        {
            f.Face.Blendshapes[(int)shape] = value;
        }

        return f;
    }

    [Fact]
    public void FullScale_ThirtyFiveDegreesInRadians()
    {
        Assert.Equal(35 * Math.PI / 180, EyeRotation.FullScaleRadians, 6);
    }

    [Fact]
    public void FromBlendshapes_LookToSubjectsLeft_BothYawsPositivePitchZero()
    {
        // Looking to one's own left: the left eye turns out, the right eye turns in.
        EyeAngles e = EyeRotation.FromBlendshapes(Shapes((ArkitBlendshape.EyeLookOutLeft, 0.5f), (ArkitBlendshape.EyeLookInRight, 0.5f)));
        Assert.Equal(0.5f * K, e.LeftYaw, 6);
        Assert.Equal(0.5f * K, e.RightYaw, 6);
        Assert.Equal(0f, e.LeftPitch);
        Assert.Equal(0f, e.RightPitch);
    }

    [Fact]
    public void FromBlendshapes_LookToSubjectsRight_BothYawsNegative()
    {
        EyeAngles e = EyeRotation.FromBlendshapes(Shapes((ArkitBlendshape.EyeLookInLeft, 1f), (ArkitBlendshape.EyeLookOutRight, 0.25f)));
        Assert.Equal(-K, e.LeftYaw, 6);
        Assert.Equal(-0.25f * K, e.RightYaw, 6);
    }

    [Fact]
    public void FromBlendshapes_InAndOutTogether_Cancel()
    {
        EyeAngles e = EyeRotation.FromBlendshapes(Shapes(
            (ArkitBlendshape.EyeLookInLeft, 0.3f), (ArkitBlendshape.EyeLookOutLeft, 0.3f), (ArkitBlendshape.EyeLookInRight, 0.2f), (ArkitBlendshape.EyeLookOutRight, 0.7f)));
        Assert.Equal(0f, e.LeftYaw, 6);
        Assert.Equal(-0.5f * K, e.RightYaw, 6);
    }

    [Fact]
    public void FromBlendshapes_DownPositiveUpNegative_PerEye()
    {
        EyeAngles e = EyeRotation.FromBlendshapes(Shapes((ArkitBlendshape.EyeLookDownLeft, 1f), (ArkitBlendshape.EyeLookUpRight, 0.4f)));
        Assert.Equal(K, e.LeftPitch, 6);
        Assert.Equal(-0.4f * K, e.RightPitch, 6);
        Assert.Equal(0f, e.LeftYaw);
        Assert.Equal(0f, e.RightYaw);
    }

    [Fact]
    public void FromBlendshapes_OtherShapes_Ignored()
    {
        float[] s = new float[ArkitBlendshapes.Count];
        Array.Fill(s, 0.9f);
        Assert.Equal(EyeAngles.Zero, EyeRotation.FromBlendshapes(s));
    }

    [Fact]
    public void FromBlendshapes_TooFewValues_Throws()
    {
        Assert.Throws<ArgumentException>(() => EyeRotation.FromBlendshapes(new float[51]));
    }

    [Fact]
    public void FromFace_NoIrisOrNoFace_Zero()
    {
        TrackingFrame f = IrisFrame(1, (ArkitBlendshape.EyeLookOutLeft, 1f), (ArkitBlendshape.EyeLookDownRight, 1f));
        Assert.NotEqual(EyeAngles.Zero, EyeRotation.FromFace(f.Face));
        f.Face.HasIris = false;
        Assert.Equal(EyeAngles.Zero, EyeRotation.FromFace(f.Face));
        f.Face.HasIris = true;
        f.Face.Present = false;
        Assert.Equal(EyeAngles.Zero, EyeRotation.FromFace(f.Face));
    }

    [Fact]
    public void Mirrored_SwapsEyesAndNegatesYaw()
    {
        var e = new EyeAngles(0.1f, 0.2f, 0.3f, 0.4f);
        Assert.Equal(new EyeAngles(-0.3f, 0.4f, -0.1f, 0.2f), e.Mirrored());
        Assert.Equal(e, e.Mirrored().Mirrored());
    }

    private static Dictionary<string, float> CsvRow(TrackingFrame frame)
    {
        var text = new StringWriter();
        new LiveLinkFaceCsvWriter(text).Write(frame);
        string[] lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] names = lines[0].Split(',');
        string[] values = lines[1].Split(',');
        Assert.Equal(names.Length, values.Length);
        return names.Skip(2).Zip(values.Skip(2)).ToDictionary(p => p.First, p => float.Parse(p.Second, CultureInfo.InvariantCulture));
    }

    [Fact]
    public void LiveLinkCsv_RowOfTheAppsOwnCsv_EyeColumnsReproduced()
    {
        // EyeLook* and eye columns of one row of a Live Link Face CSV recorded on an iPhone (head columns off there):
        // EyeLookDownLeft .2802, EyeLookInLeft .0557, EyeLookDownRight .2803, EyeLookInRight .0519 →
        // LeftEyeYaw −.0313, LeftEyePitch .1713, RightEyeYaw .0335, RightEyePitch .1713, rolls −.0054 / .0058.
        TrackingFrame f = IrisFrame(4,
            (ArkitBlendshape.EyeLookDownLeft, 0.2802173f), (ArkitBlendshape.EyeLookInLeft, 0.0557254f),
            (ArkitBlendshape.EyeLookDownRight, 0.2802539f), (ArkitBlendshape.EyeLookInRight, 0.0519393f));
        Dictionary<string, float> row = CsvRow(f);
        Assert.Equal(0.1712819f, row["LeftEyePitch"], 0.002f);
        Assert.Equal(0.1712723f, row["RightEyePitch"], 0.002f);
        Assert.Equal(-0.0312640f, row["LeftEyeYaw"], 0.001f);
        Assert.Equal(0.0335431f, row["RightEyeYaw"], 0.001f);
        Assert.Equal(0f, row["LeftEyeRoll"]);
        Assert.Equal(0f, row["RightEyeRoll"]);
    }

    [Fact]
    public void LiveLinkCsv_IrisFrame_EyeColumnsAreTheMirroredHelperAngles()
    {
        TrackingFrame f = IrisFrame(5,
            (ArkitBlendshape.EyeLookOutLeft, 0.6f), (ArkitBlendshape.EyeLookInRight, 0.5f),
            (ArkitBlendshape.EyeLookUpLeft, 0.2f), (ArkitBlendshape.EyeLookDownRight, 0.1f));
        Dictionary<string, float> row = CsvRow(f);
        EyeAngles e = EyeRotation.FromFace(f.Face);
        Assert.True(e.LeftYaw > 0 && e.RightYaw > 0, $"{e}");
        Assert.Equal(-e.RightYaw, row["LeftEyeYaw"], 6);
        Assert.Equal(e.RightPitch, row["LeftEyePitch"], 6);
        Assert.Equal(-e.LeftYaw, row["RightEyeYaw"], 6);
        Assert.Equal(e.LeftPitch, row["RightEyePitch"], 6);
        Assert.Equal(0.6f, row["EyeLookOutLeft"], 6);
    }

    [Fact]
    public void LiveLinkCsv_FaceWithoutIris_EyeColumnsZero()
    {
        TrackingFrame f = IrisFrame(6, (ArkitBlendshape.EyeLookOutLeft, 0.6f), (ArkitBlendshape.EyeLookDownRight, 0.4f));
        f.Face.HasIris = false;
        Dictionary<string, float> row = CsvRow(f);
        Assert.Equal(0.6f, row["EyeLookOutLeft"], 6);
        foreach (string c in LiveLinkFaceCsvWriter.RotationColumns.Skip(3))
        {
            Assert.Equal(0f, row[c]);
        }

        Assert.NotEqual(0f, row["HeadYaw"]);
    }

    [Fact]
    public void EyeBoneRotation_TurnsUnityForwardTheWayTheEyeLooks()
    {
        // Unity humanoid, avatar facing +Z: its left is −X, down is −Y.
        Vector3 left = Vector3.Transform(Vector3.UnitZ, VmcSender.EyeBoneRotation(0.4f, 0));
        Assert.True(left.X < -0.38f && MathF.Abs(left.Y) < 1e-6f, $"{left}");
        Vector3 down = Vector3.Transform(Vector3.UnitZ, VmcSender.EyeBoneRotation(0, 0.3f));
        Assert.True(down.Y < -0.29f && MathF.Abs(down.X) < 1e-6f, $"{down}");
        Assert.Equal(Quaternion.Identity, VmcSender.EyeBoneRotation(0, 0));

        // Unity's Euler (x = pitch, y = −yaw): q = AngleAxis(y, up) · AngleAxis(x, right).
        Quaternion expected = Quaternion.CreateFromAxisAngle(Vector3.UnitY, -0.25f) * Quaternion.CreateFromAxisAngle(Vector3.UnitX, 0.15f);
        Quaternion got = VmcSender.EyeBoneRotation(0.25f, 0.15f);
        Assert.True(MathF.Abs(Quaternion.Dot(expected, got)) > 0.999999f, $"{got} vs {expected}");
        Assert.Equal(1f, got.Length(), 5);
    }

    [Fact]
    public async Task Vmc_IrisFrameThenPlainFrame_EyeBonesParsedByOscJsOnlyForIris()
    {
        (Process listener, int port, Task<string> rest, Task<string> stderr) = await NodeInterop.StartVmcListenerAsync(2);
        using Process node = listener;

        // Looking to the subject's left and a little down.
        TrackingFrame iris = IrisFrame(7,
            (ArkitBlendshape.EyeLookOutLeft, 0.8f), (ArkitBlendshape.EyeLookInRight, 0.7f),
            (ArkitBlendshape.EyeLookDownLeft, 0.3f), (ArkitBlendshape.EyeLookDownRight, 0.2f));
        TrackingFrame plain = TestFrames.Make(8);
        using (var sender = new VmcSender(new IPEndPoint(IPAddress.Loopback, port)))
        {
            sender.Send(iris, 2f);
            sender.Send(plain, 2.5f);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await node.WaitForExitAsync(timeout.Token);
        Assert.True(node.ExitCode == 0, $"node exited {node.ExitCode}: {await stderr}");
        var messages = (await rest).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(4 + 2 + 52 + 1 + 4 + 52 + 1, messages.Count);

        List<JsonNode> bones = messages.Where(m => (string)m["address"]! == "/VMC/Ext/Bone/Pos").ToList();
        Assert.Equal(["Head", "LeftEye", "RightEye", "Head"], bones.Select(b => (string)b["args"]![0]!));
        Assert.Equal("/VMC/Ext/Bone/Pos", (string)messages[4]["address"]!);
        Assert.Equal("LeftEye", (string)messages[4]["args"]![0]!);
        Assert.Equal("/VMC/Ext/Blend/Val", (string)messages[6]["address"]!);
        Assert.Equal("/VMC/Ext/Blend/Apply", (string)messages[58]["address"]!);

        EyeAngles e = EyeRotation.FromFace(iris.Face);
        foreach (var (bone, yaw, pitch) in new[] { (bones[1], e.LeftYaw, e.LeftPitch), (bones[2], e.RightYaw, e.RightPitch) })
        {
            JsonArray args = bone["args"]!.AsArray();
            Assert.Equal(8, args.Count);
            for (int i = 1; i <= 3; i++)
            {
                Assert.Equal(0.0, (double)args[i]!);
            }

            var q = new Quaternion((float)args[4]!, (float)args[5]!, (float)args[6]!, (float)args[7]!);
            Assert.Equal(VmcSender.EyeBoneRotation(yaw, pitch), q);
            Vector3 gaze = Vector3.Transform(Vector3.UnitZ, q);
            Assert.True(gaze.X < -0.3f && gaze.Y < -0.05f, $"{(string)args[0]!} looks along {gaze}: expected the avatar's left (−X) and down (−Y)");
        }
    }

    [Fact]
    public void Vmc_Encode_IrisFrame_AllocatesNothingAndAddsTwoBones()
    {
        TrackingFrame plain = TestFrames.Make(1);
        TrackingFrame iris = IrisFrame(1, (ArkitBlendshape.EyeLookUpLeft, 0.5f));
        using var sender = new VmcSender(new IPEndPoint(IPAddress.Loopback, NodeInterop.FreeUdpPort()));
        int plainSize = sender.Encode(plain, 0).Length;
        sender.Encode(iris, 0);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            sender.Encode(iris, i);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        // Each eye bone: size 4 + "/VMC/Ext/Bone/Pos" 20 + ",sfffffff" 12 + name 8 (LeftEye) or 12 (RightEye) + 7 floats 28.
        Assert.Equal(plainSize + (4 + 20 + 12 + 8 + 28) + (4 + 20 + 12 + 12 + 28), sender.LastBundleSize);
    }
}
