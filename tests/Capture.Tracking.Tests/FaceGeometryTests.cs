using System.Numerics;
using Capture.Core.Geometry;
using Capture.Core.Tracking;
using Capture.Tracking.Face;

namespace Capture.Tracking.Tests;

public class CanonicalFaceGeometryTests
{
    [Fact]
    public void Parse_MediaPipeMetadata_Gives468PointsInCentimetresFacingTheCamera()
    {
        CanonicalFaceGeometry face = TestData.Canonical;

        Assert.Equal(468, face.Landmarks.Length);
        // Subject's right eye outer corner (33) is on image left, left eye (263) on image right.
        Assert.True(face.Landmarks[33].X < 0 && face.Landmarks[263].X > 0);
        // Forehead (10) above chin (152): y is up.
        Assert.True(face.Landmarks[10].Y > face.Landmarks[152].Y);
        // Nose tip (1) in front of the eye corners: z toward the camera.
        Assert.True(face.Landmarks[1].Z > face.Landmarks[33].Z);
        // An adult's outer eye corners are roughly 8–11 cm apart.
        float eyes = Vector3.Distance(face.Landmarks[33], face.Landmarks[263]);
        Assert.InRange(eyes, 7f, 12f);
        Assert.True(face.ProcrustesWeights.Count(w => w > 0) >= 10);
        Assert.True(face.Triangles.Length > 0 && face.Triangles.Length % 3 == 0);
        Assert.All(face.Triangles, i => Assert.InRange(i, 0, 467));
    }

    [Fact]
    public void Parse_TruncatedData_ThrowsInvalidData()
    {
        byte[] data = TestData.GeometryMetadataBytes();

        Assert.Throws<InvalidDataException>(() => CanonicalFaceGeometry.Parse(data.AsSpan(0, data.Length / 2)));
    }

    [Fact]
    public void Load_NotAMetadataFile_ThrowsNamingTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"capture-not-geometry-{Guid.NewGuid():N}.binarypb");
        File.WriteAllText(path, "this is not a protobuf");
        try
        {
            InvalidDataException ex = Assert.Throws<InvalidDataException>(() => CanonicalFaceGeometry.Load(path));
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

public class HeadPoseSolverTests
{
    /// <summary>Places the canonical face in a 640×480 image with a known pose, as normalized landmarks.</summary>
    internal static Vector3[] Render(Quaternion rotation, float pixelsPerCm, Vector2 centre, Func<int, Vector3, Vector3>? deform = null)
    {
        Vector3[] c = TestData.Canonical.Landmarks;
        var result = new Vector3[c.Length];
        for (int i = 0; i < c.Length; i++)
        {
            Vector3 p = deform is null ? c[i] : deform(i, c[i]);
            Vector3 r = Vector3.Transform(p, rotation) * pixelsPerCm;
            result[i] = new Vector3((centre.X + r.X) / 640, (centre.Y - r.Y) / 480, -r.Z / 640);
        }

        return result;
    }

    /// <summary>
    /// As <see cref="Render"/> through a pinhole camera (f = 0.816 · 480 px): the face origin at depth
    /// f / <paramref name="pixelsPerCm"/>, projected onto <paramref name="centre"/>; z is each point's
    /// depth from the origin's in x's scale there (MediaPipe's landmark z).
    /// </summary>
    internal static Vector3[] RenderPinhole(Quaternion rotation, float pixelsPerCm, Vector2 centre)
    {
        Vector3[] c = TestData.Canonical.Landmarks;
        var result = new Vector3[c.Length];
        float focal = HeadPoseSolver.DefaultFocalLengthFactor * 480;
        float depth = focal / pixelsPerCm;
        var origin = new Vector3((centre.X - 320) / pixelsPerCm, (240 - centre.Y) / pixelsPerCm, -depth);
        for (int i = 0; i < c.Length; i++)
        {
            Vector3 r = Vector3.Transform(c[i], rotation) + origin;
            float z = -r.Z;
            result[i] = new Vector3((320 + (focal * r.X / z)) / 640, (240 - (focal * r.Y / z)) / 480, (z - depth) * pixelsPerCm / 640);
        }

        return result;
    }

    // The solver is MediaPipe's face-geometry pipeline (matched to MediaPipe JS in
    // HeadPoseAgainstMediaPipeTests), which puts the landmarks' mean at the depth its scale fit gives:
    // on an exact pinhole render that lands the origin about 2 % (0.8 cm at 39 cm) deeper than true.
    [Fact]
    public void Solve_RenderedCanonicalFace_RecoversRotationAndDepth()
    {
        var rotation = Quaternion.CreateFromYawPitchRoll(0.3f, 0.1f, -0.2f);
        Vector3[] landmarks = RenderPinhole(rotation, 10, new Vector2(320, 240));
        var solver = new HeadPoseSolver(TestData.Canonical);
        var canonicalSpace = new Vector3[468];

        HeadPose pose = solver.Solve(landmarks, 640, 480, canonicalSpace);

        Assert.True(MathF.Abs(Quaternion.Dot(pose.Rotation, rotation)) > 0.9999f);
        // 10 px a cm with f = 0.816 · 480 px → depth ≈ 39.2 cm in front of the camera (negative z).
        float depth = HeadPoseSolver.DefaultFocalLengthFactor * 480 / 10;
        Assert.InRange(pose.Translation.Z, -depth * 1.03f, -depth * 0.99f);
        Assert.InRange(pose.Translation.X, -0.5f, 0.5f); // the approximate depths shear a turned face slightly

        // The canonical-space points come through the first, weak-perspective fit: exact on a flat render.
        solver.Solve(Render(rotation, 10, new Vector2(320, 240)), 640, 480, canonicalSpace);
        Assert.Equal(TestData.Canonical.Landmarks[1].X, canonicalSpace[1].X, 2);
        Assert.Equal(TestData.Canonical.Landmarks[152].Y, canonicalSpace[152].Y, 2);
    }

    [Fact]
    public void Solve_FaceRightOfCentre_HasPositiveTranslationX()
    {
        Vector3[] landmarks = RenderPinhole(Quaternion.Identity, 10, new Vector2(420, 240));
        var solver = new HeadPoseSolver(TestData.Canonical);

        HeadPose pose = solver.Solve(landmarks, 640, 480, new Vector3[468]);

        Assert.InRange(pose.Translation.X, 9.9f, 10.4f); // 100 px at 10 px/cm (the depth's ~2 % with it)
        Assert.InRange(pose.EulerDegrees().X, -0.5f, 0.5f);
    }
}

public class BlendshapeEstimatorTests
{
    private static float[] Estimate(Vector3[] landmarks)
    {
        var solver = new HeadPoseSolver(TestData.Canonical);
        var estimator = new BlendshapeEstimator(TestData.Canonical);
        var canonicalSpace = new Vector3[468];
        solver.Solve(landmarks, 640, 480, canonicalSpace);
        var b = new float[ArkitBlendshapes.Count];
        estimator.Estimate(canonicalSpace, b);
        return b;
    }

    private static float Get(float[] b, ArkitBlendshape s) => b[(int)s];

    [Fact]
    public void Estimate_CanonicalFaceAnyPose_IsAllNearZero()
    {
        float[] b = Estimate(HeadPoseSolverTests.Render(Quaternion.CreateFromYawPitchRoll(0.5f, -0.2f, 0.3f), 8, new Vector2(300, 260)));

        Assert.All(b, v => Assert.InRange(v, 0f, 0.02f));
    }

    [Fact]
    public void Estimate_UpperLidsOnLowerLids_BlinksBothEyesOnly()
    {
        int[] upper = [159, 158, 160, 386, 385, 387];
        int[] lower = [145, 153, 144, 374, 380, 373];
        Vector3[] c = TestData.Canonical.Landmarks;
        Vector3 Close(int i, Vector3 p)
        {
            int k = Array.IndexOf(upper, i);
            return k >= 0 ? Vector3.Lerp(p, c[lower[k]], 0.9f) : p;
        }

        float[] b = Estimate(HeadPoseSolverTests.Render(Quaternion.CreateFromAxisAngle(Vector3.UnitY, 0.3f), 9, new Vector2(320, 240), Close));

        Assert.True(Get(b, ArkitBlendshape.EyeBlinkLeft) > 0.9f);
        Assert.True(Get(b, ArkitBlendshape.EyeBlinkRight) > 0.9f);
        Assert.True(Get(b, ArkitBlendshape.JawOpen) < 0.05f);
        Assert.True(Get(b, ArkitBlendshape.MouthSmileLeft) < 0.05f);
    }

    [Fact]
    public void Estimate_ChinAndLowerLipDropped_OpensTheJaw()
    {
        Vector3[] c = TestData.Canonical.Landmarks;
        float mouthY = c[14].Y;
        // Everything below the lower inner lip moves 1.5 cm down, the lower lip with it.
        Vector3 Drop(int i, Vector3 p) => p.Y <= mouthY + 0.05f && MathF.Abs(p.X) < 5 ? p - new Vector3(0, 1.5f, 0) : p;

        float[] b = Estimate(HeadPoseSolverTests.Render(Quaternion.Identity, 10, new Vector2(320, 240), Drop));

        Assert.True(Get(b, ArkitBlendshape.JawOpen) > 0.5f, $"jawOpen {Get(b, ArkitBlendshape.JawOpen)}");
        Assert.True(Get(b, ArkitBlendshape.EyeBlinkLeft) < 0.05f);
    }

    [Fact]
    public void Estimate_MouthCornersRaised_SmilesOnThatSide()
    {
        // Raise the subject's left corner (291) and its neighbours by 4 mm.
        Vector3[] c = TestData.Canonical.Landmarks;
        Vector3 corner = c[291];
        Vector3 Raise(int i, Vector3 p) => Vector3.Distance(p, corner) < 0.6f ? p + new Vector3(0, 0.4f, 0) : p;

        float[] b = Estimate(HeadPoseSolverTests.Render(Quaternion.Identity, 10, new Vector2(320, 240), Raise));

        Assert.True(Get(b, ArkitBlendshape.MouthSmileLeft) > 0.5f, $"smileLeft {Get(b, ArkitBlendshape.MouthSmileLeft)}");
        Assert.True(Get(b, ArkitBlendshape.MouthSmileRight) < 0.05f);
    }
}
