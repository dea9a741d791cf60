using System.Numerics;
using Capture.Core.Geometry;
using Capture.Core.Tracking;
using Capture.Retargeting;

namespace Capture.Generation;

/// <summary>
/// The limited thin-plate spline (<see cref="WarpKind.Spline"/>, <c>--warp spline</c>): per frame C#
/// solves the spline from the driven control points (the face subset, the anchors, the irises) back
/// to the rest ones and writes its centres, kernel weights and affine part; the graph evaluates it on
/// the lattice. Folds are kept out in three steps, each only when needed: the <see cref="FoldLimiter"/>
/// on the control points' triangles, smoother fits (<see cref="Smoothing"/>) while the lattice still
/// folds inside the face, then damping (docs/generator.md). Allocation-free per frame.
/// </summary>
public sealed class SplineMap : FaceMap
{
    private readonly ThinPlateSpline _spline;
    private readonly FoldLimiter _limiter;
    private readonly float[] _centers;
    private readonly float[] _centerNorms;
    private readonly float[] _weights;
    private readonly float[] _affine = new float[6];
    private readonly MapInput[] _inputs;

    /// <param name="gridSize">Lattice side G.</param>
    public SplineMap(int gridSize = WarpGenerator.DefaultGridSize)
        : base(FaceTopology.WarpControls.ToArray(), 0, gridSize)
    {
        int k = ControlCount;
        _spline = new ThinPlateSpline(k) { Regularization = Smoothing[0] };
        _limiter = new FoldLimiter(k);
        _centers = new float[k * 2];
        _centerNorms = new float[k];
        _weights = new float[2 * k];
        _inputs =
        [
            new(WarpGraph.Centers, _centers, [k, 2]),
            new(WarpGraph.CenterNorms, _centerNorms, [k, 1]),
            new(WarpGraph.Weights, _weights, [2, k]),
            new(WarpGraph.Affine, _affine, [2, 3]),
        ];
    }

    /// <summary>Control points per frame: the face subset, the anchors and the irises.</summary>
    public static int Controls => FaceTopology.WarpControls.Length + RingAnchors + BorderAnchors + IrisControls;

    /// <summary>
    /// Spline regularization tried in turn while the map still folds inside the face: exact
    /// interpolation first, then smoother fits (kernel units; measured in docs/generator.md).
    /// </summary>
    public static ReadOnlySpan<double> Smoothing => [1e-6, 1e-3, 1e-2, 1e-1];

    public override WarpKind Kind => WarpKind.Spline;

    public override IReadOnlyList<MapInput> Inputs => _inputs;

    /// <summary>The spline fitted for the last frame (tests compare the graph with it).</summary>
    public ThinPlateSpline Spline => _spline;

    public override int CountFolds(FoldOverCheck check, ReadOnlySpan<Vector2> inside, ReadOnlySpan<Vector2> outside)
    {
        ArgumentNullException.ThrowIfNull(check);
        return check.Count(_spline, Region, Size, inside, outside);
    }

    protected override void Triangulate(Span<bool> pinned) => _limiter.SetRest(RestPoints, pinned);

    // Fits the spline from the driven points back to the neutral ones and writes the graph's spline inputs.
    // Where a fold would show, the points are limited and the spline smoothed or the motion damped
    // first (see LimitFolds); the cache keeps the points as driven, before that.
    protected override void Solve(DrivenFace face)
    {
        Vector2[] driven = DrivenPoints;
        _spline.Regularization = Smoothing[0];
        if (LimitFolds)
        {
            _limiter.Limit(driven);
        }

        _spline.Solve(driven, RestPoints);

        // The lattice test costs about as much as the spline's evaluation in the graph, so it runs
        // only when the control points' triangles say a fold is possible: one was corrected, or one
        // is squeezed under half its rest area (a stretched triangle, as an opening mouth makes,
        // reads a smaller area of the picture and does not fold).
        if (LimitFolds && (_limiter.Corrected > 0 || _limiter.MinRatio < CheckBelow))
        {
            // The same test as the fold-over metric, on the lattice the graph samples: where the
            // spline still folds between control points, it is solved again, smoother.
            WriteFacePolygons(face);
            for (int s = 1; s < Smoothing.Length && Folds.Count(_spline, Region, Size, Hull, InnerLips) > 0; s++)
            {
                _spline.Regularization = Smoothing[s];
                _spline.Solve(driven, RestPoints);
                SmoothedFrames += s == 1 ? 1 : 0;
            }

            // Still folded at the smoothest fit (a face filling the crop, pressed against the
            // pinned border): the motion of this frame is scaled down until it does not.
            for (int step = 1; step <= 3 && Folds.Count(_spline, Region, Size, Hull, InnerLips) > 0; step++)
            {
                DampMotion(step);
                _spline.Solve(driven, RestPoints);
                DampedFrames += step == 1 ? 1 : 0;
            }
        }

        int k = driven.Length;
        ReadOnlySpan<float> w = _spline.Weights;
        for (int i = 0; i < k; i++)
        {
            _centers[i * 2] = -2 * driven[i].X;
            _centers[(i * 2) + 1] = -2 * driven[i].Y;
            _centerNorms[i] = driven[i].LengthSquared();
            _weights[i] = w[i * 2];
            _weights[k + i] = w[(i * 2) + 1];
        }

        for (int j = 0; j < 3; j++)
        {
            _affine[j] = w[(k + j) * 2];
            _affine[3 + j] = w[((k + j) * 2) + 1];
        }
    }
}
