using System.Numerics;
using Capture.Core.Geometry;
using Capture.Core.Tracking;
using Capture.Tracking.Face;

namespace Capture.Tracking.Tests;

/// <summary>Head pose with calibrated intrinsics (camera.json) instead of the fixed 63° field of view.</summary>
public class HeadPoseCameraTests
{
    // OpenCV's left-camera sample calibrates to about these (capture calibrate-camera on calib_left/).
    private static readonly CameraIntrinsics s_camera = new(536, 536, 342, 235, 640, 480, [0, 0, 0, 0, 0], 0.41);

    /// <summary>The canonical face through a pinhole camera (fx = fy = f, principal point c) in a w×h image, origin at <paramref name="depth"/> cm.</summary>
    private static Vector3[] Render(float f, Vector2 c, int w, int h, float depth, Vector2 offsetCm)
    {
        Vector3[] canon = TestData.Canonical.Landmarks;
        var result = new Vector3[canon.Length];
        var origin = new Vector3(offsetCm.X, offsetCm.Y, -depth);
        float pixelsPerCm = f / depth;
        for (int i = 0; i < canon.Length; i++)
        {
            Vector3 r = Vector3.Transform(canon[i], Quaternion.CreateFromYawPitchRoll(0.2f, 0.1f, 0)) + origin;
            float z = -r.Z;
            result[i] = new Vector3((c.X + (f * r.X / z)) / w, (c.Y - (f * r.Y / z)) / h, (z - depth) * pixelsPerCm / w);
        }

        return result;
    }

    [Fact]
    public void Solve_WithCalibratedCamera_RecoversDepthAndOffset()
    {
        Vector3[] landmarks = Render(536, new Vector2(342, 235), 640, 480, 50, new Vector2(3, -2));
        var calibrated = new HeadPoseSolver(TestData.Canonical) { Camera = s_camera };
        var fixedFov = new HeadPoseSolver(TestData.Canonical);

        HeadPose withCamera = calibrated.Solve(landmarks, 640, 480, new Vector3[468]);
        HeadPose without = fixedFov.Solve(landmarks, 640, 480, new Vector3[468]);

        // Within the solver's ~2 % depth bias (see HeadPoseSolverTests); the fixed FOV (f = 392 px
        // instead of 536) puts the same face about 27 % nearer.
        Assert.InRange(-withCamera.Translation.Z, 49, 52);
        Assert.InRange(withCamera.Translation.X, 2.7f, 3.3f);
        Assert.InRange(withCamera.Translation.Y, -2.3f, -1.7f);
        Assert.InRange(-without.Translation.Z, 34, 40);
    }

    [Fact]
    public void Solve_ClipAtHalfTheCalibrationSize_ScalesTheIntrinsics()
    {
        // The same camera delivering 320×240: f and c halve (CameraIntrinsics.ScaledTo).
        Vector3[] landmarks = Render(268, new Vector2(171, 117.5f), 320, 240, 50, new Vector2(3, -2));
        var solver = new HeadPoseSolver(TestData.Canonical) { Camera = s_camera };

        HeadPose pose = solver.Solve(landmarks, 320, 240, new Vector3[468]);

        Assert.InRange(-pose.Translation.Z, 49, 52);
        Assert.InRange(pose.Translation.X, 2.7f, 3.3f);
    }
}
