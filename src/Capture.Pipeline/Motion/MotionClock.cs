namespace Capture.Pipeline.Motion;

/// <summary>
/// The output clock of a motion file: its frame rate and frame count from its own timestamps. The rate is
/// one over the mean step between timestamps, leaving out steps far from the median (a live take's lost
/// frames do not move it, its jitter averages out), snapped
/// to the nearest common video rate when within 1 % of it (23.976 … 60), and halved, thirded … until it is at most
/// <see cref="MaxFrameRate"/> (a 120 fps mocap take renders at 60). The output runs from the first timestamp to
/// the last, one frame every 1/rate seconds; output frame <c>k</c> shows the motion at <see cref="TimeUs"/>(k).
/// </summary>
public sealed class MotionClock
{
    /// <summary>Rendering faster than 60 frames a second shows nothing a viewer sees and costs twice the time.</summary>
    public const double MaxFrameRate = 60;

    private static readonly double[] s_common = [24000.0 / 1001, 24, 25, 30000.0 / 1001, 30, 48, 50, 60000.0 / 1001, 60, 100, 120];

    public MotionClock(double framesPerSecond, long durationUs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(framesPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegative(durationUs);
        FrameRate = framesPerSecond;
        DurationUs = durationUs;

        // Rounded, not floored: a take whose timestamps run a little slow or fast against the snapped rate
        // keeps its frame count (the last output frame may then fall up to half a frame past the last timestamp).
        FrameCount = (long)Math.Round(durationUs * framesPerSecond / 1e6) + 1;
    }

    public double FrameRate { get; }

    /// <summary>From the first timestamp to the last.</summary>
    public long DurationUs { get; }

    public long FrameCount { get; }

    /// <summary>When output frame <paramref name="frame"/> is, in microseconds after the first timestamp.</summary>
    public long TimeUs(long frame) => (long)Math.Round(frame * 1e6 / FrameRate);

    /// <summary>The clock of timestamps (microseconds, increasing; at least one).</summary>
    public static MotionClock FromTimestamps(IReadOnlyList<long> timestampsUs)
    {
        ArgumentNullException.ThrowIfNull(timestampsUs);
        if (timestampsUs.Count == 0)
        {
            throw new ArgumentException("no timestamps", nameof(timestampsUs));
        }

        long duration = timestampsUs[^1] - timestampsUs[0];
        if (timestampsUs.Count == 1)
        {
            return new MotionClock(30, 0);
        }

        var steps = new long[timestampsUs.Count - 1];
        for (int i = 0; i < steps.Length; i++)
        {
            steps[i] = timestampsUs[i + 1] - timestampsUs[i];
        }

        // The mean of the steps near the median: jitter averages out, lost frames (long steps) are left out.
        Array.Sort(steps);
        double median = steps.Length % 2 == 1 ? steps[steps.Length / 2] : (steps[(steps.Length / 2) - 1] + steps[steps.Length / 2]) / 2.0;
        double sum = 0;
        int count = 0;
        foreach (long step in steps)
        {
            if (step >= median * 0.5 && step <= median * 1.5)
            {
                sum += step;
                count++;
            }
        }

        return new MotionClock(Rate(1e6 / Math.Max(sum / count, 1)), duration);
    }

    /// <summary>A measured rate snapped to a common one within 1 % and brought to at most <see cref="MaxFrameRate"/>.</summary>
    public static double Rate(double measured)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(measured);
        double rate = Math.Round(measured, 3);
        double nearest = s_common.MinBy(c => Math.Abs(measured - c));
        if (Math.Abs(measured - nearest) <= nearest * 0.01)
        {
            rate = nearest;
        }

        int divide = 1;
        while (rate / divide > MaxFrameRate + 1e-9)
        {
            divide++;
        }

        return rate / divide;
    }
}
