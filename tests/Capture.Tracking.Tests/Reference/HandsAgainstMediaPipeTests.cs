using System.Globalization;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Xunit.Abstractions;

namespace Capture.Tracking.Tests.Reference;

/// <summary>Capture's hands against MediaPipe's own (JS @mediapipe/hands in Chromium).</summary>
[Collection(ModelsCollection.Name)]
public sealed class HandsAgainstMediaPipeTests(ModelsFixture models, ITestOutputHelper output)
{
    [Fact]
    public async Task Process_GestureClip_Explore()
    {
        const string Clip = "vid_body_fullbody_gesture_s13.mp4";
        string dir = Path.Combine(Path.GetTempPath(), $"capture-mphands-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            Ffmpeg.Run("-i", TestData.Media(Clip), "-fps_mode", "passthrough", Path.Combine(dir, "%04d.png"));
            string[] pngs = [.. Directory.GetFiles(dir, "*.png").Order(StringComparer.Ordinal)];
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
            Task<IReadOnlyList<MediaPipeResult>> referenceTask = MediaPipeJs.RunHandsAsync(pngs, staticMode: false, timeout.Token);
            Task<IReadOnlyList<MediaPipeResult>> holisticTask = MediaPipeJs.RunHolisticAsync(pngs, staticMode: false, timeout.Token);
            List<VideoFrame> frames = Ffmpeg.Decode(Path.Combine(dir, "%04d.png"));
            var runs = new (string Label, TrackerOptions Options)[]
            {
                ("palm, smoothing on", new TrackerOptions { Face = false, Hands = true }),
                ("palm 0.05/80", new TrackerOptions { Face = false, Hands = true, HandSmoothing = new(0.05f, 80f, 1f) }),
                ("palm 0.05/300", new TrackerOptions { Face = false, Hands = true, HandSmoothing = new(0.05f, 300f, 1f) }),
                ("palm 0.05/1000", new TrackerOptions { Face = false, Hands = true, HandSmoothing = new(0.05f, 1000f, 1f) }),
                ("palm 0.5/80", new TrackerOptions { Face = false, Hands = true, HandSmoothing = new(0.5f, 80f, 1f) }),
                ("palm 1/300", new TrackerOptions { Face = false, Hands = true, HandSmoothing = new(1f, 300f, 1f) }),
                ("palm 0.05/300/4", new TrackerOptions { Face = false, Hands = true, HandSmoothing = new(0.05f, 300f, 4f) }),
                ("palm, smoothing off", new TrackerOptions { Face = false, Hands = true, Smoothing = false }),
                ("body, smoothing on", new TrackerOptions { Face = false, Body = true, Hands = true }),
                ("body, smoothing off", new TrackerOptions { Face = false, Body = true, Hands = true, Smoothing = false }),
            };
            var ours = runs.Select(r => Track(frames, r.Options)).ToList();
            IReadOnlyList<MediaPipeResult> hands = await referenceTask;
            IReadOnlyList<MediaPipeResult> holistic = await holisticTask;
            {
                // Holistic's own pose into our hand path: does the hand path match Holistic's when the body is the same?
                var options = new TrackerOptions { Face = false, Body = true, Hands = true, Smoothing = false };
                using var tracker = new Capture.Tracking.Hands.HandTracker(
                    Capture.Tracking.Onnx.TensorModel.Open(models.Paths.PalmDetection!, "palm", 0),
                    Capture.Tracking.Onnx.TensorModel.Open(models.Paths.HandLandmark!, "hand", 0),
                    Capture.Tracking.Onnx.TensorModel.Open(models.Paths.HandRecrop!, "recrop", 0), options);
                var result = new TrackingFrame();
                var body = new BodyObservation();
                var nmes = new List<double>();
                int missed = 0;
                for (int k = 0; k < frames.Count; k++)
                {
                    result.Clear();
                    result.ImageWidth = frames[k].Width;
                    result.ImageHeight = frames[k].Height;
                    body.Clear();
                    if (holistic[k].Pose is { } pose)
                    {
                        body.Present = true;
                        for (int i = 0; i < 33; i++)
                        {
                            body.Landmarks[i] = pose.Landmarks[i];
                        }
                    }

                    tracker.Process(frames[k], body, result);
                    foreach (HandMatch match in HandComparison.Match(holistic[k].Hands ?? [], CapturedHand.From(result), frames[k].Width, frames[k].Height))
                    {
                        if (match.Missed)
                        {
                            missed++;
                        }
                        else
                        {
                            nmes.Add(match.Nme);
                        }
                    }
                }

                output.WriteLine($"holistic pose → our hand path vs Holistic's hands: missed {missed}, NME mean {nmes.Average() * 100:F2} %, max {nmes.Max() * 100:F2} %");
            }

            for (int m = 0; m < runs.Length; m++)
            {
                IReadOnlyList<MediaPipeResult> reference = runs[m].Options.Body ? holistic : hands;
                var nmes = new List<double>();
                int missed = 0, wrongSide = 0, mpHands = 0, ourHands = 0;
                for (int k = 0; k < frames.Count; k++)
                {
                    IReadOnlyList<MediaPipeHand> theirs = reference[k].Hands ?? [];
                    mpHands += theirs.Count;
                    ourHands += ours[m][k].Count;
                    foreach (HandMatch match in HandComparison.Match(theirs, ours[m][k], frames[k].Width, frames[k].Height))
                    {
                        if (match.Missed)
                        {
                            missed++;
                            output.WriteLine($"  {runs[m].Label}: frame {k} missed a {match.Reference.PerformerSide} hand ({match.Reference.Score:F2}) at wrist {match.Reference.Landmarks[0].X * frames[k].Width:F0},{match.Reference.Landmarks[0].Y * frames[k].Height:F0}; MediaPipe has {theirs.Count}, ours {ours[m][k].Count}: {string.Join(" ", ours[m][k].Select(o => $"{o.Side}@{o.Pixels[0].X:F0},{o.Pixels[0].Y:F0}"))}");
                            continue;
                        }

                        nmes.Add(match.Nme);
                        if (!match.SameSide)
                        {
                            wrongSide++;
                        }

                        if (match.Nme > 0.03)
                        {
                            output.WriteLine($"  {runs[m].Label}: frame {k} NME {match.Nme * 100:F2} % ({match.Reference.PerformerSide})");
                        }
                    }
                }

                if (Environment.GetEnvironmentVariable("CAPTURE_MP_DUMP") is { Length: > 0 } dump)
                {
                    foreach (int k in new[] { 0, 20, 40, 44, 48, 65, 79, 88, 92 })
                    {
                        Draw(frames[k], ours[m][k], reference[k].Hands ?? [], Path.Combine(dump, $"m{m}_{k:D3}.ppm"));
                    }
                }

                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{runs[m].Label}: MediaPipe hands {mpHands}, ours {ourHands}, missed {missed}, other side {wrongSide}, NME mean {nmes.Average() * 100:F2} %, max {nmes.Max() * 100:F2} %"));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Draw(VideoFrame frame, IReadOnlyList<CapturedHand> ours, IReadOnlyList<MediaPipeHand> theirs, string path)
    {
        int w = frame.Width, h = frame.Height;
        byte[] rgb = frame.Pixels.ToArray();
        void Dot(float x, float y, byte r, byte g, byte b)
        {
            for (int yy = (int)y - 2; yy <= (int)y + 2; yy++)
            {
                for (int xx = (int)x - 2; xx <= (int)x + 2; xx++)
                {
                    if (xx >= 0 && yy >= 0 && xx < w && yy < h)
                    {
                        int o = ((yy * w) + xx) * 3;
                        (rgb[o], rgb[o + 1], rgb[o + 2]) = (r, g, b);
                    }
                }
            }
        }

        foreach (MediaPipeHand t in theirs)
        {
            foreach (System.Numerics.Vector3 p in t.Landmarks)
            {
                Dot(p.X * w, p.Y * h, 255, 0, 0);
            }
        }

        foreach (CapturedHand o in ours)
        {
            foreach (System.Numerics.Vector2 p in o.Pixels)
            {
                Dot(p.X, p.Y, 0, o.Side == Handedness.Left ? (byte)255 : (byte)0, o.Side == Handedness.Right ? (byte)255 : (byte)0);
            }
        }

        using FileStream file = File.Create(path);
        file.Write(System.Text.Encoding.ASCII.GetBytes($"P6\n{w} {h}\n255\n"));
        file.Write(rgb);
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
}
