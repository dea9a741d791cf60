using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;

namespace Capture.Tracking.Tests;

[Collection(ModelsCollection.Name)]
public class TrackerTests(ModelsFixture models)
{
    private static readonly Lazy<VideoFrame> s_sergey = new(() => Ffmpeg.DecodeImage(TestData.Media("face_sergey_mediapipe.png")));

    private TrackingFrame Track(VideoFrame frame, TrackerOptions? options = null)
    {
        using Tracker tracker = models.Create(options ?? new TrackerOptions { StaticImage = true });
        var result = new TrackingFrame();
        tracker.Process(frame, result);
        return result;
    }

    [Fact]
    public void Process_FrontalPhoto_FindsAFaceWithAnatomicallyOrderedPoints()
    {
        VideoFrame frame = s_sergey.Value;

        TrackingFrame r = Track(frame);

        Assert.True(r.Face.Present);
        Assert.True(r.Face.Score > 0.9f);
        Assert.Equal(frame.Width, r.ImageWidth);
        Vector2 rightEye = r.Face.Pixel(33, frame.Width, frame.Height);
        Vector2 leftEye = r.Face.Pixel(263, frame.Width, frame.Height);
        Vector2 nose = r.Face.Pixel(1, frame.Width, frame.Height);
        Vector2 chin = r.Face.Pixel(152, frame.Width, frame.Height);
        Vector2 forehead = r.Face.Pixel(10, frame.Width, frame.Height);
        Assert.True(rightEye.X < nose.X && nose.X < leftEye.X, "nose between the eyes");
        Assert.True(forehead.Y < rightEye.Y && rightEye.Y < nose.Y && nose.Y < chin.Y, "forehead, eyes, nose, chin top to bottom");
        // A tightly framed portrait: the eyes are a good part of the picture apart.
        Assert.InRange(Vector2.Distance(rightEye, leftEye) / frame.Width, 0.2f, 0.5f);
        Assert.All(r.Face.Landmarks, p => Assert.True(p.X is > 0 and < 1 && p.Y is > 0 and < 1));
        // Frontal: yaw and roll small, and the head in front of the camera.
        Vector3 euler = r.Face.HeadPose.EulerDegrees();
        Assert.InRange(euler.X, -15, 15);
        Assert.InRange(euler.Z, -10, 10);
        Assert.True(r.Face.HeadPose.Translation.Z < 0);
    }

    [Fact]
    public void Process_NoFaceInTheFrame_ReportsAbsentWithoutError()
    {
        VideoFrame grey = VideoFrame.CreateUnpooled(640, 480);
        grey.Pixels.Fill(128);

        TrackingFrame r = Track(grey, new TrackerOptions { Body = true });

        Assert.False(r.Face.Present);
        Assert.False(r.Body.Present);
        Assert.All(r.Face.Blendshapes, v => Assert.Equal(0, v));
    }

    [Fact]
    public void Process_OneByOneImage_ReportsAbsentWithoutError()
    {
        VideoFrame tiny = VideoFrame.CreateUnpooled(1, 1);
        tiny.Pixels.Fill(200);

        TrackingFrame r = Track(tiny, new TrackerOptions { Body = true });

        Assert.False(r.Face.Present);
        Assert.Equal(1, r.ImageWidth);
    }

    [Fact]
    public void Process_FaceHalfOutOfTheFrame_StillPlacesTheVisibleEye()
    {
        VideoFrame full = s_sergey.Value;
        TrackingFrame whole = Track(full);
        // Cut the picture through the face, just right of the subject's right eye: only half a face is left.
        int cut = (int)(whole.Face.Pixel(33, full.Width, full.Height).X + 20);
        VideoFrame half = Ffmpeg.Decode(TestData.Media("face_sergey_mediapipe.png"), 1, full.Width - cut, full.Height, $"crop={full.Width - cut}:{full.Height}:{cut}:0")[0];

        TrackingFrame r = Track(half);

        Assert.True(r.Face.Present);
        Vector2 expected = whole.Face.Pixel(263, full.Width, full.Height) - new Vector2(cut, 0);
        Vector2 found = r.Face.Pixel(263, half.Width, half.Height);
        Assert.True(Vector2.Distance(expected, found) < 0.05f * full.Width, $"left eye at {found}, expected near {expected}");
        Assert.Contains(r.Face.Landmarks, p => p.X < 0); // points of the cut-off half lie left of the picture
    }

    [Fact]
    public void Process_TinyFaceInALargeFrame_IsReportedAbsentWithoutError()
    {
        // The portrait shrunk to 96×96 (a face ~50 px wide) on a 640×480 grey frame: below what the
        // short-range detector sees at its 128×128 input (~10 px), so no face — and no exception.
        VideoFrame frame = Ffmpeg.Decode(TestData.Media("face_sergey_mediapipe.png"), 1, 640, 480, "scale=96:96,pad=640:480:400:300:gray")[0];

        TrackingFrame r = Track(frame);

        Assert.False(r.Face.Present);
    }

    [Fact]
    public void Process_SmallFaceOffCentre_IsFoundWhereItIs()
    {
        // 200×200 portrait (a face ~110 px wide) at (400, 240) on 640×480.
        VideoFrame frame = Ffmpeg.Decode(TestData.Media("face_sergey_mediapipe.png"), 1, 640, 480, "scale=200:200,pad=640:480:400:240:gray")[0];

        TrackingFrame r = Track(frame);

        Assert.True(r.Face.Present);
        Vector2 nose = r.Face.Pixel(1, 640, 480);
        Assert.InRange(nose.X, 400, 600);
        Assert.InRange(nose.Y, 240, 440);
    }

    [Fact]
    public void Process_SixteenBitPng_TracksLikeTheEightBitOriginal()
    {
        string png16 = Path.Combine(Path.GetTempPath(), $"capture-16bit-{Guid.NewGuid():N}.png");
        try
        {
            Ffmpeg.Run("-i", TestData.Media("face_sergey_mediapipe.png"), "-pix_fmt", "rgb48be", png16);
            VideoFrame frame = Ffmpeg.DecodeImage(png16);
            TrackingFrame eight = Track(s_sergey.Value);

            TrackingFrame sixteen = Track(frame);

            Assert.True(sixteen.Face.Present);
            float worst = 0;
            for (int i = 0; i < 468; i++)
            {
                worst = MathF.Max(worst, Vector2.Distance(sixteen.Face.Pixel(i, frame.Width, frame.Height), eight.Face.Pixel(i, frame.Width, frame.Height)));
            }

            Assert.True(worst < 2f, $"worst point moved {worst:F2} px");
        }
        finally
        {
            File.Delete(png16);
        }
    }

    [Fact]
    public async Task CreateAsync_CorruptModelFile_ThrowsNamingTheFile()
    {
        string bad = Path.Combine(Path.GetTempPath(), $"capture-corrupt-{Guid.NewGuid():N}.onnx");
        byte[] good = File.ReadAllBytes(models.Paths.FaceLandmark);
        File.WriteAllBytes(bad, good[..(good.Length / 3)]);
        try
        {
            var options = new TrackerOptions { ModelPaths = models.Paths with { FaceLandmark = bad } };

            InvalidDataException ex = await Assert.ThrowsAsync<InvalidDataException>(() => Tracker.CreateAsync(options));

            Assert.Contains(bad, ex.Message, StringComparison.Ordinal);
            Assert.Contains("face_landmark", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(bad);
        }
    }

    [Fact]
    public async Task CreateAsync_AttentionModelAsFallback_ThrowsNamingTheFile()
    {
        string attention = models.AttentionPaths.FaceLandmark;
        var options = new TrackerOptions { RefineLandmarks = true, ModelPaths = models.AttentionPaths with { FaceLandmarkFallback = attention } };

        InvalidDataException ex = await Assert.ThrowsAsync<InvalidDataException>(() => Tracker.CreateAsync(options));

        Assert.Contains(attention, ex.Message, StringComparison.Ordinal);
        Assert.Contains("fallback", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_MissingFallbackModelFile_ThrowsFileNotFound()
    {
        var options = new TrackerOptions { RefineLandmarks = true, ModelPaths = models.AttentionPaths with { FaceLandmarkFallback = "/nonexistent/face_landmark.onnx" } };

        FileNotFoundException ex = await Assert.ThrowsAsync<FileNotFoundException>(() => Tracker.CreateAsync(options));

        Assert.Contains("/nonexistent/face_landmark.onnx", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_MissingModelFile_ThrowsFileNotFound()
    {
        var options = new TrackerOptions { ModelPaths = models.Paths with { FaceDetection = "/nonexistent/face_detection_short_range.onnx" } };

        FileNotFoundException ex = await Assert.ThrowsAsync<FileNotFoundException>(() => Tracker.CreateAsync(options));

        Assert.Contains("/nonexistent/face_detection_short_range.onnx", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Process_Video_TracksFromTheMeshWithoutReDetecting()
    {
        List<VideoFrame> frames = Ffmpeg.Decode(TestData.Media("vid_expr_man_d18.mp4"), 30);
        using Tracker tracker = models.Create(new TrackerOptions());
        var r = new TrackingFrame();

        foreach (VideoFrame f in frames)
        {
            tracker.Process(f, r);
            Assert.True(r.Face.Present, $"frame {f.Sequence}");
            Assert.Equal(f.Sequence, r.Sequence);
            Assert.Equal(f.TimestampUs, r.CaptureTimestampUs);
        }

        Assert.Equal(1, tracker.FaceDetectorRuns);
    }

    [Theory]
    [InlineData("vid_body_fullbody_gesture_s13.mp4")]
    [InlineData("vid_talk_selfie_man_d13.mp4")]
    public void Process_BodyVideo_TracksFromTheLandmarksWithoutReDetecting(string clip)
    {
        List<VideoFrame> frames = Ffmpeg.Decode(TestData.Media(clip), 20);
        using Tracker tracker = models.Create(new TrackerOptions { Face = false, Body = true });
        var r = new TrackingFrame();
        int present = 0;

        foreach (VideoFrame f in frames)
        {
            tracker.Process(f, r);
            present += r.Body.Present ? 1 : 0;
        }

        Assert.Equal(frames.Count, present);
        Assert.True(tracker.PoseDetectorRuns <= 2, $"{tracker.PoseDetectorRuns} detector runs in {frames.Count} frames");
    }

    [Fact]
    public void Process_AfterWarmUp_AllocatesNothing()
    {
        List<VideoFrame> frames = Ffmpeg.Decode(TestData.Media("vid_expr_man_d18.mp4"), 12);
        using Tracker tracker = models.Create(new TrackerOptions { Body = true });
        var r = new TrackingFrame();
        long allocated = TestData.AllocatedAfterWarmUp(tracker, frames, r);
        Assert.True(r.Face.Present);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Process_FaceBesideThePose_GivesTheSequentialTrackersPoints()
    {
        // The gesture clip: a full-body shot whose face is tracked from its mesh after the first frame, so the face
        // runs on the worker beside the pose model from frame 2 on, and must give what the one-thread tracker gives.
        List<VideoFrame> frames = Ffmpeg.Decode(TestData.Media("vid_body_fullbody_gesture_s13.mp4"), 20);
        using Tracker sequential = models.Create(new TrackerOptions { Body = true, RefineLandmarks = true });
        using Tracker parallel = models.Create(new TrackerOptions { Body = true, RefineLandmarks = true, ParallelFaceAndBody = true });
        var a = new TrackingFrame();
        var b = new TrackingFrame();
        int faces = 0;

        foreach (VideoFrame f in frames)
        {
            sequential.Process(f, a);
            parallel.Process(f, b);
            Assert.Equal(a.Face.Present, b.Face.Present);
            Assert.Equal(a.Body.Present, b.Body.Present);
            Assert.Equal(a.Body.Landmarks, b.Body.Landmarks);
            Assert.Equal(a.Face.Landmarks, b.Face.Landmarks);
            Assert.Equal(a.Face.Iris, b.Face.Iris);
            Assert.Equal(a.Face.Blendshapes, b.Face.Blendshapes);
            faces += b.Face.Present ? 1 : 0;
        }

        Assert.Equal(frames.Count, faces);
        Assert.Equal(sequential.FaceDetectorRuns, parallel.FaceDetectorRuns);
    }

    [Fact]
    public void Process_FaceBesideThePose_AllocatesNothingAfterWarmUp()
    {
        List<VideoFrame> frames = Ffmpeg.Decode(TestData.Media("vid_body_fullbody_gesture_s13.mp4"), 12);
        using Tracker tracker = models.Create(new TrackerOptions { Body = true, ParallelFaceAndBody = true });
        var r = new TrackingFrame();
        long allocated = TestData.AllocatedAfterWarmUp(tracker, frames, r);
        Assert.True(r.Face.Present && r.Body.Present);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void SetNeutral_SameFrameAgain_GivesBlendshapesNearZero()
    {
        VideoFrame frame = s_sergey.Value;
        using Tracker tracker = models.Create(new TrackerOptions { StaticImage = true });
        var r = new TrackingFrame();
        tracker.Process(frame, r);
        Assert.Contains(r.Face.Blendshapes, v => v > 0.2f); // against the canonical face, a smiling man is not neutral

        tracker.SetNeutral(r);
        tracker.Process(frame, r);

        Assert.All(r.Face.Blendshapes, v => Assert.InRange(v, 0f, 0.02f));
    }

    [Fact]
    public void Process_HappyAndSadPhotos_SmileHigherOnTheHappyOne()
    {
        TrackingFrame happy = Track(Ffmpeg.DecodeImage(TestData.Media("face_woman_happy_sadtalker.png")));
        TrackingFrame sad = Track(Ffmpeg.DecodeImage(TestData.Media("face_woman_sad_sadtalker.png")));

        float Smile(TrackingFrame f) => f.Face.Blendshapes[(int)ArkitBlendshape.MouthSmileLeft] + f.Face.Blendshapes[(int)ArkitBlendshape.MouthSmileRight];
        Assert.True(Smile(happy) > Smile(sad) + 0.3f, $"happy {Smile(happy):F2}, sad {Smile(sad):F2}");
    }

    [Fact]
    public void Process_FullBodyVideo_FindsABodyUprightWithVisibleShoulders()
    {
        VideoFrame frame = Ffmpeg.Decode(TestData.Media("vid_body_fullbody_gesture_s13.mp4"), 1)[0];

        TrackingFrame r = Track(frame, new TrackerOptions { Face = false, Body = true, StaticImage = true });

        Assert.True(r.Body.Present);
        Vector4[] p = r.Body.Landmarks;
        Assert.True(p[11].W > 0.5f && p[12].W > 0.5f, "shoulders visible");
        Assert.True(p[0].Y < p[11].Y && p[11].Y < p[23].Y && p[23].Y < p[25].Y && p[25].Y < p[27].Y, "nose, shoulder, hip, knee, ankle top to bottom");
        Assert.True(p[27].Y > 0.7f, "ankles near the bottom of a full-body shot");
    }

    [Fact]
    public void Process_FullBodyVideo_WorldPointsAreMetresAboutTheHips()
    {
        VideoFrame frame = Ffmpeg.Decode(TestData.Media("vid_body_fullbody_gesture_s13.mp4"), 1)[0];

        TrackingFrame r = Track(frame, new TrackerOptions { Face = false, Body = true, StaticImage = true });

        Assert.True(r.Body.HasWorld);
        Vector3[] w = r.Body.WorldLandmarks;
        Vector3 midHip = (w[23] + w[24]) / 2;
        Assert.True(midHip.Length() < 0.05f, $"mid-hip {midHip} m from the origin");
        float shoulders = Vector3.Distance(w[11], w[12]);
        Assert.InRange(shoulders, 0.25f, 0.5f);
        // y down, as in the picture: the nose above the hips, the ankles below them, a standing adult's height apart.
        Assert.True(w[0].Y < -0.4f && w[27].Y > 0.6f && w[28].Y > 0.6f, $"nose {w[0].Y:F2} m, ankles {w[27].Y:F2} / {w[28].Y:F2} m");
        Assert.InRange(((w[27].Y + w[28].Y) / 2) - w[0].Y, 1.2f, 1.9f);
        // The image's x: the subject's left shoulder (11) is on the image's right for a person facing the camera.
        Assert.True(w[11].X > w[12].X == r.Body.Landmarks[11].X > r.Body.Landmarks[12].X, "world x follows image x");
    }

    [Fact]
    public void Process_SmallFaceInAFullBodyShot_FoundFromThePosesHeadAsHolisticDoes()
    {
        // The dance clip's first 30 frames: a 1080×1920 full-body shot whose face (~70 px) the whole-frame detector,
        // letterboxed to 128×128, never finds. With the body on, the detector runs again on the pose's head region.
        List<VideoFrame> frames = Ffmpeg.Decode(TestData.Media("vid_body_dance_musepose.mp4"), 30);
        int FacesFound(Tracker tracker)
        {
            var r = new TrackingFrame();
            int found = 0;
            foreach (VideoFrame f in frames)
            {
                tracker.Process(f, r);
                found += r.Face.Present ? 1 : 0;
            }

            return found;
        }

        using Tracker faceOnly = models.Create(new TrackerOptions());
        using Tracker withBody = models.Create(new TrackerOptions { Body = true });

        Assert.Equal(0, FacesFound(faceOnly));
        Assert.Equal(frames.Count, FacesFound(withBody));
        Assert.InRange(withBody.FacePoseRegionDetections, 1, 2);

        // The face found is the dancer's: the pose's eyes and mouth lie inside the mesh's outline (its point box).
        var last = new TrackingFrame();
        withBody.Process(frames[^1], last);
        Vector3 min = last.Face.Landmarks.Aggregate(Vector3.Min);
        Vector3 max = last.Face.Landmarks.Aggregate(Vector3.Max);
        foreach (int i in new[] { BodyTopology.LeftEye, BodyTopology.RightEye, BodyTopology.MouthLeft, BodyTopology.MouthRight })
        {
            Vector4 p = last.Body.Landmarks[i];
            Assert.True(p.X > min.X && p.X < max.X && p.Y > min.Y && p.Y < max.Y, $"pose point {BodyTopology.Names[i]} {p} outside the face {min}–{max}");
        }
    }

    [Fact]
    public void Reset_ForgetsTheRegion_SoTheNextFrameDetectsAgain()
    {
        using Tracker tracker = models.Create(new TrackerOptions());
        var r = new TrackingFrame();
        tracker.Process(s_sergey.Value, r);
        tracker.Process(s_sergey.Value, r);
        Assert.Equal(1, tracker.FaceDetectorRuns);

        tracker.Reset();
        tracker.Process(s_sergey.Value, r);

        Assert.Equal(2, tracker.FaceDetectorRuns);
        Assert.True(r.Face.Present);
    }
}
