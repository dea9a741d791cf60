namespace Capture.Media.Audio;

/// <summary>
/// Audio as chunks of interleaved signed 16-bit PCM at <see cref="LiveAudioFormat"/> (48 kHz mono,
/// 960 frames), ready to go into an <c>AudioChunk</c> message. One consumer reads at a time, from a
/// thread of its own: <see cref="Read"/> blocks (until the device or the pacing clock has the next
/// chunk). Disposing stops the input at once (its ffmpeg, if any, is killed).
/// </summary>
public interface IAudioSource : IDisposable
{
    /// <summary>Frames a second delivered: always <see cref="LiveAudioFormat.SampleRate"/>.</summary>
    int SampleRate { get; }

    /// <summary>Interleaved channels delivered: always <see cref="LiveAudioFormat.Channels"/>.</summary>
    int Channels { get; }

    /// <summary>Frames in a full chunk: <see cref="LiveAudioFormat.ChunkFrames"/>.</summary>
    int ChunkFrames { get; }

    /// <summary>Whether chunks arrive at real time (a device, or a file played with pacing) and carry arrival stamps.</summary>
    bool IsLive { get; }

    /// <summary>What this is, for logs: e.g. <c>wav tone.wav 44100 Hz 2 ch → 48000 Hz mono</c>.</summary>
    string Description { get; }

    /// <summary>Frames delivered so far.</summary>
    long FramesRead { get; }

    /// <summary>
    /// Fills <paramref name="pcm"/> (at least <see cref="ChunkFrames"/> × <see cref="Channels"/> samples,
    /// owned by the caller; the source keeps no reference to it) with the next chunk and returns its
    /// frame count: <see cref="ChunkFrames"/>, fewer only for the last chunk of a file, 0 at the end.
    /// <paramref name="timestampUs"/> is the chunk's first sample: its presentation time from the
    /// start (files read as fast as possible) or, for live sources, its capture time on
    /// <c>CaptureClock</c> (arrival minus the chunk's duration). For the wire, the bytes are
    /// <c>MemoryMarshal.AsBytes(pcm[..(frames * Channels)])</c> (little-endian, as the schema asks).
    /// </summary>
    /// <exception cref="MediaInputException">The input failed (ffmpeg's error, naming the input), after every chunk that did decode.</exception>
    int Read(Span<short> pcm, out long timestampUs);
}
