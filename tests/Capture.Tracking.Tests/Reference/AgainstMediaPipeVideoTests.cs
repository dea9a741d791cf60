using System.Globalization;
using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Xunit.Abstractions;

namespace Capture.Tracking.Tests.Reference;

/// <summary>
/// Our face landmarks against MediaPipe's own (JS face_mesh in Chromium) over real video clips, both
/// in tracking mode (each frame's region from the previous frame's landmarks; the detector only on the
/// first frame or after a loss).
/// </summary>
[Collection(ModelsCollection.Name)]
public sealed class AgainstMediaPipeVideoTests(ModelsFixture models, ITestOutputHelper output)
{
    /// <summary>
    /// The clips are cut into PNGs once and both trackers read the same PNGs, so they see the same
    /// pixels at the native size (no scaling, no padding, one YUV→RGB conversion). Ranges:
    /// vid_expr_man_d18 frames 60–149 hold the first mouth opening (from ~66) and the onset of the
    /// wide one (from ~114); vid_expr_woman_d3 frames 0–59 hold a head turn with a wink (~10–25).
    /// Per clip the mean normalized error (mean 468-point distance over the outer-eye-corner
    /// distance 33–263 of MediaPipe's points) with Capture's default smoothing is at most 1.5 %.
    /// </summary>
    [Theory]
    [InlineData("vid_expr_man_d18.mp4", 60, 90)]
    [InlineData("vid_expr_woman_d3.mp4", 0, 60)]
    public async Task Process_TrackedClip_MatchesMediaPipeWithinOneAndAHalfPercentOfInterOcular(string clip, int first, int count)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"capture-mpvid-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            Ffmpeg.Run(
                "-i", TestData.Media(clip), "-vf", $"select=between(n\\,{first}\\,{first + count - 1})", "-fps_mode", "passthrough",
                "-frames:v", count.ToString(CultureInfo.InvariantCulture), Path.Combine(dir, "%04d.png"));
            string[] pngs = [.. Directory.GetFiles(dir, "*.png").Order(StringComparer.Ordinal)];
            Assert.Equal(count, pngs.Length);

            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            Task<IReadOnlyList<MediaPipeResult>> referenceTask = MediaPipeJs.RunFaceMeshAsync(pngs, staticMode: false, timeout.Token);
            List<VideoFrame> frames = Ffmpeg.Decode(Path.Combine(dir, "%04d.png"));
            Assert.Equal(count, frames.Count);

            Vector3[]?[] smoothedPoints = Track(frames, new TrackerOptions());
            Vector3[]?[] rawPoints = Track(frames, new TrackerOptions { Smoothing = false });
            IReadOnlyList<MediaPipeResult> reference = await referenceTask;
            Assert.Equal(count, reference.Count);

            double[] nmeSmoothed = Nme(frames, smoothedPoints, reference, clip, first);
            double[] nmeRaw = Nme(frames, rawPoints, reference, clip, first);
            Report(clip, "smoothing on (default)", nmeSmoothed, first);
            Report(clip, "smoothing off", nmeRaw, first);

            if (Environment.GetEnvironmentVariable("CAPTURE_MP_DUMP") is { Length: > 0 } dump)
            {
                int worst = Array.IndexOf(nmeSmoothed, nmeSmoothed.Max());
                DrawPoints(frames[worst], smoothedPoints[worst]!, reference[worst].Faces[0].Landmarks, Path.Combine(dump, $"{Path.GetFileNameWithoutExtension(clip)}_{first + worst}.ppm"));
            }

            double mean = nmeSmoothed.Average();
            Assert.True(mean <= 0.015, $"{clip}: mean NME {mean * 100:F2} % > 1.5 % (smoothing on)");
            // Unsmoothed, every frame must match as closely as a photo does (the photo test's bound).
            double worstRaw = nmeRaw.Max();
            Assert.True(worstRaw <= 0.015, $"{clip}: worst unsmoothed NME {worstRaw * 100:F2} % > 1.5 % (frame {first + Array.IndexOf(nmeRaw, worstRaw)})");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Runs a fresh tracker over the frames; per frame a copy of the 468 points (null where no face).</summary>
    private Vector3[]?[] Track(List<VideoFrame> frames, TrackerOptions options)
    {
        using Tracker tracker = models.Create(options);
        var result = new TrackingFrame();
        var points = new Vector3[]?[frames.Count];
        for (int k = 0; k < frames.Count; k++)
        {
            tracker.Process(frames[k], result);
            points[k] = result.Face.Present ? [.. result.Face.Landmarks] : null;
        }

        return points;
    }

    private static double[] Nme(List<VideoFrame> frames, Vector3[]?[] ours, IReadOnlyList<MediaPipeResult> reference, string clip, int first)
    {
        var nme = new double[frames.Count];
        for (int k = 0; k < frames.Count; k++)
        {
            int w = frames[k].Width;
            int h = frames[k].Height;
            Assert.True(reference[k].Faces.Count == 1, $"{clip} frame {first + k}: MediaPipe found {reference[k].Faces.Count} faces");
            Vector3[] mine = ours[k] ?? throw new Xunit.Sdk.XunitException($"{clip} frame {first + k}: no face found by Capture");
            Assert.Equal(w, reference[k].Width);
            Assert.Equal(h, reference[k].Height);
            IReadOnlyList<Vector3> theirs = reference[k].Faces[0].Landmarks;
            Vector2 Theirs(int i) => new(theirs[i].X * w, theirs[i].Y * h);
            Vector2 Ours(int i) => new(mine[i].X * w, mine[i].Y * h);
            float interOcular = Vector2.Distance(Theirs(33), Theirs(263));
            double sum = 0;
            for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
            {
                sum += Vector2.Distance(Ours(i), Theirs(i));
            }

            nme[k] = sum / TrackingFrame.FaceLandmarkCount / interOcular;
        }

        return nme;
    }

    private void Report(string clip, string label, double[] nme, int first)
    {
        double[] sorted = [.. nme.Order()];
        double p95 = sorted[Math.Max(0, (int)Math.Ceiling(0.95 * sorted.Length) - 1)];
        int worst = Array.IndexOf(nme, sorted[^1]);
        output.WriteLine(
            $"{clip} frames {first}–{first + nme.Length - 1}, {label}: NME mean {nme.Average() * 100:F2} %, " +
            $"p95 {p95 * 100:F2} %, max {sorted[^1] * 100:F2} % (frame {first + worst})");
    }

    /// <summary>Diagnostics only (CAPTURE_MP_DUMP=dir): the frame as a PPM with MediaPipe's points red, ours green.</summary>
    private static void DrawPoints(VideoFrame frame, Vector3[] ours, IReadOnlyList<Vector3> theirs, string path)
    {
        int w = frame.Width;
        int h = frame.Height;
        byte[] rgb = frame.Pixels.ToArray();
        void Dot(Vector3 p, byte r, byte g)
        {
            int cx = (int)(p.X * w);
            int cy = (int)(p.Y * h);
            for (int y = cy - 1; y <= cy + 1; y++)
            {
                for (int x = cx - 1; x <= cx + 1; x++)
                {
                    if (x >= 0 && y >= 0 && x < w && y < h)
                    {
                        int o = ((y * w) + x) * 3;
                        (rgb[o], rgb[o + 1], rgb[o + 2]) = (r, g, 0);
                    }
                }
            }
        }

        foreach (Vector3 p in theirs)
        {
            Dot(p, 255, 0);
        }

        foreach (Vector3 p in ours)
        {
            Dot(p, 0, 255);
        }

        using FileStream file = File.Create(path);
        file.Write(System.Text.Encoding.ASCII.GetBytes($"P6\n{w} {h}\n255\n"));
        file.Write(rgb);
    }
}
