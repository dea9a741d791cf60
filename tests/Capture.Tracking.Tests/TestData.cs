using System.Text.RegularExpressions;
using Capture.Tracking.Face;

namespace Capture.Tracking.Tests;

/// <summary>Shared test inputs: the canonical face (from the restored npm package) and the shared media folder.</summary>
internal static partial class TestData
{
    private static readonly Lazy<CanonicalFaceGeometry> s_canonical = new(LoadCanonical);

    public static string RepoRoot { get; } = FindRepoRoot();

    public static string MediaDir => Capture.Testing.SharedMedia.Directory;

    public static string Media(string name) => Capture.Testing.SharedMedia.File(name);

    /// <summary>
    /// Tracks the first 4 frames (warm-up: detection, first allocations), then the rest into
    /// <paramref name="result"/>; returns the bytes this thread allocated over the rest.
    /// </summary>
    public static long AllocatedAfterWarmUp(Tracker tracker, List<Capture.Core.Frames.VideoFrame> frames, Capture.Core.Tracking.TrackingFrame result)
    {
        for (int i = 0; i < 4; i++)
        {
            tracker.Process(frames[i], result);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 4; i < frames.Count; i++)
        {
            tracker.Process(frames[i], result);
        }

        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    public static CanonicalFaceGeometry Canonical => s_canonical.Value;

    /// <summary>The geometry metadata bytes, cut out of face_mesh's packed assets by the offsets its loader script lists.</summary>
    public static byte[] GeometryMetadataBytes()
    {
        string dir = Path.Combine(RepoRoot, ".cache", "npm", "@mediapipe__face_mesh");
        string loader = File.ReadAllText(Path.Combine(dir, "face_mesh_solution_packed_assets_loader.js"));
        Match m = GeometryEntry().Match(loader);
        if (!m.Success)
        {
            throw new InvalidDataException("geometry metadata entry not found in the face_mesh loader script");
        }

        int start = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        int end = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        byte[] all = File.ReadAllBytes(Path.Combine(dir, "face_mesh_solution_packed_assets.data"));
        return all[start..end];
    }

    private static CanonicalFaceGeometry LoadCanonical() => CanonicalFaceGeometry.Parse(GeometryMetadataBytes());

    private static string FindRepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Capture.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("Capture.sln not found above the test binaries");
    }

    [GeneratedRegex("geometry_pipeline_metadata_landmarks\\.binarypb\",\\s*\"start\":\\s*(\\d+),\\s*\"end\":\\s*(\\d+)")]
    private static partial Regex GeometryEntry();
}
