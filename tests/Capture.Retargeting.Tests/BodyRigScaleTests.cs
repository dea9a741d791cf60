using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting.Rigs;

namespace Capture.Retargeting.Tests;

/// <summary>A body rig moved to its picture at another size: what <see cref="BodyRig.Create"/> would have built from the scaled joints.</summary>
public class BodyRigScaleTests
{
    [Fact]
    public void ScaledTo_ThePictureShrunk_SameRigAsCreateFromTheScaledJoints_SameSizeIsItself()
    {
        BodyRig rig = SyntheticBody.Rig(600, 1200, new Vector2(300, 640), 280);
        float scale = 450 / 600f;
        Vector2[] joints = rig.Joints.ToArray();
        for (int i = 0; i < joints.Length; i++)
        {
            joints[i] *= scale;
        }

        BodyRig expected = BodyRig.Create("synthetic", joints, rig.KnownFlags, 450, 900, rig.Source);

        BodyRig scaled = rig.ScaledTo(450, 900);

        Assert.Same(rig, rig.ScaledTo(600, 1200));
        Assert.Equal((450, 900, rig.Source), (scaled.Width, scaled.Height, scaled.Source));
        Assert.Equal(expected.Joints.ToArray(), scaled.Joints.ToArray());
        Assert.Equal(expected.KnownFlags.ToArray(), scaled.KnownFlags.ToArray());
        Assert.Equal((expected.Root, expected.HeadCentre, expected.HasLegs), (scaled.Root, scaled.HeadCentre, scaled.HasLegs));
        Assert.Equal(expected.Length(BodyTopology.LeftHip, BodyTopology.LeftKnee), scaled.Length(BodyTopology.LeftHip, BodyTopology.LeftKnee));

        // The original is untouched (immutable).
        Assert.Equal(600, rig.Width);
        Assert.Equal(SyntheticBody.Rig(600, 1200, new Vector2(300, 640), 280).Joints.ToArray(), rig.Joints.ToArray());
    }
}
