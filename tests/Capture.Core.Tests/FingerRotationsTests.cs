using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Core.Tests;

public class FingerRotationsTests
{
    /// <summary>
    /// A hand held up facing the camera (camera axes: x right, y down, z away), fingers straight up (−y), its palm
    /// toward the camera (−z); the performer's right hand has its thumb on the image's right, the left on the left.
    /// With <paramref name="curlIndex"/> the index bends 90° toward the palm at its middle joint.
    /// </summary>
    internal static Vector3[] UprightHand(Handedness side, bool curlIndex = false)
    {
        float s = side == Handedness.Right ? 1 : -1;
        var p = new Vector3[21];
        p[HandTopology.Wrist] = Vector3.Zero;
        p[HandTopology.ThumbCmc] = new Vector3(s * 0.03f, -0.02f, 0);
        p[HandTopology.ThumbMcp] = new Vector3(s * 0.05f, -0.04f, 0);
        p[HandTopology.ThumbIp] = new Vector3(s * 0.07f, -0.06f, 0);
        p[HandTopology.ThumbTip] = new Vector3(s * 0.09f, -0.08f, 0);
        float[] across = [0.02f, 0f, -0.02f, -0.04f];
        for (int finger = 1; finger < 5; finger++)
        {
            ReadOnlySpan<int> chain = HandTopology.Finger(finger);
            float x = s * across[finger - 1];
            p[chain[0]] = new Vector3(x, -0.09f, 0);
            p[chain[1]] = new Vector3(x, -0.13f, 0);
            p[chain[2]] = new Vector3(x, -0.16f, 0);
            p[chain[3]] = new Vector3(x, -0.18f, 0);
        }

        if (curlIndex)
        {
            p[HandTopology.IndexDip] = p[HandTopology.IndexPip] + new Vector3(0, 0, -0.03f);
            p[HandTopology.IndexTip] = p[HandTopology.IndexPip] + new Vector3(0, 0, -0.05f);
        }

        return p;
    }

    private static void AssertRotation(Quaternion expected, Quaternion actual, string what)
    {
        // q and −q are the same rotation.
        float dot = MathF.Abs(Quaternion.Dot(expected, actual));
        Assert.True(dot > 0.9999f, $"{what}: {actual} vs {expected}");
    }

    [Theory]
    [InlineData(Handedness.Left)]
    [InlineData(Handedness.Right)]
    public void Solve_OpenHand_FingersAtRest(Handedness side)
    {
        var q = new Quaternion[FingerRotations.BoneCount];
        FingerRotations.Solve(UprightHand(side), side, q);

        for (int b = 3; b < FingerRotations.BoneCount; b++)
        {
            AssertRotation(Quaternion.Identity, q[b], $"bone {b}");
        }

        // The thumb points 45° between the fingers and its own side: the rest direction of a humanoid's thumb.
        AssertRotation(Quaternion.Identity, q[0], "thumb proximal");
    }

    [Theory]
    [InlineData(Handedness.Left, 1f)]
    [InlineData(Handedness.Right, -1f)]
    public void Solve_IndexBentTowardPalm_IntermediateTurns90DegreesAboutTheAvatarsForwardAxis(Handedness side, float sign)
    {
        var q = new Quaternion[FingerRotations.BoneCount];
        FingerRotations.Solve(UprightHand(side, curlIndex: true), side, q);

        // Unity: the left hand's fingers point −X, the right's +X, palms down (−Y); bending toward the palm turns
        // the left's about +Z and the right's about −Z. The proximal bone stays, the distal follows its parent.
        AssertRotation(Quaternion.Identity, q[3], "index proximal");
        AssertRotation(Quaternion.CreateFromAxisAngle(Vector3.UnitZ, sign * MathF.PI / 2), q[4], "index intermediate");
        AssertRotation(Quaternion.Identity, q[5], "index distal");
        AssertRotation(Quaternion.Identity, q[7], "middle intermediate");
    }

    [Fact]
    public void Solve_WholeHandTurned_SameFingerRotations()
    {
        var upright = new Quaternion[FingerRotations.BoneCount];
        var turned = new Quaternion[FingerRotations.BoneCount];
        Vector3[] hand = UprightHand(Handedness.Right, curlIndex: true);
        var turn = Quaternion.CreateFromYawPitchRoll(0.7f, -0.4f, 1.1f);

        FingerRotations.Solve(hand, Handedness.Right, upright);
        FingerRotations.Solve([.. hand.Select(p => Vector3.Transform(p, turn) + new Vector3(0.2f, 0.1f, 0.5f))], Handedness.Right, turned);

        for (int b = 0; b < FingerRotations.BoneCount; b++)
        {
            AssertRotation(upright[b], turned[b], $"bone {b}");
        }
    }

    [Fact]
    public void Solve_AllPointsTogether_IdentityNotNaN()
    {
        var q = new Quaternion[FingerRotations.BoneCount];
        FingerRotations.Solve(new Vector3[21], Handedness.Left, q);

        Assert.All(q, r => Assert.Equal(Quaternion.Identity, r));
    }

    [Fact]
    public void HandFade_LostThenBack_EasesOverThreeTenthsOfASecond()
    {
        var fade = new HandFade();

        Assert.Equal(0, fade.Update(false, 0));
        Assert.False(fade.EverSeen);
        Assert.Equal(1, fade.Update(true, 33_333));
        Assert.Equal(1 - (0.1f / 0.3f), fade.Update(false, 133_333), 4);
        Assert.Equal(1 - (0.2f / 0.3f), fade.Update(false, 233_333), 4);
        Assert.Equal(0, fade.Update(false, 433_333));
        Assert.Equal(0.1f / 0.3f, fade.Update(true, 533_333), 4);
        Assert.True(fade.EverSeen);
    }
}
