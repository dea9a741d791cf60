using System.Reflection;

namespace Capture.Core;

/// <summary>
/// The version of this build of Capture, as Directory.Build.props sets it for every assembly and package (one
/// version for all of them). <c>capture --version</c>, <c>capture info</c> and the server's <c>/healthz</c>
/// report it; the wire protocol's schema version is separate (Capture.Protocol's <c>ProtocolVersion</c>).
/// </summary>
public static class CaptureVersion
{
    /// <summary>
    /// The full version: the package version plus, after a <c>+</c>, the commit it was built from when the build
    /// knew it (e.g. <c>0.1.0+4fc377a…</c>); what <c>capture --version</c> prints.
    /// </summary>
    public static string Informational { get; } =
        typeof(CaptureVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(CaptureVersion).Assembly.GetName().Version?.ToString(3)
        ?? "0.0.0";

    /// <summary>The package version (<c>0.1.0</c>): <see cref="Informational"/> without the build metadata.</summary>
    public static string Package { get; } = Informational.Split('+')[0];
}
