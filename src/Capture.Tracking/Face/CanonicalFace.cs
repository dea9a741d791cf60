using System.Numerics;

namespace Capture.Tracking.Face;

/// <summary>
/// The canonical face for code that wants it without a tracker: loaded once a process from
/// MediaPipe's geometry metadata (<see cref="LoadAsync"/>, or implicitly by
/// <see cref="Tracker.CreateAsync"/>), then shared read-only.
/// </summary>
public static class CanonicalFace
{
    private static CanonicalFaceGeometry? s_geometry;

    /// <summary>The loaded geometry; throws if neither <see cref="LoadAsync"/> nor a tracker loaded it yet.</summary>
    public static CanonicalFaceGeometry Geometry =>
        Volatile.Read(ref s_geometry) ?? throw new InvalidOperationException(
            "The canonical face is not loaded yet: await CanonicalFace.LoadAsync() (or create a Tracker) first.");

    /// <summary>468 points, centimetres (x to image right, y up, z toward the camera). Shared: do not modify.</summary>
    public static Vector3[] Landmarks => Geometry.Landmarks;

    /// <summary>Mesh triangles, three indices each. Shared: do not modify.</summary>
    public static int[] Triangles => Geometry.Triangles;

    /// <summary>Loads the geometry through the model store (extracting it on first use).</summary>
    public static async Task<CanonicalFaceGeometry> LoadAsync(CancellationToken ct = default)
    {
        CanonicalFaceGeometry? loaded = Volatile.Read(ref s_geometry);
        if (loaded is not null)
        {
            return loaded;
        }

        string path = await TrackerModels.GetFaceGeometryPathAsync(ct).ConfigureAwait(false);
        return Load(path);
    }

    /// <summary>Loads (once) from an explicit metadata file path.</summary>
    public static CanonicalFaceGeometry Load(string path)
    {
        CanonicalFaceGeometry? loaded = Volatile.Read(ref s_geometry);
        if (loaded is not null)
        {
            return loaded;
        }

        CanonicalFaceGeometry geometry = CanonicalFaceGeometry.Load(path);
        return Interlocked.CompareExchange(ref s_geometry, geometry, null) ?? geometry;
    }
}
