using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Generation;
using Capture.Media;
using Capture.Retargeting;
using Capture.Retargeting.Calibration;
using Capture.Retargeting.Rigs;
using Capture.Tracking;

namespace Capture.Pipeline.Evaluation;

/// <summary>Scores of one self-reenactment run.</summary>
/// <param name="Frames">Frames compared (frame 0 excluded).</param>
/// <param name="Psnr">Mean per-frame PSNR of generated vs real, dB.</param>
/// <param name="Ssim">Mean per-frame SSIM.</param>
/// <param name="Akd">Average keypoint distance, pixels at the output size (over <paramref name="AkdFrames"/> frames).</param>
/// <param name="StillPsnr">PSNR of frame 0 held still vs the real frames: the score of doing nothing.</param>
/// <param name="StillSsim">SSIM of frame 0 held still.</param>
/// <param name="StillAkd">AKD of frame 0 held still.</param>
public sealed record ReenactmentScores(
    string Clip, int Size, long Frames, double Psnr, double Ssim, double Akd, long AkdFrames,
    double StillPsnr, double StillSsim, double StillAkd, double Seconds)
{
    /// <summary>Where the error sits, when the run was asked for it.</summary>
    public ErrorBreakdown? Breakdown { get; init; }
}

/// <summary>
/// Self-reenactment: frame 0 of a clip becomes the character, every later frame drives it, and the
/// generated frame is compared with the real one (the same face-centred crop at the same size):
/// PSNR, SSIM, and the average distance between the tracker's landmarks on both (AKD).
/// Also scores frame 0 held still, the baseline a generator has to beat.
/// </summary>
public static class SelfReenactment
{
    public static async Task<ReenactmentScores> RunAsync(
        string clip, int size = 256, int akdEvery = 4, int? maxFrames = null, bool breakdown = false, IProgress<(long Frame, long? Total)>? progress = null, CancellationToken ct = default, bool paintedMouth = false, WarpKind warp = WarpGenerator.DefaultWarp)
    {
        if (!File.Exists(clip))
        {
            throw new FileNotFoundException($"clip {clip} does not exist", clip);
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using IFrameSource source = await FrameSources.OpenAsync(clip, null, ct).ConfigureAwait(false);
        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true, Threads = 1, RefineLandmarks = true }, ct).ConfigureAwait(false);
        using Tracker stills = await Tracker.CreateAsync(new TrackerOptions { Face = true, StaticImage = true, Threads = 1, RefineLandmarks = true }, ct).ConfigureAwait(false);
        var tracking = new TrackingFrame();
        var picture = new RgbaImage(source.Width, source.Height);

        VideoFrame first = await source.ReadAsync(ct).ConfigureAwait(false) ?? throw new InvalidDataException($"{clip}: no frames could be decoded");
        using (first)
        {
            tracker.Process(first, tracking);
            CopyToBitmap(first, picture);
        }

        if (!tracking.Face.Present)
        {
            throw new InvalidDataException($"{clip}: no face in frame 0, which self-reenactment uses as the character");
        }

        TrackedPicture face = TrackedPicture.FromFace(tracking.Face, source.Width, source.Height);

        // The character is frame 0 itself (a copy: the picture buffer is refilled with each real frame below).
        var still = new RgbaImage(picture.Width, picture.Height, (byte[])picture.Pixels.Clone());
        CharacterRig rig = CharacterRigBuilder.FromLandmarks(Path.GetFileNameWithoutExtension(clip), still, face.Points, "tracker", face.IrisCenters);
        var calibrator = new PerformerCalibrator();
        calibrator.AddNeutral(tracking);
        PerformerProfile profile = calibrator.Build("frame 0", clip);
        var retargeter = new Retargeter(rig, profile);
        retargeter.Update(tracking, new DrivenFace());
        using var generator = new WarpGenerator(size, intraOpThreads: 1, withAlpha: false, output: WarpOutput.Floats, warp: warp);
        generator.SetCharacter(rig);

        int plane = size * size;
        var truth = new float[plane * 4];
        var frozen = new float[plane * 4];
        rig.SampleCrop(size, frozen);
        Scale255(frozen);
        var generated = new float[plane * 4];
        var metrics = new ImageMetrics(size);
        var frozenFrame = VideoFrame.CreateUnpooled(size, size);
        ToFrame(frozen, frozenFrame);
        var truthFrame = VideoFrame.CreateUnpooled(size, size);
        var generatedFrame = VideoFrame.CreateUnpooled(size, size);
        var truthMarks = new TrackingFrame();
        var generatedMarks = new TrackingFrame();
        var frozenMarks = new TrackingFrame();
        stills.Process(frozenFrame, frozenMarks);
        var driven = new DrivenFace();
        ErrorBreakdown? errors = breakdown ? new ErrorBreakdown(rig, size) : null;

        double psnr = 0, ssim = 0, akd = 0, stillPsnr = 0, stillSsim = 0, stillAkd = 0;
        long frames = 0, akdFrames = 0;
        long? total = maxFrames is int m ? Math.Min(m, (source.FrameCount ?? m) - 1) : source.FrameCount - 1;
        while (maxFrames is not int limit || frames < limit)
        {
            VideoFrame? frame = await source.ReadAsync(ct).ConfigureAwait(false);
            if (frame is null)
            {
                break;
            }

            using (frame)
            {
                tracker.Process(frame, tracking);
                CopyToBitmap(frame, picture);

                // As in render: the mouth interior comes from the driving frame through the same
                // lip-to-lip warp and colour match (docs/generator.md says what that does to the score).
                retargeter.Update(tracking, driven);
                driven.PerformerFrame = paintedMouth ? null : frame;
                generator.Generate(driven);
                driven.PerformerFrame = null;
            }

            generator.Output.CopyTo(generated);
            Scale255(generated);
            picture.SampleSquare(rig.CropLeft, rig.CropTop, rig.CropSide, size, truth);
            Scale255(truth);
            psnr += ImageMetrics.Psnr(generated.AsSpan(0, plane * 3), truth.AsSpan(0, plane * 3));
            ssim += metrics.Ssim(generated, truth, 3);
            stillPsnr += ImageMetrics.Psnr(frozen.AsSpan(0, plane * 3), truth.AsSpan(0, plane * 3));
            stillSsim += metrics.Ssim(frozen, truth, 3);
            errors?.Add(generated, frozen, truth);
            if (frames % akdEvery == 0)
            {
                ToFrame(truth, truthFrame);
                ToFrame(generated, generatedFrame);
                stills.Process(truthFrame, truthMarks);
                stills.Process(generatedFrame, generatedMarks);
                if (truthMarks.Face.Present && generatedMarks.Face.Present && frozenMarks.Face.Present)
                {
                    akd += MeanDistance(truthMarks, generatedMarks, size);
                    stillAkd += MeanDistance(truthMarks, frozenMarks, size);
                    akdFrames++;
                }
            }

            frames++;
            progress?.Report((frames, total));
        }

        if (frames == 0)
        {
            throw new InvalidDataException($"{clip}: needs at least two frames for self-reenactment");
        }

        double a = akdFrames > 0 ? akd / akdFrames : double.NaN;
        double sa = akdFrames > 0 ? stillAkd / akdFrames : double.NaN;
        return new ReenactmentScores(Path.GetFileName(clip), size, frames, psnr / frames, ssim / frames, a, akdFrames,
            stillPsnr / frames, stillSsim / frames, sa, clock.Elapsed.TotalSeconds)
        {
            Breakdown = errors,
        };
    }

    private static double MeanDistance(TrackingFrame a, TrackingFrame b, int size)
    {
        double sum = 0;
        for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
        {
            Vector3 p = a.Face.Landmarks[i];
            Vector3 q = b.Face.Landmarks[i];
            sum += Vector2.Distance(new Vector2(p.X, p.Y), new Vector2(q.X, q.Y)) * size;
        }

        return sum / TrackingFrame.FaceLandmarkCount;
    }

    private static void CopyToBitmap(VideoFrame frame, RgbaImage bitmap)
    {
        ReadOnlySpan<byte> src = frame.ReadOnlyPixels;
        byte[] dst = bitmap.Pixels;
        int n = frame.Width * frame.Height;
        for (int i = 0; i < n; i++)
        {
            dst[i * 4] = src[i * 3];
            dst[(i * 4) + 1] = src[(i * 3) + 1];
            dst[(i * 4) + 2] = src[(i * 3) + 2];
            dst[(i * 4) + 3] = 255;
        }
    }

    // 0..1 floats to the 8-bit values an encoder would store, kept as floats.
    private static void Scale255(float[] planar)
    {
        for (int i = 0; i < planar.Length; i++)
        {
            planar[i] = MathF.Round(Math.Clamp(planar[i], 0, 1) * 255);
        }
    }

    private static void ToFrame(float[] planar255, VideoFrame frame)
    {
        int plane = frame.Width * frame.Height;
        Span<byte> p = frame.Pixels;
        for (int i = 0; i < plane; i++)
        {
            p[i * 3] = (byte)planar255[i];
            p[(i * 3) + 1] = (byte)planar255[plane + i];
            p[(i * 3) + 2] = (byte)planar255[(2 * plane) + i];
        }
    }
}
