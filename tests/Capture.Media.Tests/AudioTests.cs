using System.Diagnostics;
using Capture.Media.Audio;
using NAudio.Wave;
using NAudio.Wave.SampleProviders;

namespace Capture.Media.Tests;

/// <summary>Whether this machine has an audio capture device or a PulseAudio/PipeWire server, as ffmpeg would look for them.</summary>
internal static class SoundHardware
{
    public static bool HasAlsaCapture =>
        Directory.Exists("/dev/snd") && Directory.EnumerateFiles("/dev/snd", "pcmC*c").Any();

    public static bool HasPulseServer
    {
        get
        {
            string? runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            return Environment.GetEnvironmentVariable("PULSE_SERVER") is not null ||
                (runtime is not null && File.Exists(Path.Combine(runtime, "pulse", "native")));
        }
    }
}

/// <summary>A fact that checks the "no device" error: skipped where a sound device is present.</summary>
public sealed class NoSoundDeviceFactAttribute : FactAttribute
{
    public NoSoundDeviceFactAttribute()
    {
        if (SoundHardware.HasAlsaCapture || SoundHardware.HasPulseServer)
        {
            Skip = "hardware: this machine has a sound device, so the no-device error cannot be provoked";
        }
    }
}

/// <summary>A fact that needs a real microphone (ALSA capture device); skipped with that reason where there is none.</summary>
public sealed class MicrophoneFactAttribute : FactAttribute
{
    public MicrophoneFactAttribute()
    {
        if (!SoundHardware.HasAlsaCapture)
        {
            Skip = "hardware: no ALSA capture device under /dev/snd";
        }
    }
}

public sealed class AudioFixture : IDisposable
{
    private readonly TempDir _dir = new();

    public AudioFixture()
    {
        // 1 s of 440 Hz at 44.1 kHz mono s16, as ffmpeg's lavfi sine makes it (amplitude 1/8 full scale).
        Sine44k = _dir.File("sine440_44k.wav");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=1", "-c:a", "pcm_s16le", Sine44k);
        // 10 s stereo for the steady-state allocation check.
        Sine44kStereo10s = _dir.File("sine440_44k_stereo_10s.wav");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=10", "-ac", "2", "-c:a", "pcm_s16le", Sine44kStereo10s);
        // Stereo at 48 kHz: left a half-scale 440 Hz sine, right silent.
        LeftOnly48k = _dir.File("left_only_48k.wav");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*440*t)|0:s=48000:d=1", "-c:a", "pcm_s16le", LeftOnly48k);
    }

    public string Sine44k { get; }

    public string Sine44kStereo10s { get; }

    public string LeftOnly48k { get; }

    public string File(string name) => _dir.File(name);

    public string Marker => _dir.Path;

    public void Dispose() => _dir.Dispose();
}

public sealed class AudioTests(AudioFixture fx) : IClassFixture<AudioFixture>
{
    /// <summary>A shared clip whose audio track is not silent.</summary>
    internal static string FullBodyClip => Path.Combine(TestMedia.Dir, "vid_body_fullbody_gesture_s13.mp4");

    private static short[] ReadAll(IAudioSource source, out List<long> stamps)
    {
        var all = new List<short>();
        stamps = [];
        var chunk = new short[source.ChunkFrames * source.Channels];
        int frames;
        while ((frames = source.Read(chunk, out long t)) > 0)
        {
            stamps.Add(t);
            all.AddRange(chunk.AsSpan(0, frames * source.Channels));
        }

        return [.. all];
    }

    private static short[] ReadAll(IAudioSource source) => ReadAll(source, out _);

    /// <summary>Sign changes between consecutive samples (a pure tone crosses zero twice a cycle).</summary>
    private static int ZeroCrossings(ReadOnlySpan<short> s)
    {
        int n = 0;
        for (int i = 1; i < s.Length; i++)
        {
            if ((s[i - 1] < 0) != (s[i] < 0))
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>Power of the <paramref name="hz"/> component (Goertzel), normalised by length.</summary>
    private static double Goertzel(ReadOnlySpan<short> s, double hz, int rate)
    {
        double coeff = 2 * Math.Cos(2 * Math.PI * hz / rate);
        double q1 = 0, q2 = 0;
        foreach (short x in s)
        {
            double q0 = coeff * q1 - q2 + x;
            q2 = q1;
            q1 = q0;
        }

        return (q1 * q1 + q2 * q2 - coeff * q1 * q2) / s.Length;
    }

    [Fact]
    public void AudioSamples_EveryInt16_RoundTripsExactly()
    {
        short[] all = new short[65536];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = (short)(i + short.MinValue);
        }

        float[] f = new float[all.Length];
        short[] back = new short[all.Length];
        AudioSamples.ToFloat(all, f);
        AudioSamples.ToInt16(f, back);
        Assert.Equal(all, back);
        Assert.Equal(-1f, f[0]);
        Assert.True(f[^1] < 1f);
    }

    [Fact]
    public void AudioSamples_ToFloat_EqualsNAudioPcm16Decoder()
    {
        short[] all = new short[65536];
        for (int i = 0; i < all.Length; i++)
        {
            all[i] = (short)(i + short.MinValue);
        }

        byte[] bytes = new byte[all.Length * 2];
        Buffer.BlockCopy(all, 0, bytes, 0, bytes.Length);
        var naudio = new Pcm16BitToSampleProvider(new RawSourceWaveStream(new MemoryStream(bytes), new WaveFormat(48000, 16, 1)));
        float[] theirs = new float[all.Length];
        Assert.Equal(all.Length, naudio.Read(theirs));
        float[] ours = new float[all.Length];
        AudioSamples.ToFloat(all, ours);
        Assert.Equal(theirs, ours);
    }

    [Fact]
    public void AudioSamples_ToInt16_ClampsAndRounds()
    {
        float[] f = [2f, -2f, 1f, -1f, 0.5f / 32768, -0.6f / 32768, float.NaN, float.PositiveInfinity];
        short[] s = new short[f.Length];
        AudioSamples.ToInt16(f, s);
        Assert.Equal([short.MaxValue, short.MinValue, short.MaxValue, short.MinValue, 0, -1, 0, short.MaxValue], s);
    }

    [Fact]
    public void OpenWav_44kSine_ResampledTo48kKeepsFrequencyAndDuration()
    {
        using IAudioSource source = AudioSources.OpenWav(fx.Sine44k);
        Assert.Equal(48000, source.SampleRate);
        Assert.Equal(1, source.Channels);
        Assert.False(source.IsLive);
        short[] pcm = ReadAll(source, out List<long> stamps);

        // 1 s in → 48,000 frames out, give or take the resampler's edge (under 1 ms).
        Assert.InRange(pcm.Length, 48000 - 48, 48000 + 48);
        Assert.Equal(pcm.Length, source.FramesRead);

        // 440 Hz crosses zero 880 times a second: count over the middle 0.8 s (edges have filter ramps).
        int crossings = ZeroCrossings(pcm.AsSpan(4800, 38400));
        Assert.InRange(crossings, 704 - 2, 704 + 2);

        // And the energy is at 440 Hz, not next to it.
        ReadOnlySpan<short> mid = pcm.AsSpan(4800, 38400);
        double at440 = Goertzel(mid, 440, 48000);
        Assert.True(at440 > 100 * Goertzel(mid, 400, 48000), "440 Hz should dominate 400 Hz");
        Assert.True(at440 > 100 * Goertzel(mid, 480, 48000), "440 Hz should dominate 480 Hz");

        // Presentation stamps: 20 ms apart from 0.
        Assert.Equal(0, stamps[0]);
        Assert.Equal(20_000, stamps[1] - stamps[0]);
    }

    [Fact]
    public void WavAudioWriter_WriteThenOpenWav_SamplesEqual()
    {
        string path = fx.File("written.wav");
        short[] written = new short[48000 + 123]; // not a whole number of chunks: the last one is short
        for (int i = 0; i < written.Length; i++)
        {
            written[i] = (short)Math.Round(20000 * Math.Sin(2 * Math.PI * 440 * i / 48000.0) + (i % 7) - 3);
        }

        using (var writer = new WavAudioWriter(path))
        {
            writer.Write(written.AsSpan(0, 1000));
            writer.Write(written.AsSpan(1000));
            Assert.Equal(written.Length, writer.FramesWritten);
        }

        using IAudioSource source = AudioSources.OpenWav(path);
        Assert.Equal(written, ReadAll(source));
    }

    [Fact]
    public void OpenWav_StereoLeftOnly_AveragesToMono()
    {
        using IAudioSource source = AudioSources.OpenWav(fx.LeftOnly48k);
        short[] pcm = ReadAll(source);
        Assert.Equal(48000, pcm.Length);
        // Left 0.5 full scale, right silent → mono peak 0.25 full scale (8192).
        int peak = pcm.Max(s => Math.Abs((int)s));
        Assert.InRange(peak, 8192 - 3, 8192 + 3);
        Assert.InRange(ZeroCrossings(pcm.AsSpan(4800, 38400)), 704 - 2, 704 + 2);
    }

    [Fact]
    public async Task Open_SixChannelWav_GoesThroughFfmpegDownmix()
    {
        string path = fx.File("six.wav");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1", "-ac", "6", "-c:a", "pcm_s16le", path);
        var ex = Assert.Throws<MediaInputException>(() => AudioSources.OpenWav(path));
        Assert.Contains("NAudio does not decode here", ex.Message, StringComparison.Ordinal);

        using IAudioSource source = await AudioSources.OpenAsync(path);
        Assert.StartsWith("file six.wav pcm_s16le 48000 Hz 6 ch", source.Description, StringComparison.Ordinal);
        short[] pcm = ReadAll(source);
        Assert.Equal(48000, pcm.Length);
        Assert.InRange(ZeroCrossings(pcm.AsSpan(4800, 38400)), 704 - 2, 704 + 2);
    }

    [Fact]
    public void OpenWav_TruncatedData_SaysTruncated()
    {
        byte[] whole = File.ReadAllBytes(fx.Sine44k);
        string cut = fx.File("cut.wav");
        File.WriteAllBytes(cut, whole.AsSpan(0, whole.Length / 2).ToArray());
        var ex = Assert.Throws<MediaInputException>(() => AudioSources.OpenWav(cut));
        Assert.Contains("truncated WAV", ex.Message, StringComparison.Ordinal);
        Assert.Contains("cut.wav", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OpenWav_TruncatedHeader_SaysHeaderEndsEarly()
    {
        string cut = fx.File("header_cut.wav");
        File.WriteAllBytes(cut, File.ReadAllBytes(fx.Sine44k).AsSpan(0, 30).ToArray());
        var ex = Assert.Throws<MediaInputException>(() => AudioSources.OpenWav(cut));
        Assert.Contains("header ends early", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_NotAWav_SaysNotAWav()
    {
        string text = fx.File("notes.wav");
        File.WriteAllText(text, "these are not samples\n");
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => AudioSources.OpenAsync(text));
        Assert.Contains("not a WAV file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_MissingFile_SaysNotFound()
    {
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => AudioSources.OpenAsync(fx.File("nowhere.wav")));
        Assert.Contains("file not found", ex.Message, StringComparison.Ordinal);
        ex = await Assert.ThrowsAsync<MediaInputException>(() => AudioSources.OpenAsync(fx.File("nowhere.mp4")));
        Assert.Contains("file not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_VideoWithoutAudio_SaysNoAudioStream()
    {
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => AudioSources.OpenAsync(TestMedia.TalkSelfie));
        Assert.Contains("no audio stream (only video (h264))", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_NotMedia_SaysFfprobesError()
    {
        string junk = fx.File("junk.m4a");
        File.WriteAllText(junk, "not audio at all");
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => AudioSources.OpenAsync(junk));
        Assert.Contains("junk.m4a", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ffprobe", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_SharedClipAac_ReadsItsAudioAtItsDuration()
    {
        // AAC, 44.1 kHz stereo, 4.108 s, peak −6.6 dBFS (ffprobe, volumedetect); the d18/d3 clips' tracks are silent.
        using IAudioSource source = await AudioSources.OpenAsync(FullBodyClip);
        Assert.Contains("aac 44100 Hz 2 ch", source.Description, StringComparison.Ordinal);
        short[] pcm = ReadAll(source);
        double seconds = pcm.Length / 48000.0;
        Assert.InRange(seconds, 4.108 - 0.03, 4.108 + 0.03);
        Assert.True(pcm.Max(s => Math.Abs((int)s)) > 1000, "the clip's audio should not be silent");
    }

    [Fact]
    public async Task Open_BadLavfiGraph_SaysFfmpegsError()
    {
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => AudioSources.OpenAsync("lavfi:nosuchsource=1"));
        Assert.Contains("no audio could be read", ex.Message, StringComparison.Ordinal);
        Assert.Contains("nosuchsource", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_RealTime_PacesLikeAMicrophoneAndStampsArrival()
    {
        var wall = Stopwatch.StartNew();
        using IAudioSource source = await AudioSources.OpenAsync("lavfi:sine=frequency=440:duration=0.5", realTime: true);
        Assert.True(source.IsLive);
        short[] pcm = ReadAll(source, out List<long> stamps);
        wall.Stop();
        Assert.Equal(24000, pcm.Length);
        Assert.True(wall.Elapsed.TotalSeconds >= 0.45, $"0.5 s of audio came in {wall.Elapsed.TotalSeconds:0.000} s");
        for (int i = 1; i < stamps.Count; i++)
        {
            Assert.True(stamps[i] > stamps[i - 1]);
        }
    }

    [Fact]
    public async Task Dispose_MidStream_KillsFfmpeg()
    {
        // An endless source: only dispose ends it.
        var source = (ChunkedAudioSource)await AudioSources.OpenAsync("lavfi:sine=frequency=440");
        var chunk = new short[source.ChunkFrames];
        Assert.Equal(source.ChunkFrames, source.Read(chunk, out _));
        int pid = source.ProcessId!.Value;
        source.Dispose();
        Assert.True(TestMedia.ProcessGone(pid), TestMedia.ProcessState(pid));
    }

    [NoSoundDeviceFact]
    public async Task Open_PulseWithoutServer_SaysDeviceCannotBeOpened()
    {
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => AudioSources.OpenAsync("pulse"));
        Assert.StartsWith("pulse: audio device could not be opened", ex.Message, StringComparison.Ordinal);
        Assert.Contains("PulseAudio", ex.Message, StringComparison.Ordinal);
    }

    [NoSoundDeviceFact]
    public async Task Open_AlsaWithoutCard_SaysDeviceCannotBeOpened()
    {
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => AudioSources.OpenAsync("alsa:hw:7"));
        Assert.StartsWith("alsa:hw:7: audio device could not be opened", ex.Message, StringComparison.Ordinal);
        Assert.Contains("cannot open audio device hw:7", ex.Message, StringComparison.Ordinal);
        Assert.Contains("arecord -l", ex.Message, StringComparison.Ordinal);
    }

    [MicrophoneFact]
    [Trait("Hardware", "Microphone")]
    public async Task Open_AlsaDefault_DeliversLiveChunks()
    {
        using IAudioSource source = await AudioSources.OpenAsync("alsa");
        Assert.True(source.IsLive);
        var chunk = new short[source.ChunkFrames];
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(source.ChunkFrames, source.Read(chunk, out _));
        }
    }
}

/// <summary>Runs alone, like <see cref="AllocationTests"/>, though it counts only this thread's bytes.</summary>
[Collection(nameof(AllocationCollection))]
public sealed class AudioAllocationTests(AudioFixture fx) : IClassFixture<AudioFixture>
{
    [Fact]
    public void Read_WavStereo44kSteadyState_AllocatesNothing()
    {
        using IAudioSource source = AudioSources.OpenWav(fx.Sine44kStereo10s);
        var chunk = new short[source.ChunkFrames];
        for (int i = 0; i < 20; i++)
        {
            source.Read(chunk, out _); // warm up: NAudio sizes its work buffers on the first reads
        }

        // No assertion inside the loop: xunit's Assert.Equal allocates.
        int frames = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            frames += source.Read(chunk, out _);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(200 * source.ChunkFrames, frames);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task Read_FfmpegPipeSteadyState_AllocatesNothing()
    {
        using IAudioSource source = await AudioSources.OpenAsync(AudioTests.FullBodyClip);
        var chunk = new short[source.ChunkFrames];
        for (int i = 0; i < 20; i++)
        {
            source.Read(chunk, out _);
        }

        // No assertion inside the loop: xunit's Assert.Equal allocates.
        int frames = 0;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 150; i++)
        {
            frames += source.Read(chunk, out _);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(150 * source.ChunkFrames, frames); // the clip has 205 chunks
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void AudioSamples_Conversion_AllocatesNothing()
    {
        short[] s = new short[960];
        float[] f = new float[960];
        AudioSamples.ToFloat(s, f);
        AudioSamples.ToInt16(f, s);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            AudioSamples.ToFloat(s, f);
            AudioSamples.ToInt16(f, s);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
