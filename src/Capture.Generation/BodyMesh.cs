using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting.Rigs;

namespace Capture.Generation;

/// <summary>
/// The body's deformation: a triangulated mesh over the figure, bound to the skeleton by linear-blend
/// skinning, drawn part by part in depth order into the backward map's lattice.
/// </summary>
/// <remarks>
/// <para>Mesh: a grid of square cells (<see cref="CellSize"/> output pixels) over the figure's mask,
/// grown by a cell so the figure's soft edge lies inside it; each cell belongs to one rigid part
/// (<see cref="BodyPart"/>: the nearest part's shape — the torso's quadrilateral, the head's disc, a
/// limb's bone) and is split in two triangles. Cells of parts that meet at a joint (a part and its
/// parent) share their corner vertices, so the skin stretches there without a crack; parts that only
/// touch in the picture (a hand drawn against the head, an arm against the dress) get their own
/// vertices and come apart when they move.</para>
/// <para>Skinning, not as-rigid-as-possible: each part turns about its joint where its parent
/// carried it (parent and child agree at every joint); a vertex within a joint's reach turns by the
/// joint's angle alone, weighted by where it lies around the joint (rays from the joint keep their
/// order, so a bend within the sector between the bones cannot fold); parent and child share
/// vertices only within half the reach and are cut apart beyond it. Linear-blend skinning (weights
/// by distance) folded the lattice in 94 of the gesture clip's 103 frames on the stick figure.
/// ARAP (Animated Drawings' choice) solves a linear system a frame and keeps triangles rigid
/// everywhere, but it ties every vertex to every other through the mesh: a hand drawn touching the
/// head drags the head along, which the cut mesh here avoids, and this costs one transform a vertex,
/// no solver. Cells a bend still turns over are relaxed (<see cref="Relax"/>, <see cref="LatticeRelaxer"/>).
/// Where the figure touches the frame's border (a half-body portrait cut at the waist), the vertices
/// near that border are pinned to it by one more influence, so the cut edge does not leave a gap.</para>
/// <para>Per frame (<see cref="Update"/>): the parts' rigid transforms from the driven joints, the
/// vertices skinned, then the parts drawn far to near (the performer's depth: an arm across the
/// chest is drawn after the chest) into the lattice: each node inside a driven triangle reads the
/// picture at the same barycentric place in the triangle's rest shape, and is marked covered; the
/// nearest part drawn last wins. Then (<see cref="Finish"/>, after whatever is read on top: the face
/// riding on the head) turned-over cells are relaxed, and nodes next to covered ones read on past the
/// figure's edge (the rest picture's own margin, where the mask is 0), so the upsampled map stays smooth
/// at the silhouette; the rest are uncovered. Allocation-free per frame.</para>
/// </remarks>
public sealed class BodyMesh
{
    /// <summary>The pseudo-part of vertices pinned to the frame's border (identity motion).</summary>
    /// <summary>A joint's blend reaches this share of its child part's length from the joint (and no further than that share of the way into its parent).</summary>
    private const float JointReach = 0.5f;

    /// <summary>
    /// Parent and child share vertices only within this share of the joint's reach: there every vertex
    /// turns by the angle alone. Beyond it the two are cut apart, so each side can fade to its own
    /// motion without squeezing the seam between them (which folded it).
    /// </summary>
    private const float MergeReach = 0.5f;

    private readonly int _width;
    private readonly int _height;
    private readonly int _gridWidth;
    private readonly int _gridHeight;
    private readonly float[] _xs;
    private readonly float[] _ys;
    private readonly Vector2[] _rest;
    private readonly Vector2[] _driven;
    private readonly int[] _vertexPart;
    private readonly int[] _vertexJoint;
    private readonly float[] _vertexBlend;
    private readonly float[] _vertexOwn;
    private readonly float[] _vertexPin;
    private readonly Joint[] _joints;
    private readonly float[] _turn = new float[BodySkeleton.PartCount];
    private readonly Vector2[] _pivotParent;
    private readonly Vector2[] _pivotChild;
    private readonly float[] _jointTurn;
    private readonly int[] _triangles;
    private readonly int[] _partStart;
    private readonly bool[] _partKnown;
    private readonly Matrix3x2[] _transform = new Matrix3x2[BodySkeleton.PartCount];
    private readonly float[] _depth = new float[BodySkeleton.PartCount];
    private readonly int[] _order = new int[BodySkeleton.PartCount];
    private readonly byte[] _nodePart;
    private readonly LatticeRelaxer _relaxer;

    private readonly Vector2[] _restJoints;
    private readonly bool[] _jointKnown;
    private readonly Vector2 _restRoot;
    private readonly Vector2 _restNeck;
    private readonly Vector2 _restHead;

    /// <param name="rig">The joints (picture pixels).</param>
    /// <param name="toFrame">Picture pixels → output pixels (the frame's placement and scale).</param>
    /// <param name="mask">The figure's coverage at output size, 0..1, row-major <paramref name="width"/>×<paramref name="height"/>.</param>
    /// <param name="width">Output width.</param>
    /// <param name="height">Output height.</param>
    /// <param name="gridWidth">Lattice columns Gw.</param>
    /// <param name="gridHeight">Lattice rows Gh.</param>
    public BodyMesh(BodyRig rig, Matrix3x2 toFrame, ReadOnlySpan<float> mask, int width, int height, int gridWidth, int gridHeight)
    {
        ArgumentNullException.ThrowIfNull(rig);
        if (mask.Length != width * height)
        {
            throw new ArgumentException($"expected a {width}x{height} mask", nameof(mask));
        }

        _width = width;
        _height = height;
        _gridWidth = gridWidth;
        _gridHeight = gridHeight;
        _xs = new float[gridWidth];
        _ys = new float[gridHeight];
        for (int i = 0; i < gridWidth; i++)
        {
            _xs[i] = (width - 1) * (float)i / (gridWidth - 1);
        }

        for (int i = 0; i < gridHeight; i++)
        {
            _ys[i] = (height - 1) * (float)i / (gridHeight - 1);
        }

        _nodePart = new byte[gridWidth * gridHeight];
        _relaxer = new LatticeRelaxer(gridWidth, gridHeight);
        _restJoints = new Vector2[TrackingFrame.BodyLandmarkCount];
        for (int i = 0; i < _restJoints.Length; i++)
        {
            _restJoints[i] = Vector2.Transform(rig.Joint(i), toFrame);
        }

        _jointKnown = rig.KnownFlags.ToArray();
        _restRoot = Vector2.Transform(rig.Root, toFrame);
        _restNeck = Vector2.Transform(rig.Neck, toFrame);
        _restHead = Vector2.Transform(rig.HeadCentre, toFrame);
        _partKnown = new bool[BodySkeleton.PartCount];
        for (int p = 0; p < BodySkeleton.PartCount; p++)
        {
            _partKnown[p] = PartKnown(rig, (BodyPart)p);
        }

        _joints = Joints();
        _pivotParent = new Vector2[_joints.Length];
        _pivotChild = new Vector2[_joints.Length];
        _jointTurn = new float[_joints.Length];
        CellSize = Math.Max(3, (int)MathF.Round(Math.Max(width, height) / 150f));
        var shapes = new PartShapes(this, mask);
        (List<Vector2> vertices, List<(int A, int B, int C, int Part)> triangles, List<(int Part, int Joint, float Blend, float Own, float Pin)> binding) = Build(mask, shapes);
        _rest = [.. vertices];
        _driven = new Vector2[_rest.Length];
        _vertexPart = [.. binding.Select(b => b.Part)];
        _vertexJoint = [.. binding.Select(b => b.Joint)];
        _vertexBlend = [.. binding.Select(b => b.Blend)];
        _vertexOwn = [.. binding.Select(b => b.Own)];
        _vertexPin = [.. binding.Select(b => b.Pin)];

        // Triangles grouped by part, so each part is drawn as one pass.
        triangles.Sort((a, b) => a.Part.CompareTo(b.Part));
        _triangles = new int[triangles.Count * 3];
        _partStart = new int[BodySkeleton.PartCount + 1];
        int t = 0;
        for (int p = 0; p < BodySkeleton.PartCount; p++)
        {
            _partStart[p] = t;
            while (t < triangles.Count && triangles[t].Part == p)
            {
                _triangles[(t * 3)] = triangles[t].A;
                _triangles[(t * 3) + 1] = triangles[t].B;
                _triangles[(t * 3) + 2] = triangles[t].C;
                t++;
            }
        }

        _partStart[^1] = t;
        TriangleCount = triangles.Count;
        Array.Fill(_transform, Matrix3x2.Identity);
    }

    /// <summary>Side of the mesh's cells in output pixels (1/150 of the long side, at least 3).</summary>
    public int CellSize { get; }

    /// <summary>Vertices of the mesh.</summary>
    public int VertexCount => _rest.Length;

    /// <summary>Triangles of the mesh.</summary>
    public int TriangleCount { get; }

    /// <summary>
    /// Triangles left out of the last <see cref="Update"/> because they came out flipped: the inside of
    /// a sharply bent joint, where the skin folds under (the parts on either side overlap there, so
    /// what shows is one of them, not a mirrored picture).
    /// </summary>
    public int FlippedTriangles { get; private set; }

    /// <summary>
    /// Lattice cells of the last <see cref="Update"/> whose four corners one part drew and whose map
    /// turns over (a non-positive corner determinant, <see cref="FoldOverCheck.CellDeterminant(ReadOnlySpan{float}, int, int, int, int)"/>):
    /// a mirrored or torn picture, what the face's fold-over metric counts on its lattice. Cells
    /// across two parts' seam are not counted (they read between the two parts' rest places by design).
    /// </summary>
    public int CountFoldedCells(ReadOnlySpan<float> map)
    {
        int folded = 0;
        for (int gy = 0; gy < _gridHeight - 1; gy++)
        {
            for (int gx = 0; gx < _gridWidth - 1; gx++)
            {
                int i = (gy * _gridWidth) + gx;
                byte p = _nodePart[i];
                if (p == 255 || _nodePart[i + 1] != p || _nodePart[i + _gridWidth] != p || _nodePart[i + _gridWidth + 1] != p)
                {
                    continue;
                }

                folded += FoldOverCheck.CellDeterminant(map, _gridWidth, _gridHeight, gx, gy) <= 0 ? 1 : 0;
            }
        }

        return folded;
    }

    /// <summary>The part of the last drawn triangle at each lattice node (<see cref="BodyPart"/>), or 255 where uncovered; owned by the mesh.</summary>
    public ReadOnlySpan<byte> NodeParts => _nodePart;

    /// <summary>Rest vertices, output pixels (tests).</summary>
    public ReadOnlySpan<Vector2> RestVertices => _rest;

    /// <summary>Driven vertices of the last <see cref="Update"/>, output pixels (tests).</summary>
    public ReadOnlySpan<Vector2> DrivenVertices => _driven;

    /// <summary>The part of each triangle, in triangle order (tests and previews).</summary>
    public BodyPart PartOfTriangle(int triangle)
    {
        for (int p = 0; p < BodySkeleton.PartCount; p++)
        {
            if (triangle < _partStart[p + 1])
            {
                return (BodyPart)p;
            }
        }

        return BodyPart.Torso;
    }

    /// <summary>The corners of triangle <paramref name="triangle"/> (vertex indices).</summary>
    public (int A, int B, int C) Triangle(int triangle) => (_triangles[triangle * 3], _triangles[(triangle * 3) + 1], _triangles[(triangle * 3) + 2]);

    /// <summary>
    /// Skins the mesh to <paramref name="joints"/> (driven joints, output pixels; root, neck and head
    /// centre given apart) and draws it into <paramref name="map"/> ([2, Gw·Gh], normalized output
    /// coordinates of where to read the picture) and <paramref name="coverage"/> ([Gw·Gh], 0 or 1).
    /// <paramref name="depth"/> (per joint, smaller = nearer) orders the parts. The head piece turns
    /// by <paramref name="headAngle"/> (radians) about the head centre.
    /// </summary>
    public void Update(ReadOnlySpan<Vector2> joints, Vector2 root, Vector2 neck, Vector2 head, float headAngle, ReadOnlySpan<float> depth, Span<float> map, Span<float> coverage)
    {
        int nodes = _gridWidth * _gridHeight;
        if (map.Length != 2 * nodes || coverage.Length != nodes)
        {
            throw new ArgumentException($"expected a [2, {nodes}] map and [{nodes}] coverage");
        }

        WriteTransforms(joints, root, neck, head, headAngle);
        for (int j = 0; j < _joints.Length; j++)
        {
            Joint joint = _joints[j];
            _pivotParent[j] = Vector2.Transform(joint.At, _transform[joint.Parent]);
            _pivotChild[j] = Vector2.Transform(joint.At, _transform[joint.Child]);
            float turn = _turn[joint.Child] - _turn[joint.Parent];
            turn -= 2 * MathF.PI * MathF.Round(turn / (2 * MathF.PI));

            // Bent further than the sector it closes allows (an arm swung across the chest), the skin
            // around the joint would fold: the joint's disc turns only so far that the sector keeps
            // MinOpening of its angle, and the child part beyond it overlaps the parent (depth order decides).
            float closing = turn > 0 ? (2 * MathF.PI) - joint.Sector : joint.Sector;
            float most = (1 - MinOpening) * closing;
            _jointTurn[j] = Math.Clamp(turn, -most, most);
        }

        for (int v = 0; v < _rest.Length; v++)
        {
            Vector2 q = _rest[v];
            int j = _vertexJoint[v];
            Vector2 moved;
            if (j < 0)
            {
                moved = Vector2.Transform(q, _transform[_vertexPart[v]]);
            }
            else
            {
                // Turned about the joint by the blended angle: rays from the joint keep their order, so
                // the skin there cannot fold for any bend under the sector between the two bones.
                Joint joint = _joints[j];
                float w = _vertexBlend[v];
                float own = _vertexOwn[v];
                float angle = _turn[joint.Parent] + ((w - own) * _jointTurn[j]) + (own * WrappedTurn(joint));
                (float sin, float cos) = MathF.SinCos(angle);
                Vector2 d = q - joint.At;
                moved = Vector2.Lerp(_pivotParent[j], _pivotChild[j], w) + new Vector2((cos * d.X) - (sin * d.Y), (sin * d.X) + (cos * d.Y));
            }

            float pin = _vertexPin[v];
            _driven[v] = pin > 0 ? Vector2.Lerp(moved, q, pin) : moved;
        }

        // Parts far to near: the torso at the hips' depth (0), the head at the nose's, a limb at its joints' mean.
        for (int p = 0; p < BodySkeleton.PartCount; p++)
        {
            (int from, int to) = BodySkeleton.Segment((BodyPart)p);
            _depth[p] = p == (int)BodyPart.Torso ? 0
                : p == (int)BodyPart.Head ? depth[BodyTopology.Nose]
                : 0.5f * (JointDepth(depth, from) + JointDepth(depth, to));
            _order[p] = p;
        }

        for (int i = 1; i < _order.Length; i++)
        {
            int p = _order[i];
            int j = i - 1;
            while (j >= 0 && _depth[_order[j]] < _depth[p])
            {
                _order[j + 1] = _order[j];
                j--;
            }

            _order[j + 1] = p;
        }

        coverage.Clear();
        _nodePart.AsSpan().Fill(255);
        FlippedTriangles = 0;
        for (int i = 0; i < _order.Length; i++)
        {
            Draw(_order[i], map, coverage);
        }
    }

    /// <summary>
    /// Finishes the lattice <see cref="Update"/> drew: relaxes the cells of one part that turn over
    /// (<see cref="Relax"/>) and reads on past the figure's edge. What is read on top of the drawn parts
    /// (the face's map riding on the head) goes between the two, so the lattice the graph samples is
    /// the one relaxed.
    /// </summary>
    public void Finish(Span<float> map, ReadOnlySpan<float> coverage)
    {
        int nodes = _gridWidth * _gridHeight;
        if (map.Length != 2 * nodes || coverage.Length != nodes)
        {
            throw new ArgumentException($"expected a [2, {nodes}] map and [{nodes}] coverage");
        }

        // Where the lattice samples a joint bent to its limit in a turned-over cell: relaxed there, as
        // the face mesh's lattice is (MeshWarp.RelaxFolds), each part on its own.
        float cell = (2f / (_gridWidth - 1)) * (2f / (_gridHeight - 1));
        RelaxedIterations = Relax ? _relaxer.Relax(map, RelaxBelow * cell, 64, _nodePart) : 0;
        ExtendEdges(map, coverage);
    }

    /// <summary>A cell whose corner determinant is under this share of the identity's is relaxed (the face mesh's 0.02).</summary>
    private const float RelaxBelow = 0.02f;

    /// <summary>Relax turned-over cells (on by default; off only to measure what the relaxation does).</summary>
    public bool Relax { get; set; } = true;

    /// <summary>Relaxation rounds the last <see cref="Finish"/> needed (0: nothing folded, or <see cref="Relax"/> off).</summary>
    public int RelaxedIterations { get; private set; }

    // Depth of a segment end: the hand's or foot's tip is its wrist's or ankle's; the virtual joints 0.
    private static float JointDepth(ReadOnlySpan<float> depth, int joint) => joint >= 0 ? depth[joint] : 0;

    // The parts' rigid motions, parents first. The torso turns about its middle to the driven torso;
    // every other part turns by its driven bone's angle (the head by headAngle) about its joint, which
    // stays where its parent carried it, so parent and child agree at every joint (the child's root may
    // then sit a little off the driven joint: the torso is rigid, the driven shoulders and hips are not).
    private void WriteTransforms(ReadOnlySpan<Vector2> joints, Vector2 root, Vector2 neck, Vector2 head, float headAngle)
    {
        for (int p = 0; p < BodySkeleton.PartCount; p++)
        {
            if (!_partKnown[p])
            {
                continue;
            }

            var part = (BodyPart)p;
            (Vector2 a, Vector2 b) = Ends(part, _restJoints, _restRoot, _restNeck, _restHead);
            (Vector2 a2, Vector2 b2) = Ends(part, joints, root, neck, head);
            float turn = part == BodyPart.Head ? headAngle : MathF.Atan2(b2.Y - a2.Y, b2.X - a2.X) - MathF.Atan2(b.Y - a.Y, b.X - a.X);
            Vector2 pivot, moved;
            if (part == BodyPart.Torso)
            {
                pivot = (a + b) * 0.5f;
                moved = (a2 + b2) * 0.5f;
            }
            else
            {
                BodyPart parent = BodySkeleton.Parent(part)!.Value;
                pivot = a;
                moved = _partKnown[(int)parent] ? Vector2.Transform(a, _transform[(int)parent]) : a2;
            }

            _transform[p] = Matrix3x2.CreateTranslation(-pivot) * Matrix3x2.CreateRotation(turn) * Matrix3x2.CreateTranslation(moved);
            _turn[p] = turn;
        }
    }

    /// <summary>The head's rigid motion in the last <see cref="Update"/> (rest output pixels → driven): what carries the face.</summary>
    public Matrix3x2 HeadMotion => _transform[(int)BodyPart.Head];

    /// <summary>
    /// Where two parts meet: the parent, the child, the joint's rest place, the two bones' directions
    /// from it, how far its blend reaches, and the angle from the parent's bone to the child's (0..2π,
    /// the same sense as <see cref="AngularBlend"/>).
    /// </summary>
    private readonly record struct Joint(int Parent, int Child, Vector2 At, Vector2 ToParent, Vector2 ToChild, float Reach)
    {
        public float Sector => Wrap(MathF.Atan2(ToChild.Y, ToChild.X) - MathF.Atan2(ToParent.Y, ToParent.X));
    }

    /// <summary>A bend may close the sector between two bones to this share of its rest angle before the joint's disc stops following.</summary>
    private const float MinOpening = 0.15f;

    private float WrappedTurn(Joint joint)
    {
        float turn = _turn[joint.Child] - _turn[joint.Parent];
        return turn - (2 * MathF.PI * MathF.Round(turn / (2 * MathF.PI)));
    }

    // Every known part's joint with its parent (output pixels, rest).
    private Joint[] Joints()
    {
        var joints = new List<Joint>();
        Vector2 torsoMiddle = (_restRoot + _restNeck) * 0.5f;
        for (int c = 0; c < BodySkeleton.PartCount; c++)
        {
            if (!_partKnown[c] || BodySkeleton.Parent((BodyPart)c) is not { } parent || !_partKnown[(int)parent])
            {
                continue;
            }

            (Vector2 at, Vector2 end) = Ends((BodyPart)c, _restJoints, _restRoot, _restNeck, _restHead);
            Vector2 back = parent == BodyPart.Torso ? torsoMiddle : Ends(parent, _restJoints, _restRoot, _restNeck, _restHead).From;
            float reach = JointReach * MathF.Min(Vector2.Distance(at, end), Vector2.Distance(at, back));
            joints.Add(new Joint((int)parent, c, at, back - at, end - at, MathF.Max(reach, 1)));
        }

        // Two joints of one part (a shoulder and the neck on the torso) reach at most halfway to each
        // other: a vertex is turned about one joint at most, and the motion it fades to must be its part's own.
        for (int a = 0; a < joints.Count; a++)
        {
            for (int b = 0; b < joints.Count; b++)
            {
                bool share = a != b && (joints[a].Parent == joints[b].Parent || joints[a].Parent == joints[b].Child || joints[a].Child == joints[b].Parent);
                if (share)
                {
                    float half = 0.5f * Vector2.Distance(joints[a].At, joints[b].At);
                    joints[a] = joints[a] with { Reach = MathF.Max(1, MathF.Min(joints[a].Reach, half)) };
                }
            }
        }

        return [.. joints];
    }

    // How far a point is turned toward the child's rotation by angle alone, 0 along the parent's bone,
    // 1 along the child's, linear in the angle between them on either side.
    private static float AngularBlend(Joint joint, Vector2 q)
    {
        Vector2 d = q - joint.At;
        if (d.LengthSquared() < 1e-6f)
        {
            return 0.5f;
        }

        float start = MathF.Atan2(joint.ToParent.Y, joint.ToParent.X);
        float sector = Wrap(MathF.Atan2(joint.ToChild.Y, joint.ToChild.X) - start);
        float at = Wrap(MathF.Atan2(d.Y, d.X) - start);
        return at <= sector ? at / MathF.Max(sector, 1e-3f) : ((2 * MathF.PI) - at) / MathF.Max((2 * MathF.PI) - sector, 1e-3f);
    }

    // An angle in [0, 2π).
    private static float Wrap(float a)
    {
        a %= 2 * MathF.PI;
        return a < 0 ? a + (2 * MathF.PI) : a;
    }

    // A part's segment ends among the given joints (output pixels): a hand ends between its index
    // and pinky, a foot at its toe (or heel), the torso runs root → neck, the head neck → centre.
    private (Vector2 From, Vector2 To) Ends(BodyPart part, ReadOnlySpan<Vector2> joints, Vector2 root, Vector2 neck, Vector2 head)
    {
        (int from, int to) = BodySkeleton.Segment(part);
        Vector2 a = from switch
        {
            BodySkeleton.FromRoot => root,
            BodySkeleton.FromNeck => neck,
            _ => joints[from],
        };
        Vector2 b = to switch
        {
            BodySkeleton.FromNeck => neck,
            BodySkeleton.HeadCentre => head,
            BodySkeleton.Tip => Tip(part, joints),
            _ => joints[to],
        };
        return (a, b);
    }

    private Vector2 Tip(BodyPart part, ReadOnlySpan<Vector2> joints)
    {
        (int first, int second) = part switch
        {
            BodyPart.LeftHand => (BodyTopology.LeftIndex, BodyTopology.LeftPinky),
            BodyPart.RightHand => (BodyTopology.RightIndex, BodyTopology.RightPinky),
            BodyPart.LeftFoot => (BodyTopology.LeftFootIndex, BodyTopology.LeftHeel),
            _ => (BodyTopology.RightFootIndex, BodyTopology.RightHeel),
        };
        bool isHand = part is BodyPart.LeftHand or BodyPart.RightHand;
        return _jointKnown[first] && _jointKnown[second] && isHand ? (joints[first] + joints[second]) * 0.5f
            : _jointKnown[first] ? joints[first] : joints[second];
    }

    private void Draw(int part, Span<float> map, Span<float> coverage)
    {
        int g = _gridWidth;
        int gg = g * _gridHeight;
        float toX = (_gridWidth - 1) / (float)(_width - 1);
        float toY = (_gridHeight - 1) / (float)(_height - 1);
        float nx = 2f / (_width - 1);
        float ny = 2f / (_height - 1);
        for (int t = _partStart[part]; t < _partStart[part + 1]; t++)
        {
            int ia = _triangles[t * 3], ib = _triangles[(t * 3) + 1], ic = _triangles[(t * 3) + 2];
            Vector2 a = _driven[ia], b = _driven[ib], c = _driven[ic];
            Vector2 ab = b - a, ac = c - a;
            float d = (ab.X * ac.Y) - (ab.Y * ac.X);
            if (d <= 0)
            {
                FlippedTriangles++;
                continue;
            }

            Vector2 lo = Vector2.Min(a, Vector2.Min(b, c));
            Vector2 hi = Vector2.Max(a, Vector2.Max(b, c));
            int gx0 = Math.Max(0, (int)MathF.Ceiling((lo.X * toX) - Edge));
            int gx1 = Math.Min(_gridWidth - 1, (int)MathF.Floor((hi.X * toX) + Edge));
            int gy0 = Math.Max(0, (int)MathF.Ceiling((lo.Y * toY) - Edge));
            int gy1 = Math.Min(_gridHeight - 1, (int)MathF.Floor((hi.Y * toY) + Edge));
            if (gx0 > gx1 || gy0 > gy1)
            {
                continue;
            }

            Vector2 ra = _rest[ia], rb = _rest[ib], rc = _rest[ic];
            float inv = 1 / d;
            for (int gy = gy0; gy <= gy1; gy++)
            {
                float py = _ys[gy] - a.Y;
                for (int gx = gx0; gx <= gx1; gx++)
                {
                    var p = new Vector2(_xs[gx] - a.X, py);
                    float wb = ((p.X * ac.Y) - (p.Y * ac.X)) * inv;
                    float wc = ((ab.X * p.Y) - (ab.Y * p.X)) * inv;
                    float wa = 1 - wb - wc;
                    if (wa < -Edge || wb < -Edge || wc < -Edge)
                    {
                        continue;
                    }

                    Vector2 source = (wa * ra) + (wb * rb) + (wc * rc);
                    int i = (gy * g) + gx;
                    map[i] = (source.X * nx) - 1;
                    map[gg + i] = (source.Y * ny) - 1;
                    coverage[i] = 1;
                    _nodePart[i] = (byte)part;
                }
            }
        }
    }

    // Barycentric tolerance: a node on a shared edge is drawn by both triangles (the same value).
    private const float Edge = 1e-4f;

    // Uncovered nodes next to covered ones read on past the figure's edge (the covered neighbours'
    // reading, shifted by the node's offset: a locally rigid continuation), so the upsampled map has
    // no jump at the silhouette; nodes further out read where they are (coverage 0 hides them).
    private void ExtendEdges(Span<float> map, ReadOnlySpan<float> coverage)
    {
        int g = _gridWidth;
        int gg = g * _gridHeight;
        float nx = 2f / (_width - 1);
        float ny = 2f / (_height - 1);
        for (int gy = 0; gy < _gridHeight; gy++)
        {
            for (int gx = 0; gx < g; gx++)
            {
                int i = (gy * g) + gx;
                if (coverage[i] > 0)
                {
                    continue;
                }

                float sx = 0, sy = 0;
                int n = 0;
                for (int k = 0; k < 4; k++)
                {
                    int x = gx + (k == 0 ? -1 : k == 1 ? 1 : 0);
                    int y = gy + (k == 2 ? -1 : k == 3 ? 1 : 0);
                    if (x < 0 || y < 0 || x >= g || y >= _gridHeight)
                    {
                        continue;
                    }

                    int j = (y * g) + x;
                    if (coverage[j] > 0)
                    {
                        sx += map[j] + ((_xs[gx] - _xs[x]) * nx);
                        sy += map[gg + j] + ((_ys[gy] - _ys[y]) * ny);
                        n++;
                    }
                }

                if (n > 0)
                {
                    map[i] = sx / n;
                    map[gg + i] = sy / n;
                }
                else
                {
                    map[i] = (_xs[gx] * nx) - 1;
                    map[gg + i] = (_ys[gy] * ny) - 1;
                }
            }
        }
    }

    private static bool PartKnown(BodyRig rig, BodyPart part)
    {
        (int from, int to) = BodySkeleton.Segment(part);
        return part switch
        {
            BodyPart.Torso or BodyPart.Head => true,
            _ => Known(rig, from) && (to == BodySkeleton.Tip ? TipKnown(rig, part) : Known(rig, to)),
        };
    }

    private static bool Known(BodyRig rig, int joint) => joint < 0 || rig.Known(joint);

    private static bool TipKnown(BodyRig rig, BodyPart part) => part switch
    {
        BodyPart.LeftHand => rig.Known(BodyTopology.LeftIndex) || rig.Known(BodyTopology.LeftPinky),
        BodyPart.RightHand => rig.Known(BodyTopology.RightIndex) || rig.Known(BodyTopology.RightPinky),
        BodyPart.LeftFoot => rig.Known(BodyTopology.LeftFootIndex) || rig.Known(BodyTopology.LeftHeel),
        BodyPart.RightFoot => rig.Known(BodyTopology.RightFootIndex) || rig.Known(BodyTopology.RightHeel),
        _ => false,
    };

    private (List<Vector2> Vertices, List<(int A, int B, int C, int Part)> Triangles, List<(int Part, int Joint, float Blend, float Own, float Pin)> Binding) Build(ReadOnlySpan<float> mask, PartShapes shapes)
    {
        int h = CellSize;
        int cw = ((_width - 2) / h) + 1;
        int ch = ((_height - 2) / h) + 1;
        float NodeX(int i) => Math.Min(i * h, _width - 1);
        float NodeY(int j) => Math.Min(j * h, _height - 1);

        // Cells holding figure, grown by one cell: the mesh covers the figure's soft edge and a margin.
        var figure = new bool[cw * ch];
        for (int y = 0; y < _height; y++)
        {
            int cy = Math.Min(ch - 1, y / h);
            for (int x = 0; x < _width; x++)
            {
                if (mask[(y * _width) + x] > FigureAbove)
                {
                    figure[(cy * cw) + Math.Min(cw - 1, x / h)] = true;
                }
            }
        }

        var part = new int[cw * ch];
        Array.Fill(part, -1);
        for (int cy = 0; cy < ch; cy++)
        {
            for (int cx = 0; cx < cw; cx++)
            {
                bool near = false;
                for (int dy = -1; dy <= 1 && !near; dy++)
                {
                    for (int dx = -1; dx <= 1 && !near; dx++)
                    {
                        int x = cx + dx, y = cy + dy;
                        near = x >= 0 && y >= 0 && x < cw && y < ch && figure[(y * cw) + x];
                    }
                }

                if (near)
                {
                    var centre = new Vector2((NodeX(cx) + NodeX(cx + 1)) * 0.5f, (NodeY(cy) + NodeY(cy + 1)) * 0.5f);
                    part[(cy * cw) + cx] = shapes.Nearest(centre);
                }
            }
        }

        // Vertices: per grid node, one for each group of its cells' parts that meet at a joint.
        var vertices = new List<Vector2>();
        var binding = new List<(int Part, int Joint, float Blend, float Own, float Pin)>();
        var vertexOf = new Dictionary<(int Node, int Part), int>();
        Span<int> parts = stackalloc int[4];
        Span<int> group = stackalloc int[4];
        for (int j = 0; j <= ch; j++)
        {
            for (int i = 0; i <= cw; i++)
            {
                int n = 0;
                for (int k = 0; k < 4; k++)
                {
                    int cx = i - 1 + (k & 1), cy = j - 1 + (k >> 1);
                    if (cx < 0 || cy < 0 || cx >= cw || cy >= ch || part[(cy * cw) + cx] < 0)
                    {
                        continue;
                    }

                    int p = part[(cy * cw) + cx];
                    if (parts[..n].IndexOf(p) < 0)
                    {
                        parts[n++] = p;
                    }
                }

                // Union of parts that meet at a joint, near that joint (a part and its parent); elsewhere
                // they are cut apart (an arm hanging along the torso comes away from it when raised).
                var at = new Vector2(NodeX(i), NodeY(j));
                for (int a = 0; a < n; a++)
                {
                    group[a] = a;
                }

                for (int a = 0; a < n; a++)
                {
                    for (int b = a + 1; b < n; b++)
                    {
                        int shared = JointOf(parts[a], parts[b]);
                        if (shared >= 0 && Vector2.Distance(at, _joints[shared].At) < MergeReach * _joints[shared].Reach)
                        {
                            // The smaller index represents the group, so it is met (and its vertex made) first.
                            int keep = Math.Min(group[a], group[b]), drop = Math.Max(group[a], group[b]);
                            for (int c = 0; c < n; c++)
                            {
                                group[c] = group[c] == drop ? keep : group[c];
                            }
                        }
                    }
                }

                int node = (j * (cw + 1)) + i;
                for (int a = 0; a < n; a++)
                {
                    if (group[a] != a)
                    {
                        vertexOf[(node, parts[a])] = vertexOf[(node, parts[group[a]])];
                        continue;
                    }

                    int v = vertices.Count;
                    vertices.Add(at);
                    int merged = -1;
                    for (int b = a + 1; b < n && merged < 0; b++)
                    {
                        merged = group[b] == a ? JointOf(parts[a], parts[b]) : -1;
                    }

                    binding.Add(Bind(at, parts[a], merged, shapes.Pin(at)));
                    vertexOf[(node, parts[a])] = v;
                }
            }
        }

        var triangles = new List<(int A, int B, int C, int Part)>();
        for (int cy = 0; cy < ch; cy++)
        {
            for (int cx = 0; cx < cw; cx++)
            {
                int p = part[(cy * cw) + cx];
                if (p < 0)
                {
                    continue;
                }

                int n00 = (cy * (cw + 1)) + cx;
                int v00 = vertexOf[(n00, p)], v10 = vertexOf[(n00 + 1, p)];
                int v01 = vertexOf[(n00 + cw + 1, p)], v11 = vertexOf[(n00 + cw + 2, p)];
                triangles.Add((v00, v10, v11, p));
                triangles.Add((v00, v11, v01, p));
            }
        }

        return (vertices, triangles, binding);
    }

    // The joint between two parts (either order), or -1 when they do not meet at one.
    private int JointOf(int a, int b)
    {
        for (int j = 0; j < _joints.Length; j++)
        {
            if ((_joints[j].Parent == a && _joints[j].Child == b) || (_joints[j].Parent == b && _joints[j].Child == a))
            {
                return j;
            }
        }

        return -1;
    }

    // How a vertex moves: with its part alone, or turned about the nearest of its part's joints within
    // reach: by the angle alone on a seam two parts share (merged), fading to its own part's motion at
    // the joint's reach otherwise.
    // Blend: the share of the joint's turn; Own: the part of it that is the child's own motion (its
    // full turn, even where the joint's disc is held back), faded in outside the merged disc.
    private (int Part, int Joint, float Blend, float Own, float Pin) Bind(Vector2 q, int part, int merged, float pin)
    {
        if (merged >= 0)
        {
            return (part, merged, AngularBlend(_joints[merged], q), 0, pin);
        }

        int best = -1;
        float nearest = 1;
        for (int j = 0; j < _joints.Length; j++)
        {
            if (_joints[j].Parent != part && _joints[j].Child != part)
            {
                continue;
            }

            float r = Vector2.Distance(q, _joints[j].At) / _joints[j].Reach;
            if (r < nearest)
            {
                (best, nearest) = (j, r);
            }
        }

        if (best < 0)
        {
            return (part, -1, 0, 0, pin);
        }

        // Inside the merged disc every vertex turns by the angle alone (so the shared seam agrees);
        // outside it, where the two parts are cut apart, each side fades to its own part's motion.
        float own = _joints[best].Child == part ? 1 : 0;
        float t = Math.Clamp((nearest - MergeReach) / (1 - MergeReach), 0, 1);
        float s = t * t * (3 - (2 * t));
        return (part, best, AngularBlend(_joints[best], q) + ((own - AngularBlend(_joints[best], q)) * s), own * s, pin);
    }

    /// <summary>A pixel whose mask is above this is figure (the rest is its anti-aliased edge or background).</summary>
    private const float FigureAbove = 0.1f;

    /// <summary>
    /// The parts' rest shapes in output pixels: the torso's quadrilateral (shoulders and hips, or
    /// down to the virtual root), the head's disc, each limb's bone. A point belongs to the part whose
    /// shape is nearest (a limb's bone counts as <see cref="LimbRadius"/> of the shoulder width thick);
    /// skinning weights fall with the same distances.
    /// </summary>
    private sealed class PartShapes
    {
        private readonly Vector2[] _torso = new Vector2[4];
        private readonly Vector2 _head;
        private readonly float _headRadius;
        private readonly (Vector2 A, Vector2 B)[] _segments = new (Vector2, Vector2)[BodySkeleton.PartCount];
        private readonly float[] _radius = new float[BodySkeleton.PartCount];
        private readonly bool[] _known;
        private readonly float _pinDistance;
        private readonly bool[] _pinnedEdge = new bool[4];
        private readonly int _width;
        private readonly int _height;

        public PartShapes(BodyMesh mesh, ReadOnlySpan<float> mask)
        {
            _known = mesh._partKnown;
            _width = mesh._width;
            _height = mesh._height;
            Vector2[] j = mesh._restJoints;
            Vector2 ls = j[BodyTopology.LeftShoulder], rs = j[BodyTopology.RightShoulder];
            float shoulders = Vector2.Distance(ls, rs);
            bool hips = mesh._jointKnown[BodyTopology.LeftHip] && mesh._jointKnown[BodyTopology.RightHip];
            Vector2 down = mesh._restRoot - mesh._restNeck;
            _torso[0] = ls;
            _torso[1] = rs;
            _torso[2] = hips ? j[BodyTopology.RightHip] : rs + down;
            _torso[3] = hips ? j[BodyTopology.LeftHip] : ls + down;
            _head = mesh._restHead;
            float ears = mesh._jointKnown[BodyTopology.LeftEar] && mesh._jointKnown[BodyTopology.RightEar]
                ? Vector2.Distance(j[BodyTopology.LeftEar], j[BodyTopology.RightEar]) : 0;
            // A head is ~0.75 ear distances across its radius, or 0.4 of its centre's height over the
            // shoulders (people: ~10 of 25 cm; a drawing's head circle on its neck line alike).
            _headRadius = MathF.Max(0.75f * ears, 0.4f * Vector2.Distance(mesh._restHead, mesh._restNeck));
            for (int p = 0; p < BodySkeleton.PartCount; p++)
            {
                if (_known[p] && p > (int)BodyPart.Head)
                {
                    _segments[p] = mesh.Ends((BodyPart)p, j, mesh._restRoot, mesh._restNeck, mesh._restHead);

                    // A forearm or shin without a hand or foot part carries the hand or foot drawn past its end.
                    float beyond = (BodyPart)p switch
                    {
                        BodyPart.LeftForearm => _known[(int)BodyPart.LeftHand] ? 0 : HandBeyondWrist,
                        BodyPart.RightForearm => _known[(int)BodyPart.RightHand] ? 0 : HandBeyondWrist,
                        BodyPart.LeftShin => _known[(int)BodyPart.LeftFoot] ? 0 : FootBeyondAnkle,
                        BodyPart.RightShin => _known[(int)BodyPart.RightFoot] ? 0 : FootBeyondAnkle,
                        _ => 0,
                    };
                    (Vector2 a, Vector2 b) = _segments[p];
                    _segments[p] = (a, b + ((b - a) * beyond));
                    bool leg = (BodyPart)p is BodyPart.LeftThigh or BodyPart.LeftShin or BodyPart.RightThigh or BodyPart.RightShin or BodyPart.LeftFoot or BodyPart.RightFoot;
                    _radius[p] = (leg ? 1.4f : 1f) * LimbRadius * shoulders;
                }
            }

            float torso = down.Length();
            _pinDistance = MathF.Max(1, 0.5f * torso);

            // Frame edges the figure runs into (a portrait cut at the waist): its vertices there stay.
            for (int e = 0; e < 4; e++)
            {
                int n = e < 2 ? _width : _height;
                int hits = 0;
                for (int k = 0; k < n; k++)
                {
                    int x = e switch { 0 or 1 => k, 2 => 0, _ => _width - 1 };
                    int y = e switch { 0 => 0, 1 => _height - 1, _ => k };
                    hits += mask[(y * _width) + x] > 0.5f ? 1 : 0;
                }

                _pinnedEdge[e] = hits > 0.03f * n;
            }
        }

        /// <summary>A hand reaches ~0.4 of the forearm past the wrist (a person's: ~18 of 26 cm with the fingers; a drawing's fingers alike).</summary>
        public const float HandBeyondWrist = 0.4f;

        /// <summary>A foot reaches ~0.25 of the shin below and past the ankle.</summary>
        public const float FootBeyondAnkle = 0.25f;

        /// <summary>Thickness of an arm's bone for labelling, in shoulder widths (legs 1.4×).</summary>
        public const float LimbRadius = 0.12f;

        public int Nearest(Vector2 q)
        {
            int best = (int)BodyPart.Torso;
            float bestScore = Score(q, BodyPart.Torso);
            for (int p = 1; p < BodySkeleton.PartCount; p++)
            {
                if (!_known[p])
                {
                    continue;
                }

                float score = Score(q, (BodyPart)p);
                if (score < bestScore)
                {
                    best = p;
                    bestScore = score;
                }
            }

            return best;
        }

        public float Score(Vector2 q, BodyPart part)
        {
            if (part == BodyPart.Torso)
            {
                return LayerPainter.Inside(_torso, q) ? 0 : PolygonDistance(_torso, q);
            }

            if (part == BodyPart.Head)
            {
                return Vector2.Distance(q, _head) - _headRadius;
            }

            (Vector2 a, Vector2 b) = _segments[(int)part];
            return SegmentDistance(q, a, b) - _radius[(int)part];
        }

        /// <summary>How much a vertex at <paramref name="q"/> stays put: 1 on a frame edge the figure runs into, fading to 0 half a torso away.</summary>
        public float Pin(Vector2 q)
        {
            float d = EdgeDistance(q) / _pinDistance;
            return d >= 1 ? 0 : 1 - (d * d * (3 - (2 * d)));
        }

        // Distance to the nearest frame edge the figure runs into; infinity when none.
        private float EdgeDistance(Vector2 q)
        {
            float d = float.PositiveInfinity;
            if (_pinnedEdge[0])
            {
                d = MathF.Min(d, q.Y);
            }

            if (_pinnedEdge[1])
            {
                d = MathF.Min(d, _height - 1 - q.Y);
            }

            if (_pinnedEdge[2])
            {
                d = MathF.Min(d, q.X);
            }

            if (_pinnedEdge[3])
            {
                d = MathF.Min(d, _width - 1 - q.X);
            }

            return d;
        }

        private static float PolygonDistance(ReadOnlySpan<Vector2> poly, Vector2 q)
        {
            float d = float.MaxValue;
            for (int i = 0, j = poly.Length - 1; i < poly.Length; j = i++)
            {
                d = MathF.Min(d, SegmentDistance(q, poly[j], poly[i]));
            }

            return d;
        }

        private static float SegmentDistance(Vector2 q, Vector2 a, Vector2 b)
        {
            Vector2 ab = b - a;
            float len2 = ab.LengthSquared();
            float t = len2 < 1e-9f ? 0 : Math.Clamp(Vector2.Dot(q - a, ab) / len2, 0, 1);
            return Vector2.Distance(q, a + (t * ab));
        }
    }
}
