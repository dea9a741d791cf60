using System.Globalization;
using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Xunit.Abstractions;

namespace Capture.Tracking.Tests.Reference;

/// <summary>
/// The pose tracker against MediaPipe's own (JS pose, the full model, in Chromium) over the shared full-body
/// clips, both tracking (each frame's region from the last frame's auxiliary points) with landmark smoothing
/// off. The body now drives pictures, so its points are held as the face's are.
/// </summary>
[Collection(ModelsCollection.Name)]
public sealed class PoseAgainstMediaPipeTests(ModelsFixture models, ITestOutputHelper output)
{
    /// <summary>
    /// Per clip: every frame where MediaPipe finds a body, Capture finds one; the mean NME over the 33 points
    /// (pixel distance over MediaPipe's torso: shoulders' midpoint to hips' midpoint) is at most 2 %; the world
    /// points' mean distance to MediaPipe's at most 3 cm. The clips are cut into PNGs once (the dance clip
    /// halved to 540×960 to keep MediaPipe's software-rendered run short) and both trackers read the same PNGs.
    /// s13 frames 0–29 hold a turn of the arms; dance frames 60–89 a step with both arms swinging.
    /// The lite landmark model (`--pose-model Lite`, the faster live choice) is measured against the same reference
    /// and held to what it costs: a body wherever MediaPipe's full model finds one, mean NME at most 4 %.
    /// </summary>
    [Theory]
    [InlineData("vid_body_fullbody_gesture_s13.mp4", 0, 30, 25, 0)]
    [InlineData("vid_body_dance_musepose.mp4", 60, 30, 24, 540)]
    public async Task Process_TrackedBodyClip_WithinTwoPercentOfTheTorsoOfMediaPipe(string clip, int first, int count, double fps, int width)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"capture-mppose-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string filter = $"select=between(n\\,{first}\\,{first + count - 1})" + (width > 0 ? $",scale={width}:-2" : string.Empty);
            Ffmpeg.Run(
                "-i", TestData.Media(clip), "-vf", filter, "-fps_mode", "passthrough",
                "-frames:v", count.ToString(CultureInfo.InvariantCulture), Path.Combine(dir, "%04d.png"));
            string[] pngs = [.. Directory.GetFiles(dir, "*.png").Order(StringComparer.Ordinal)];
            Assert.Equal(count, pngs.Length);

            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
            Task<IReadOnlyList<MediaPipeResult>> referenceTask = MediaPipeJs.RunPoseTrackedAsync(pngs, fps, timeout.Token);
            List<VideoFrame> frames = Ffmpeg.Decode(Path.Combine(dir, "%04d.png"));
            Assert.Equal(count, frames.Count);
            for (int k = 0; k < frames.Count; k++)
            {
                frames[k].TimestampUs = (long)(k * 1e6 / fps);
            }

            using Tracker tracker = models.Create(new TrackerOptions { Face = false, Body = true, Smoothing = false });
            string lite = await Capture.Inference.Models.ModelStore.FromRepository().GetModelPathAsync(TrackerModels.PoseLandmarkName(PoseModel.Lite));
            using Tracker liteTracker = await Tracker.CreateAsync(new TrackerOptions
            {
                Face = false, Body = true, Smoothing = false, PoseModel = PoseModel.Lite, ModelPaths = models.Paths with { PoseLandmark = lite },
            });
            var result = new TrackingFrame();
            var liteResult = new TrackingFrame();
            var nme = new List<double>();
            var liteNme = new List<double>();
            var worldCm = new List<double>();
            IReadOnlyList<MediaPipeResult> reference = await referenceTask;
            Assert.Equal(count, reference.Count);
            for (int k = 0; k < frames.Count; k++)
            {
                tracker.Process(frames[k], result);
                liteTracker.Process(frames[k], liteResult);
                if (reference[k].Pose is not { } theirs)
                {
                    continue;
                }

                Assert.True(result.Body.Present, $"{clip} frame {first + k}: MediaPipe finds a body, Capture does not");
                int w = frames[k].Width;
                int h = frames[k].Height;
                Vector2 Theirs(int i) => new(theirs.Landmarks[i].X * w, theirs.Landmarks[i].Y * h);
                Vector2 Ours(int i) => new(result.Body.Landmarks[i].X * w, result.Body.Landmarks[i].Y * h);
                Vector2 Lite(int i) => new(liteResult.Body.Landmarks[i].X * w, liteResult.Body.Landmarks[i].Y * h);
                Assert.True(liteResult.Body.Present, $"{clip} frame {first + k}: MediaPipe finds a body, Capture's lite model does not");
                float torso = Vector2.Distance(
                    (Theirs(BodyTopology.LeftShoulder) + Theirs(BodyTopology.RightShoulder)) / 2,
                    (Theirs(BodyTopology.LeftHip) + Theirs(BodyTopology.RightHip)) / 2);
                double sum = 0;
                double liteSum = 0;
                double world = 0;
                for (int i = 0; i < TrackingFrame.BodyLandmarkCount; i++)
                {
                    sum += Vector2.Distance(Ours(i), Theirs(i));
                    liteSum += Vector2.Distance(Lite(i), Theirs(i));
                    Vector4 t = theirs.WorldLandmarks[i];
                    world += Vector3.Distance(result.Body.WorldLandmarks[i], new Vector3(t.X, t.Y, t.Z));
                }

                nme.Add(sum / TrackingFrame.BodyLandmarkCount / torso);
                liteNme.Add(liteSum / TrackingFrame.BodyLandmarkCount / torso);
                worldCm.Add(world / TrackingFrame.BodyLandmarkCount * 100);
            }

            Assert.NotEmpty(nme);
            output.WriteLine(
                $"{clip} frames {first}–{first + count - 1} ({frames[0].Width}×{frames[0].Height}): bodies {nme.Count} of {count}; " +
                $"NME mean {nme.Average() * 100:F2} %, max {nme.Max() * 100:F2} % of the torso; world mean {worldCm.Average():F2} cm; " +
                $"lite model NME mean {liteNme.Average() * 100:F2} %, max {liteNme.Max() * 100:F2} %");
            Assert.True(nme.Average() <= 0.02, $"{clip}: mean NME {nme.Average() * 100:F2} % of the torso > 2 %");
            Assert.True(liteNme.Average() <= 0.04, $"{clip}: lite model's mean NME {liteNme.Average() * 100:F2} % of the torso > 4 %");
            Assert.True(worldCm.Average() <= 3, $"{clip}: world points {worldCm.Average():F2} cm from MediaPipe's on average > 3 cm");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
