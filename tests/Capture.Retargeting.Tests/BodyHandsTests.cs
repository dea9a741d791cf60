using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting.Body;
using Capture.Retargeting.Rigs;
using static Capture.Retargeting.Tests.SyntheticBody;

namespace Capture.Retargeting.Tests;

/// <summary>
/// The character's hands with the hand tracker (<see cref="BodyPose.SetHands"/>): the hand bones turn with the tracked
/// hand, not only with the forearm; without a hand the pose's own hand points drive them as before.
/// </summary>
public class BodyHandsTests
{
    private const int Width = 1280, Height = 720;

    // The performer in a 1280×720 frame and a character elsewhere in its own picture (as BodyRetargeterTests).
    private static Vector2[] Performer() => Standing(new Vector2(640, 400), 120);

    private static BodyRig Character() => Rig(400, 800, new Vector2(200, 420), 180);

    /// <summary>
    /// A tracked hand at <paramref name="wrist"/> (pixels) whose knuckles lie along <paramref name="radians"/> (the
    /// direction from the wrist to the middle knuckle, image axes), 40 px long, the thumb to one side; every point's z
    /// <paramref name="z"/> (normalized, relative to the wrist).
    /// </summary>
    private static HandObservation Hand(Handedness side, Vector2 wrist, float radians, float z = 0)
    {
        var hand = new HandObservation(side) { Present = true, Score = 0.9f, HandednessScore = 0.95f };
        var along = new Vector2(MathF.Cos(radians), MathF.Sin(radians));
        var across = new Vector2(-along.Y, along.X);
        Vector2 At(float a, float c) => wrist + (along * a) + (across * c);
        void Set(int i, Vector2 p, float depth) => hand.Landmarks[i] = new Vector3(p.X / Width, p.Y / Height, depth);
        for (int i = 0; i < TrackingFrame.HandLandmarkCount; i++)
        {
            Set(i, At(40, 0), z);
        }

        Set(HandTopology.Wrist, wrist, 0);
        Set(HandTopology.IndexMcp, At(38, 10), z);
        Set(HandTopology.MiddleMcp, At(40, 0), z);
        Set(HandTopology.PinkyMcp, At(32, -16), z);
        Set(HandTopology.ThumbMcp, At(16, 18), z);
        return hand;
    }

    private static BodyPose PoseOf(Vector2[] points)
    {
        var pose = new BodyPose();
        Pose(pose, points, 0);
        return pose;
    }

    [Fact]
    public void SetHands_WristBent_CharacterHandFollowsTheTrackedHandNotTheForearm()
    {
        Vector2[] p = Performer();
        BodyPose pose = PoseOf(p);
        var retargeter = new BodyRetargeter(Character(), new BodyRetargetOptions { EaseSeconds = 0 });
        var driven = new DrivenBody();

        // The pose model puts the left hand's points in the forearm's line; the hand tracker sees the wrist bent 70° up,
        // its wrist 5 px off the pose's.
        float forearm = Angle(p[BodyTopology.LeftElbow], p[BodyTopology.LeftWrist]);
        float bent = forearm - (70 * MathF.PI / 180);
        HandObservation left = Hand(Handedness.Left, p[BodyTopology.LeftWrist] + new Vector2(3, 4), bent);
        pose.SetHands(left, new HandObservation(Handedness.Right), Width, Height);

        // The pose's hand: at the hand model's wrist, pointing where the hand does, its fan's shape kept.
        Vector2 wrist = pose.Points[BodyTopology.LeftWrist].AsVector2();
        Assert.True(Vector2.Distance(left.Pixel(HandTopology.Wrist, Width, Height), wrist) < 1e-3f);
        Vector2 mid = (pose.Points[BodyTopology.LeftIndex].AsVector2() + pose.Points[BodyTopology.LeftPinky].AsVector2()) / 2;
        Assert.True(AngleDifference(bent, Angle(wrist, mid)) < 0.01f, $"hand direction {AngleDifference(bent, Angle(wrist, mid)):F3}° off");
        float turned = Angle(p[BodyTopology.LeftWrist], (p[BodyTopology.LeftIndex] + p[BodyTopology.LeftPinky]) / 2) - bent;
        foreach (int tip in new[] { BodyTopology.LeftPinky, BodyTopology.LeftIndex, BodyTopology.LeftThumb })
        {
            Assert.Equal(Vector2.Distance(p[BodyTopology.LeftWrist], p[tip]), Vector2.Distance(wrist, pose.Points[tip].AsVector2()), 3);
            Assert.True(AngleDifference(Angle(p[BodyTopology.LeftWrist], p[tip]) - turned, Angle(wrist, pose.Points[tip].AsVector2())) < 0.01f);
            Assert.Equal(0.9f, pose.Confidence[tip]);
        }

        // The character's left-hand bones take those directions, with its own lengths.
        retargeter.Update(pose, driven);
        foreach (int tip in new[] { BodyTopology.LeftPinky, BodyTopology.LeftIndex, BodyTopology.LeftThumb })
        {
            float expected = Angle(wrist, pose.Points[tip].AsVector2());
            float actual = Angle(driven.Joints[BodyTopology.LeftWrist], driven.Joints[tip]);
            Assert.True(AngleDifference(expected, actual) < 0.01f, $"{BodyTopology.Names[tip]}: {AngleDifference(expected, actual):F3}° off the tracked hand");
        }

        // The character's hand points ~70° off its forearm, where without the hand tracker it hangs nearly in line.
        static float HandAngle(DrivenBody d) => Angle(d.Joints[BodyTopology.LeftWrist], (d.Joints[BodyTopology.LeftIndex] + d.Joints[BodyTopology.LeftPinky]) / 2);
        float characterForearm = Angle(driven.Joints[BodyTopology.LeftElbow], driven.Joints[BodyTopology.LeftWrist]);
        Assert.InRange(AngleDifference(HandAngle(driven), characterForearm), 60, 80);

        var plain = new DrivenBody();
        new BodyRetargeter(Character(), new BodyRetargetOptions { EaseSeconds = 0 }).Update(PoseOf(p), plain);
        Assert.True(AngleDifference(HandAngle(plain), characterForearm) < 20, $"without hands the hand is {AngleDifference(HandAngle(plain), characterForearm):F1}° off the forearm");

        // The right hand (not tracked) keeps the pose's points.
        for (int i = BodyTopology.RightWrist; i <= BodyTopology.RightThumb; i += 2)
        {
            Assert.Equal(p[i], pose.Points[i].AsVector2());
            Assert.Equal(plain.Joints[i], driven.Joints[i]);
        }
    }

    [Fact]
    public void SetHands_MirroredSides_EachHandTurnsItsOwnSidesPoints()
    {
        Vector2[] p = Performer();
        BodyPose pose = PoseOf(p);
        pose.Points[BodyTopology.LeftIndex].Z = 7;
        // The performer's right hand is on the picture's left (x < 640), the left on the right; both point straight up.
        HandObservation left = Hand(Handedness.Left, p[BodyTopology.LeftWrist] + new Vector2(3, 2), -MathF.PI / 2);
        HandObservation right = Hand(Handedness.Right, p[BodyTopology.RightWrist] + new Vector2(-3, 2), -MathF.PI / 2);
        pose.SetHands(left, right, Width, Height);

        foreach (HandObservation hand in new[] { left, right })
        {
            Vector2 wrist = pose.Points[HandTopology.PoseBodyIndex(hand.Side, 0)].AsVector2();
            Assert.True(Vector2.Distance(hand.Pixel(HandTopology.Wrist, Width, Height), wrist) < 1e-3f, $"{hand.Side} wrist {wrist}");
            Vector2 mid = (pose.Points[HandTopology.PoseBodyIndex(hand.Side, 1)].AsVector2() + pose.Points[HandTopology.PoseBodyIndex(hand.Side, 2)].AsVector2()) / 2;
            Assert.True(AngleDifference(-MathF.PI / 2, Angle(wrist, mid)) < 0.01f, $"{hand.Side}: {AngleDifference(-MathF.PI / 2, Angle(wrist, mid)):F3}° off");
        }

        Assert.True(pose.Points[BodyTopology.LeftWrist].X > 640 && pose.Points[BodyTopology.RightWrist].X < 640);
        Assert.Equal(7, pose.Points[BodyTopology.LeftIndex].Z); // depth stays the pose's
        Assert.Equal(BodyTopology.LeftWrist, HandTopology.PoseBodyIndex(Handedness.Left, 0));
        Assert.Equal(BodyTopology.RightThumb, HandTopology.PoseBodyIndex(Handedness.Right, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => HandTopology.PoseBodyIndex(Handedness.Left, 4));
    }

    [Fact]
    public void SetHands_NoBody_ChangesNothing()
    {
        var pose = new BodyPose { Present = false };
        pose.SetHands(Hand(Handedness.Left, new Vector2(100, 100), 0), Hand(Handedness.Right, new Vector2(200, 100), 0), Width, Height);
        Assert.All(pose.Points, q => Assert.Equal(Vector3.Zero, q));
        Assert.All(pose.Confidence, c => Assert.Equal(0, c));
        Assert.Throws<ArgumentNullException>(() => pose.SetHands(null!, new HandObservation(Handedness.Right), Width, Height));
    }
}
