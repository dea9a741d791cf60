using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting;
using Capture.Retargeting.Body;
using Capture.Retargeting.Rigs;

namespace Capture.Generation;

/// <summary>
/// What the face's two backward maps share: the control points (face points, a ring of anchors
/// around the face whose upper half follows the head, the crop's border, the two irises), their rest
/// and driven places in normalized output coordinates (align-corners, [-1, 1]), the cache that skips
/// a repeated frame, the fold test's face polygons and the last resort against a fold (damping).
/// <see cref="SplineMap"/> and <see cref="FaceMeshMap"/> differ in how they turn the driven points
/// into the lattice. Owns its buffers; allocation-free per frame.
/// </summary>
public abstract class FaceMap : IBackwardMap
{
    /// <summary>Fixed anchors: a ring around the face and the crop's corners and edge midpoints.</summary>
    public const int RingAnchors = 16;

    /// <inheritdoc cref="RingAnchors"/>
    public const int BorderAnchors = 8;

    /// <summary>The two iris centres, last among the control points: they carry gaze.</summary>
    public const int IrisControls = 2;

    /// <summary>How much of the head's rigid motion the upper ring anchors (hair, ears) follow.</summary>
    public const float HeadFollow = 0.5f;

    /// <summary>Largest iris shift drawn, in eye widths (a tracking glitch must not tear the eye).</summary>
    public const float MaxGaze = 0.2f;

    /// <summary>Smallest triangle area ratio (driven/rest) at which the fold test is skipped.</summary>
    public const float CheckBelow = 0.5f;

    private readonly int[] _controls;
    private readonly Vector2[] _solvedPoints;
    private bool _solved;
    private bool _limitFolds = true;
    private Vector2 _irisRestRight;
    private Vector2 _irisRestLeft;

    /// <param name="controls">Face points among the control points (the spline's subset, or all of them).</param>
    /// <param name="extra">Control points the subclass adds after the border anchors and before the irises.</param>
    /// <param name="gridSize">Lattice side G.</param>
    protected FaceMap(int[] controls, int extra, int gridSize)
    {
        ArgumentNullException.ThrowIfNull(controls);
        _controls = controls;
        GridSize = gridSize;
        int k = controls.Length + RingAnchors + BorderAnchors + extra + IrisControls;
        RestPoints = new Vector2[k];
        DrivenPoints = new Vector2[k];
        _solvedPoints = new Vector2[k];
        Folds = new FoldOverCheck(gridSize);
    }

    public abstract WarpKind Kind { get; }

    public int GridSize { get; }

    public int ControlCount => RestPoints.Length;

    public abstract IReadOnlyList<MapInput> Inputs { get; }

    public bool LimitFolds
    {
        get => _limitFolds;
        set
        {
            _limitFolds = value;
            _solved = false;
        }
    }

    public long SmoothedFrames { get; protected set; }

    public virtual long RelaxedFrames => 0;

    public long DampedFrames { get; protected set; }

    /// <summary>The control points as the last frame warped them (after limiting), normalized; owned by the map (tests).</summary>
    public ReadOnlySpan<Vector2> DrivenControlPoints => DrivenPoints;

    /// <summary>The control points at rest (the character's neutral), normalized, in the order of <see cref="DrivenControlPoints"/>.</summary>
    public ReadOnlySpan<Vector2> RestControlPoints => RestPoints;

    /// <summary>Face points among the control points: the first <see cref="FaceCount"/> control points.</summary>
    protected int FaceCount => _controls.Length;

    /// <summary>The control points at rest; written by <see cref="SetCharacter"/>.</summary>
    protected Vector2[] RestPoints { get; }

    /// <summary>The control points this frame; limited, smoothed or damped in place by the subclass.</summary>
    protected Vector2[] DrivenPoints { get; }

    /// <summary>The fold test on this map's lattice.</summary>
    protected FoldOverCheck Folds { get; }

    /// <summary>The driven face outline (normalized), written by <see cref="WriteFacePolygons"/>: the cells a fold test counts.</summary>
    protected Vector2[] Hull { get; } = new Vector2[FaceTopology.FaceOval.Length];

    /// <summary>The driven inner lips (normalized): cells inside, which the mouth layer covers, do not count.</summary>
    protected Vector2[] InnerLips { get; } = new Vector2[FaceTopology.LipsInner.Length];

    /// <summary>The rendered box the lattice spans.</summary>
    protected WarpRegion Region { get; private set; }

    /// <summary>Output side.</summary>
    protected int Size { get; private set; }

    public void SetCharacter(WarpTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        CharacterRig rig = target.Face ?? throw new ArgumentException("a face map needs the character's face rig", nameof(target));
        if (target.Width != target.Height)
        {
            throw new ArgumentException($"a face map renders a square crop, not {target.Width}x{target.Height}", nameof(target));
        }

        Region = target.Region;
        Size = target.Width;
        Neutral = rig.Neutral;
        WriteControlPoints(_controls, rig.Neutral, rig.Neutral, RestPoints);
        RestPoints[^2] = (2 * rig.IrisCenters[0]) - Vector2.One;
        RestPoints[^1] = (2 * rig.IrisCenters[1]) - Vector2.One;
        SetRest(rig);
        _irisRestRight = IrisRest(rig, right: true);
        _irisRestLeft = IrisRest(rig, right: false);
        Span<bool> pinned = stackalloc bool[RestPoints.Length];
        pinned.Slice(_controls.Length, RingAnchors + BorderAnchors).Fill(true);
        Triangulate(pinned);
        _solved = false;
    }

    public void Update(DrivenFace face, DrivenBody? body)
    {
        ArgumentNullException.ThrowIfNull(face);
        WriteDrivenPoints(_controls, face.Points, DrivenPoints);
        WriteAnchors(Neutral, DrivenPoints.AsSpan(_controls.Length));
        MoveRingWithHead(Neutral, face, DrivenPoints.AsSpan(_controls.Length, RingAnchors));
        DrivenPoints[^2] = DrivenIris(face, _irisRestRight, right: true);
        DrivenPoints[^1] = DrivenIris(face, _irisRestLeft, right: false);
        DriveExtra();
        if (!_solved || !DrivenPoints.AsSpan().SequenceEqual(_solvedPoints))
        {
            // A held or lost face repeats its points: the map stays as it is.
            DrivenPoints.CopyTo(_solvedPoints, 0);
            _solved = true;
            Solve(face);
        }
    }

    public abstract int CountFolds(FoldOverCheck check, ReadOnlySpan<Vector2> inside, ReadOnlySpan<Vector2> outside);

    /// <summary>Per character, after the face and anchor rest points: the subclass's own rest points (before the irises' rest frames).</summary>
    protected virtual void SetRest(CharacterRig rig)
    {
    }

    /// <summary>Per character, last: triangulates or factors the rest points; <paramref name="pinned"/> marks the ring and border anchors.</summary>
    protected abstract void Triangulate(Span<bool> pinned);

    /// <summary>Per frame, before the cache test: places the subclass's own driven points.</summary>
    protected virtual void DriveExtra()
    {
    }

    /// <summary>Per frame when the driven points changed: writes <see cref="Inputs"/>, limiting folds where <see cref="LimitFolds"/>.</summary>
    protected abstract void Solve(DrivenFace face);

    /// <summary>The character's neutral face, crop coordinates (set per character).</summary>
    protected Vector3[] Neutral { get; private set; } = [];

    /// <summary>The driven face's outline and inner lips, normalized, for the fold test.</summary>
    protected void WriteFacePolygons(DrivenFace face) => FoldOverCheck.WriteFacePolygons(face.Points, Hull, InnerLips);

    /// <summary>The last resort against a fold: step 1 and 2 halve this frame's motion, step 3 drops it.</summary>
    protected void DampMotion(int step)
    {
        float keep = step == 3 ? 0 : 0.5f;
        for (int i = 0; i < DrivenPoints.Length; i++)
        {
            DrivenPoints[i] = RestPoints[i] + (keep * (DrivenPoints[i] - RestPoints[i]));
        }
    }

    /// <summary>
    /// Control points in normalized output coordinates (align-corners, [-1, 1]): the spline's face
    /// subset taken from <paramref name="points"/>, then the anchors, placed from <paramref name="neutral"/> and never moved.
    /// </summary>
    public static void WriteControlPoints(ReadOnlySpan<Vector3> neutral, ReadOnlySpan<Vector3> points, Span<Vector2> destination) =>
        WriteControlPoints(FaceTopology.WarpControls, neutral, points, destination);

    /// <summary>As <see cref="WriteControlPoints(ReadOnlySpan{Vector3}, ReadOnlySpan{Vector3}, Span{Vector2})"/> with the face points <paramref name="controls"/> (the mesh: all of them).</summary>
    public static void WriteControlPoints(ReadOnlySpan<int> controls, ReadOnlySpan<Vector3> neutral, ReadOnlySpan<Vector3> points, Span<Vector2> destination)
    {
        for (int i = 0; i < controls.Length; i++)
        {
            Vector3 p = points[controls[i]];
            destination[i] = new Vector2((2 * p.X) - 1, (2 * p.Y) - 1);
        }

        WriteAnchors(neutral, destination[controls.Length..]);
    }

    private static void WriteDrivenPoints(ReadOnlySpan<int> controls, ReadOnlySpan<Vector2> points, Span<Vector2> destination)
    {
        for (int i = 0; i < controls.Length; i++)
        {
            Vector2 p = points[controls[i]];
            destination[i] = new Vector2((2 * p.X) - 1, (2 * p.Y) - 1);
        }
    }

    // Where the character's iris rests in its eye's own frame.
    private static Vector2 IrisRest(CharacterRig rig, bool right)
    {
        int outer = right ? FaceTopology.RightEyeOuter : FaceTopology.LeftEyeOuter;
        int inner = right ? FaceTopology.RightEyeInner : FaceTopology.LeftEyeInner;
        return FaceMeasures.ToEyeFrame(FaceMeasures.XY(rig.Neutral[outer]), FaceMeasures.XY(rig.Neutral[inner]), rig.IrisCenters[right ? 0 : 1]);
    }

    // The iris keeps its place in the driven eye (the corners carry head motion and size) and moves
    // by the performer's gaze, both in the eye's own frame.
    private static Vector2 DrivenIris(DrivenFace face, Vector2 rest, bool right)
    {
        int outer = right ? FaceTopology.RightEyeOuter : FaceTopology.LeftEyeOuter;
        int inner = right ? FaceTopology.RightEyeInner : FaceTopology.LeftEyeInner;
        Vector2 gaze = Vector2.Clamp(right ? face.GazeRight : face.GazeLeft, new Vector2(-MaxGaze), new Vector2(MaxGaze));
        Vector2 p = FaceMeasures.FromEyeFrame(face.Points[outer], face.Points[inner], rest + gaze);
        return (2 * p) - Vector2.One;
    }

    // The ring anchors of the upper half sit on the head's outline (hair, ears): they follow half
    // the head's rigid motion, taken at the depth of the face's sides, so a turn moves them less
    // than the face front. The lower half sits on the neck and shoulders, which a nod or a turn
    // does not move: those stay. Measured with `capture eval` (docs/generator.md).
    private static void MoveRingWithHead(ReadOnlySpan<Vector3> neutral, DrivenFace face, Span<Vector2> ring)
    {
        float z = 0.5f * (neutral[FaceTopology.RightFaceSide].Z + neutral[FaceTopology.LeftFaceSide].Z);
        for (int i = 0; i < ring.Length; i++)
        {
            float a = 2 * MathF.PI * i / RingAnchors;
            float up = Math.Clamp(-MathF.Sin(a), 0, 1);
            if (up == 0)
            {
                continue;
            }

            Vector2 u = (ring[i] + Vector2.One) * 0.5f;
            Vector3 m = face.MoveWithHead(new Vector3(u, z));
            Vector2 moved = u + (HeadFollow * up * (new Vector2(m.X, m.Y) - u));
            ring[i] = (2 * moved) - Vector2.One;
        }
    }

    private static void WriteAnchors(ReadOnlySpan<Vector3> neutral, Span<Vector2> destination)
    {
        (Vector2 center, Vector2 radius) = FaceMeasures.OvalEllipse(neutral);
        for (int i = 0; i < RingAnchors; i++)
        {
            float a = 2 * MathF.PI * i / RingAnchors;
            Vector2 u = center + (CharacterRig.AnchorRing * new Vector2(radius.X * MathF.Cos(a), radius.Y * MathF.Sin(a)));
            destination[i] = (2 * u) - Vector2.One;
        }

        ReadOnlySpan<float> border = [-1, -1, 0, -1, 1, -1, 1, 0, 1, 1, 0, 1, -1, 1, -1, 0];
        for (int i = 0; i < BorderAnchors; i++)
        {
            destination[RingAnchors + i] = new Vector2(border[i * 2], border[(i * 2) + 1]);
        }
    }
}
