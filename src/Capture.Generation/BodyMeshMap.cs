using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting;
using Capture.Retargeting.Body;
using Capture.Retargeting.Rigs;

namespace Capture.Generation;

/// <summary>
/// The body's backward map (<see cref="WarpKind.Body"/>): the skinned body mesh (<see cref="BodyMesh"/>)
/// drawn in depth order into a lattice over the whole output frame, with its coverage; where the
/// head is drawn, the face mesh's own map (<see cref="FaceMeshMap"/>, on the face rig's square crop)
/// is read on top, so expression rides on the head and body and face go through the graph's one
/// <c>GridSample</c>. Also gives the generator the face's points in the output frame
/// (<see cref="FrameFace"/>), where the mouth and lid layers are painted. Allocation-free per frame.
/// </summary>
public sealed class BodyMeshMap : IBackwardMap
{
    /// <summary>
    /// Output pixels between lattice nodes. The graph interpolates source positions linearly between
    /// nodes, so where a limb is drawn over another part (a forearm across the chest) the cells that
    /// straddle its edge read from between the two parts' rest places: a seam this wide. At 4 px a
    /// drawing's 6 px pencil stroke came out serrated; 2 px keeps the seam within the edge's own
    /// anti-aliasing, at ~225 k nodes (2.7 MB a frame) for a 720×1244 output.
    /// </summary>
    public const int LatticeStep = 2;

    /// <summary>Side of the face map's own square crop in pixels (its lattice is the face generator's 64² over the face's box).</summary>
    private const int FaceCropSide = 256;

    private readonly Vector2[] _joints = new Vector2[TrackingFrame.BodyLandmarkCount];
    private readonly float[] _depth = new float[TrackingFrame.BodyLandmarkCount];
    private readonly FaceMeshMap _faceMap = new();
    private readonly FoldOverCheck _faceCheck = new();
    private readonly Vector2[] _hull = new Vector2[FaceTopology.FaceOval.Length];
    private readonly Vector2[] _innerLips = new Vector2[FaceTopology.LipsInner.Length];

    // The face's animation mask on its square crop (FaceCropSide², row-major, 0..1): how much of the face map's motion a head node takes.
    private readonly float[] _faceMask = new float[FaceCropSide * FaceCropSide];
    private float[] _map = [];
    private float[] _coverage = [];
    private MapInput[] _inputs = [];
    private BodyMesh? _mesh;
    private BodyCharacter? _character;
    private CharacterRig? _face;
    private WarpRegion _faceRegion;
    private Matrix3x2 _toFrame;
    private Matrix3x2 _cropToFrame;
    private Matrix3x2 _frameToCrop;
    private Vector2 _restHead;
    private int _width;
    private int _height;
    private bool _hasFaceFolds;
    private bool _limitFolds = true;
    private long _bodyRelaxedFrames;

    public WarpKind Kind => WarpKind.Body;

    /// <summary>Lattice columns Gw (<see cref="GridHeight"/> rows).</summary>
    public int GridSize { get; private set; }

    /// <summary>Lattice rows Gh.</summary>
    public int GridHeight { get; private set; }

    public int ControlCount => 0;

    public IReadOnlyList<MapInput> Inputs => _inputs;

    /// <summary>The face's limiter, smoothing and damping, and the body lattice's relaxation (<see cref="BodyMesh.Relax"/>).</summary>
    public bool LimitFolds
    {
        get => _limitFolds;
        set
        {
            _limitFolds = value;
            _faceMap.LimitFolds = value;
            if (_mesh is not null)
            {
                _mesh.Relax = value;
            }
        }
    }

    public long SmoothedFrames => _faceMap.SmoothedFrames;

    /// <summary>Frames whose body lattice (turned-over cells of one part) or face lattice was relaxed.</summary>
    public long RelaxedFrames => _faceMap.RelaxedFrames + _bodyRelaxedFrames;

    public long DampedFrames => _faceMap.DampedFrames;

    /// <summary>The body mesh (tests, previews); null before <see cref="SetCharacter"/>.</summary>
    public BodyMesh? Mesh => _mesh;

    /// <summary>The last frame's lattice, planar [2, Gw·Gh], normalized output coordinates. Owned by the map.</summary>
    public ReadOnlySpan<float> Lattice => _map;

    /// <summary>The last frame's coverage per lattice node, 0..1. Owned by the map.</summary>
    public ReadOnlySpan<float> Covered => _coverage;

    /// <summary>
    /// The last frame's face in the output frame (points in frame units: pixel = point × (width − 1)),
    /// the rest of it as driven: what the mouth and lid layers are painted from. Owned by the map.
    /// </summary>
    public DrivenFace FrameFace { get; } = new();

    /// <summary>The face's neutral points in frame units at rest (the lips' colour is sampled there); empty without a face.</summary>
    public Vector3[] FrameNeutral { get; private set; } = [];

    /// <summary>The face crop's side in output pixels (0 without a face).</summary>
    public float FaceSide { get; private set; }

    /// <summary>Picture pixels → output pixels for <paramref name="character"/> at <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static Matrix3x2 PictureToFrame(BodyCharacter character, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(character);
        Vector4 f = character.Frame;
        float sx = width / f.Z, sy = height / f.W;
        return new Matrix3x2(sx, 0, 0, sy, (-f.X * sx) - 0.5f, (-f.Y * sy) - 0.5f);
    }

    public void SetCharacter(WarpTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        BodyCharacter character = target.Body ?? throw new ArgumentException("a body map needs a body character", nameof(target));
        float[] mask = target.Mask ?? throw new ArgumentException("a body map needs the figure's mask at output size", nameof(target));
        _character = character;
        _width = target.Width;
        _height = target.Height;
        GridSize = ((_width - 2) / LatticeStep) + 2;
        GridHeight = ((_height - 2) / LatticeStep) + 2;
        int nodes = GridSize * GridHeight;
        if (_map.Length != 2 * nodes)
        {
            _map = new float[2 * nodes];
            _coverage = new float[nodes];
            _inputs = [new(WarpGraph.Map, _map, [2, nodes]), new(WarpGraph.Coverage, _coverage, [1, nodes])];
        }

        _toFrame = PictureToFrame(character, _width, _height);
        _mesh = new BodyMesh(character.Body, _toFrame, mask, _width, _height, GridSize, GridHeight) { Relax = _limitFolds };
        _restHead = Vector2.Transform(character.Body.HeadCentre, _toFrame);
        _face = character.Face;
        FaceSide = 0;
        FrameNeutral = [];
        if (_face is not null)
        {
            _face.WriteAnimationMask(FaceCropSide, _faceMask);
            _faceRegion = WarpRegion.OfMask(_faceMask, FaceCropSide);
            _faceMap.SetCharacter(WarpTarget.OfFace(_face, _faceRegion, FaceCropSide));

            // Crop coordinates (u, v in 0..1 across the crop) → picture → output pixels.
            _cropToFrame = Matrix3x2.CreateScale(_face.CropSide) * Matrix3x2.CreateTranslation(_face.CropLeft, _face.CropTop) * _toFrame;
            Matrix3x2.Invert(_cropToFrame, out _frameToCrop);
            FaceSide = _face.CropSide * _toFrame.M11;
            FrameNeutral = new Vector3[_face.Neutral.Length];
            float unit = 1f / (_width - 1);
            for (int i = 0; i < FrameNeutral.Length; i++)
            {
                Vector3 n = _face.Neutral[i];
                Vector2 o = Vector2.Transform(new Vector2(n.X, n.Y), _cropToFrame) * unit;
                FrameNeutral[i] = new Vector3(o, n.Z * _face.CropSide * _toFrame.M11 * unit);
            }
        }
    }

    public void Update(DrivenFace face, DrivenBody? body)
    {
        ArgumentNullException.ThrowIfNull(face);
        ArgumentNullException.ThrowIfNull(body);
        BodyMesh mesh = _mesh ?? throw new InvalidOperationException("SetCharacter must be called before Update");
        for (int i = 0; i < _joints.Length; i++)
        {
            _joints[i] = Vector2.Transform(body.Joints[i], _toFrame);
            _depth[i] = body.Depth[i];
        }

        Vector2 head = Vector2.Transform(body.HeadCentre, _toFrame);

        // With a face, its own map turns the head (the face tracker's rotation); the body moves it.
        float headAngle = _face is null ? body.HeadAngle : 0;
        mesh.Update(_joints, Vector2.Transform(body.Root, _toFrame), Vector2.Transform(body.Neck, _toFrame), head, headAngle, _depth, _map, _coverage);
        _hasFaceFolds = false;
        if (_face is not null)
        {
            // The face rides on the head before the lattice is relaxed: the face map's fine detail (a cheek
            // squeezed by a turn, ~1 output pixel a face cell) read every 2 px can still turn a cell over.
            _faceMap.Update(face, null);
            RideOnHead(mesh);
        }

        mesh.Finish(_map, _coverage);
        _bodyRelaxedFrames += mesh.RelaxedIterations > 0 ? 1 : 0;
        if (_face is null)
        {
            return;
        }

        WriteFrameFace(face, mesh.HeadMotion);
        if (_faceMap.LimitFolds)
        {
            FoldOverCheck.WriteFacePolygons(face.Points, _hull, _innerLips);
            _hasFaceFolds = true;
        }
    }

    public int CountFolds(FoldOverCheck check, ReadOnlySpan<Vector2> inside, ReadOnlySpan<Vector2> outside)
    {
        // The body's own folds on the lattice the graph samples (cells one part drew that turn over);
        // the face's on its own lattice, as the face generator's are.
        int folds = _mesh?.CountFoldedCells(_map) ?? 0;
        if (_face is not null && _hasFaceFolds)
        {
            folds += _faceMap.CountFolds(_faceCheck, _hull, _innerLips);
        }

        return folds;
    }

    // Where the head is drawn, the face map's reading is taken at the body map's: expression on the moved head.
    // The face map's motion is weighted by the face's animation mask (1 over the face, easing to 0 where its lattice
    // ends), as a face-only render blends the warped face into the still picture by that mask. Taken whole, the face
    // map's motion at its lattice's edge (the ring anchors follow the head's turn) met the body's reading there in a
    // step: on the anime figure a row of turned-over cells across the hair in 102 of the dance clip's 288 frames.
    private void RideOnHead(BodyMesh mesh)
    {
        ReadOnlySpan<byte> parts = mesh.NodeParts;
        ReadOnlySpan<float> face = _faceMap.Lattice;
        int g = _faceMap.GridSize;
        float x0 = WarpGraph.LatticeX(_faceRegion, FaceCropSide, g, 0), x1 = WarpGraph.LatticeX(_faceRegion, FaceCropSide, g, g - 1);
        float y0 = WarpGraph.LatticeY(_faceRegion, FaceCropSide, g, 0), y1 = WarpGraph.LatticeY(_faceRegion, FaceCropSide, g, g - 1);
        float toX = (g - 1) / (x1 - x0), toY = (g - 1) / (y1 - y0);
        int nodes = GridSize * GridHeight;
        int gg = g * g;
        float halfW = 0.5f * (_width - 1), halfH = 0.5f * (_height - 1);
        const float halfCrop = 0.5f * (FaceCropSide - 1);
        for (int i = 0; i < nodes; i++)
        {
            if (parts[i] != (byte)BodyPart.Head)
            {
                continue;
            }

            // Output-normalized source → output pixels → crop-normalized.
            var pixel = new Vector2((_map[i] + 1) * halfW, (_map[nodes + i] + 1) * halfH);
            Vector2 crop = (2 * Vector2.Transform(pixel, _frameToCrop)) - Vector2.One;
            float fx = (crop.X - x0) * toX, fy = (crop.Y - y0) * toY;
            if (fx < 0 || fy < 0 || fx > g - 1 || fy > g - 1)
            {
                continue;
            }

            float weight = Bilinear(_faceMask, FaceCropSide, (crop.X + 1) * halfCrop, (crop.Y + 1) * halfCrop);
            if (weight <= 0)
            {
                continue;
            }

            int cx = Math.Min((int)fx, g - 2), cy = Math.Min((int)fy, g - 2);
            float tx = fx - cx, ty = fy - cy;
            int n = (cy * g) + cx;
            var read = new Vector2(Bilinear(face, n, g, tx, ty), Bilinear(face, gg + n, g, tx, ty));
            Vector2 back = Vector2.Transform((Vector2.Lerp(crop, read, weight) + Vector2.One) * 0.5f, _cropToFrame);
            _map[i] = (back.X / halfW) - 1;
            _map[nodes + i] = (back.Y / halfH) - 1;
        }
    }

    // A side×side row-major raster read bilinearly at pixel (x, y), clamped to its edge.
    private static float Bilinear(ReadOnlySpan<float> raster, int side, float x, float y)
    {
        x = Math.Clamp(x, 0, side - 1);
        y = Math.Clamp(y, 0, side - 1);
        int cx = Math.Min((int)x, side - 2), cy = Math.Min((int)y, side - 2);
        return Bilinear(raster, (cy * side) + cx, side, x - cx, y - cy);
    }

    private static float Bilinear(ReadOnlySpan<float> lattice, int n, int g, float tx, float ty)
    {
        float top = lattice[n] + ((lattice[n + 1] - lattice[n]) * tx);
        float bottom = lattice[n + g] + ((lattice[n + g + 1] - lattice[n + g]) * tx);
        return top + ((bottom - top) * ty);
    }

    // The face's driven points carried by the head into the output frame, for the painted layers.
    private void WriteFrameFace(DrivenFace face, Matrix3x2 carry)
    {
        face.CopyTo(FrameFace);
        float unit = 1f / (_width - 1);
        Vector2[] points = FrameFace.Points;
        for (int i = 0; i < points.Length; i++)
        {
            points[i] = Vector2.Transform(Vector2.Transform(face.Points[i], _cropToFrame), carry) * unit;
        }
    }
}
