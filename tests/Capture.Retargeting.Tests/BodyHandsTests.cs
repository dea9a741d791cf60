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

        // The pose model puts the left hand's points in the forearm's line; the hand tracker sees the wrist bent 70° up.
        float forearm = Angle(p[BodyTopology.LeftElbow], p[BodyTopology.LeftWrist]);
        float bent = forearm - (70 * MathF.PI / 180);
        HandObservation left = Hand(Handedness.Left, p[BodyTopology.LeftWrist], bent);
        HandObservation right = new(Handedness.Right);
        pose.SetHands(left, right, Width, Height);
        retargeter.Update(pose, driven);

        // Each of the character's left-hand bones takes the tracked hand's direction of that bone.
        foreach (int tip in new[] { BodyTopology.LeftPinky, BodyTopology.LeftIndex, BodyTopology.LeftThumb })
        {
            float expected = Angle(pose.Points[BodyTopology.LeftWrist].AsVector2(), pose.Points[tip].AsVector2());
            float actual = Angle(driven.Joints[BodyTopology.LeftWrist], driven.Joints[tip]);
            Assert.True(AngleDifference(expected, actual) < 0.01f, $"{BodyTopology.Names[tip]}: {AngleDifference(expected, actual):F3}° off the tracked hand");
        }

        // The middle of the character's hand points ~70° off its forearm, where without the hand tracker it hangs in line.
        float handAngle(DrivenBody d) => Angle(d.Joints[BodyTopology.LeftWrist], (d.Joints[BodyTopology.LeftIndex] + d.Joints[BodyTopology.LeftPinky]) / 2);
        float characterForearm = Angle(driven.Joints[BodyTopology.LeftElbow], driven.Joints[BodyTopology.LeftWrist]);
        Assert.InRange(AngleDifference(handAngle(driven), characterForearm), 55, 85);

        var plain = new DrivenBody();
        new BodyRetargeter(Character(), new BodyRetargetOptions { EaseSeconds = 0 }).Update(PoseOf(p), plain);
        Assert.True(AngleDifference(handAngle(plain), characterForearm) < 20, $"without hands the hand is {AngleDifference(handAngle(plain), characterForearm):F1}° off the forearm");

        // The right hand (not tracked) keeps the pose's points.
        for (int i = BodyTopology.RightWrist; i <= BodyTopology.RightThumb; i += 2)
        {
            Assert.Equal(p[i], pose.Points[i].AsVector2());
            Assert.Equal(plain.Joints[i], driven.Joints[i]);
        }
    }

    [Fact]
    public void SetHands_MirroredSides_EachHandReplacesItsOwnSidesPoints()
    {
        Vector2[] p = Performer();
        BodyPose pose = PoseOf(p);
        // The performer's right hand is on the picture's left (x < 640), the left on the right.
        HandObservation left = Hand(Handedness.Left, p[BodyTopology.LeftWrist] + new Vector2(3, 2), MathF.PI / 2, z: -0.01f);
        HandObservation right = Hand(Handedness.Right, p[BodyTopology.RightWrist] + new Vector2(-3, 2), MathF.PI / 2);
        float leftWristDepth = pose.Points[BodyTopology.LeftWrist].Z = 5;
        pose.SetHands(left, right, Width, Height);

        for (int kind = 0; kind < 4; kind++)
        {
            int hp = HandTopology.PosePoints[kind];
            Assert.Equal(left.Pixel(hp, Width, Height), pose.Points[HandTopology.PoseBodyIndex(Handedness.Left, kind)].AsVector2());
            Assert.Equal(right.Pixel(hp, Width, Height), pose.Points[HandTopology.PoseBodyIndex(Handedness.Right, kind)].AsVector2());
            Assert.Equal(0.9f, pose.Confidence[HandTopology.PoseBodyIndex(Handedness.Left, kind)]);
        }

        Assert.True(pose.Points[BodyTopology.LeftWrist].X > 640 && pose.Points[BodyTopology.RightWrist].X < 640);
        // Depth: the wrist keeps the pose's, the knuckles 0.01 of the width (12.8 px) nearer.
        Assert.Equal(leftWristDepth, pose.Points[BodyTopology.LeftWrist].Z);
        Assert.Equal(leftWristDepth - 12.8f, pose.Points[BodyTopology.LeftIndex].Z, 3);
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
