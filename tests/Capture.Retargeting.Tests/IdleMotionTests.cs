using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting.Calibration;
using Capture.Retargeting.Rigs;

namespace Capture.Retargeting.Tests;

/// <summary>
/// The character stays alive while the face is lost (issue 21): a recording of 2 s with a face, 5 s without, 2 s with
/// again, at 30 fps, through the retargeter as a render or a live session runs it.
/// </summary>
public class IdleMotionTests
{
    private const int Fps = 30;
    private const int Width = 640;
    private const int Height = 480;

    [Fact]
    public void FaceLostForFiveSeconds_KeepsBreathingBlinksAndReturnsWithoutAJump()
    {
        Run run = Drive(idle: true);
        int lostFrom = 2 * Fps, lostTo = 7 * Fps;

        // Breathing: once the face has faded out (0.3 s), every frame differs from the one before.
        int still = 0;
        for (int n = lostFrom + 10; n < lostTo; n++)
        {
            still += run.Steps[n] < 1e-6f ? 1 : 0;
        }

        Assert.True(still == 0, $"{still} frames without a face did not move");

        // A blink: both lids shut (driven blink ≥ 0.9 and the upper lid down on the lower) at least once, and open again.
        int shut = 0;
        for (int n = lostFrom; n < lostTo; n++)
        {
            shut += run.Blink[n] >= 0.9f && run.LidGap[n] < 0.2f * run.LidGap[0] ? 1 : 0;
        }

        Assert.True(shut >= 1, "no blink in 5 s without a face");
        int open = 0;
        for (int n = lostFrom; n < lostTo; n++)
        {
            open += run.LidGap[n] > 0.8f * run.LidGap[0] ? 1 : 0;
        }

        Assert.True(open >= 0.85 * (lostTo - lostFrom), $"eyes open in only {open} of {lostTo - lostFrom} frames: blinks are brief");

        // No jump: the largest frame-to-frame move of any point but the lids (a blink moves them fast on purpose) when the
        // face goes and comes back is no larger than while the performer is tracked and moving.
        float tracked = run.Steps.Take(lostFrom).Skip(1).Max();
        float leaving = run.Steps.Skip(lostFrom).Take(Fps).Max();
        float returning = run.Steps.Skip(lostTo).Take(Fps).Max();
        Assert.True(tracked > 1e-3f, $"the performer does not move ({tracked})");
        Assert.True(leaving <= tracked * 1.1f, $"step {leaving} as the face leaves, {tracked} while tracked");
        Assert.True(returning <= tracked * 1.1f, $"step {returning} as the face returns, {tracked} while tracked");

        // Back to the performer: the last frame is where the performer's motion puts it, idle faded out.
        Assert.True(run.FromPerformer < 1e-4f, $"{run.FromPerformer} away from the performer's own motion after the return");
    }

    [Fact]
    public void IdleOff_FaceLost_CharacterStaysStillAtNeutral()
    {
        Run run = Drive(idle: false);
        for (int n = (2 * Fps) + 12; n < 7 * Fps; n++)
        {
            Assert.True(run.Steps[n] < 1e-6f, $"frame {n} moved {run.Steps[n]} with idle off");
            Assert.Equal(0, run.Blink[n]);
        }
    }

    [Fact]
    public void IdleMotion_SameTimes_SameMotionAndANaturalBlinkRate()
    {
        var a = new IdleMotion();
        var b = new IdleMotion();
        for (int n = 0; n <= 60 * Fps; n++)
        {
            a.Advance(100 + (n / (double)Fps));
            b.Advance(100 + (n / (double)Fps));
            Assert.Equal(a.Blink, b.Blink);
            Assert.Equal(a.Glance, b.Glance);
            Assert.True(a.Glance.Length() <= IdleMotion.GlanceReach + 1e-6f);
        }

        // 60 s: 13–30 blinks (2–4.5 s apart), as people blink at rest.
        Assert.InRange(a.Blinks, 13, 30);
    }

    /// <summary>
    /// A live performer pauses: frames stop for a second, then the session's idle frames (no face, 15 a second) come.
    /// The first of them must not switch the character to idle in one frame: the ease moves at most
    /// <see cref="Retargeter.MaxEaseStepSeconds"/> a frame, however long the gap.
    /// </summary>
    [Fact]
    public void FramesStopForASecond_ThenIdleFrames_EaseInOverSeveralFrames()
    {
        CharacterRig rig = TestRigs.SyntheticRig(TestRigs.Picture(96, 96, transparentCorners: false));
        var calibrator = new PerformerCalibrator();
        calibrator.AddNeutral(Tracked(SyntheticFace.Create()));
        var retargeter = new Retargeter(rig, calibrator.Build("test", null), new RetargetGains());
        var driven = new DrivenFace();
        long t = 1_000_000_000L;
        for (int n = 0; n < 2 * Fps; n++, t += 1_000_000L / Fps)
        {
            // The performer's head well below neutral, so its pose and idle's differ clearly.
            TrackingFrame frame = Tracked(SyntheticFace.Create(cy: 0.56f));
            frame.CaptureTimestampUs = t;
            retargeter.Update(frame, driven);
        }

        Vector2[] last = [.. driven.Points];
        var lost = new TrackingFrame { ImageWidth = Width, ImageHeight = Height };
        t += 1_000_000L;                                                   // a second of silence
        var poses = new List<Vector2[]>();
        for (int k = 0; k < 15; k++, t += 1_000_000L / 15)
        {
            lost.CaptureTimestampUs = t;
            retargeter.Update(lost, driven);
            poses.Add([.. driven.Points]);
        }

        static float Far(Vector2[] a, Vector2[] b) => a.Zip(b).Max(p => Vector2.Distance(p.First, p.Second));
        float whole = Far(last, poses[^1]);
        float first = Far(last, poses[0]);
        Assert.True(whole > 1e-2f, $"the performer's pose and idle's are too close to tell ({whole})");
        Assert.True(first < 0.6f * whole, $"the first idle frame moved {first} of the whole {whole} at once");
    }

    private sealed record Run(float[] Steps, float[] Blink, float[] LidGap, float FromPerformer);

    // 9 s: the face nods slowly for 2 s, is gone 5 s, nods again 2 s. Per frame: the largest move of a point other than the lids, the blink, the right lid gap.
    private static Run Drive(bool idle)
    {
        CharacterRig rig = TestRigs.SyntheticRig(TestRigs.Picture(96, 96, transparentCorners: false));
        TrackingFrame neutral = Tracked(SyntheticFace.Create());
        var calibrator = new PerformerCalibrator();
        calibrator.AddNeutral(neutral);
        PerformerProfile profile = calibrator.Build("test", null);
        var retargeter = new Retargeter(rig, profile, new RetargetGains { Idle = idle });
        var reference = new Retargeter(rig, profile, new RetargetGains { Idle = idle });
        var driven = new DrivenFace();
        var alone = new DrivenFace();
        var lost = new TrackingFrame { ImageWidth = Width, ImageHeight = Height };
        int total = 9 * Fps;
        var steps = new float[total];
        var blink = new float[total];
        var gap = new float[total];
        var previous = new Vector2[TrackingFrame.FaceLandmarkCount];
        var lid = new bool[TrackingFrame.FaceLandmarkCount];
        foreach (int i in FaceTopology.RightEye)
        {
            lid[i] = true;
        }

        foreach (int i in FaceTopology.LeftEye)
        {
            lid[i] = true;
        }

        float fromPerformer = 0;
        for (int n = 0; n < total; n++)
        {
            bool present = n < 2 * Fps || n >= 7 * Fps;
            TrackingFrame frame = present ? Tracked(SyntheticFace.Create(cy: 0.5f + (0.02f * MathF.Sin(n * 0.2f)))) : lost;
            frame.CaptureTimestampUs = 1_000_000_000L + (n * 1_000_000L / Fps);
            retargeter.Update(frame, driven);
            if (n > 0)
            {
                for (int i = 0; i < previous.Length; i++)
                {
                    steps[n] = lid[i] ? steps[n] : MathF.Max(steps[n], Vector2.Distance(previous[i], driven.Points[i]));
                }
            }

            driven.Points.CopyTo(previous, 0);
            blink[n] = driven.BlinkRight;
            gap[n] = driven.Points[FaceTopology.RightEyeBottom].Y - driven.Points[FaceTopology.RightEyeTop].Y;
            if (n == total - 1)
            {
                // The same last frame through a retargeter that never lost the face.
                reference.Update(frame, alone);
                for (int i = 0; i < previous.Length; i++)
                {
                    fromPerformer = MathF.Max(fromPerformer, Vector2.Distance(alone.Points[i], driven.Points[i]));
                }
            }
        }

        return new Run(steps, blink, gap, fromPerformer);
    }

    private static TrackingFrame Tracked(Vector3[] crop)
    {
        var frame = new TrackingFrame { ImageWidth = Width, ImageHeight = Height };
        SyntheticFace.ToTracking(crop, 170, 90, 300, Width, Height, frame.Face);
        return frame;
    }
}
