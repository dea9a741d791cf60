using NAudio.Wave;
using NAudio.Wave.SampleProviders;

namespace Capture.Media.Audio;

/// <summary>
/// Conversion between signed 16-bit PCM and 32-bit float samples in [-1, 1).
/// </summary>
/// <remarks>
/// s16 → float divides by 32,768, exactly what NAudio's <see cref="Pcm16BitToSampleProvider"/> does
/// (a test holds the two bit-equal), so samples from a WAV reader and from here agree.
/// float → s16 multiplies by 32,768, rounds to nearest and clamps. This direction is ours on purpose:
/// NAudio's <see cref="SampleToWaveProvider16"/> multiplies by 32,767 and truncates, so s16 → float →
/// s16 through it changes most samples by one step (32,767 → 32,766); here the round trip is exact.
/// Neither method allocates.
/// </remarks>
public static class AudioSamples
{
    private const float Scale = 32768f;

    /// <summary>Writes <c>source[i] / 32768</c> to <paramref name="destination"/> (at least as long as the source).</summary>
    public static void ToFloat(ReadOnlySpan<short> source, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, source.Length, nameof(destination));
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = source[i] / Scale;
        }
    }

    /// <summary>Writes <c>round(source[i] × 32768)</c>, clamped to the s16 range, to <paramref name="destination"/>; NaN becomes 0.</summary>
    public static void ToInt16(ReadOnlySpan<float> source, Span<short> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, source.Length, nameof(destination));
        for (int i = 0; i < source.Length; i++)
        {
            float scaled = MathF.Round(source[i] * Scale);
            destination[i] = scaled >= short.MaxValue ? short.MaxValue
                : scaled <= short.MinValue ? short.MinValue
                : float.IsNaN(scaled) ? (short)0
                : (short)scaled;
        }
    }

    /// <summary>The float sample format NAudio's providers use, at a rate and channel count.</summary>
    internal static WaveFormat FloatFormat(int sampleRate, int channels) => WaveFormat.CreateIeeeFloatWaveFormat(sampleRate, channels);
}
