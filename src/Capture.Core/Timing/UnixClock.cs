namespace Capture.Core.Timing;

/// <summary>
/// Wall-clock time as microseconds since the Unix epoch (UTC). Live links stamp frames with it, so any
/// process on the machine (a viewer, a benchmark, a browser's <c>Date.now() * 1000</c>) can compute latency
/// from a frame's capture timestamp. Not monotonic (the system clock may be stepped): use it for
/// timestamps that cross processes, <see cref="CaptureClock"/> for durations inside one.
/// </summary>
public static class UnixClock
{
    /// <summary>Microseconds since 1970-01-01T00:00:00Z.</summary>
    public static long NowUs => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMicrosecond;
}
