namespace Capture.Media;

/// <summary>
/// A media input the user supplied cannot be used: missing, empty, unreadable, not a video, no
/// video stream, cut short, or not a capture device. The message names the input and the problem,
/// e.g. <c>clip.mp4: not a video file (ffprobe: Invalid data found when processing input)</c>, and is
/// meant to be shown to the user as it is.
/// Derives from <see cref="IOException"/> because <see cref="InvalidDataException"/> is sealed.
/// </summary>
public class MediaInputException : IOException
{
    public MediaInputException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The input as the caller named it (file path, device path or lavfi graph).</summary>
    public string Path { get; }

    /// <summary>The problem on its own, without the path.</summary>
    public string Problem { get; }
}
