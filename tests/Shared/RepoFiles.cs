namespace Capture.Testing;

/// <summary>
/// Files of this checkout (scripts, samples, test harnesses), found above the test binaries. Compiled into
/// every project under tests/ (tests/Directory.Build.props).
/// </summary>
internal static class RepoFiles
{
    /// <summary>The checkout's root: the first folder above the test binaries holding Capture.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path under the checkout's root.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(d.FullName, "Capture.sln")))
            {
                return d.FullName;
            }
        }

        throw new DirectoryNotFoundException("Capture.sln not found above " + AppContext.BaseDirectory);
    }
}
