namespace Capture.Tracking.Smoothing;

/// <summary>
/// One-Euro filter parameters (Casiez, Roussel, Vogel, CHI 2012). <see cref="MinCutoff"/> (Hz) sets
/// how hard a still signal is smoothed, <see cref="Beta"/> how fast the cutoff rises with speed, and
/// <see cref="DerivativeCutoff"/> (Hz) smooths the speed estimate itself. Speed is measured in
/// object sizes a second (the value is divided by the face or body size in pixels), so one set of
/// parameters fits a near and a far face. Defaults: min cutoff 0.05 Hz and derivative cutoff 1 Hz
/// as MediaPipe's face smoothing; beta 20 rather than MediaPipe's 80, because at 80 the model's own
/// still-face noise already opens the filter (measured in docs/tracking.md).
/// </summary>
public readonly record struct OneEuroParameters(float MinCutoff = 0.05f, float Beta = 20f, float DerivativeCutoff = 1f)
{
    public static OneEuroParameters Default { get; } = new(0.05f, 20f, 1f);
}

/// <summary>
/// A bank of independent One-Euro filters over a fixed number of channels (e.g. 468 × 3 face
/// coordinates), with state in arrays allocated once. Not thread-safe.
/// </summary>
public sealed class OneEuroFilterBank
{
    private readonly float[] _value;
    private readonly float[] _derivative;
    private readonly float[] _lastRaw;
    private long _lastTimestampUs;
    private bool _primed;

    public OneEuroFilterBank(int channels, OneEuroParameters parameters)
    {
        _value = new float[channels];
        _derivative = new float[channels];
        _lastRaw = new float[channels];
        Parameters = parameters;
    }

    public OneEuroParameters Parameters { get; set; }

    /// <summary>
    /// Measure speed from the previous raw input rather than the previous filtered value: MediaPipe's
    /// OneEuroFilter does this, the paper's filter does not. Used where Capture must track as MediaPipe does
    /// (the pose's auxiliary points, which place the next frame's region). Default false.
    /// </summary>
    public bool SpeedFromRawInput { get; init; }

    public int Channels => _value.Length;

    /// <summary>Forgets the history: the next sample passes through unchanged.</summary>
    public void Reset() => _primed = false;

    /// <summary>
    /// Filters <paramref name="values"/> in place. <paramref name="objectScale"/> (pixels) divides
    /// speeds so the cutoff reacts to motion relative to the object's size; timestamps that do not
    /// advance are treated as 1/30 s apart.
    /// </summary>
    public void Apply(Span<float> values, long timestampUs, float objectScale)
    {
        if (values.Length != _value.Length)
        {
            throw new ArgumentException($"expected {_value.Length} values, got {values.Length}", nameof(values));
        }

        if (!_primed)
        {
            values.CopyTo(_value);
            values.CopyTo(_lastRaw);
            Array.Clear(_derivative);
            _lastTimestampUs = timestampUs;
            _primed = true;
            return;
        }

        float dt = (timestampUs - _lastTimestampUs) / 1e6f;
        if (dt <= 0 || dt > 1)
        {
            dt = 1f / 30;
        }

        _lastTimestampUs = timestampUs;
        float valueScale = objectScale > 0 ? 1 / objectScale : 1;
        OneEuroParameters p = Parameters;
        float alphaD = Alpha(p.DerivativeCutoff, dt);
        for (int i = 0; i < values.Length; i++)
        {
            float x = values[i];
            float dx = (x - (SpeedFromRawInput ? _lastRaw[i] : _value[i])) / dt * valueScale;
            _lastRaw[i] = x;
            float edx = _derivative[i] + (alphaD * (dx - _derivative[i]));
            _derivative[i] = edx;
            float cutoff = p.MinCutoff + (p.Beta * MathF.Abs(edx));
            float filtered = _value[i] + (Alpha(cutoff, dt) * (x - _value[i]));
            _value[i] = filtered;
            values[i] = filtered;
        }
    }

    private static float Alpha(float cutoff, float dt)
    {
        float tau = 1 / (2 * MathF.PI * cutoff);
        return 1 / (1 + (tau / dt));
    }
}
