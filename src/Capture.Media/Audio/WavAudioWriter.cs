using NAudio.Wave;

namespace Capture.Media.Audio;

/// <summary>
/// Writes s16 PCM to a WAV file with NAudio's <see cref="WaveFileWriter"/> (e.g. the audio of a live
/// session, chunk by chunk). The RIFF sizes are filled in on dispose; a writer that is never disposed
/// leaves a WAV that <see cref="AudioSources.OpenWav"/> reports as truncated.
/// </summary>
public sealed class WavAudioWriter : IDisposable
{
    private readonly WaveFileWriter _writer;

    /// <summary>Creates (or overwrites) <paramref name="path"/> for 16-bit PCM at this rate and channel count.</summary>
    public WavAudioWriter(string path, int sampleRate = LiveAudioFormat.SampleRate, int channels = LiveAudioFormat.Channels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        _writer = new WaveFileWriter(path, new WaveFormat(sampleRate, 16, channels));
        SampleRate = sampleRate;
        Channels = channels;
    }

    public int SampleRate { get; }

    public int Channels { get; }

    /// <summary>Frames written so far.</summary>
    public long FramesWritten { get; private set; }

    /// <summary>Appends interleaved samples (a whole number of frames); the span is only read during the call.</summary>
    public void Write(ReadOnlySpan<short> pcm)
    {
        if (pcm.Length % Channels != 0)
        {
            throw new ArgumentException($"{pcm.Length} samples is not a whole number of {Channels}-channel frames.", nameof(pcm));
        }

        _writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(pcm));
        FramesWritten += pcm.Length / Channels;
    }

    public void Dispose() => _writer.Dispose();
}
