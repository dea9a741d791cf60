using System.Buffers.Binary;
using System.Globalization;
using Capture.Media.Internal;
using NAudio.Wave;

namespace Capture.Media.Audio;

/// <summary>
/// Opens audio inputs as <see cref="IAudioSource"/>s delivering 48 kHz mono s16 chunks
/// (<see cref="LiveAudioFormat"/>). WAV files are read in-process by NAudio; anything else goes
/// through an ffmpeg child writing raw f32le (mono, at the input's own rate) to a pipe, which NAudio
/// then resamples. Bad inputs fail here with a <see cref="MediaInputException"/> naming them.
/// </summary>
public static class AudioSources
{
    /// <summary>
    /// Opens an input by its name: <c>pulse</c> or <c>pulse:NAME</c> (a PulseAudio/PipeWire source,
    /// <c>default</c> unless named), <c>alsa</c> or <c>alsa:DEVICE</c> (e.g. <c>alsa:hw:1</c>),
    /// <c>lavfi:GRAPH</c> (an ffmpeg test source such as <c>sine=frequency=440:duration=2</c>), a
    /// <c>.wav</c> file, or any other media file's first audio stream.
    /// </summary>
    /// <param name="realTime">
    /// Play a file (or lavfi graph) at real time, like a microphone: each chunk is handed over when
    /// its last sample would have been heard, stamped with its capture time. Devices are always live.
    /// </param>
    /// <exception cref="MediaInputException">Missing or unreadable file, not audio, no audio stream, a truncated WAV, or a device that cannot be opened.</exception>
    public static async Task<IAudioSource> OpenAsync(string spec, bool realTime = false, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        if (DeviceInput(spec) is (string format, string device))
        {
            return OpenDevice(spec, format, device);
        }

        if (spec.StartsWith("lavfi:", StringComparison.Ordinal))
        {
            return await Task.Run(() => OpenLavfi(spec, realTime), ct).ConfigureAwait(false);
        }

        if (Path.GetExtension(spec).Equals(".wav", StringComparison.OrdinalIgnoreCase) && TryOpenWav(spec, realTime) is IAudioSource wav)
        {
            return wav;
        }

        return await OpenMediaFileAsync(spec, realTime, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a WAV file with NAudio's <see cref="WaveFileReader"/>: 8/16/24/32-bit PCM or 32-bit
    /// float, mono or stereo (<see cref="OpenAsync"/> hands other WAVs — more channels, ADPCM, µ-law — to ffmpeg).
    /// </summary>
    /// <exception cref="MediaInputException">Missing, empty, not a WAV, truncated (header or data cut short), or a sample format NAudio does not decode here.</exception>
    public static IAudioSource OpenWav(string path, bool realTime = false) =>
        TryOpenWav(path, realTime) ?? throw new MediaInputException(path, "a WAV sample format or channel count NAudio does not decode here; open it with AudioSources.OpenAsync (ffmpeg)");

    /// <summary>The WAV read in-process, or null when it is a valid WAV in a format for ffmpeg.</summary>
    private static ChunkedAudioSource? TryOpenWav(string path, bool realTime)
    {
        MediaProbe.CheckFile(path);
        WaveFileReader reader = ReadWavHeader(path);
        WaveFormat format = reader.WaveFormat;
        ISampleProvider? decoded = null;
        if (format.Channels is 1 or 2)
        {
            try
            {
                decoded = reader.ToSampleProvider();
            }
            catch (ArgumentException)
            {
                // An encoding NAudio has no portable decoder for (ADPCM, µ-law…): ffmpeg's turn.
            }
        }

        if (decoded is null)
        {
            reader.Dispose();
            return null;
        }

        string description = $"wav {Path.GetFileName(path)} {format.SampleRate} Hz {format.Channels} ch → {LiveAudioFormat.SampleRate} Hz mono{Paced(realTime)}";
        return ChunkedAudioSource.Start(decoded, reader, process: null, live: false, paced: realTime, path, inputUrl: null, description);
    }

    private static WaveFileReader ReadWavHeader(string path)
    {
        long riffBytes = DeclaredRiffLength(path);
        long fileBytes = new FileInfo(path).Length;
        WaveFileReader reader;
        try
        {
            reader = new WaveFileReader(path);
        }
        catch (FormatException ex)
        {
            throw new MediaInputException(path, $"not a WAV file ({ex.Message})", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new MediaInputException(path, $"truncated WAV: the header ends early ({fileBytes} bytes in all)", ex);
        }
        catch (InvalidDataException ex)
        {
            throw new MediaInputException(path, $"not a usable WAV file ({ex.Message})", ex);
        }

        // NAudio clamps a data chunk that runs past the end of the file and reads what is there; a
        // take cut off mid-write should say so instead. 0xFFFFFFFF (or 0) is a streamed WAV whose
        // writer could not seek back to fill in the sizes: read it to the end.
        if (riffBytes is > 0 and < uint.MaxValue && riffBytes + 8 > fileBytes)
        {
            reader.Dispose();
            throw new MediaInputException(path,
                $"truncated WAV: the header declares {riffBytes + 8:N0} bytes but the file has {fileBytes:N0} (cut off while being written?)");
        }

        return reader;
    }

    /// <summary>The RIFF chunk size field (bytes 4–7), or -1 if the file is not RIFF (the reader then says why).</summary>
    private static long DeclaredRiffLength(string path)
    {
        Span<byte> head = stackalloc byte[8];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
        return stream.ReadAtLeast(head, 8, throwOnEndOfStream: false) == 8 && head[..4].SequenceEqual("RIFF"u8)
            ? BinaryPrimitives.ReadUInt32LittleEndian(head[4..])
            : -1;
    }

    /// <summary>The first audio stream of any file ffmpeg reads, probed first (a file without audio fails here).</summary>
    private static async Task<IAudioSource> OpenMediaFileAsync(string path, bool realTime, CancellationToken ct)
    {
        MediaInfo info = await MediaProbe.ProbeFileAsync(path, requireVideo: false, ct).ConfigureAwait(false);
        if (info.Audio is null)
        {
            string found = info.Video is null ? "no audio or video streams" : $"only video ({info.Video.Codec})";
            throw new MediaInputException(path, $"no audio stream ({found})");
        }

        int rate = info.Audio.SampleRate > 0 ? info.Audio.SampleRate : LiveAudioFormat.SampleRate;
        string url = MediaProbe.FileUrl(path);
        FfmpegProcess process = StartFfmpeg(["-xerror", "-i", url, "-map", "0:a:0"], rate);
        string description = $"file {Path.GetFileName(path)} {info.Audio.Codec} {info.Audio.SampleRate} Hz {info.Audio.Channels} ch → {LiveAudioFormat.SampleRate} Hz mono{Paced(realTime)}";
        return ChunkedAudioSource.Start(new PipeWaveProvider(process, rate, 1).ToSampleProvider(), process,
            process, live: false, paced: realTime, path, url, description);
    }

    private static IAudioSource OpenLavfi(string spec, bool realTime)
    {
        string graph = spec["lavfi:".Length..];
        ArgumentException.ThrowIfNullOrWhiteSpace(graph, nameof(spec));
        // ffmpeg delivers the graph at 48 kHz itself: a test source has no native rate worth keeping.
        int rate = LiveAudioFormat.SampleRate;
        FfmpegProcess process = StartFfmpeg(["-f", "lavfi", "-i", graph, "-map", "0:a:0"], rate);
        return ChunkedAudioSource.Start(new PipeWaveProvider(process, rate, 1).ToSampleProvider(), process,
            process, live: false, paced: realTime, spec, inputUrl: null, $"lavfi {graph} {rate} Hz{Paced(realTime)}");
    }

    private static IAudioSource OpenDevice(string spec, string format, string device)
    {
        // Asked for at the device's usual native rate, so ffmpeg's input needs no conversion and NAudio none either.
        int rate = LiveAudioFormat.SampleRate;
        FfmpegProcess process = StartFfmpeg(
            ["-f", format, "-sample_rate", rate.ToString(CultureInfo.InvariantCulture), "-channels", "1", "-fflags", "nobuffer", "-i", device, "-map", "0:a:0"], rate);
        try
        {
            return ChunkedAudioSource.Start(new PipeWaveProvider(process, rate, 1).ToSampleProvider(), process,
                process, live: true, paced: false, spec, inputUrl: null, $"{format} {device} {rate} Hz mono");
        }
        catch (MediaInputException ex)
        {
            string hint = format == "pulse"
                ? "is a PulseAudio or PipeWire server running for this user, with a capture source? `pactl list sources short` lists them"
                : "is there a sound card with a capture device? `arecord -l` lists them";
            throw new MediaInputException(spec, $"audio device could not be opened: {ex.Problem}; {hint}", ex);
        }
    }

    /// <summary>ffmpeg decoding <paramref name="input"/> to f32le mono at <paramref name="rate"/> on stdout (ffmpeg downmixes any channel layout properly).</summary>
    private static FfmpegProcess StartFfmpeg(string[] input, int rate)
    {
        string[] args =
        [
            "-hide_banner", "-nostdin", "-loglevel", "error", .. input, "-vn", "-sn", "-dn",
            "-ac", "1", "-ar", rate.ToString(CultureInfo.InvariantCulture), "-f", "f32le", "pipe:1",
        ];
        return FfmpegProcess.Start("ffmpeg", args, readStdout: true, writeStdin: false);
    }

    /// <summary><c>pulse[:NAME]</c> / <c>alsa[:DEVICE]</c> → (ffmpeg input format, device), else null.</summary>
    internal static (string Format, string Device)? DeviceInput(string spec)
    {
        foreach (string format in (string[])["pulse", "alsa"])
        {
            if (spec == format)
            {
                return (format, "default");
            }

            if (spec.StartsWith(format + ":", StringComparison.Ordinal) && spec.Length > format.Length + 1)
            {
                return (format, spec[(format.Length + 1)..]);
            }
        }

        return null;
    }

    private static string Paced(bool realTime) => realTime ? " real-time" : "";
}
