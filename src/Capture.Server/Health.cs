using Capture.Core;
using Capture.Protocol.Schema;

namespace Capture.Server;

/// <summary>
/// What <c>GET /healthz</c> answers: <c>status</c> "ok" while the server runs, the version of Capture
/// (<see cref="CaptureVersion"/>, the one version of every assembly and package) and the protocol schema version
/// its WebSockets speak (<see cref="ProtocolVersion"/>).
/// </summary>
/// <param name="Status">"ok".</param>
/// <param name="Version">Capture's package version, e.g. "0.1.0" (what <c>capture --version</c> prints before its <c>+</c>).</param>
/// <param name="Build">The full version with the commit the build came from, as <c>capture --version</c> prints it.</param>
/// <param name="Protocol">The MessagePack schema version, "major.minor" (docs/protocol.md); readers accept any minor of the same major.</param>
public sealed record Health(string Status, string Version, string Build, string Protocol)
{
    /// <summary>This process's answer (nothing in it changes while it runs).</summary>
    public static Health Current { get; } = new(
        "ok",
        CaptureVersion.Package,
        CaptureVersion.Informational,
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{ProtocolVersion.Major}.{ProtocolVersion.Minor}"));
}
