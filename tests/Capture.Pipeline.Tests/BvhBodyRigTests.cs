using System.Numerics;
using Capture.Core.Tracking;
using Capture.Pipeline.Motion;
using Capture.Retargeting.Body;
using Capture.Retargeting.Rigs;
using Capture.Retargeting.Tests;
using Capture.Testing;

namespace Capture.Pipeline.Tests;

/// <summary>
/// A shared BVH take drives a body rig in isolation (the render's body path is not wired yet): the BVH
/// driver's frames → <see cref="BodyPose"/> → <see cref="BodyRetargeter"/> on a full-body rig.
/// </summary>
public sealed class BvhBodyRigTests
{
    [Fact]
    public async Task WaveHello_DrivesAFullBodyRig_BoneDirectionsOfTheTakeWithTheCharactersLengths()
    {
        BodyRig rig = SyntheticBody.Rig(720, 1280, new Vector2(360, 700), 250);
        var retargeter = new BodyRetargeter(rig);
        var pose = new BodyPose();
        var driven = new DrivenBody();
        var tracking = new TrackingFrame();
        await using IMotionDriver driver = await MotionDrivers.OpenAsync(SharedMedia.File("bvh/wave_hello.bvh"), new MotionDriverOptions());
        float upperArm = rig.Length(BodyTopology.RightShoulder, BodyTopology.RightElbow);
        float highestWrist = float.MaxValue;
        float worstAngle = 0;
        int frames = 0;
        while ((await driver.ReadAsync(tracking, default)).HasFrame)
        {
            pose.SetFromObservation(tracking.Body, tracking.ImageWidth, tracking.ImageHeight, tracking.CaptureTimestampUs);
            retargeter.Update(pose, driven);
            frames++;
            if (frames < 30)
            {
                continue; // calibrating, easing in
            }

            Assert.Equal(upperArm, Vector2.Distance(driven.Joints[BodyTopology.RightShoulder], driven.Joints[BodyTopology.RightElbow]), 1);
            float shoulders = MathF.Min(driven.Joints[BodyTopology.LeftShoulder].Y, driven.Joints[BodyTopology.RightShoulder].Y);
            highestWrist = MathF.Min(highestWrist, MathF.Min(driven.Joints[BodyTopology.LeftWrist].Y, driven.Joints[BodyTopology.RightWrist].Y) - shoulders);
            foreach ((int a, int b) in new[] { (BodyTopology.LeftElbow, BodyTopology.LeftWrist), (BodyTopology.RightShoulder, BodyTopology.RightElbow) })
            {
                Vector2 take = new Vector2(pose.Points[b].X - pose.Points[a].X, pose.Points[b].Y - pose.Points[a].Y);
                Vector2 character = driven.Joints[b] - driven.Joints[a];
                float angle = MathF.Abs(MathF.Atan2((take.X * character.Y) - (take.Y * character.X), Vector2.Dot(take, character))) * 180 / MathF.PI;
                worstAngle = MathF.Max(worstAngle, angle);
            }
        }

        Assert.Equal(420, frames); // 839 frames at 120 fps, sampled at 60
        Assert.True(highestWrist < -0.15f * 250, $"the wave never lifts a hand above the shoulders (highest {highestWrist:F0} px)");
        Assert.True(worstAngle < 2, $"a forearm or upper arm points {worstAngle:F1}° away from the take's");
    }
}
