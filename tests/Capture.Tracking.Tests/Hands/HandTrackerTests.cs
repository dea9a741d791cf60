using System.Globalization;
using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Xunit.Abstractions;

namespace Capture.Tracking.Tests.Hands;

/// <summary>The hand tracker on real pictures and on clips cut from them (the shared gesture and dance clips).</summary>
[Collection(ModelsCollection.Name)]
public sealed class HandTrackerTests(ModelsFixture models, ITestOutputHelper output) : IDisposable
{
    private const string Gesture = "vid_body_fullbody_gesture_s13.mp4";
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-hands-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Frame 48 of the gesture clip, both hands raised (720×1080), through an ffmpeg filter.</summary>
    private static VideoFrame Frame48(string filter = "null", int width = 720, int height = 1080) =>
        Ffmpeg.Decode(TestData.Media(Gesture), 1, width, height, extraFilter: $"select=eq(n\\,48),{filter}")[0];

    private static float WristX(HandObservation hand) => hand.Landmarks[HandTopology.Wrist].X;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Process_MirroredPicture_EachHandFiledByItsOwnSideAsTheBodyIs(bool body)
    {
        // The performer's right hand is on the picture's left. Mirrored, that hand moves right and looks like a left hand:
        // both the hand model and the body then call it the left (as MediaPipe does); the sides follow the hands, not the
        // picture's halves, and the hand model and the body agree on both pictures.
        using Tracker tracker = models.Create(new TrackerOptions { Face = false, Body = body, Hands = true, StaticImage = true });
        var result = new TrackingFrame();
        foreach (bool mirrored in new[] { false, true })
        {
            tracker.Process(Frame48(mirrored ? "hflip" : "null"), result);

            Assert.True(result.LeftHand.Present && result.RightHand.Present, $"mirrored {mirrored}: both hands expected");
            Assert.True(WristX(result.RightHand) < 0.5f && WristX(result.LeftHand) > 0.5f,
                $"mirrored {mirrored}: right hand at x {WristX(result.RightHand):F2}, left at {WristX(result.LeftHand):F2}");
            Assert.True(result.RightHand.HandednessScore > 0.5f && result.LeftHand.HandednessScore > 0.5f,
                $"mirrored {mirrored}: the hand model's handedness {result.RightHand.HandednessScore:F2} / {result.LeftHand.HandednessScore:F2}");
            if (body)
            {
                // The body's own wrists are where the hands are.
                Vector4 rightWrist = result.Body.Landmarks[16];
                Assert.True(MathF.Abs(rightWrist.X - WristX(result.RightHand)) < 0.05f, $"mirrored {mirrored}: pose right wrist x {rightWrist.X:F2}");
            }
        }
    }

    [Fact]
    public void Process_TwoHandsCrossing_KeepTheirSides()
    {
        // The two raised hands of frame 48 cut out, enlarged 1.8× and slid across each other on white over 40 frames (25 fps):
        // the performer's right hand from the left to the right, the left hand the other way, the left in front where they meet.
        string right = Path.Combine(_dir, "right.png"), left = Path.Combine(_dir, "left.png"), clip = Path.Combine(_dir, "cross.mp4");
        Ffmpeg.Run("-i", TestData.Media(Gesture), "-vf", "select=eq(n\\,48),crop=170:200:105:30", "-frames:v", "1", right);
        Ffmpeg.Run("-i", TestData.Media(Gesture), "-vf", "select=eq(n\\,48),crop=170:200:500:30", "-frames:v", "1", left);
        Ffmpeg.Run("-f", "lavfi", "-i", "color=white:s=640x480:r=25:d=1.6", "-loop", "1", "-i", right, "-loop", "1", "-i", left,
            "-filter_complex", "[1]scale=306:360[r];[2]scale=306:360[l];[0][r]overlay=x='334*t/1.6':y=60:shortest=1[a];[a][l]overlay=x='334-334*t/1.6':y=60:shortest=1",
            "-frames:v", "40", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-crf", "12", clip);
        List<VideoFrame> frames = Ffmpeg.Decode(clip);
        Assert.Equal(40, frames.Count);

        using Tracker tracker = models.Create(new TrackerOptions { Face = false, Hands = true });
        var result = new TrackingFrame();
        int before = 0, after = 0;
        for (int k = 0; k < frames.Count; k++)
        {
            tracker.Process(frames[k], result);
            string seen = $"{(result.RightHand.Present ? WristX(result.RightHand).ToString("F2", CultureInfo.InvariantCulture) : "-")} / {(result.LeftHand.Present ? WristX(result.LeftHand).ToString("F2", CultureInfo.InvariantCulture) : "-")}";
            output.WriteLine($"frame {k}: right / left wrist x {seen}");
            if (!(result.LeftHand.Present && result.RightHand.Present))
            {
                continue;
            }

            if (k < 12)
            {
                Assert.True(WristX(result.RightHand) < WristX(result.LeftHand), $"frame {k}: before crossing the right hand should be left of the left one ({seen})");
                before++;
            }
            else if (k >= 28)
            {
                Assert.True(WristX(result.RightHand) > WristX(result.LeftHand), $"frame {k}: after crossing the right hand should be right of the left one ({seen})");
                after++;
            }
        }

        Assert.True(before >= 8 && after >= 8, $"both hands seen in {before} frames before and {after} after crossing");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Process_OneHandLeavingTheFrame_ItsSlotEmptiesTheOtherStays(bool body)
    {
        // A 640×480 window panning right across frame 48 (padded white each side) over 40 frames: the performer's right hand
        // (the picture's left) leaves through the left edge, the left hand stays in view.
        List<VideoFrame> frames = PanClip();

        using Tracker tracker = models.Create(new TrackerOptions { Face = false, Body = body, Hands = true });
        var result = new TrackingFrame();
        for (int k = 0; k < frames.Count; k++)
        {
            tracker.Process(frames[k], result);
            output.WriteLine($"frame {k}: right {(result.RightHand.Present ? WristX(result.RightHand).ToString("F2", CultureInfo.InvariantCulture) : "-")}, left {(result.LeftHand.Present ? WristX(result.LeftHand).ToString("F2", CultureInfo.InvariantCulture) : "-")}");
            if (k < 4)
            {
                Assert.True(result.RightHand.Present && result.LeftHand.Present, $"frame {k}: both hands in view");
            }

            if (k >= 34)
            {
                // Out of the picture (its last point passed x < 0 around frame 28): the slot is empty and cleared.
                Assert.False(result.RightHand.Present, $"frame {k}: the right hand left the picture but is still reported at x {WristX(result.RightHand):F2}");
                Assert.All(result.RightHand.Landmarks, p => Assert.Equal(Vector3.Zero, p));
            }

            if (k >= 30)
            {
                Assert.True(result.LeftHand.Present, $"frame {k}: the left hand is still in view");
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Process_HandAtThePicturesEdge_TrackedWhilePartlyOutside(bool body)
    {
        // Still, a hand 5 px from the left edge is found (the pictures test compares it with MediaPipe). Moving out, the
        // hand stays tracked while part of it is past the edge: points with x < 0 on the frames before it is gone.
        using (Tracker still = models.Create(new TrackerOptions { Face = false, Body = body, Hands = true, StaticImage = true }))
        {
            var picture = new TrackingFrame();
            still.Process(Frame48("crop=560:420:160:0", 560, 420), picture);
            Assert.True(picture.RightHand.Present && picture.LeftHand.Present, "a hand at the edge of a still was not found");
        }

        using Tracker tracker = models.Create(new TrackerOptions { Face = false, Body = body, Hands = true });
        var result = new TrackingFrame();
        int partlyOutside = 0;
        foreach (VideoFrame f in PanClip())
        {
            tracker.Process(f, result);
            if (result.RightHand.Present && result.RightHand.Landmarks.Any(p => p.X < 0) && result.RightHand.Landmarks.Any(p => p.X > 0))
            {
                partlyOutside++;
            }
        }

        output.WriteLine($"the right hand tracked across the edge in {partlyOutside} frames");
        Assert.True(partlyOutside >= 2, $"the right hand was tracked partly outside the picture in {partlyOutside} frames");
    }

    /// <summary>A 640×480 window panning right across frame 48 (padded white each side) over 40 frames at 25 fps.</summary>
    private List<VideoFrame> PanClip()
    {
        string clip = Path.Combine(_dir, "pan.mp4");
        if (!File.Exists(clip))
        {
            Ffmpeg.Run("-i", TestData.Media(Gesture), "-vf", "select=eq(n\\,48),pad=1120:1080:200:0:white,loop=loop=39:size=1,crop=640:480:'260+200*n/39':0,setpts=N/25/TB",
                "-frames:v", "40", "-pix_fmt", "yuv420p", "-c:v", "libx264", "-crf", "12", clip);
        }

        List<VideoFrame> frames = Ffmpeg.Decode(clip);
        Assert.Equal(40, frames.Count);
        return frames;
    }

    [Fact]
    public void Process_HandOverTheFace_FaceKeepsTracking()
    {
        // The dance clip's frames 124–163: her right hand at her mouth, covering the chin (upper body, 540×540).
        List<VideoFrame> frames = Ffmpeg.Decode(TestData.Media("vid_body_dance_musepose.mp4"), 40, 540, 540, extraFilter: "select=between(n\\,124\\,163),crop=540:540:270:0,setpts=N/24/TB");
        Assert.Equal(40, frames.Count);
        using Tracker tracker = models.Create(new TrackerOptions { Hands = true });
        var result = new TrackingFrame();
        int faces = 0, handsOnFace = 0;
        foreach (VideoFrame f in frames)
        {
            tracker.Process(f, result);
            faces += result.Face.Present ? 1 : 0;
            if (result.Face.Present && result.RightHand.Present)
            {
                // Some finger point inside the face's landmark box.
                float minX = result.Face.Landmarks.Min(p => p.X), maxX = result.Face.Landmarks.Max(p => p.X);
                float minY = result.Face.Landmarks.Min(p => p.Y), maxY = result.Face.Landmarks.Max(p => p.Y);
                handsOnFace += result.RightHand.Landmarks.Any(p => p.X > minX && p.X < maxX && p.Y > minY && p.Y < maxY) ? 1 : 0;
            }
        }

        output.WriteLine($"face in {faces} of {frames.Count} frames; the right hand over the face in {handsOnFace}");
        Assert.Equal(frames.Count, faces);
        Assert.True(handsOnFace >= frames.Count * 3 / 4, $"the hand over the face was tracked in {handsOnFace} of {frames.Count} frames");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Process_FaceBodyAndHands_AllocatesNothingAfterWarmUp(bool body)
    {
        List<VideoFrame> frames = Ffmpeg.Decode(TestData.Media(Gesture), 12);
        using Tracker tracker = models.Create(new TrackerOptions { Body = body, Hands = true });
        var result = new TrackingFrame();

        long allocated = TestData.AllocatedAfterWarmUp(tracker, frames, result);

        Assert.Equal(0, allocated);
        Assert.True(result.LeftHand.Present || result.RightHand.Present);
    }

    [Fact]
    public void Process_HandsFromTheBodyHeldStill_ReCropModelSkippedBetweenChecks()
    {
        // 12 copies of a photo with both hands raised, body on: each hand's re-crop runs on the first frame (a fresh
        // region), the second (the track is kept: the check) and then once every third frame while the pose's wrist
        // stays put (two frames tracked from the previous landmarks between checks): 5 a hand, not 12. While the pose's
        // own tracking settles over the first frames a wrist may move past the drift once more (measured: 11).
        VideoFrame photo = Frame48("crop=600:450:60:0", 640, 480);
        using Tracker tracker = models.Create(new TrackerOptions { Face = false, Body = true, Hands = true });
        var result = new TrackingFrame();
        for (int i = 0; i < 12; i++)
        {
            VideoFrame f = VideoFrame.CreateUnpooled(photo.Width, photo.Height);
            photo.ReadOnlyPixels.CopyTo(f.Pixels);
            f.Sequence = i;
            f.TimestampUs = i * 33_333L;
            tracker.Process(f, result);
            Assert.True(result.LeftHand.Present && result.RightHand.Present, $"copy {i}: both hands expected");
        }

        output.WriteLine($"re-crop runs {tracker.HandRecropRuns}, hand-model runs {tracker.HandLandmarkRuns}, palm detector runs {tracker.PalmDetectorRuns} over 12 frames");
        Assert.InRange(tracker.HandRecropRuns, 10, 12);
        Assert.Equal(24, tracker.HandLandmarkRuns);
    }

    [Fact]
    public void Process_StillHandPhoto_JitterNoMoreThanTheFaces()
    {
        // 30 copies of a photo each, default smoothing: the region follows the points, so even identical frames move
        // them a little. The hands: frame 48's upper body at 640×480 (hands ~40 px wrist → knuckle); the face: the
        // shared frontal photo at 640×480 (the tracking benchmark's jitter row).
        VideoFrame hands = Frame48("crop=600:450:60:0", 640, 480);
        VideoFrame face = Ffmpeg.DecodeImage(TestData.Media("face_sergey_mediapipe.png"), 640, 480);
        double handJitter = Jitter(hands, new TrackerOptions { Face = false, Hands = true }, r => [.. r.LeftHand.Landmarks, .. r.RightHand.Landmarks]);
        double faceJitter = Jitter(face, new TrackerOptions(), r => r.Face.Landmarks);

        output.WriteLine($"std over 30 frames: hands {handJitter:F3} px, face {faceJitter:F3} px");
        Assert.True(handJitter <= faceJitter, $"hand jitter {handJitter:F3} px > face jitter {faceJitter:F3} px");
    }

    private double Jitter(VideoFrame photo, TrackerOptions options, Func<TrackingFrame, Vector3[]> points)
    {
        using Tracker tracker = models.Create(options);
        var result = new TrackingFrame();
        var all = new List<Vector3[]>();
        for (int i = 0; i < 30; i++)
        {
            VideoFrame f = VideoFrame.CreateUnpooled(photo.Width, photo.Height);
            photo.ReadOnlyPixels.CopyTo(f.Pixels);
            f.Sequence = i;
            f.TimestampUs = i * 33_333L;
            tracker.Process(f, result);
            Vector3[] p = points(result);
            Assert.True(p.Length > 0 && p[0] != Vector3.Zero, $"copy {i}: nothing tracked");
            all.Add([.. p]);
        }

        double sum = 0;
        int n = all[0].Length;
        for (int i = 0; i < n; i++)
        {
            var pixels = all.Select(p => new Vector2(p[i].X * photo.Width, p[i].Y * photo.Height)).ToList();
            Vector2 mean = pixels.Aggregate(Vector2.Zero, (a, b) => a + b) / pixels.Count;
            sum += Math.Sqrt(pixels.Sum(q => (double)Vector2.DistanceSquared(q, mean)) / pixels.Count / 2);
        }

        return sum / n;
    }
}
