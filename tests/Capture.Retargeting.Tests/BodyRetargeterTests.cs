using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting.Body;
using Capture.Retargeting.Rigs;
using static Capture.Retargeting.Tests.SyntheticBody;

namespace Capture.Retargeting.Tests;

/// <summary>The body retargeter on synthetic skeletons: lengths kept, rotations reproduced, root motion, what is not seen.</summary>
public class BodyRetargeterTests
{
    private const long Frame = 33_333;

    // The character: a figure with a longer torso than the performer's, elsewhere in its own picture.
    private static BodyRig Character() => Rig(400, 800, new Vector2(200, 420), 180);

    // The performer in a 1280×720 camera frame.
    private static Vector2[] Performer() => Standing(new Vector2(640, 400), 120);

    [Fact]
    public void Update_RaisedArm_CharacterTakesTheDirectionWithItsOwnLengths()
    {
        BodyRig rig = Character();
        var retargeter = new BodyRetargeter(rig, new BodyRetargetOptions { EaseSeconds = 0 });
        var pose = new BodyPose();
        var driven = new DrivenBody();
        Vector2[] p = Performer();
        Pose(pose, p, 0);
        retargeter.Update(pose, driven);

        // The left arm raised by 100° at the shoulder and the forearm bent a further 40° at the elbow.
        Rotate(p, BodyTopology.LeftShoulder, -100 * MathF.PI / 180, BodyTopology.LeftElbow, BodyTopology.LeftWrist, BodyTopology.LeftPinky, BodyTopology.LeftIndex, BodyTopology.LeftThumb);
        Rotate(p, BodyTopology.LeftElbow, -40 * MathF.PI / 180, BodyTopology.LeftWrist, BodyTopology.LeftPinky, BodyTopology.LeftIndex, BodyTopology.LeftThumb);
        Pose(pose, p, Frame);
        retargeter.Update(pose, driven);

        foreach ((int from, int to) in BodySkeleton.LimbBones)
        {
            float expected = Angle(p[from], p[to]);
            float actual = Angle(driven.Joints[from], driven.Joints[to]);
            Assert.True(AngleDifference(expected, actual) < 0.01f, $"{BodyTopology.Names[from]} → {BodyTopology.Names[to]}: {AngleDifference(expected, actual):F3}°");
            Assert.Equal(rig.Length(from, to), Vector2.Distance(driven.Joints[from], driven.Joints[to]), 2);
        }

        foreach (BodySkeleton.Bone bone in BodySkeleton.Bones)
        {
            if (bone.From >= 0)
            {
                Assert.Equal(rig.Length(bone.From, bone.To), Vector2.Distance(driven.Joints[bone.From], driven.Joints[bone.To]), 2);
            }
        }

        // The hand turns with the forearm: the raised hand is above the shoulder.
        Assert.True(driven.Joints[BodyTopology.LeftWrist].Y < driven.Joints[BodyTopology.LeftShoulder].Y);
        Assert.True(driven.Joints[BodyTopology.LeftIndex].Y < driven.Joints[BodyTopology.LeftWrist].Y);
    }

    [Fact]
    public void Update_StepSidewaysAndCrouch_RootMovesByTheCharactersTorsoAndFeetStayOnTheFloor()
    {
        BodyRig rig = Character();
        var retargeter = new BodyRetargeter(rig, new BodyRetargetOptions { EaseSeconds = 0, CalibrationSeconds = 0 });
        var pose = new BodyPose();
        var driven = new DrivenBody();
        Pose(pose, Performer(), 0);
        retargeter.Update(pose, driven);
        Assert.True(retargeter.Calibrated);
        float floor = MathF.Max(rig.Joint(BodyTopology.LeftHeel).Y, rig.Joint(BodyTopology.RightHeel).Y);

        // A step of half a torso to the image's right: the character moves half of its own torso (180 px).
        Vector2[] step = Performer().Select(q => q + new Vector2(60, 0)).ToArray();
        Pose(pose, step, Frame);
        retargeter.Update(pose, driven);
        Assert.Equal(rig.Root.X + 90, driven.Root.X, 1);
        Assert.Equal(rig.Root.Y, driven.Root.Y, 1);

        // A crouch: knees forward and out, the hips lowered; the feet stay where they were.
        Vector2[] crouch = Performer();
        for (int side = 0; side < 2; side++)
        {
            int hip = side == 0 ? BodyTopology.LeftHip : BodyTopology.RightHip;
            int knee = side == 0 ? BodyTopology.LeftKnee : BodyTopology.RightKnee;
            int ankle = side == 0 ? BodyTopology.LeftAnkle : BodyTopology.RightAnkle;
            float sign = side == 0 ? 1 : -1;
            float thigh = Vector2.Distance(crouch[hip], crouch[knee]);
            crouch[knee] = crouch[ankle] + (new Vector2(0.6f * sign, -0.8f) * thigh);
            crouch[hip] = crouch[knee] + (new Vector2(-0.6f * sign, -0.8f) * thigh);
        }

        float drop = crouch[BodyTopology.LeftHip].Y - Performer()[BodyTopology.LeftHip].Y;
        for (int i = 0; i <= BodyTopology.RightThumb; i++)
        {
            crouch[i] += new Vector2(0, drop);
        }

        Pose(pose, crouch, 2 * Frame);
        retargeter.Update(pose, driven);
        float drivenFloor = MathF.Max(driven.Joints[BodyTopology.LeftHeel].Y, driven.Joints[BodyTopology.RightHeel].Y);
        Assert.Equal(floor, drivenFloor, 1);
        Assert.True(driven.Root.Y > rig.Root.Y + 30, $"the crouch lowered the hips by {driven.Root.Y - rig.Root.Y:F1} px");

        // A jump: the whole performer 0.2 torso up; the character's feet leave its floor by 0.2 of its torso.
        Vector2[] jump = Performer().Select(q => q - new Vector2(0, 24)).ToArray();
        Pose(pose, jump, 3 * Frame);
        retargeter.Update(pose, driven);
        drivenFloor = MathF.Max(driven.Joints[BodyTopology.LeftHeel].Y, driven.Joints[BodyTopology.RightHeel].Y);
        Assert.Equal(floor - 36, drivenFloor, 1);
    }

    [Fact]
    public void Update_LegsLeaveTheFrame_LegsEaseToRestAndTheHipsStillMove()
    {
        BodyRig rig = Character();
        var retargeter = new BodyRetargeter(rig, new BodyRetargetOptions { EaseSeconds = 0.3f, CalibrationSeconds = 0 });
        var pose = new BodyPose();
        var driven = new DrivenBody();
        Vector2[] p = Performer();
        Pose(pose, p, 0);
        retargeter.Update(pose, driven);

        // The performer's legs spread, then leave the frame (seen at 0.1 confidence).
        Rotate(p, BodyTopology.LeftHip, -0.5f, BodyTopology.LeftKnee, BodyTopology.LeftAnkle, BodyTopology.LeftHeel, BodyTopology.LeftFootIndex);
        for (int t = 1; t <= 15; t++)
        {
            Pose(pose, p, t * Frame);
            retargeter.Update(pose, driven);
        }

        float spread = Angle(driven.Joints[BodyTopology.LeftHip], driven.Joints[BodyTopology.LeftKnee]);
        Assert.True(AngleDifference(spread, Angle(p[BodyTopology.LeftHip], p[BodyTopology.LeftKnee])) < 0.5f);
        float previous = 0;
        for (int t = 16; t <= 40; t++)
        {
            Vector2[] low = p.Select(q => q + new Vector2(0, 30)).ToArray();
            Pose(pose, low, t * Frame);
            for (int i = BodyTopology.LeftKnee; i < pose.Confidence.Length; i++)
            {
                pose.Confidence[i] = 0.1f;
            }

            retargeter.Update(pose, driven);
            float away = AngleDifference(Angle(driven.Joints[BodyTopology.LeftHip], driven.Joints[BodyTopology.LeftKnee]), Angle(rig.Joint(BodyTopology.LeftHip), rig.Joint(BodyTopology.LeftKnee)));
            Assert.True(t == 16 || away <= previous + 1e-3f, "the leg eases back monotonically, no jump");
            previous = away;
        }

        Assert.True(previous < 0.01f, $"the leg is back at rest ({previous:F3}° off)");

        // The hips' own vertical shift (30 px of a 120 px torso) moves the character by 30/120 of its torso.
        Assert.Equal(rig.Root.Y + 45, driven.Root.Y, 1);
    }

    [Fact]
    public void Update_BodyLost_EasesToRestWithoutJumps()
    {
        BodyRig rig = Character();
        var retargeter = new BodyRetargeter(rig);
        var pose = new BodyPose();
        var driven = new DrivenBody();
        Vector2[] p = Performer();
        Rotate(p, BodyTopology.RightShoulder, 1.2f, BodyTopology.RightElbow, BodyTopology.RightWrist);
        for (int t = 0; t < 20; t++)
        {
            Pose(pose, p, t * Frame);
            retargeter.Update(pose, driven);
        }

        Assert.Equal(1, driven.Presence, 3);
        Vector2 before = driven.Joints[BodyTopology.RightWrist];
        float travel = Vector2.Distance(before, rig.Joint(BodyTopology.RightWrist));
        pose.Present = false;
        float largest = 0;
        for (int t = 20; t < 40; t++)
        {
            pose.TimestampUs = t * Frame;
            retargeter.Update(pose, driven);
            largest = MathF.Max(largest, Vector2.Distance(before, driven.Joints[BodyTopology.RightWrist]));
            before = driven.Joints[BodyTopology.RightWrist];
        }

        Assert.Equal(0, driven.Presence, 3);
        Assert.Equal(rig.Joint(BodyTopology.RightWrist).X, driven.Joints[BodyTopology.RightWrist].X, 2);
        // Over 0.3 s (9 frames) the wrist travels its whole way back: no frame takes more than a quarter of it.
        Assert.True(largest < 0.25f * travel, $"largest step {largest:F1} px of {travel:F1}");
    }

    [Fact]
    public void Update_HalfBodyCharacter_LeansWithTheShouldersAndNeverPlacesWhatIsNotThere()
    {
        // A portrait: shoulders, elbows and head in the picture, hips and legs below it.
        Vector2[] joints = Standing(new Vector2(250, 560), 300);
        var known = new bool[joints.Length];
        for (int i = 0; i <= BodyTopology.RightElbow; i++)
        {
            known[i] = true;
        }

        BodyRig rig = BodyRig.Create("portrait", joints, known, 500, 500, "test");
        Assert.False(rig.HasHips);
        var retargeter = new BodyRetargeter(rig, new BodyRetargetOptions { EaseSeconds = 0, CalibrationSeconds = 0 });
        var pose = new BodyPose();
        var driven = new DrivenBody();

        // A webcam performer: hips and legs not seen; they lean to the image's left (shoulder line tilted 10°).
        Vector2[] p = Performer();
        Pose(pose, p, 0);
        for (int i = BodyTopology.LeftWrist; i < pose.Confidence.Length; i++)
        {
            pose.Confidence[i] = 0.05f;
        }

        retargeter.Update(pose, driven);
        Vector2 neck = (p[BodyTopology.LeftShoulder] + p[BodyTopology.RightShoulder]) * 0.5f;
        Rotate(p, BodyTopology.LeftShoulder, 0, []);
        var tilt = Matrix3x2.CreateRotation(-10 * MathF.PI / 180, neck);
        for (int i = 0; i <= BodyTopology.RightElbow; i++)
        {
            p[i] = Vector2.Transform(p[i], tilt);
        }

        Pose(pose, p, Frame);
        for (int i = BodyTopology.LeftWrist; i < pose.Confidence.Length; i++)
        {
            pose.Confidence[i] = 0.05f;
        }

        retargeter.Update(pose, driven);
        float line = Angle(driven.Joints[BodyTopology.RightShoulder], driven.Joints[BodyTopology.LeftShoulder]);
        Assert.True(AngleDifference(line, -10 * MathF.PI / 180) < 0.5f, $"shoulder line {line * 180 / MathF.PI:F1}°");
        Assert.True(driven.Neck.X < rig.Neck.X - 20, "the neck moves to the image's left as the torso leans");
        for (int i = BodyTopology.LeftWrist; i < joints.Length; i++)
        {
            Assert.Equal(rig.Joint(i), driven.Joints[i]);
        }
    }

    [Fact]
    public void Update_ArmAcrossTheChest_DepthIsThePerformers()
    {
        BodyRig rig = Character();
        var retargeter = new BodyRetargeter(rig);
        var pose = new BodyPose();
        var driven = new DrivenBody();
        var depth = new float[TrackingFrame.BodyLandmarkCount];
        depth[BodyTopology.LeftWrist] = -40;
        depth[BodyTopology.LeftElbow] = -20;
        Pose(pose, Performer(), 0, depth);
        retargeter.Update(pose, driven);
        Assert.True(driven.Depth[BodyTopology.LeftWrist] < driven.Depth[BodyTopology.LeftShoulder]);
        Assert.True(driven.Depth[BodyTopology.LeftWrist] < driven.Depth[BodyTopology.RightWrist]);
    }

    [Fact]
    public void Update_ManyFrames_AllocatesNothing()
    {
        var retargeter = new BodyRetargeter(Character());
        var pose = new BodyPose();
        var driven = new DrivenBody();
        Vector2[] p = Performer();
        for (int t = 0; t < 5; t++)
        {
            Pose(pose, p, t * Frame);
            retargeter.Update(pose, driven);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 5; t < 50; t++)
        {
            pose.TimestampUs = t * Frame;
            pose.Present = t % 7 != 0;
            retargeter.Update(pose, driven);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData("missing", "right_shoulder is missing")]
    [InlineData("crossed", "hips are crossed against the shoulders")]
    [InlineData("coincident", "left_elbow sits on left_shoulder")]
    [InlineData("orphan", "left_wrist is given but left_elbow")]
    [InlineData("outside", "lies outside the 400x800 picture")]
    [InlineData("one hip", "only one hip is given")]
    public void Create_BadJoints_NamesTheProblem(string problem, string message)
    {
        Vector2[] joints = Standing(new Vector2(200, 420), 180);
        bool[] known = Enumerable.Repeat(true, joints.Length).ToArray();
        switch (problem)
        {
            case "missing":
                known[BodyTopology.RightShoulder] = false;
                break;
            case "crossed":
                (joints[BodyTopology.LeftHip], joints[BodyTopology.RightHip]) = (joints[BodyTopology.RightHip], joints[BodyTopology.LeftHip]);
                break;
            case "coincident":
                joints[BodyTopology.LeftElbow] = joints[BodyTopology.LeftShoulder] + new Vector2(0.5f, 0);
                break;
            case "orphan":
                known[BodyTopology.LeftElbow] = false;
                break;
            case "outside":
                joints[BodyTopology.RightAnkle] = new Vector2(120, 900);
                break;
            case "one hip":
                known[BodyTopology.LeftHip] = false;
                known[BodyTopology.LeftKnee] = known[BodyTopology.LeftAnkle] = known[BodyTopology.LeftHeel] = known[BodyTopology.LeftFootIndex] = false;
                break;
        }

        var error = Assert.Throws<InvalidDataException>(() => BodyRig.Create("drawing.png", joints, known, 400, 800, "test"));
        Assert.StartsWith("drawing.png: ", error.Message);
        Assert.Contains(message, error.Message);
    }
}
