using System.Diagnostics;
using System.Runtime.InteropServices;
using Capture.Core.Diagnostics;
using Capture.Core.Tracking;
using Capture.Media.Audio;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Stages = Capture.Core.Diagnostics.CaptureMetrics.Stages;

namespace Capture.Pipeline.Motion;

/// <summary>
/// A Capture <c>.mpk</c> recording read back (from <c>capture track</c>, <c>render --motion-data</c>, <c>capture
/// live --record</c> or a server's kept session): its TrackingFrames exactly as recorded, at the
/// <see cref="MotionClock"/> of their timestamps (a recording with steady timestamps is read one for one; a
/// live take's late or dropped frames are filled with the nearest frame in time). Its AudioChunks, if any,
/// become the render's audio: written out as one WAV, aligned to the first frame (silence where chunks are
/// missing). Opening reads the file once through to check it (time order, a face somewhere, the audio
/// format); the frames are then streamed, not held.
/// </summary>
public sealed class RecordingMotionDriver : IMotionDriver
{
    private readonly string _path;
    private readonly MessagePackLimits _limits;
    private readonly MotionClock _clock;
    private readonly long _firstUs;
    private readonly long _packets;
    private readonly string? _audioPath;
    private readonly string? _metrics;
    private readonly ProtocolReader _reader;
    private RecordingReader _recording;
    private TrackingFrame _current = new();
    private TrackingFrame _next = new();
    private bool _hasCurrent;
    private bool _hasNext;
    private long _output;
    private long _lastWrittenUs = long.MinValue;

    private RecordingMotionDriver(string path, MessagePackLimits limits, MotionClock clock, long firstUs, long packets, int width, int height, bool body, string? audioPath, string? metrics, string source)
    {
        _path = path;
        _limits = limits;
        _clock = clock;
        _firstUs = firstUs;
        _packets = packets;
        _audioPath = audioPath;
        _metrics = metrics;
        _reader = new ProtocolReader(limits);
        _recording = new RecordingReader(File.OpenRead(path), path, ownsStream: true, limits);
        Info = new MotionInfo
        {
            Path = path,
            Kind = MotionKind.Recording,
            FrameRate = clock.FrameRate,
            FrameCount = clock.FrameCount,
            Width = width,
            Height = height,
            HasBody = body,
            AudioPath = audioPath,
            Description = string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{Path.GetFileName(path)}: Capture recording ({source}), {clock.FrameCount} frames at {clock.FrameRate:0.###} fps{(audioPath is null ? "" : ", with audio")}"),
        };
    }

    public MotionInfo Info { get; }

    /// <summary>Checks the recording through and opens it. Throws <see cref="InvalidDataException"/> with one line naming the file and the problem.</summary>
    public static RecordingMotionDriver Open(string path, MotionDriverOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        MessagePackLimits limits = options.Untrusted ? MessagePackLimits.Untrusted : MessagePackLimits.Trusted;
        var times = new List<long>();
        long faces = 0;
        long bodies = 0;
        int width = 0;
        int height = 0;
        string source;
        string? audioPath = null;
        WavAudioWriter? wav = null;
        var chunks = new List<(long TimestampUs, byte[] Pcm, int Rate, int Channels)>();
        long packets = 0;
        try
        {
            using (RecordingReader recording = OpenReader(path, limits))
            {
                source = recording.Header.Source;
                var reader = new ProtocolReader(limits);
                while (TryNext(recording, path, options, out ReadOnlyMemory<byte> packet))
                {
                    packets++;
                    MessageKind kind = Decode(reader, packet.Span, path, recording.PacketCount);
                    if (kind == MessageKind.TrackingFrame)
                    {
                        TrackingFrame f = reader.Frame;
                        if (times.Count > 0 && f.CaptureTimestampUs <= times[^1])
                        {
                            throw new InvalidDataException(
                                $"{path}: tracking frame {times.Count + 1} is at {f.CaptureTimestampUs} µs, not after the one before it ({times[^1]} µs): the frames are out of time order");
                        }

                        if (times.Count == 0)
                        {
                            width = f.ImageWidth;
                            height = f.ImageHeight;
                        }

                        times.Add(f.CaptureTimestampUs);
                        faces += f.Face.Present ? 1 : 0;
                        bodies += f.Body.Present ? 1 : 0;
                    }
                    else if (kind == MessageKind.AudioChunk)
                    {
                        AudioChunkHeader a = reader.Audio;
                        chunks.Add((a.TimestampUs, reader.AudioPcm.ToArray(), a.SampleRate, a.Channels));
                    }
                }
            }

            if (times.Count == 0)
            {
                throw new InvalidDataException($"{path}: no tracking frames in the recording ({packets} packets, none a TrackingFrame)");
            }

            if (faces == 0)
            {
                throw new InvalidDataException($"{path}: no face frames: none of its {times.Count} tracking frames has a face, and render drives the character's face");
            }

            if (width <= 0 || height <= 0)
            {
                throw new InvalidDataException($"{path}: its first tracking frame has no image size ({width}×{height})");
            }

            if (chunks.Count > 0)
            {
                audioPath = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"capture-audio-{Guid.NewGuid():N}.wav");
                wav = new WavAudioWriter(audioPath, chunks[0].Rate, chunks[0].Channels);
                WriteAudio(wav, chunks, times[0], path);
                wav.Dispose();
                wav = null;
            }

            return new RecordingMotionDriver(path, limits, MotionClock.FromTimestamps(times), times[0], packets, width, height, bodies > 0, audioPath, options.MetricsPipeline, source);
        }
        catch
        {
            wav?.Dispose();
            if (audioPath is not null)
            {
                File.Delete(audioPath);
            }

            throw;
        }
    }

    public ValueTask<MotionStep> ReadAsync(TrackingFrame tracking, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tracking);
        ct.ThrowIfCancellationRequested();
        if (_output >= _clock.FrameCount)
        {
            return ValueTask.FromResult(default(MotionStep));
        }

        long t0 = Stopwatch.GetTimestamp();
        long due = _firstUs + _clock.TimeUs(_output);
        if (!_hasCurrent)
        {
            _hasCurrent = NextFrame(_current);
            _hasNext = _hasCurrent && NextFrame(_next);
        }

        while (_hasNext && _next.CaptureTimestampUs <= due)
        {
            (_current, _next) = (_next, _current);
            _hasNext = NextFrame(_next);
        }

        TrackingFrame picked = _hasNext && _next.CaptureTimestampUs - due < due - _current.CaptureTimestampUs ? _next : _current;
        picked.CopyTo(tracking);

        // A frame shown again (a gap in a live take) gets the output clock's time, so time keeps moving.
        if (tracking.CaptureTimestampUs <= _lastWrittenUs)
        {
            tracking.CaptureTimestampUs = Math.Max(due, _lastWrittenUs + 1);
        }

        _lastWrittenUs = tracking.CaptureTimestampUs;
        tracking.Sequence = _output;
        _output++;
        if (_metrics is not null)
        {
            CaptureMetrics.RecordStage(_metrics, Stages.Decode, t0, Stopwatch.GetTimestamp());
        }

        return ValueTask.FromResult(new MotionStep(true, null));
    }

    public ValueTask RestartAsync(IReadOnlyList<TrackingFrame> alreadyRead, CancellationToken ct)
    {
        _recording.Dispose();
        _recording = OpenReader(_path, _limits);
        _hasCurrent = _hasNext = false;
        _output = 0;
        _lastWrittenUs = long.MinValue;
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _recording.Dispose();
        if (_audioPath is not null)
        {
            try
            {
                File.Delete(_audioPath);
            }
            catch (IOException)
            {
                // A temporary file; the OS's temp cleaning takes it.
            }
        }

        return ValueTask.CompletedTask;
    }

    // The next TrackingFrame of the file (audio and other packets skipped); false at the end.
    private bool NextFrame(TrackingFrame destination)
    {
        while (_recording.PacketCount < _packets && _recording.TryReadNext(out ReadOnlyMemory<byte> packet))
        {
            if (Decode(_reader, packet.Span, _path, _recording.PacketCount) == MessageKind.TrackingFrame)
            {
                _reader.Frame.CopyTo(destination);
                return true;
            }
        }

        return false;
    }

    private static RecordingReader OpenReader(string path, MessagePackLimits limits) =>
        new(File.OpenRead(path), path, ownsStream: true, limits);

    private static bool TryNext(RecordingReader recording, string path, MotionDriverOptions options, out ReadOnlyMemory<byte> packet)
    {
        try
        {
            return recording.TryReadNext(out packet);
        }
        catch (InvalidDataException ex)
        {
            // A recording cut off mid-write (a live take that ended badly): keep every whole packet before it.
            options.Log?.Invoke($"{System.IO.Path.GetFileName(path)}: {ex.Message.Replace(path + ": ", "", StringComparison.Ordinal)}; rendering those");
            packet = default;
            return false;
        }
    }

    private static MessageKind Decode(ProtocolReader reader, ReadOnlySpan<byte> packet, string path, long number)
    {
        try
        {
            return reader.Read(packet);
        }
        catch (Exception ex) when (ex is MessagePackFormatException or ProtocolVersionException)
        {
            throw new InvalidDataException($"{path}: packet {number} is not a valid protocol packet: {ex.Message}", ex);
        }
    }

    // Chunks placed by their timestamps from the first frame: silence for gaps, the part before the first frame cut.
    private static void WriteAudio(WavAudioWriter wav, List<(long TimestampUs, byte[] Pcm, int Rate, int Channels)> chunks, long firstFrameUs, string path)
    {
        short[] silence = new short[wav.SampleRate * wav.Channels / 50];
        foreach ((long timestamp, byte[] bytes, int rate, int channels) in chunks)
        {
            if (rate != wav.SampleRate || channels != wav.Channels)
            {
                throw new InvalidDataException(
                    $"{path}: its audio changes format mid-take ({wav.SampleRate} Hz × {wav.Channels} to {rate} Hz × {channels}); Capture's own recordings keep one");
            }

            ReadOnlySpan<short> pcm = MemoryMarshal.Cast<byte, short>(bytes);
            long at = (long)Math.Round((timestamp - firstFrameUs) * (double)rate / 1e6);
            long frames = pcm.Length / channels;
            if (at + frames <= 0)
            {
                continue; // wholly before the first frame
            }

            // Chunks come with a little jitter in their stamps and are written back to back; only a gap of
            // more than a chunk's length (chunks lost) becomes silence.
            while (at - wav.FramesWritten > frames)
            {
                long gap = Math.Min(at - wav.FramesWritten, silence.Length / channels);
                wav.Write(silence.AsSpan(0, (int)gap * channels));
            }

            long skip = at < 0 ? -at : 0;
            wav.Write(pcm[(int)(skip * channels)..]);
        }
    }
}
