using System.Diagnostics;
using Capture.Core.Timing;
using Capture.Media.Internal;
using NAudio.Wave;
using NAudio.Wave.SampleProviders;

namespace Capture.Media.Audio;

/// <summary>
/// The one implementation of <see cref="IAudioSource"/>: an NAudio sample chain (decoder → mono →
/// <see cref="WdlResamplingSampleProvider"/> to 48 kHz) read a chunk at a time, converted to s16, and
/// optionally paced to real time. Owns what it reads from (a WAV reader, or an ffmpeg child) and
/// disposes it. The float chunk buffer is allocated once; NAudio's providers size their own work
/// buffers on the first read and reuse them, so steady-state reads allocate nothing.
/// </summary>
internal sealed class ChunkedAudioSource : IAudioSource
{
    private readonly ISampleProvider _chain;
    private readonly IDisposable _input;
    private readonly FfmpegProcess? _process;
    private readonly string _inputName;
    private readonly string? _inputUrl;
    private readonly bool _paced;
    private readonly float[] _floats = new float[LiveAudioFormat.ChunkFrames * LiveAudioFormat.Channels];
    private readonly Stopwatch _clock = new();
    private int _primedFrames = -1;
    private long _framesRead;
    private bool _ended;
    private int _disposed;

    private ChunkedAudioSource(
        ISampleProvider chain, IDisposable input, FfmpegProcess? process, bool live, bool paced,
        string inputName, string? inputUrl, string description)
    {
        _chain = chain;
        _input = input;
        _process = process;
        IsLive = live;
        _paced = paced;
        _inputName = inputName;
        _inputUrl = inputUrl;
        Description = description;
    }

    public int SampleRate => LiveAudioFormat.SampleRate;

    public int Channels => LiveAudioFormat.Channels;

    public int ChunkFrames => LiveAudioFormat.ChunkFrames;

    public bool IsLive { get; }

    public string Description { get; }

    public long FramesRead => _framesRead;

    /// <summary>The ffmpeg child's id, or null for a WAV read in-process (tests check it is gone after dispose).</summary>
    internal int? ProcessId => _process?.Id;

    /// <summary>
    /// Builds the chain over <paramref name="decoded"/> (float samples at any rate, mono or stereo)
    /// and reads the first chunk now, so a device that cannot be opened or an input ffmpeg cannot
    /// decode fails here rather than on the first <see cref="Read"/>. On failure the input is disposed.
    /// </summary>
    /// <param name="live">A device: stamps are arrival times; the device itself sets the pace.</param>
    /// <param name="paced">A file played at real time, like a microphone (stamps are arrival times too).</param>
    public static ChunkedAudioSource Start(
        ISampleProvider decoded, IDisposable input, FfmpegProcess? process, bool live, bool paced,
        string inputName, string? inputUrl, string description)
    {
        ChunkedAudioSource? source = null;
        try
        {
            source = new ChunkedAudioSource(ToLiveFormat(decoded, inputName), input, process, live || paced, paced && !live, inputName, inputUrl, description);
            source._clock.Start();
            source._primedFrames = source.Fill();
            return source;
        }
        catch
        {
            if (source is null)
            {
                input.Dispose();
            }
            else
            {
                source.Dispose();
            }

            throw;
        }
    }

    /// <summary>Mono (stereo averaged by NAudio's <see cref="StereoToMonoSampleProvider"/>, ½ each) at 48 kHz.</summary>
    private static ISampleProvider ToLiveFormat(ISampleProvider decoded, string inputName)
    {
        ISampleProvider mono = decoded.WaveFormat.Channels switch
        {
            1 => decoded,
            2 => new StereoToMonoSampleProvider(decoded),
            int n => throw new MediaInputException(inputName, $"{n} audio channels; only mono and stereo are read directly"),
        };
        return mono.WaveFormat.SampleRate == LiveAudioFormat.SampleRate
            ? mono
            : new WdlResamplingSampleProvider(mono, LiveAudioFormat.SampleRate);
    }

    public int Read(Span<short> pcm, out long timestampUs)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfLessThan(pcm.Length, _floats.Length, nameof(pcm));
        int frames;
        if (_primedFrames >= 0)
        {
            frames = _primedFrames;
            _primedFrames = -1;
        }
        else
        {
            frames = Fill();
        }

        long firstFrame = _framesRead;
        if (frames == 0)
        {
            timestampUs = FrameTimeUs(firstFrame);
            return 0;
        }

        AudioSamples.ToInt16(_floats.AsSpan(0, frames * Channels), pcm);
        _framesRead += frames;
        if (_paced)
        {
            // A microphone hands over a chunk once its last sample was heard: wait for that moment.
            long dueUs = FrameTimeUs(_framesRead);
            long waitUs = dueUs - (long)(_clock.ElapsedTicks * (1_000_000.0 / Stopwatch.Frequency));
            if (waitUs > 0)
            {
                Thread.Sleep(TimeSpan.FromMicroseconds(waitUs));
            }
        }

        timestampUs = IsLive ? CaptureClock.NowUs - (FrameTimeUs(_framesRead) - FrameTimeUs(firstFrame)) : FrameTimeUs(firstFrame);
        return frames;
    }

    private static long FrameTimeUs(long frame) => frame * 1_000_000 / LiveAudioFormat.SampleRate;

    /// <summary>Reads one chunk of floats (fewer at the end); at the end, turns an ffmpeg failure into the input's error.</summary>
    private int Fill()
    {
        if (_ended)
        {
            return 0;
        }

        int got = 0;
        try
        {
            while (got < _floats.Length)
            {
                int n = _chain.Read(_floats.AsSpan(got));
                if (n <= 0)
                {
                    break;
                }

                got += n;
            }
        }
        catch (IOException ex) when (ex is not MediaInputException)
        {
            throw new MediaInputException(_inputName, $"reading audio failed ({ex.Message}{FfmpegSays()})", ex);
        }

        got -= got % Channels;
        if (got < _floats.Length)
        {
            _ended = true;
            CheckExit();
        }

        return got / Channels;
    }

    private void CheckExit()
    {
        if (_process is null)
        {
            return;
        }

        int code = _process.WaitForExit();
        if (code != 0)
        {
            string what = _framesRead == 0 && _primedFrames < 0 ? "no audio could be read" : $"audio stopped after {(_framesRead / (double)SampleRate):0.###} s";
            throw new MediaInputException(_inputName, $"{what} (ffmpeg exit {code}: {_process.ErrorSummary(_inputUrl, _inputName)})");
        }
    }

    private string FfmpegSays() => _process is null ? "" : $"; ffmpeg: {_process.ErrorSummary(_inputUrl, _inputName)}";

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _process?.Kill();
        _input.Dispose();
    }
}

/// <summary>
/// An ffmpeg child's stdout carrying raw f32le samples, as an NAudio <see cref="IWaveProvider"/>.
/// Reads block until the buffer is full or the pipe ends; a trailing partial sample is dropped.
/// The process is owned by the <see cref="ChunkedAudioSource"/> reading through this.
/// </summary>
internal sealed class PipeWaveProvider(FfmpegProcess process, int sampleRate, int channels) : IWaveProvider
{
    public WaveFormat WaveFormat { get; } = AudioSamples.FloatFormat(sampleRate, channels);

    public int Read(Span<byte> buffer)
    {
        int want = buffer.Length - (buffer.Length % WaveFormat.BlockAlign);
        int got = process.StandardOutput.ReadAtLeast(buffer[..want], want, throwOnEndOfStream: false);
        return got - (got % WaveFormat.BlockAlign);
    }
}
