using System.Numerics;
using Capture.Core.Geometry;
using Capture.Core.Tracking;
using Capture.Retargeting;
using Capture.Retargeting.Rigs;

namespace Capture.Generation;

/// <summary>
/// The piecewise-affine face mesh (<see cref="WarpKind.Mesh"/>, the default): control points = all
/// 468 face points, the anchors, a skirt of <see cref="SkirtPoints"/> between the outline and the
/// anchor ring, and the irises, triangulated once (<see cref="MeshWarp"/>). Per frame the driven
/// points are limited so no triangle flips, rasterized onto the lattice (the graph input
/// <see cref="WarpGraph.Map"/>), and where the lattice still folds: relaxed, smoothed, then damped
/// (docs/generator.md). Allocation-free per frame.
/// </summary>
public sealed class FaceMeshMap : FaceMap
{
    /// <summary>
    /// Points on rings between the face outline and the anchor ring (hair, ears, neck), moved by a
    /// thin-plate spline through the spline warp's control points (rest → driven), so the mesh's
    /// motion fades out beyond the face as smoothly as the spline's instead of linearly across the
    /// wide triangles between the outline and the anchors (measured in docs/generator.md).
    /// </summary>
    public const int SkirtPoints = 32;

    /// <summary>Regularization of the skirt's forward spline (kernel units): smooth, it need not pass exactly through the face points.</summary>
    public const double SkirtSmoothing = 1e-3;

    private readonly MeshWarp _mesh;
    private readonly float[] _map;
    private readonly MapInput[] _inputs;

    // The skirt: a forward spline (rest → driven) through the spline warp's points, and where they sit among the mesh's.
    private readonly ThinPlateSpline _forward;
    private readonly Vector2[] _forwardRest;
    private readonly Vector2[] _forwardDriven;
    private readonly int[] _forwardIndex;

    /// <param name="gridSize">Lattice side G (a finer mesh lattice folds more, not less: docs/generator.md).</param>
    public FaceMeshMap(int gridSize = WarpGenerator.DefaultGridSize)
        : base([.. Enumerable.Range(0, TrackingFrame.FaceLandmarkCount)], SkirtPoints, gridSize)
    {
        _map = new float[2 * gridSize * gridSize];
        _mesh = new MeshWarp(ControlCount, gridSize);
        int forward = FaceTopology.WarpControls.Length + RingAnchors + BorderAnchors;
        _forward = new ThinPlateSpline(forward) { Regularization = SkirtSmoothing };
        _forwardRest = new Vector2[forward];
        _forwardDriven = new Vector2[forward];
        _forwardIndex = new int[forward];
        _inputs = [new(WarpGraph.Map, _map, [2, gridSize * gridSize])];
    }

    /// <summary>Control points per frame: all face points, the anchors, the skirt and the irises.</summary>
    public static int Controls => TrackingFrame.FaceLandmarkCount + RingAnchors + BorderAnchors + SkirtPoints + IrisControls;

    /// <summary>
    /// Displacement smoothing passes (<see cref="MeshWarp.Smooth"/>, in all) tried in turn while the
    /// lattice still folds inside the face, before the motion is damped.
    /// </summary>
    public static ReadOnlySpan<int> Smoothing => [2, 8, 32];

    public override WarpKind Kind => WarpKind.Mesh;

    public override IReadOnlyList<MapInput> Inputs => _inputs;

    public override long RelaxedFrames => _relaxedFrames;

    private long _relaxedFrames;

    /// <summary>The last frame's lattice, planar [2, G²] (all x, then all y; row-major nodes; normalized). Owned by the map.</summary>
    public ReadOnlySpan<float> Lattice => _map;

    public override int CountFolds(FoldOverCheck check, ReadOnlySpan<Vector2> inside, ReadOnlySpan<Vector2> outside)
    {
        ArgumentNullException.ThrowIfNull(check);
        return check.Count(_map, Region, Size, inside, outside);
    }

    protected override void SetRest(CharacterRig rig)
    {
        WriteSkirt(rig.Neutral, RestPoints.AsSpan(FaceCount + RingAnchors + BorderAnchors, SkirtPoints));
        ReadOnlySpan<int> subset = FaceTopology.WarpControls;
        for (int i = 0; i < _forwardIndex.Length; i++)
        {
            _forwardIndex[i] = i < subset.Length ? subset[i] : FaceCount + i - subset.Length;
            _forwardRest[i] = RestPoints[_forwardIndex[i]];
        }
    }

    protected override void Triangulate(Span<bool> pinned)
    {
        // The mesh pins the crop's border alone: the ring anchors follow the head, and a ring
        // anchor pushed past its neighbours would flip a triangle the limiter could not reach.
        pinned.Slice(FaceCount, RingAnchors).Clear();
        _mesh.SetRest(RestPoints, pinned);
        _mesh.SetLattice(Region, Size);
    }

    // The skirt's driven places: the forward spline through the spline warp's points, at the skirt's rest places.
    protected override void DriveExtra()
    {
        for (int i = 0; i < _forwardIndex.Length; i++)
        {
            _forwardDriven[i] = DrivenPoints[_forwardIndex[i]];
        }

        _forward.Solve(_forwardRest, _forwardDriven);
        int first = FaceCount + RingAnchors + BorderAnchors;
        for (int i = 0; i < SkirtPoints; i++)
        {
            DrivenPoints[first + i] = _forward.Evaluate(RestPoints[first + i]);
        }
    }

    // Limits the driven points so no mesh triangle flips and rasterizes the piecewise-affine map
    // onto the lattice. The lattice only approximates the map between nodes: where the triangles
    // say a fold is possible, the lattice is tested like the spline's, and a frame that still folds
    // is damped like the spline's last resort.
    protected override void Solve(DrivenFace face)
    {
        Vector2[] driven = DrivenPoints;
        if (!LimitFolds)
        {
            _mesh.WriteMap(driven, _map);
            return;
        }

        _mesh.Limit(driven);
        _mesh.WriteMap(driven, _map);
        FoldLimiter limiter = _mesh.Limiter;
        if (limiter.Corrected == 0 && limiter.MinRatio >= CheckBelow)
        {
            return;
        }

        // Where the lattice samples the bends of small triangles into a turned-over cell: relaxed
        // there (MeshWarp.RelaxFolds); then, while the test still finds a fold inside the face, the
        // displacements are smoothed over the mesh, then the motion damped, as for the spline.
        _relaxedFrames += _mesh.RelaxFolds(_map) > 0 ? 1 : 0;
        WriteFacePolygons(face);
        int smoothed = 0;
        for (int round = 1; round <= Smoothing.Length && (limiter.MinRatio <= 0 || Folds.Count(_map, Region, Size, Hull, InnerLips) > 0); round++)
        {
            _mesh.Smooth(driven, Smoothing[round - 1] - smoothed);
            smoothed = Smoothing[round - 1];
            Remap();
            SmoothedFrames += round == 1 ? 1 : 0;
        }

        for (int step = 1; step <= 3 && (limiter.MinRatio <= 0 || Folds.Count(_map, Region, Size, Hull, InnerLips) > 0); step++)
        {
            DampMotion(step);
            Remap();
            DampedFrames += step == 1 ? 1 : 0;
        }

        // The moved points limited again, rasterized, and the lattice relaxed.
        void Remap()
        {
            _mesh.Limit(driven);
            _mesh.WriteMap(driven, _map);
            _mesh.RelaxFolds(_map);
        }
    }

    // Skirt rings around the face oval (normalized coordinates).
    private static void WriteSkirt(ReadOnlySpan<Vector3> neutral, Span<Vector2> destination)
    {
        (Vector2 center, Vector2 radius) = FaceMeasures.OvalEllipse(neutral);
        int perRing = destination.Length / SkirtRadii.Length;
        for (int i = 0; i < destination.Length; i++)
        {
            int ring = i / perRing;
            float a = 2 * MathF.PI * ((i % perRing) + (0.5f * ring)) / perRing;
            Vector2 u = center + (SkirtRadii[ring] * new Vector2(radius.X * MathF.Cos(a), radius.Y * MathF.Sin(a)));
            destination[i] = (2 * u) - Vector2.One;
        }
    }

    // Skirt rings, in face-oval radii (the outline is at 1, the anchor ring at CharacterRig.AnchorRing).
    private static ReadOnlySpan<float> SkirtRadii => [1.15f, 1.35f];
}
