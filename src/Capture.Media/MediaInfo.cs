namespace Capture.Media;

/// <summary>
/// The first video stream of an input. <see cref="Width"/> and <see cref="Height"/> are the
/// displayed size: a phone clip stored 1280×720 with a 90° rotation reports 720×1280, because
/// ffmpeg autorotates while decoding and the frames come out that way.
/// </summary>
/// <param name="FrameRate">Average frames per second (falls back to the stream's base rate).</param>
/// <param name="FrameCount">Frames the container declares; null where it does not say (MKV, images, devices).</param>
/// <param name="Rotation">Display rotation from the stream's metadata in degrees, normalised to 0, 90, 180 or 270.</param>
public sealed record VideoStreamInfo(int Width, int Height, double FrameRate, long? FrameCount, string Codec, int Rotation);

/// <summary>The first audio stream of an input.</summary>
public sealed record AudioStreamInfo(int SampleRate, int Channels, string Codec);

/// <summary>What <see cref="MediaProbe"/> found in an input.</summary>
/// <param name="Path">The input as the caller named it.</param>
/// <param name="FormatName">The container as ffprobe names it, e.g. <c>mov,mp4,m4a,3gp,3g2,mj2</c>.</param>
public sealed record MediaInfo(string Path, string FormatName, double? DurationSeconds, VideoStreamInfo? Video, AudioStreamInfo? Audio);
