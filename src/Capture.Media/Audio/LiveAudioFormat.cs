namespace Capture.Media.Audio;

/// <summary>
/// The audio format Capture streams live in <c>AudioChunk</c> messages. The schema allows any rate
/// (1…768,000) and channel count; Capture's own sources always send this one so every receiver can
/// forward or mix chunks without resampling.
/// </summary>
public static class LiveAudioFormat
{
    /// <summary>48 kHz: what browsers' getUserMedia, PulseAudio and most USB microphones run at natively, so a live microphone is not resampled at all.</summary>
    public const int SampleRate = 48_000;

    /// <summary>Mono: a performer's voice; half the bytes of stereo (96 KB/s as s16).</summary>
    public const int Channels = 1;

    /// <summary>20 ms per chunk (960 frames, 1,920 bytes): short enough to stay in step with 30/60 fps video, long enough that the per-packet overhead (~25 bytes) is about 1 %.</summary>
    public const int ChunkFrames = 960;
}
