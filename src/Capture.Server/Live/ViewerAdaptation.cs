using System.Diagnostics;

namespace Capture.Server.Live;

/// <summary>
/// The steps a viewer's frames go down when its socket does not drain them: JPEG quality first (a third fewer bytes a
/// step, the picture still its full size), then the side halved (a quarter of the pixels), then halved again. Step 0 is
/// the session's own frame (its size, <see cref="LiveSession.JpegQuality"/>).
/// </summary>
public static class ViewerLadder
{
    /// <summary>One step: the side divided by <paramref name="Divisor"/> (1, 2 or 4) at libjpeg <paramref name="Quality"/> (0: the session's own).</summary>
    public readonly record struct Step(int Divisor, int Quality);

    // Quality 65 and 45 cut a rendered frame's RGB JPEG to about 0.65× and 0.5× of q85's bytes (adaptive-stream
    // benchmark, docs/live.md); below ~45 libjpeg's 8×8 blocks show on a face, so the next steps shrink the picture
    // instead, which a viewer scales back up smoothly.
    private static readonly Step[] s_steps = [new(1, 0), new(1, 65), new(1, 45), new(2, 65), new(2, 45), new(4, 50)];

    /// <summary>The steps, best first.</summary>
    public static ReadOnlySpan<Step> Steps => s_steps;

    /// <summary>The lowest step's index.</summary>
    public static int Lowest => s_steps.Length - 1;
}

/// <summary>
/// One viewer's place on the <see cref="ViewerLadder"/>, decided from what its socket drains. Every
/// <see cref="LiveSession"/> frame offered to the viewer is counted, with whether its <see cref="ViewerQueue"/> had to drop
/// an older one for it (the socket did not take the last ones in time). At the end of each window (1 s by default) a
/// viewer that lost <see cref="StepDownShare"/> or more of its frames goes one step down; one that lost none for
/// <see cref="HoldWindows"/> windows in a row goes one step up. A step up that fails (a step down within
/// <see cref="ProbeWindows"/> windows) doubles the wait before that step is tried again (up to 32 windows), so a link
/// just below a step's bytes does not swing between the two. The render loop owns <see cref="Offered"/> and
/// <see cref="Next"/> (one thread); the send loop adds <see cref="Sent"/>; anyone reads <see cref="Step"/> and the rates.
/// </summary>
public sealed class ViewerAdaptation
{
    /// <summary>Share of a window's frames dropped that means "behind": one frame in seven, well past a scheduling hiccup.</summary>
    public const double StepDownShare = 0.15;

    /// <summary>Clean windows in a row before the first try one step up (doubled after each failed try of that step).</summary>
    public const int HoldWindows = 2;

    /// <summary>Windows after a step up in which a step down counts as that try failing.</summary>
    public const int ProbeWindows = 3;

    // A window with fewer frames than this (the performer paused, a slow idle tick) says nothing about the link.
    private const int MinFramesPerWindow = 4;

    private const int MaxHoldWindows = 32;

    private readonly long _windowTicks;
    // Per step: how often a step up into it failed lately (each doubles the wait before the next try).
    private readonly int[] _failedTries = new int[ViewerLadder.Steps.Length];
    private long _windowStart;
    private int _offered;
    private int _dropped;
    private int _clean;
    private int _sinceUp = int.MaxValue;
    private int _step;
    private long _bytesSent;
    private long _framesSent;
    private long _rateStart;
    private long _rateBytes;
    private long _rateFrames;
    private double _bytesPerSecond;
    private double _framesPerSecond;

    /// <param name="enabled">False: the viewer always gets the session's own frames (a loopback viewer, or <c>adapt=0</c>).</param>
    /// <param name="window">How long the drops are counted over before each decision.</param>
    /// <param name="alpha">False: the viewer asked for frames without their alpha plane (<c>alpha=0</c>).</param>
    public ViewerAdaptation(bool enabled, TimeSpan window, bool alpha = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        Enabled = enabled;
        Alpha = alpha;
        _windowTicks = (long)(window.TotalSeconds * Stopwatch.Frequency);
        _windowStart = _rateStart = Stopwatch.GetTimestamp();
    }

    /// <summary>Whether this viewer's frames follow its socket (else always step 0).</summary>
    public bool Enabled { get; }

    /// <summary>Whether this viewer gets the frames' alpha plane (v1.5).</summary>
    public bool Alpha { get; }

    /// <summary>The step this viewer's frames are made at now (index into <see cref="ViewerLadder.Steps"/>).</summary>
    public int Step => Volatile.Read(ref _step);

    /// <summary>Steps down and up so far.</summary>
    public int StepsDown { get; private set; }

    /// <inheritdoc cref="StepsDown"/>
    public int StepsUp { get; private set; }

    /// <summary>Bytes handed to this viewer's socket a second, over the last window or so.</summary>
    public double BytesPerSecond => Volatile.Read(ref _bytesPerSecond);

    /// <summary>Frames handed to this viewer's socket a second, over the last window or so.</summary>
    public double FramesPerSecond => Volatile.Read(ref _framesPerSecond);

    /// <summary>Render loop: the step for the frame about to be offered; closes the window (and may change step) when it is due.</summary>
    public int Next(long nowTicks)
    {
        if (nowTicks - _windowStart >= _windowTicks)
        {
            CloseWindow(nowTicks);
        }

        return _step;
    }

    /// <summary>Render loop: a frame was offered to the viewer's queue; <paramref name="dropped"/> when an older one had to make room.</summary>
    public void Offered(bool dropped)
    {
        _offered++;
        if (dropped)
        {
            _dropped++;
        }
    }

    /// <summary>Send loop: a frame of <paramref name="bytes"/> went into the socket.</summary>
    public void Sent(int bytes)
    {
        Interlocked.Add(ref _bytesSent, bytes);
        Interlocked.Increment(ref _framesSent);
    }

    private void CloseWindow(long now)
    {
        int offered = _offered, dropped = _dropped;
        _offered = _dropped = 0;
        _windowStart = now;
        UpdateRates(now);
        if (!Enabled || offered < MinFramesPerWindow)
        {
            return;
        }

        if (_sinceUp < int.MaxValue)
        {
            _sinceUp++;
        }

        if (dropped >= offered * StepDownShare)
        {
            _clean = 0;
            if (_step < ViewerLadder.Lowest)
            {
                if (_sinceUp <= ProbeWindows)
                {
                    // The step up into this step, just tried, did not hold: wait longer before trying it again.
                    _failedTries[_step] = Math.Min(_failedTries[_step] + 1, 4);
                }

                Volatile.Write(ref _step, _step + 1);
                StepsDown++;
                _sinceUp = int.MaxValue;
            }

            return;
        }

        if (dropped > 0)
        {
            _clean = 0;
            return;
        }

        _clean++;
        if (_sinceUp == ProbeWindows + 1 && _failedTries[_step] > 0)
        {
            // This step, reached by a step up, held: the next failure starts from a shorter wait.
            _failedTries[_step]--;
        }

        if (_step > 0 && _clean >= Math.Min(HoldWindows << _failedTries[_step - 1], MaxHoldWindows))
        {
            Volatile.Write(ref _step, _step - 1);
            StepsUp++;
            _clean = 0;
            _sinceUp = 0;
        }
    }

    private void UpdateRates(long now)
    {
        long bytes = Interlocked.Read(ref _bytesSent), frames = Interlocked.Read(ref _framesSent);
        double seconds = (now - _rateStart) / (double)Stopwatch.Frequency;
        if (seconds <= 0)
        {
            return;
        }

        Volatile.Write(ref _bytesPerSecond, (bytes - _rateBytes) / seconds);
        Volatile.Write(ref _framesPerSecond, (frames - _rateFrames) / seconds);
        _rateStart = now;
        _rateBytes = bytes;
        _rateFrames = frames;
    }
}
