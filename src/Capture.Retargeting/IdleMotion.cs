using System.Numerics;

namespace Capture.Retargeting;

/// <summary>
/// What keeps a character alive while nobody drives it (issue 21): a slow breath (the head rises, tips and grows
/// a little with each breath), a slow sway, blinks at a natural rate and now and then a glance aside. The
/// <see cref="Retargeter"/> blends it in as the performer's face fades out (lost, turned away) and out as it comes
/// back, so the two never add up to a jump. Deterministic: the same timestamps give the same motion (an offline
/// render is repeatable, a test can count blinks). Advance it in time order; allocation-free.
/// </summary>
public sealed class IdleMotion
{
    /// <summary>One breath: adults at rest take 12–18 a minute (3.3–5 s); 4.2 s reads as calm, not asleep.</summary>
    public const float BreathSeconds = 4.2f;

    /// <summary>How far the head rises on an in-breath, in eye distances: ~2 px at 512² for a face filling half the frame, seen but not busy.</summary>
    public const float BreathRise = 0.03f;

    /// <summary>Head tip with each breath, radians (~0.9°).</summary>
    public const float BreathPitch = 0.016f;

    /// <summary>Head growth on an in-breath (the head comes nearer as the chest rises).</summary>
    public const float BreathLean = 0.006f;

    /// <summary>Slow side-to-side sway, radians (~1.7° of yaw, ~0.8° of roll), on periods that never line up with the breath.</summary>
    public const float SwayYaw = 0.03f;

    /// <summary>Roll part of the sway, radians.</summary>
    public const float SwayRoll = 0.014f;

    /// <summary>
    /// Gaps between blinks are 2–4.5 s (people blink 15–20 times a minute at rest; 3.25 s on average is ~18): any
    /// 5 s without a face holds at least one whole blink.
    /// </summary>
    public const float BlinkGapMin = 2f;

    /// <inheritdoc cref="BlinkGapMin"/>
    public const float BlinkGapMax = 4.5f;

    /// <summary>A blink's length: ~70 ms closing, 30 ms shut, 100 ms opening (a spontaneous blink takes 0.1–0.4 s).</summary>
    public const float BlinkSeconds = 0.2f;

    /// <summary>Glances start 3–7 s apart and hold 0.6–1.4 s, eased in and out over <see cref="GlanceEaseSeconds"/>.</summary>
    public const float GlanceGapMin = 3f;

    /// <inheritdoc cref="GlanceGapMin"/>
    public const float GlanceGapMax = 7f;

    /// <summary>Eye turns take ~0.15 s (a saccade and its settle).</summary>
    public const float GlanceEaseSeconds = 0.15f;

    /// <summary>How far a glance turns the eyes, in the generator's gaze units (its limit is 0.2).</summary>
    public const float GlanceReach = 0.09f;

    private uint _blinkIndex;
    private uint _glanceIndex;
    private double _nextBlink = double.NaN;
    private double _nextGlance;
    private double _glanceEnd;
    private double _glanceStart = double.NegativeInfinity;
    private Vector2 _glanceTarget;
    private double _blinkStart = double.NegativeInfinity;

    /// <summary>Head rotation of the breath and sway at the last <see cref="Advance"/> (apply around the head pivot).</summary>
    public Quaternion HeadRotation { get; private set; } = Quaternion.Identity;

    /// <summary>Head rise of the breath, in eye distances, up is negative y (image coordinates).</summary>
    public float Rise { get; private set; }

    /// <summary>Head scale of the breath (1 = none).</summary>
    public float Lean { get; private set; } = 1;

    /// <summary>Eyelids 0 (open) .. 1 (shut).</summary>
    public float Blink { get; private set; }

    /// <summary>Where the eyes glance, gaze units (0 = ahead).</summary>
    public Vector2 Glance { get; private set; }

    /// <summary>Blinks begun since this motion started (for tests and stats).</summary>
    public int Blinks { get; private set; }

    /// <summary>Moves the motion to <paramref name="seconds"/> (a stream's timestamp); times must not go back.</summary>
    public void Advance(double seconds)
    {
        if (double.IsNaN(_nextBlink))
        {
            // The first blink and glance come a little after the start, like the ones after them.
            _nextBlink = seconds + (BlinkGapMin * 0.5);
            _nextGlance = seconds + GlanceGapMin;
        }

        double breath = 2 * Math.PI * seconds / BreathSeconds;
        float inhale = (float)((1 - Math.Cos(breath)) * 0.5);
        Rise = -BreathRise * inhale;
        Lean = 1 + (BreathLean * inhale);
        float pitch = BreathPitch * (float)Math.Sin(breath);
        float yaw = SwayYaw * (float)Math.Sin(2 * Math.PI * seconds / 11.3);
        float roll = SwayRoll * (float)Math.Sin((2 * Math.PI * seconds / 13.7) + 1);
        HeadRotation = Quaternion.CreateFromYawPitchRoll(yaw, pitch, roll);

        while (seconds >= _nextBlink)
        {
            _blinkStart = _nextBlink;
            _nextBlink += BlinkGapMin + ((BlinkGapMax - BlinkGapMin) * Unit(0x9e3779b9u, _blinkIndex++));
            Blinks++;
        }

        Blink = BlinkShape((float)(seconds - _blinkStart));

        while (seconds >= _nextGlance)
        {
            _glanceStart = _nextGlance;
            _glanceEnd = _glanceStart + 0.6 + (0.8 * Unit(0x85ebca6bu, _glanceIndex));
            float angle = 2 * MathF.PI * Unit(0xc2b2ae35u, _glanceIndex);
            // Sideways glances more than up and down, as people do.
            _glanceTarget = new Vector2(MathF.Cos(angle), 0.5f * MathF.Sin(angle)) * GlanceReach;
            _nextGlance += GlanceGapMin + ((GlanceGapMax - GlanceGapMin) * Unit(0x27d4eb2fu, _glanceIndex++));
        }

        float ease = (float)Math.Min(Math.Clamp((seconds - _glanceStart) / GlanceEaseSeconds, 0, 1), Math.Clamp((_glanceEnd - seconds) / GlanceEaseSeconds, 0, 1));
        Glance = _glanceTarget * (ease * ease * (3 - (2 * ease)));
    }

    // 0 → 1 over the close, held, 1 → 0 over the open; 0 outside the blink.
    private static float BlinkShape(float t)
    {
        const float close = 0.07f, hold = 0.03f;
        if (t < 0 || t >= BlinkSeconds)
        {
            return 0;
        }

        float s = t < close ? t / close : t < close + hold ? 1 : 1 - ((t - close - hold) / (BlinkSeconds - close - hold));
        return s * s * (3 - (2 * s));
    }

    // A repeatable number in [0, 1) for the n-th event of one kind (an integer hash, no Random: no allocation, same on every run).
    private static float Unit(uint salt, uint n)
    {
        uint x = (n + 1) * salt;
        x ^= x >> 16;
        x *= 0x7feb352du;
        x ^= x >> 15;
        x *= 0x846ca68bu;
        x ^= x >> 16;
        return (x >> 8) / 16777216f;
    }
}
