using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Core.Tests;

public class HeadPoseTests
{
    [Theory]
    [InlineData(0f, 0f, 0f)]
    [InlineData(30f, -10f, 5f)]
    [InlineData(-70f, 40f, -120f)]
    [InlineData(179f, 5f, 10f)]
    public void FromEulerDegrees_ReadBackByEulerDegrees_SameAngles(float yaw, float pitch, float roll)
    {
        Vector3 back = HeadPose.FromEulerDegrees(yaw, pitch, roll).EulerDegrees();

        Assert.Equal(yaw, back.X, 3);
        Assert.Equal(pitch, back.Y, 3);
        Assert.Equal(roll, back.Z, 3);
    }

    [Fact]
    public void FromEulerDegrees_Yaw_TurnsAboutY()
    {
        Vector3 nose = Vector3.Transform(Vector3.UnitZ, HeadPose.FromEulerDegrees(90, 0, 0).Rotation);

        Assert.Equal(1, nose.X, 5);
        Assert.Equal(0, nose.Z, 5);
    }
}
