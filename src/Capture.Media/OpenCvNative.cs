using OpenCvSharp;

namespace Capture.Media;

/// <summary>
/// OpenCV's native library (libOpenCvSharpExtern.so from OpenCvSharp4.official.runtime.linux-x64) is
/// loaded on first use; this is the one place that turns a failed load into one clear line.
/// </summary>
public static class OpenCvNative
{
    /// <summary>The library OpenCvSharp P/Invokes into.</summary>
    public const string LibraryName = "libOpenCvSharpExtern.so";

    /// <summary>What to install when it does not load (Debian 12; scripts/setup.sh installs them).</summary>
    public const string InstallHint =
        "install the GTK3 libraries it links (Debian: apt-get install libgtk-3-0 libatomic1, or run scripts/setup.sh)";

    private static readonly Lazy<string> s_version = new(LoadVersion, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>OpenCV's version, loading the native library first.</summary>
    /// <exception cref="OpenCvUnavailableException">The native library or one it needs did not load.</exception>
    public static string Version => s_version.Value;

    /// <summary>Loads the native library (once) or throws the one clear error.</summary>
    public static void EnsureLoaded() => _ = s_version.Value;

    private static string LoadVersion()
    {
        try
        {
            return Cv2.GetVersionString() ?? "unknown";
        }
        catch (Exception ex) when (IsLoadFailure(ex))
        {
            throw new OpenCvUnavailableException(Describe(ex), ex);
        }
    }

    internal static bool IsLoadFailure(Exception ex) =>
        ex is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException
        || (ex is TypeInitializationException t && t.InnerException is { } inner && IsLoadFailure(inner));

    /// <summary>
    /// The one line for a failed load: the library, the first "xxx.so: cannot open shared object file"
    /// the loader reported (the missing dependency), and what to install.
    /// </summary>
    internal static string Describe(Exception ex)
    {
        Exception e = ex;
        while (e is TypeInitializationException { InnerException: { } inner })
        {
            e = inner;
        }

        string? missing = MissingDependency(e.Message);
        string cause = missing is null ? FirstLine(e.Message) : $"{missing} is missing";
        return $"OpenCV's native library {LibraryName} could not be loaded ({cause}): {InstallHint}";
    }

    /// <summary>The shared object the dynamic loader could not open, from its message; null if none is named.</summary>
    internal static string? MissingDependency(string message)
    {
        const string Marker = ": cannot open shared object file";
        int at = message.IndexOf(Marker, StringComparison.Ordinal);
        if (at <= 0)
        {
            return null;
        }

        int start = message.LastIndexOfAny([' ', '\n', '(', '/', ':'], at - 1) + 1;
        return message[start..at];
    }

    private static string FirstLine(string message)
    {
        int nl = message.IndexOf('\n', StringComparison.Ordinal);
        return (nl < 0 ? message : message[..nl]).Trim();
    }
}

/// <summary>OpenCV's native library did not load; the message is one line naming it and what to install.</summary>
public sealed class OpenCvUnavailableException(string message, Exception inner) : IOException(message, inner);
