using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Tracking.Face;
using Xunit.Abstractions;

namespace Capture.Tracking.Tests;

/// <summary>
/// Iris tracking (attention model) and the eyeLook* blendshapes on real media: frontal photos looking
/// into the camera, and frames of the d3 clip where the woman looks aside, as they are and mirrored.
/// </summary>
[Collection(ModelsCollection.Name)]
public sealed class GazeTests(ModelsFixture models, ITestOutputHelper output)
{
    private const int D3Size = 512;

    private static readonly ArkitBlendshape[] s_looks =
    [
        ArkitBlendshape.EyeLookInLeft, ArkitBlendshape.EyeLookOutLeft, ArkitBlendshape.EyeLookUpLeft, ArkitBlendshape.EyeLookDownLeft,
        ArkitBlendshape.EyeLookInRight, ArkitBlendshape.EyeLookOutRight, ArkitBlendshape.EyeLookUpRight, ArkitBlendshape.EyeLookDownRight,
    ];

    private static readonly string[] s_frontalPhotos =
    [
        "face_sergey_mediapipe.png",
        "face_astronaut_eileen_collins.png",
        "face_woman_happy_sadtalker.png",
        "face_woman_sad_sadtalker.png",
    ];

    private float[] Track(VideoFrame frame, string what)
    {
        using Tracker tracker = models.Create(new TrackerOptions { StaticImage = true, RefineLandmarks = true });
        var r = new TrackingFrame();
        tracker.Process(frame, r);
        Assert.True(r.Face.Present && r.Face.HasIris, $"{what}: no face or no iris");
        output.WriteLine($"{what}: " + string.Join(" ", s_looks.Select(s => $"{s}={r.Face.Blendshapes[(int)s]:F2}")));
        return r.Face.Blendshapes;
    }

    private static float B(float[] b, ArkitBlendshape s) => b[(int)s];

    [Fact]
    public void Process_FrontalPhotosLookingAtTheCamera_EyeLooksNearZero()
    {
        foreach (string photo in s_frontalPhotos)
        {
            float[] b = Track(Ffmpeg.DecodeImage(TestData.Media(photo)), photo);
            foreach (ArkitBlendshape s in s_looks)
            {
                Assert.True(B(b, s) <= 0.35f, $"{photo}: {s} = {B(b, s):F2}");
            }
        }
    }

    [Theory]
    [InlineData(330, true)]   // looking to her left (image right)
    [InlineData(200, false)]  // looking to her right
    public void Process_EyesLookingAside_BothEyesAgreeAndMirroringSwapsThem(int frameIndex, bool towardHerLeft)
    {
        string clip = TestData.Media("vid_expr_woman_d3.mp4");
        float[] b = Track(Ffmpeg.Decode(clip, 1, D3Size, D3Size, extraFilter: $"select=eq(n\\,{frameIndex})")[0], $"d3 frame {frameIndex}");
        float[] m = Track(Ffmpeg.Decode(clip, 1, D3Size, D3Size, extraFilter: $"select=eq(n\\,{frameIndex}),hflip")[0], $"d3 frame {frameIndex} mirrored");

        // Toward her left: the left eye looks out, the right eye in (to the nose), and nothing the other way.
        (ArkitBlendshape leftEye, ArkitBlendshape rightEye, ArkitBlendshape leftOpposite, ArkitBlendshape rightOpposite) = towardHerLeft
            ? (ArkitBlendshape.EyeLookOutLeft, ArkitBlendshape.EyeLookInRight, ArkitBlendshape.EyeLookInLeft, ArkitBlendshape.EyeLookOutRight)
            : (ArkitBlendshape.EyeLookInLeft, ArkitBlendshape.EyeLookOutRight, ArkitBlendshape.EyeLookOutLeft, ArkitBlendshape.EyeLookInRight);
        Assert.True(B(b, leftEye) >= 0.3f && B(b, rightEye) >= 0.3f, $"{leftEye} {B(b, leftEye):F2}, {rightEye} {B(b, rightEye):F2}");
        Assert.Equal(0f, B(b, leftOpposite));
        Assert.Equal(0f, B(b, rightOpposite));

        // The mirror image is a face looking the other way with its eyes swapped: left ↔ right, in and out kept.
        // Sideways within 0.2; up/down within 0.3 (the model is not exactly mirror-symmetric: measured up to 0.27,
        // 0.03 eye widths, on frame 330).
        foreach ((ArkitBlendshape l, ArkitBlendshape r, float tolerance) in new[]
        {
            (ArkitBlendshape.EyeLookInLeft, ArkitBlendshape.EyeLookInRight, 0.2f), (ArkitBlendshape.EyeLookOutLeft, ArkitBlendshape.EyeLookOutRight, 0.2f),
            (ArkitBlendshape.EyeLookUpLeft, ArkitBlendshape.EyeLookUpRight, 0.3f), (ArkitBlendshape.EyeLookDownLeft, ArkitBlendshape.EyeLookDownRight, 0.3f),
        })
        {
            Assert.True(MathF.Abs(B(m, r) - B(b, l)) <= tolerance, $"mirrored {r} {B(m, r):F2} vs {l} {B(b, l):F2}");
            Assert.True(MathF.Abs(B(m, l) - B(b, r)) <= tolerance, $"mirrored {l} {B(m, l):F2} vs {r} {B(b, r):F2}");
        }
    }

    [Fact]
    public void SetNeutral_WithIris_SameFrameGivesEyeLooksZero()
    {
        VideoFrame frame = Ffmpeg.Decode(TestData.Media("vid_expr_woman_d3.mp4"), 1, D3Size, D3Size, extraFilter: "select=eq(n\\,330)")[0];
        using Tracker tracker = models.Create(new TrackerOptions { StaticImage = true, RefineLandmarks = true });
        var r = new TrackingFrame();
        tracker.Process(frame, r);
        Assert.Contains(s_looks, s => B(r.Face.Blendshapes, s) > 0.3f);

        tracker.SetNeutral(r);
        tracker.Process(frame, r);

        Assert.All(s_looks, s => Assert.InRange(B(r.Face.Blendshapes, s), 0f, 0.02f));
    }

    [Fact]
    public void Process_PlainMeshModel_HasNoIrisAndNoEyeLooks()
    {
        using Tracker tracker = models.Create(new TrackerOptions { StaticImage = true });
        var r = new TrackingFrame();
        tracker.Process(Ffmpeg.DecodeImage(TestData.Media("face_sergey_mediapipe.png")), r);

        Assert.True(r.Face.Present);
        Assert.False(r.Face.HasIris);
        Assert.All(r.Face.Iris, p => Assert.Equal(Vector3.Zero, p));
        Assert.All(s_looks, s => Assert.Equal(0f, B(r.Face.Blendshapes, s)));
    }

    [Fact]
    public async Task CreateAsync_RefineLandmarksWithThePlainMeshModel_ThrowsNamingTheModel()
    {
        var options = new TrackerOptions { RefineLandmarks = true, ModelPaths = models.Paths };

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => Tracker.CreateAsync(options));
        Assert.Contains("face_landmark_with_attention", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Process_RefinedAfterWarmUp_AllocatesNothingAndKeepsIrisInTheEyes()
    {
        List<VideoFrame> frames = Ffmpeg.Decode(TestData.Media("vid_expr_man_d18.mp4"), 12);
        using Tracker tracker = models.Create(new TrackerOptions { RefineLandmarks = true });
        var r = new TrackingFrame();
        long allocated = TestData.AllocatedAfterWarmUp(tracker, frames, r);
        Assert.True(r.Face.Present && r.Face.HasIris);
        Assert.Equal(0, allocated);

        // Each iris centre lies between its eye's corners (subject's right eye 33–133, left 362–263).
        Assert.InRange(r.Face.Iris[0].X, r.Face.Landmarks[33].X, r.Face.Landmarks[133].X);
        Assert.InRange(r.Face.Iris[5].X, r.Face.Landmarks[362].X, r.Face.Landmarks[263].X);
    }

    [Fact]
    public void CopyToAndClear_Iris_CopiedThenCleared()
    {
        var a = new TrackingFrame();
        a.Face.HasIris = true;
        a.Face.Iris[7] = new Vector3(0.25f, 0.5f, -0.01f);
        var b = new TrackingFrame();

        a.CopyTo(b);
        Assert.True(b.Face.HasIris);
        Assert.Equal(a.Face.Iris[7], b.Face.Iris[7]);

        b.Clear();
        Assert.False(b.Face.HasIris);
        Assert.Equal(Vector3.Zero, b.Face.Iris[7]);
    }

    [Fact]
    public void Estimate_IrisSpanTooShort_Throws()
    {
        var estimator = new BlendshapeEstimator(TestData.Canonical);
        var values = new float[ArkitBlendshapes.Count];

        Assert.Throws<ArgumentException>(() => estimator.Estimate(TestData.Canonical.Landmarks, new Vector3[3], values));
    }
}
