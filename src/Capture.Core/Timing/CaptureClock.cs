using System.Diagnostics;

namespace Capture.Core.Timing;

/// <summary>
/// The one monotonic clock every stage stamps frames with, in microseconds, so latency from
/// capture to output is measured rather than guessed.
/// </summary>
public static class CaptureClock
{
    private static readonly double s_ticksToMicroseconds = 1_000_000.0 / Stopwatch.Frequency;

    /// <summary>Microseconds since an arbitrary, fixed origin of this process.</summary>
    public static long NowUs => (long)(Stopwatch.GetTimestamp() * s_ticksToMicroseconds);
}
