using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Xunit.Abstractions;

namespace Capture.Tracking.Tests.Reference;

/// <summary>
/// The attention model (our converted face_landmark_with_attention, custom ops lowered to ONNX) end to
/// end against MediaPipe JS face_mesh with <c>refineLandmarks: true</c> on the shared photos: all 478
/// points, and the 10 iris points on their own.
/// </summary>
[Collection(ModelsCollection.Name)]
public sealed class IrisAgainstMediaPipeTests(ModelsFixture models, ITestOutputHelper output)
{
    private static readonly string[] s_photos =
    [
        "face_sergey_mediapipe.png",
        "face_astronaut_eileen_collins.png",
        "face_jianzhuguo_3ddfa.jpg",
        "face_woman_happy_sadtalker.png",
        "face_woman_sad_sadtalker.png",
    ];

    /// <summary>
    /// NME as in <see cref="AgainstMediaPipeTests"/> (mean x, y distance over inter-ocular 33–263): ≤ 0.5 % over
    /// the 478 points and ≤ 0.5 % over the 10 iris points, per photo; the iris z is MediaPipe's too (the
    /// mean depth of the eye contour), within 0.5 % of the inter-ocular (measured: ≤ 0.16 %, iris ≤ 0.22 %) distance.
    /// </summary>
    [Fact]
    public async Task Process_RefineLandmarks_MatchesMediaPipeRefinedMeshAndIris()
    {
        string[] paths = [.. s_photos.Select(TestData.Media)];
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        IReadOnlyList<MediaPipeResult> reference = await MediaPipeJs.RunFaceMeshRefinedAsync(paths, staticMode: true, timeout.Token);
        using Tracker tracker = models.Create(new TrackerOptions { StaticImage = true, RefineLandmarks = true });
        var ours = new TrackingFrame();

        for (int k = 0; k < paths.Length; k++)
        {
            VideoFrame frame = Ffmpeg.DecodeImage(paths[k]);
            tracker.Process(frame, ours);
            MediaPipeFace theirs = Assert.Single(reference[k].Faces);
            Assert.Equal(478, theirs.Landmarks.Count);
            Assert.True(ours.Face.Present, $"{s_photos[k]}: no face found");
            Assert.True(ours.Face.HasIris, $"{s_photos[k]}: no iris");
            Vector2 Theirs(int i) => new(theirs.Landmarks[i].X * frame.Width, theirs.Landmarks[i].Y * frame.Height);
            Vector3 Ours(int i) => i < TrackingFrame.FaceLandmarkCount ? ours.Face.Landmarks[i] : ours.Face.Iris[i - TrackingFrame.FaceLandmarkCount];
            Vector2 OursPixel(int i) => new(Ours(i).X * frame.Width, Ours(i).Y * frame.Height);
            float interOcular = Vector2.Distance(Theirs(33), Theirs(263));

            double all = 0, iris = 0, irisZ = 0;
            for (int i = 0; i < 478; i++)
            {
                float d = Vector2.Distance(OursPixel(i), Theirs(i));
                all += d;
                if (i >= TrackingFrame.FaceLandmarkCount)
                {
                    iris += d;
                    irisZ += MathF.Abs((Ours(i).Z - theirs.Landmarks[i].Z) * frame.Width);
                }
            }

            double nme = all / 478 / interOcular, irisNme = iris / 10 / interOcular, irisZErr = irisZ / 10 / interOcular;
            output.WriteLine($"{s_photos[k]}: NME 478 {nme * 100:F2} %, iris {irisNme * 100:F2} %, iris z {irisZErr * 100:F2} % of {interOcular:F0} px");
            Assert.True(nme <= 0.005, $"{s_photos[k]}: NME {nme * 100:F2} % > 0.5 %");
            Assert.True(irisNme <= 0.005, $"{s_photos[k]}: iris NME {irisNme * 100:F2} % > 0.5 %");
            Assert.True(irisZErr <= 0.005, $"{s_photos[k]}: iris z error {irisZErr * 100:F2} % > 0.5 %");
        }
    }

    /// <summary>
    /// Tracking mode through a head turn with a wink (vid_expr_woman_d3 frames 0–59, the same PNGs for both):
    /// every frame's 478 points within 0.5 % NME of MediaPipe JS with <c>refineLandmarks: true</c>, unsmoothed
    /// (measured: mean 0.05 %, max 0.08 %). So where the attention model's points differ from the plain
    /// model's on this clip (~1.75 % NME), that is the model's doing, not our conversion or tracking.
    /// </summary>
    [Fact]
    public async Task Process_RefineLandmarksTrackedHeadTurn_MatchesMediaPipeRefinedEveryFrame()
    {
        const int Count = 60;
        string dir = Path.Combine(Path.GetTempPath(), $"capture-irisvid-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            Ffmpeg.Run("-i", TestData.Media("vid_expr_woman_d3.mp4"), "-frames:v", Count.ToString(System.Globalization.CultureInfo.InvariantCulture), Path.Combine(dir, "%04d.png"));
            string[] pngs = [.. Directory.GetFiles(dir, "*.png").Order(StringComparer.Ordinal)];
            Assert.Equal(Count, pngs.Length);
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            Task<IReadOnlyList<MediaPipeResult>> referenceTask = MediaPipeJs.RunFaceMeshRefinedAsync(pngs, staticMode: false, timeout.Token);
            List<VideoFrame> frames = Ffmpeg.Decode(Path.Combine(dir, "%04d.png"));
            using Tracker tracker = models.Create(new TrackerOptions { RefineLandmarks = true, Smoothing = false });
            var ours = new TrackingFrame();
            IReadOnlyList<MediaPipeResult> reference = await referenceTask;
            Assert.Equal(Count, reference.Count);

            double worst = 0, sum = 0;
            for (int k = 0; k < Count; k++)
            {
                tracker.Process(frames[k], ours);
                Assert.True(ours.Face.Present && ours.Face.HasIris, $"frame {k}: no face or no iris");
                MediaPipeFace theirs = Assert.Single(reference[k].Faces);
                int w = frames[k].Width, h = frames[k].Height;
                Vector2 Theirs(int i) => new(theirs.Landmarks[i].X * w, theirs.Landmarks[i].Y * h);
                Vector2 Ours(int i)
                {
                    Vector3 p = i < TrackingFrame.FaceLandmarkCount ? ours.Face.Landmarks[i] : ours.Face.Iris[i - TrackingFrame.FaceLandmarkCount];
                    return new Vector2(p.X * w, p.Y * h);
                }

                double d = 0;
                for (int i = 0; i < 478; i++)
                {
                    d += Vector2.Distance(Ours(i), Theirs(i));
                }

                double nme = d / 478 / Vector2.Distance(Theirs(33), Theirs(263));
                sum += nme;
                worst = Math.Max(worst, nme);
                Assert.True(nme <= 0.005, $"frame {k}: NME {nme * 100:F2} % > 0.5 %");
            }

            output.WriteLine($"vid_expr_woman_d3 frames 0–{Count - 1}, tracked, unsmoothed: NME mean {sum / Count * 100:F2} %, max {worst * 100:F2} %");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
