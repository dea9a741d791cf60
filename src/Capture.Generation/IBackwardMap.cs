using System.Numerics;
using Capture.Retargeting;
using Capture.Retargeting.Body;
using Capture.Retargeting.Rigs;

namespace Capture.Generation;

/// <summary>
/// One way of animating the character: a backward map, for each node of the G×G lattice over the
/// rendered box, where to read the character picture. <see cref="WarpGenerator"/> owns the ONNX warp
/// graph, the painted layers and the buffers; a map owns only its own state and the graph inputs it
/// writes (<see cref="Inputs"/>). The face's maps are <see cref="SplineMap"/> (the limited thin-plate
/// spline, evaluated in the graph) and <see cref="FaceMeshMap"/> (the piecewise-affine face mesh,
/// rasterized onto the lattice in C#); the body's is <see cref="BodyMeshMap"/> (the skinned body mesh,
/// the face mesh riding on its head). Not thread-safe: one frame at a time.
/// </summary>
public interface IBackwardMap
{
    /// <summary>How the graph turns <see cref="Inputs"/> into its lattice (<see cref="WarpGraph.Build"/>).</summary>
    WarpKind Kind { get; }

    /// <summary>Lattice side G.</summary>
    int GridSize { get; }

    /// <summary>Control points K the graph is built for (the spline's kernel rows); unused by maps given as a lattice.</summary>
    int ControlCount { get; }

    /// <summary>
    /// The graph inputs this map writes, in the graph's order, over arrays the map owns (allocated
    /// once, valid for the map's life; rewritten by <see cref="Update"/>).
    /// </summary>
    IReadOnlyList<MapInput> Inputs { get; }

    /// <summary>Per character: rest positions from the character, the lattice over the target's region.</summary>
    void SetCharacter(WarpTarget target);

    /// <summary>
    /// Per frame: writes <see cref="Inputs"/> for <paramref name="face"/> and, for body maps,
    /// <paramref name="body"/> (nothing when the driven points repeat). Allocation-free.
    /// </summary>
    void Update(DrivenFace face, DrivenBody? body);

    /// <summary>Keep the map from folding (limiter, smoothing, damping); on by default. Off only to measure what it does.</summary>
    bool LimitFolds { get; set; }

    /// <summary>Frames so far whose map had to be smoothed to stop a fold.</summary>
    long SmoothedFrames { get; }

    /// <summary>Frames so far whose lattice had turned-over cells relaxed (mesh maps; 0 otherwise).</summary>
    long RelaxedFrames { get; }

    /// <summary>Frames so far whose motion had to be scaled down (to ½, ¼, then none) to stop a fold the smoothest map kept.</summary>
    long DampedFrames { get; }

    /// <summary>
    /// Counts the folded lattice cells of the last frame's map with <paramref name="check"/>, cells
    /// whose centre lies inside <paramref name="inside"/> and outside <paramref name="outside"/> (normalized coordinates): see <see cref="FoldOverCheck"/>.
    /// </summary>
    int CountFolds(FoldOverCheck check, ReadOnlySpan<Vector2> inside, ReadOnlySpan<Vector2> outside);
}

/// <summary>A graph input a map writes: its name, the array it lives in (owned by the map) and its tensor shape.</summary>
public readonly record struct MapInput(string Name, float[] Buffer, long[] Shape);

/// <summary>
/// What a map is set up for: the face rig (face maps; a body map's face where it has one), the body
/// character (body maps), the output frame (<paramref name="Width"/>×<paramref name="Height"/>; a face
/// crop is square) and the rectangle of it the graph renders. <paramref name="Mask"/>: body maps, the
/// figure's mask at output size (0..1, row-major), owned by the generator and read during
/// <see cref="IBackwardMap.SetCharacter"/> only.
/// </summary>
public sealed record WarpTarget(CharacterRig? Face, BodyCharacter? Body, WarpRegion Region, int Width, int Height, float[]? Mask = null)
{
    /// <summary>A face crop's target: the rig, the rendered box of a <paramref name="size"/>² frame.</summary>
    public static WarpTarget OfFace(CharacterRig rig, WarpRegion region, int size) => new(rig, null, region, size, size);
}
