namespace Capture.Testing;

/// <summary>
/// The shared test media (faces, bodies, characters; never copied into the repository):
/// CAPTURE_MEDIA, which scripts/test.sh sets to ../shared/media beside the checkout, else /work/shared/media.
/// Compiled into every project under tests/ (tests/Directory.Build.props).
/// </summary>
internal static class SharedMedia
{
    public static string Directory { get; } = Environment.GetEnvironmentVariable("CAPTURE_MEDIA") ?? "/work/shared/media";

    public static string File(string name) => System.IO.Path.Combine(Directory, name);
}
