using System.Globalization;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Tracking.Hands;
using Capture.Tracking.Onnx;
using Xunit.Abstractions;

namespace Capture.Tracking.Tests.Reference;

/// <summary>
/// Capture's hands against MediaPipe's own: <c>@mediapipe/hands</c> for the palm-detector path and <c>@mediapipe/holistic</c>
/// for the hands-from-the-body path, in headless Chromium (models on the CPU: useCpuInference). NME = mean distance of the
/// 21 points over MediaPipe's wrist → middle-knuckle distance, per hand.
/// </summary>
[Collection(ModelsCollection.Name)]
public sealed class HandsAgainstMediaPipeTests(ModelsFixture models, ITestOutputHelper output)
{
    private const string Clip = "vid_body_fullbody_gesture_s13.mp4";

    /// <summary>
    /// The whole gesture clip (103 frames, 720×1080, cut to PNGs so both see the same pixels), tracked frame after frame.
    /// Palm detector path against MediaPipe Hands: unsmoothed, the same regions give the same points (mean NME ≤ 0.5 %,
    /// measured 0.01 %); with Capture's default smoothing (MediaPipe Hands has none) the lag of the fast gestures stays
    /// ≤ 1.5 % mean (measured 1.1 %). No hand MediaPipe finds is missed: where MediaPipe reports three hands (its graph
    /// keeps a tracked region and a new palm both; on 7 frames, the third on the shoulder or beside a hand), Capture,
    /// which keeps two, must have two of them.
    /// Body path against MediaPipe Holistic, given Holistic's own pose: with Holistic's graph (the re-crop model every
    /// frame) the hands from the pose agree to ≤ 1 % mean with none missed (measured 0.21 % on an AMD EPYC); with
    /// Capture's default re-crop skip (a kept hand tracked from its previous landmarks while its wrist stays put) to the
    /// issue's ≤ 1.5 % (measured 0.46 % on the EPYC, 0.71 % on CI's CPU: MediaPipe's wasm kernels and ORT's round
    /// differently from one CPU to another, and a few hands' crops follow that noise, up to 15–20 % on one hand);
    /// with Capture's own pose the figures are printed (the pose points differ, and with them the crops:
    /// docs/tracking.md).
    /// </summary>
    [Fact]
    public async Task Process_GestureClip_MatchesMediaPipeHandsAndHolistic()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"capture-mphands-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            Ffmpeg.Run("-i", TestData.Media(Clip), "-fps_mode", "passthrough", Path.Combine(dir, "%04d.png"));
            string[] pngs = [.. Directory.GetFiles(dir, "*.png").Order(StringComparer.Ordinal)];
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
            Task<IReadOnlyList<MediaPipeResult>> handsTask = MediaPipeJs.RunHandsAsync(pngs, staticMode: false, timeout.Token);
            Task<IReadOnlyList<MediaPipeResult>> holisticTask = MediaPipeJs.RunHolisticAsync(pngs, staticMode: false, timeout.Token);
            List<VideoFrame> frames = Ffmpeg.Decode(Path.Combine(dir, "%04d.png"));
            Assert.Equal(103, frames.Count);

            List<IReadOnlyList<CapturedHand>> smoothed = Track(frames, new TrackerOptions { Face = false, Hands = true });
            List<IReadOnlyList<CapturedHand>> raw = Track(frames, new TrackerOptions { Face = false, Hands = true, Smoothing = false });
            List<IReadOnlyList<CapturedHand>> fromOwnPose = Track(frames, new TrackerOptions { Face = false, Body = true, Hands = true, Smoothing = false });
            IReadOnlyList<MediaPipeResult> hands = await handsTask;
            IReadOnlyList<MediaPipeResult> holistic = await holisticTask;
            List<IReadOnlyList<CapturedHand>> fromHolisticPose = TrackFromPoses(frames, holistic, recropEveryFrame: true);
            List<IReadOnlyList<CapturedHand>> fromHolisticPoseSkipping = TrackFromPoses(frames, holistic, recropEveryFrame: false);

            Summary rawSummary = Compare("palm detector, smoothing off, vs Hands", frames, raw, hands);
            Summary smoothSummary = Compare("palm detector, default smoothing, vs Hands", frames, smoothed, hands);
            Summary holisticSummary = Compare("hands from Holistic's pose, re-crop every frame, smoothing off, vs Holistic", frames, fromHolisticPose, holistic);
            Summary skippingSummary = Compare("hands from Holistic's pose, default re-crop skip, smoothing off, vs Holistic", frames, fromHolisticPoseSkipping, holistic);
            Compare("hands from Capture's pose, smoothing off, vs Holistic", frames, fromOwnPose, holistic);

            Assert.True(rawSummary.Mean <= 0.005, $"unsmoothed mean NME {rawSummary.Mean * 100:F2} % > 0.5 %");
            Assert.True(smoothSummary.Mean <= 0.015, $"smoothed mean NME {smoothSummary.Mean * 100:F2} % > 1.5 %");
            Assert.True(holisticSummary.Mean <= 0.01, $"hands from Holistic's pose, re-crop every frame: mean NME {holisticSummary.Mean * 100:F2} % > 1 %");
            Assert.True(skippingSummary.Mean <= 0.015, $"hands from Holistic's pose, default re-crop skip: mean NME {skippingSummary.Mean * 100:F2} % > 1.5 %");
            Assert.Empty(rawSummary.Missed);
            Assert.Empty(smoothSummary.Missed);
            Assert.Empty(holisticSummary.Missed);
            Assert.Empty(skippingSummary.Missed);
            Assert.Equal(0, holisticSummary.OtherSide);
            Assert.Equal(0, skippingSummary.OtherSide);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The pictures of hands: there are few in the shared media, so they are frames of the two full-body clips (whole, the
    /// upper body, hand close-ups, a hand cut by the picture's edge, a mirrored frame) and the full-body anime illustration
    /// and the astronaut's portrait (a gloved hand at the bottom edge), each as ffmpeg cuts it.
    /// </summary>
    public static TheoryData<string, string, string> Pictures { get; } = new()
    {
        { "s13 frame 0 (arms down)", Clip, "select=eq(n\\,0)" },
        { "s13 frame 24 (hands at the chest)", Clip, "select=eq(n\\,24)" },
        { "s13 frame 48 (both hands raised)", Clip, "select=eq(n\\,48)" },
        { "s13 frame 72", Clip, "select=eq(n\\,72)" },
        { "s13 frame 96", Clip, "select=eq(n\\,96)" },
        { "s13 frame 48 mirrored", Clip, "select=eq(n\\,48),hflip" },
        { "s13 frame 48, right hand close-up", Clip, "select=eq(n\\,48),crop=200:200:90:30,scale=400:400" },
        { "s13 frame 48, left hand close-up", Clip, "select=eq(n\\,48),crop=200:200:490:30,scale=400:400" },
        { "s13 frame 48, a hand at the left edge", Clip, "select=eq(n\\,48),crop=560:420:160:0" },
        { "dance frame 36, upper body", "vid_body_dance_musepose.mp4", "select=eq(n\\,36),crop=1080:1080:0:0" },
        { "dance frame 144, hand at the mouth", "vid_body_dance_musepose.mp4", "select=eq(n\\,144),crop=540:540:270:0" },
        { "anime illustration, hands raised", "char_fullbody_anime_musepose_ref.jpg", "null" },
        { "astronaut portrait", "face_astronaut_eileen_collins.png", "null" },
    };

    /// <summary>
    /// Static mode (the detector on every picture) on <see cref="Pictures"/>: every hand MediaPipe Hands finds is found,
    /// NME per hand printed, mean over all hands ≤ 1.5 %.
    /// </summary>
    [Fact]
    public async Task Process_PicturesOfHands_MatchMediaPipeHands()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"capture-mphandpics-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var paths = new List<string>();
            var names = new List<string>();
            foreach (object[] row in Pictures)
            {
                string path = Path.Combine(dir, $"{paths.Count:D2}.png");
                Ffmpeg.Run("-i", TestData.Media((string)row[1]), "-vf", (string)row[2], "-frames:v", "1", path);
                paths.Add(path);
                names.Add((string)row[0]);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            Task<IReadOnlyList<MediaPipeResult>> referenceTask = MediaPipeJs.RunHandsAsync(paths, staticMode: true, timeout.Token);
            using Tracker tracker = models.Create(new TrackerOptions { Face = false, Hands = true, StaticImage = true });
            var result = new TrackingFrame();
            var ours = new List<IReadOnlyList<CapturedHand>>();
            var sizes = new List<(int W, int H)>();
            foreach (string path in paths)
            {
                VideoFrame frame = Ffmpeg.DecodeImage(path);
                tracker.Process(frame, result);
                ours.Add(CapturedHand.From(result));
                sizes.Add((frame.Width, frame.Height));
            }

            IReadOnlyList<MediaPipeResult> reference = await referenceTask;
            var all = new List<double>();
            var missed = new List<string>();
            for (int k = 0; k < paths.Count; k++)
            {
                IReadOnlyList<MediaPipeHand> theirs = reference[k].Hands ?? [];
                IReadOnlyList<HandMatch> matches = HandComparison.Match(theirs, ours[k], sizes[k].W, sizes[k].H);
                string detail = string.Join(", ", matches.Select(m => m.Missed
                    ? $"{m.Reference.PerformerSide} MISSED"
                    : string.Create(CultureInfo.InvariantCulture, $"{m.Reference.PerformerSide} {m.Nme * 100:F2} % of {m.HandSize:F0} px{(m.SameSide ? "" : " (other side)")}")));
                output.WriteLine($"{names[k]} ({sizes[k].W}x{sizes[k].H}): MediaPipe {theirs.Count}, Capture {ours[k].Count}: {(detail.Length == 0 ? "no hand" : detail)}");
                all.AddRange(matches.Where(m => !m.Missed).Select(m => m.Nme));
                missed.AddRange(matches.Where(m => m.Missed).Select(m => $"{names[k]}: {m.Reference.PerformerSide}"));
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"all pictures: {all.Count} hands, NME mean {all.Average() * 100:F2} %, max {all.Max() * 100:F2} %"));
            Assert.Empty(missed);
            Assert.True(all.Average() <= 0.015, $"mean NME {all.Average() * 100:F2} % > 1.5 %");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed record Summary(double Mean, double Max, IReadOnlyList<string> Missed, int OtherSide);

    private Summary Compare(string label, List<VideoFrame> frames, List<IReadOnlyList<CapturedHand>> ours, IReadOnlyList<MediaPipeResult> reference)
    {
        var nmes = new List<double>();
        var missed = new List<string>();
        int theirs = 0, mine = 0, otherSide = 0, thirds = 0;
        for (int k = 0; k < frames.Count; k++)
        {
            IReadOnlyList<MediaPipeHand> found = reference[k].Hands ?? [];
            theirs += found.Count;
            mine += ours[k].Count;
            IReadOnlyList<HandMatch> matches = HandComparison.Match(found, ours[k], frames[k].Width, frames[k].Height);
            foreach (HandMatch m in matches.Where(m => !m.Missed))
            {
                nmes.Add(m.Nme);
                otherSide += m.SameSide ? 0 : 1;
            }

            int matched = matches.Count(m => !m.Missed);
            if (found.Count > 2)
            {
                // A performer has two hands: of MediaPipe's three, Capture must have two.
                thirds++;
                if (matched < 2)
                {
                    missed.Add($"frame {k}: {matched} of MediaPipe's {found.Count}");
                }
            }
            else if (matched < found.Count)
            {
                missed.Add($"frame {k}: {matched} of MediaPipe's {found.Count}");
            }
        }

        double mean = nmes.Count == 0 ? double.NaN : nmes.Average();
        double max = nmes.Count == 0 ? double.NaN : nmes.Max();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label}: MediaPipe {theirs} hands ({thirds} frames with three), Capture {mine}; matched {nmes.Count}, NME mean {mean * 100:F2} %, max {max * 100:F2} %; " +
            $"filed under the other side than MediaPipe's label: {otherSide}; missed: {(missed.Count == 0 ? "none" : string.Join("; ", missed))}"));
        return new Summary(mean, max, missed, otherSide);
    }

    private List<IReadOnlyList<CapturedHand>> Track(List<VideoFrame> frames, TrackerOptions options)
    {
        using Tracker tracker = models.Create(options);
        var result = new TrackingFrame();
        var hands = new List<IReadOnlyList<CapturedHand>>(frames.Count);
        foreach (VideoFrame f in frames)
        {
            tracker.Process(f, result);
            hands.Add(CapturedHand.From(result));
        }

        return hands;
    }

    /// <summary>Capture's hand path fed with Holistic's own pose points, frame by frame (the hands as Holistic finds them from its body).</summary>
    private List<IReadOnlyList<CapturedHand>> TrackFromPoses(List<VideoFrame> frames, IReadOnlyList<MediaPipeResult> holistic, bool recropEveryFrame)
    {
        using var tracker = new HandTracker(
            TensorModel.Open(models.Paths.PalmDetection!, TrackerModels.PalmDetectionName(HandModel.Full), 0),
            TensorModel.Open(models.Paths.HandLandmark!, TrackerModels.HandLandmarkName(HandModel.Full), 0),
            TensorModel.Open(models.Paths.HandRecrop!, TrackerModels.HandRecrop, 0),
            new TrackerOptions { Face = false, Body = true, Hands = true, Smoothing = false, HandRecropEveryFrame = recropEveryFrame });
        var result = new TrackingFrame();
        var body = new BodyObservation();
        var hands = new List<IReadOnlyList<CapturedHand>>(frames.Count);
        for (int k = 0; k < frames.Count; k++)
        {
            result.Clear();
            result.ImageWidth = frames[k].Width;
            result.ImageHeight = frames[k].Height;
            body.Clear();
            if (holistic[k].Pose is { } pose)
            {
                body.Present = true;
                for (int i = 0; i < TrackingFrame.BodyLandmarkCount; i++)
                {
                    body.Landmarks[i] = pose.Landmarks[i];
                }
            }

            tracker.Process(frames[k], body, result);
            hands.Add(CapturedHand.From(result));
        }

        return hands;
    }
}
