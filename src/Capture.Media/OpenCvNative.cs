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
    /// The one line for a failed load: the library, the loader's own reason (the dependency that is
    /// missing or broken), and what to install.
    /// </summary>
    internal static string Describe(Exception ex)
    {
        Exception e = ex;
        while (e is TypeInitializationException { InnerException: { } inner })
        {
            e = inner;
        }

        return $"OpenCV's native library {LibraryName} could not be loaded ({Cause(e.Message)}): {InstallHint}";
    }

    /// <summary>
    /// .NET lists one dlerror line per place it tried. Lines saying a candidate path for OpenCvSharpExtern
    /// itself does not exist are the probe; any other line is the real failure (e.g.
    /// <c>libgtk-3.so.0: cannot open shared object file: No such file or directory</c>, or a broken copy:
    /// <c>/x/libgtk-3.so.0: file too short</c>). None: the library itself is not there.
    /// </summary>
    internal static string Cause(string message)
    {
        const string NotFound = ": cannot open shared object file";
        string[] lines = message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        bool probed = false;
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            string file = line[..colon];
            if (file.Contains("OpenCvSharpExtern", StringComparison.Ordinal) && line.Contains(NotFound, StringComparison.Ordinal))
            {
                probed = true;
                continue;
            }

            string name = Path.GetFileName(file);
            return line.Contains(NotFound, StringComparison.Ordinal) ? $"{name} is missing" : $"{name}: {line[(colon + 2)..]}";
        }

        return probed ? $"{LibraryName} itself was not found beside the program (runtimes/linux-x64/native)" : FirstLine(message);
    }

    private static string FirstLine(string message)
    {
        int nl = message.IndexOf('\n', StringComparison.Ordinal);
        return (nl < 0 ? message : message[..nl]).Trim();
    }
}

/// <summary>OpenCV's native library did not load; the message is one line naming it and what to install.</summary>
public sealed class OpenCvUnavailableException(string message, Exception inner) : IOException(message, inner);
