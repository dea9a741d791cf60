using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Geometry;
using Capture.Core.Tracking;
using Capture.Inference;
using Capture.Retargeting;
using Capture.Retargeting.Rigs;
using Microsoft.ML.OnnxRuntime;

namespace Capture.Generation;

/// <summary>
/// The embedded generator: solves the thin-plate spline from the driven control points back to the
/// character's neutral ones in C# (or, with <see cref="WarpKind.Mesh"/>, rasterizes the piecewise-affine
/// map of the triangulated face onto the lattice, <see cref="MeshWarp"/>), paints the mouth/teeth/eyelid layers, and runs the
/// <see cref="WarpGraph"/> session (created once, CUDA or CPU as <see cref="InferenceEnvironment"/>
/// decides) on tensors allocated once. Not thread-safe: one frame at a time.
/// </summary>
/// <remarks>
/// Buffer flow with <see cref="WarpOutput.Bytes"/> (the default): the layers are painted straight into
/// the box-sized <c>keep</c>/<c>add</c> tensors (frame coordinates, only the animation mask's box is
/// stored), the graph writes the box's rows as packed 8-bit pixels (RGB24, or RGBA8 for pictures with
/// alpha), and those rows are bound either to the caller's frame (<see cref="GenerateInto"/> when the
/// frame is as wide as the output: ONNX Runtime writes in place, nothing is copied) or to the
/// generator's own canvas (<see cref="Frame"/>), where the still picture around the box is written
/// once per character. <see cref="WarpOutput.Floats"/> keeps the planar float frame for scoring.
/// </remarks>
public sealed class WarpGenerator : ICharacterGenerator
{
    /// <summary>Spline lattice: 64² evaluations are enough for a face's smooth motion and cost ~1 ms.</summary>
    public const int DefaultGridSize = 64;

    /// <summary>Fixed anchors: a ring around the face and the crop's corners and edge midpoints.</summary>
    public const int RingAnchors = 16;

    public const int BorderAnchors = 8;

    /// <summary>How much of the head's rigid motion the upper ring anchors (hair, ears) follow.</summary>
    public const float HeadFollow = 0.5f;

    /// <summary>Control points per frame of the spline: the mesh subset plus the anchors and irises.</summary>
    public static int ControlCount => FaceTopology.WarpControls.Length + RingAnchors + BorderAnchors + IrisControls;

    /// <summary>Control points per frame of the mesh warp: all face points, the anchors, the skirt and the irises.</summary>
    public static int MeshControlCount => TrackingFrame.FaceLandmarkCount + RingAnchors + BorderAnchors + SkirtPoints + IrisControls;

    /// <summary>
    /// Mesh warp: points on rings between the face outline and the anchor ring (hair, ears, neck),
    /// moved by a thin-plate spline through the spline warp's control points (rest → driven), so
    /// the mesh's motion fades out beyond the face as smoothly as the spline's instead of linearly
    /// across the wide triangles between the outline and the anchors (measured in docs/generator.md).
    /// </summary>
    public const int SkirtPoints = 32;

    // Skirt rings, in face-oval radii (the outline is at 1, the anchor ring at CharacterRig.AnchorRing).
    private static ReadOnlySpan<float> SkirtRadii => [1.15f, 1.35f];

    /// <summary>The control points of a warp of <paramref name="kind"/>, in order: face points, ring anchors, border anchors, irises.</summary>
    public static int ControlCountOf(WarpKind kind) => kind == WarpKind.Mesh ? MeshControlCount : ControlCount;

    /// <summary>The two iris centres, last among the control points: they carry gaze.</summary>
    public const int IrisControls = 2;

    /// <summary>Largest iris shift drawn, in eye widths (a tracking glitch must not tear the eye).</summary>
    public const float MaxGaze = 0.2f;

    private readonly RunOptions _runOptions = new();
    private readonly int _size;
    private readonly int _channels;
    private readonly int _intraOpThreads;
    private readonly int _gridSize;
    private readonly WarpOutput _outputKind;
    private readonly WarpKind _kind;

    // Face points among the control points: the spline's subset or, for the mesh, all of them.
    private readonly int[] _controls;

    // 1 for floats; 255 for bytes, so the graph computes byte levels directly (+0.5 in add: the Cast truncates).
    private readonly float _scale;
    private readonly float _offset;
    private readonly float[] _image;
    private readonly float[] _mask;
    private readonly float[] _centers;
    private readonly float[] _centerNorms;
    private readonly float[] _weights;
    private readonly float[] _affine = new float[6];
    private readonly float[] _map;
    private readonly MeshWarp? _mesh;

    // Mesh warp's skirt: a forward spline (rest → driven) through the spline warp's points, and where they sit among the mesh's.
    private readonly ThinPlateSpline _forward;
    private readonly Vector2[] _forwardRest;
    private readonly Vector2[] _forwardDriven;
    private readonly int[] _forwardIndex;
    private readonly float[]? _output;
    private readonly byte[]? _canvas;
    private InferenceSession? _session;
    private OrtIoBinding? _binding;
    private OrtValue? _boundOutput;
    private OrtValue[] _inputs = [];
    private OrtValue? _regionOutput;
    private OrtValue? _frameOutput;
    private VideoFrame? _boundFrame;
    private int _boundTop;
    private WarpRegion _region;
    private float[] _regionMask = [];
    private float[] _regionStill = [];
    private float[] _regionKeep = [];
    private float[] _regionAdd = [];
    private float[] _regionFloats = [];
    private byte[] _leftStrip = [];
    private byte[] _rightStrip = [];
    private readonly ThinPlateSpline _spline;
    private readonly FoldLimiter _limiter;
    private bool _limitFolds = true;
    private readonly FoldOverCheck _folds;
    private readonly Vector2[] _hull = new Vector2[FaceTopology.FaceOval.Length];
    private readonly Vector2[] _innerLips = new Vector2[FaceTopology.LipsInner.Length];
    private readonly LayerPainter _painter;
    private readonly Vector2[] _sourcePoints;
    private readonly Vector2[] _drivenPoints;
    private readonly Vector2[] _solvedPoints;
    private bool _solved;
    private CharacterRig? _rig;
    private Vector2 _irisRestRight;
    private Vector2 _irisRestLeft;

    /// <summary>
    /// The warp every command, the live server and the jobs use unless told otherwise: the mesh
    /// (measured against the spline in docs/generator.md: no fold-over frames with either; lower
    /// expression and pose distance than before this work on every character, which the spline
    /// misses on the statue's pose; better self-reenactment; faster).
    /// </summary>
    public const WarpKind DefaultWarp = WarpKind.Mesh;

    /// <param name="size">Output side: 256, 512 or 1024 (any size ≥ 16 works).</param>
    /// <param name="intraOpThreads">ONNX Runtime threads; 0 = one a core.</param>
    /// <param name="gridSize">Lattice side G; 0: <see cref="DefaultGridSize"/> (a finer mesh lattice folds more, not less: docs/generator.md).</param>
    /// <param name="withAlpha">Warp the alpha channel too (pictures with transparency); false warps RGB only and reports alpha 1.</param>
    /// <param name="output">Bytes (render: packed 8-bit pixels, see the remarks) or Floats (scoring: <see cref="Output"/>).</param>
    /// <param name="warp">The backward map: the piecewise-affine mesh (<see cref="MeshWarp"/>, <see cref="DefaultWarp"/>) or the limited thin-plate spline.</param>
    public WarpGenerator(int size, int intraOpThreads = 0, int gridSize = 0, bool withAlpha = true, WarpOutput output = WarpOutput.Bytes, WarpKind warp = DefaultWarp)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 16);
        _size = size;
        _channels = withAlpha ? 4 : 3;
        _intraOpThreads = intraOpThreads;
        _gridSize = gridSize > 0 ? gridSize : DefaultGridSize;
        gridSize = _gridSize;
        _outputKind = output;
        _kind = warp;
        _controls = warp == WarpKind.Mesh ? [.. Enumerable.Range(0, TrackingFrame.FaceLandmarkCount)] : FaceTopology.WarpControls.ToArray();
        int k = ControlCountOf(warp);
        int plane = size * size;
        _image = new float[plane * 4];
        _mask = new float[plane];
        _centers = new float[k * 2];
        _centerNorms = new float[k];
        _weights = new float[2 * k];
        if (output == WarpOutput.Floats)
        {
            _scale = 1;
            _output = new float[plane * 4];
            if (_channels == 3)
            {
                _output.AsSpan(3 * plane).Fill(1);
            }
        }
        else
        {
            _scale = 255;
            _offset = 0.5f;
            _canvas = new byte[plane * _channels];
        }

        _spline = new ThinPlateSpline(warp == WarpKind.Mesh ? 3 : k) { Regularization = Smoothing[0] };
        _limiter = new FoldLimiter(warp == WarpKind.Mesh ? 3 : k);
        _map = warp == WarpKind.Mesh ? new float[2 * gridSize * gridSize] : [];
        _mesh = warp == WarpKind.Mesh ? new MeshWarp(k, gridSize) : null;
        int forward = warp == WarpKind.Mesh ? FaceTopology.WarpControls.Length + RingAnchors + BorderAnchors : 3;
        _forward = new ThinPlateSpline(forward) { Regularization = SkirtSmoothing };
        _forwardRest = new Vector2[forward];
        _forwardDriven = new Vector2[forward];
        _forwardIndex = new int[forward];
        _folds = new FoldOverCheck(gridSize);
        _painter = new LayerPainter(size);
        _sourcePoints = new Vector2[k];
        _drivenPoints = new Vector2[k];
        _solvedPoints = new Vector2[k];
    }

    public int Size => _size;

    /// <summary>How the backward map is made (see the constructor).</summary>
    public WarpKind Warp => _kind;

    /// <summary>Lattice side G of the backward map (a <see cref="FoldOverCheck"/> of this side measures it).</summary>
    public int GridSize => _gridSize;

    /// <summary>True when the alpha channel is warped (see the constructor).</summary>
    public bool WithAlpha => _channels == 4;

    /// <summary>
    /// The last frame of <see cref="Generate"/>, planar RGBA floats 0..1 (alpha all 1 without
    /// <see cref="WithAlpha"/>); <see cref="WarpOutput.Floats"/> only. Owned by the generator; overwritten by the next <see cref="Generate"/>.
    /// </summary>
    public ReadOnlySpan<float> Output => _output ?? throw new InvalidOperationException("this generator writes bytes (WarpOutput.Bytes): read Frame, or create it with WarpOutput.Floats");

    /// <summary>
    /// The last frame of <see cref="Generate"/>, packed 8-bit RGB (or RGBA with <see cref="WithAlpha"/>),
    /// Size² pixels; <see cref="WarpOutput.Bytes"/> only. Owned by the generator; overwritten by the
    /// next <see cref="Generate"/> (<see cref="GenerateInto"/> may leave it stale).
    /// </summary>
    public ReadOnlySpan<byte> Frame => _canvas ?? throw new InvalidOperationException("this generator writes floats (WarpOutput.Floats): read Output");

    /// <summary>
    /// Keep the control points from crossing (<see cref="FoldLimiter"/>); on by default. Off only to
    /// measure what it does.
    /// </summary>
    public bool LimitFolds
    {
        get => _limitFolds;
        set
        {
            _limitFolds = value;
            _solved = false;
        }
    }

    /// <summary>
    /// Spline regularization tried in turn while the map still folds inside the face: exact
    /// interpolation first, then smoother fits (kernel units; measured in docs/generator.md).
    /// </summary>
    public static ReadOnlySpan<double> Smoothing => [1e-6, 1e-3, 1e-2, 1e-1];

    /// <summary>
    /// Mesh warp: displacement smoothing passes (<see cref="MeshWarp.Smooth"/>, in all) tried in turn
    /// while its lattice still folds inside the face, before the motion is damped.
    /// </summary>
    public static ReadOnlySpan<int> MeshSmoothing => [2, 8, 32];

    /// <summary>Smallest triangle area ratio (driven/rest) at which the fold test is skipped.</summary>
    public const float CheckBelow = 0.5f;

    /// <summary>Frames so far whose spline had to be smoothed to stop a fold.</summary>
    public long SmoothedFrames { get; private set; }

    /// <summary>Mesh warp: frames so far whose lattice had turned-over cells relaxed (<see cref="MeshWarp.RelaxFolds"/>).</summary>
    public long RelaxedFrames { get; private set; }

    /// <summary>Frames so far whose motion had to be scaled down (to ½, ¼, then none) to stop a fold the smoothest fit kept.</summary>
    public long DampedFrames { get; private set; }

    /// <summary>The spline fitted for the last frame (tests compare the graph with it); <see cref="WarpKind.Spline"/> only.</summary>
    public ThinPlateSpline Spline => _spline;

    public void SetCharacter(CharacterRig rig)
    {
        ArgumentNullException.ThrowIfNull(rig);
        rig.SampleCrop(_size, _image);
        _painter.SetCharacterLips(_image, rig.Neutral);
        rig.WriteAnimationMask(_size, _mask);
        int plane = _size * _size;
        if (_output is not null)
        {
            // Outside the mask's box the frame is the still picture (the mask is 0 there): written once here.
            _image.AsSpan(0, _channels * plane).CopyTo(_output);
        }

        if (_canvas is not null)
        {
            for (int i = 0; i < plane; i++)
            {
                for (int c = 0; c < _channels; c++)
                {
                    _canvas[(i * _channels) + c] = ToByte(_image[(c * plane) + i] * 255f);
                }
            }
        }

        WarpRegion region = WarpRegion.OfMask(_mask, _size);
        if (_session is null || region != _region)
        {
            CreateSession(region);
        }

        // The box's base: keep = mask, add = picture × (1 − mask), both in the graph's units.
        int w = region.Width;
        int area = w * region.Height;
        for (int y = 0; y < region.Height; y++)
        {
            int f = ((region.Top + y) * _size) + region.Left;
            _mask.AsSpan(f, w).CopyTo(_regionMask.AsSpan(y * w, w));
            for (int c = 0; c < _channels; c++)
            {
                for (int x = 0; x < w; x++)
                {
                    _regionStill[(c * area) + (y * w) + x] = (_image[(c * plane) + f + x] * (1 - _mask[f + x]) * _scale) + _offset;
                }
            }
        }

        _painter.SetBase(region, _channels, _scale, _regionMask, _regionStill, _regionKeep, _regionAdd);
        if (_canvas is not null)
        {
            // The still picture's strips beside the box, which the graph concatenates around it.
            int rowBytes = _size * _channels;
            int leftBytes = region.Left * _channels;
            int rightBytes = rowBytes - leftBytes - (w * _channels);
            for (int y = 0; y < region.Height; y++)
            {
                int row = (region.Top + y) * rowBytes;
                _canvas.AsSpan(row, leftBytes).CopyTo(_leftStrip.AsSpan(y * leftBytes, leftBytes));
                _canvas.AsSpan(row + rowBytes - rightBytes, rightBytes).CopyTo(_rightStrip.AsSpan(y * rightBytes, rightBytes));
            }
        }

        if (_scale != 1)
        {
            Span<float> image = _image.AsSpan(0, _channels * plane);
            for (int i = 0; i < image.Length; i++)
            {
                image[i] *= _scale;
            }
        }

        WriteControlPoints(_controls, rig.Neutral, rig.Neutral, _sourcePoints);
        _sourcePoints[^2] = (2 * rig.IrisCenters[0]) - Vector2.One;
        _sourcePoints[^1] = (2 * rig.IrisCenters[1]) - Vector2.One;
        if (_mesh is not null)
        {
            WriteSkirt(rig.Neutral, _sourcePoints.AsSpan(_controls.Length + RingAnchors + BorderAnchors, SkirtPoints));
            ReadOnlySpan<int> subset = FaceTopology.WarpControls;
            for (int i = 0; i < _forwardIndex.Length; i++)
            {
                _forwardIndex[i] = i < subset.Length ? subset[i] : _controls.Length + i - subset.Length;
                _forwardRest[i] = _sourcePoints[_forwardIndex[i]];
            }
        }

        _irisRestRight = IrisRest(rig, right: true);
        _irisRestLeft = IrisRest(rig, right: false);
        Span<bool> pinned = stackalloc bool[_sourcePoints.Length];
        pinned.Slice(_controls.Length, RingAnchors + BorderAnchors).Fill(true);
        if (_mesh is null)
        {
            _limiter.SetRest(_sourcePoints, pinned);
        }
        else
        {
            // The mesh pins the crop's border alone: the ring anchors follow the head, and a ring
            // anchor pushed past its neighbours would flip a triangle the limiter could not reach.
            pinned.Slice(_controls.Length, RingAnchors).Clear();
            _mesh.SetRest(_sourcePoints, pinned);
            _mesh.SetLattice(_region, _size);
        }

        _solved = false;
        _rig = rig;
    }

    /// <summary>The output rectangle the session renders (the animation mask's bounding box).</summary>
    public WarpRegion Region => _region;

    private void CreateSession(WarpRegion region)
    {
        DisposeSession();
        int k = _sourcePoints.Length;
        int plane = _size * _size;
        int area = region.Width * region.Height;
        byte[] model = WarpGraph.Build(_size, k, _gridSize, _channels, region, _outputKind, _kind);
        using (SessionOptions options = InferenceEnvironment.CreateSessionOptions(_intraOpThreads))
        {
            _session = new InferenceSession(model, options);
        }

        _region = region;
        _regionMask = new float[area];
        _regionStill = new float[area * _channels];
        _regionKeep = new float[area];
        _regionAdd = new float[area * _channels];
        var inputs = new List<OrtValue>
        {
            Tensor(_image, _channels * plane, [1, _channels, _size, _size]),
            OrtValue.CreateTensorValueFromMemory(_regionKeep, [1, 1, region.Height, region.Width]),
            OrtValue.CreateTensorValueFromMemory(_regionAdd, [1, _channels, region.Height, region.Width]),
        };
        if (_kind == WarpKind.Mesh)
        {
            inputs.Add(OrtValue.CreateTensorValueFromMemory(_map, [2, _gridSize * _gridSize]));
        }
        else
        {
            inputs.Add(OrtValue.CreateTensorValueFromMemory(_centers, [k, 2]));
            inputs.Add(OrtValue.CreateTensorValueFromMemory(_centerNorms, [k, 1]));
            inputs.Add(OrtValue.CreateTensorValueFromMemory(_weights, [2, k]));
            inputs.Add(OrtValue.CreateTensorValueFromMemory(_affine, [2, 3]));
        }

        var names = new List<string>(WarpGraph.InputNamesOf(_kind));
        if (_canvas is null)
        {
            _regionFloats = new float[area * _channels];
            _regionOutput = OrtValue.CreateTensorValueFromMemory(_regionFloats, [1, _channels, region.Height, region.Width]);
        }
        else
        {
            int right = _size - region.Left - region.Width;
            _leftStrip = new byte[region.Height * region.Left * _channels];
            _rightStrip = new byte[region.Height * right * _channels];
            if (region.Left > 0)
            {
                names.Add(WarpGraph.LeftStrip);
                inputs.Add(OrtValue.CreateTensorValueFromMemory(_leftStrip, [1, region.Height, region.Left, _channels]));
            }

            if (right > 0)
            {
                names.Add(WarpGraph.RightStrip);
                inputs.Add(OrtValue.CreateTensorValueFromMemory(_rightStrip, [1, region.Height, right, _channels]));
            }

            int rowBytes = _size * _channels;
            _regionOutput = OrtValue.CreateTensorValueFromMemory(
                OrtMemoryInfo.DefaultInstance, new Memory<byte>(_canvas, region.Top * rowBytes, region.Height * rowBytes), [1, region.Height, _size, _channels]);
        }

        // Inputs and outputs bound once: a run then allocates nothing (Run() marshals the names each call).
        _inputs = [.. inputs];
        _binding = _session.CreateIoBinding();
        for (int i = 0; i < _inputs.Length; i++)
        {
            _binding.BindInput(names[i], _inputs[i]);
        }
    }

    private void DisposeSession()
    {
        foreach (OrtValue v in _inputs)
        {
            v.Dispose();
        }

        _inputs = [];
        _binding?.Dispose();
        _binding = null;
        _boundOutput = null;
        _regionOutput?.Dispose();
        _regionOutput = null;
        Unbind();
        _session?.Dispose();
        _session = null;
    }

    private void Unbind()
    {
        if (_frameOutput is not null && ReferenceEquals(_boundOutput, _frameOutput))
        {
            _binding!.BindOutput(WarpGraph.Frame, _regionOutput!);
            _boundOutput = _regionOutput;
        }

        _frameOutput?.Dispose();
        _frameOutput = null;
        _boundFrame = null;
    }

    /// <summary>Stopwatch ticks spent so far solving splines (or limiting and rasterizing the mesh), painting layers and in the ORT session.</summary>
    public long SplineTicks { get; private set; }

    /// <inheritdoc cref="SplineTicks"/>
    public long LayerTicks { get; private set; }

    /// <inheritdoc cref="SplineTicks"/>
    public long SessionTicks { get; private set; }

    /// <summary>Renders one frame into <see cref="Frame"/> (bytes) or <see cref="Output"/> (floats).</summary>
    public void Generate(DrivenFace face)
    {
        Render(face, _regionOutput!);
        if (_output is not null)
        {
            // Scoring only: the box into the full planar frame.
            int plane = _size * _size;
            int w = _region.Width;
            int area = w * _region.Height;
            for (int c = 0; c < _channels; c++)
            {
                for (int y = 0; y < _region.Height; y++)
                {
                    _regionFloats.AsSpan((c * area) + (y * w), w).CopyTo(_output.AsSpan((c * plane) + ((_region.Top + y) * _size) + _region.Left, w));
                }
            }
        }
    }

    /// <summary>
    /// Renders one frame into <paramref name="destination"/> at (<paramref name="left"/>, <paramref name="top"/>).
    /// An opaque character in a frame exactly <see cref="Size"/> wide at left 0 is written in place by
    /// ONNX Runtime (the frame's rows are bound as the graph's output; the binding is kept while the
    /// same frame and top come back, so reuse one frame to stay allocation-free); otherwise through
    /// <see cref="Frame"/> and <see cref="CopyTo"/>.
    /// </summary>
    public void GenerateInto(DrivenFace face, VideoFrame destination, int left, int top, (byte R, byte G, byte B) background)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckFits(destination, left, top);
        if (_canvas is null || _channels != 3 || left != 0 || destination.Width != _size)
        {
            Generate(face);
            CopyTo(destination, left, top, background);
            return;
        }

        int rowBytes = _size * 3;
        if (!ReferenceEquals(_boundFrame, destination) || _boundTop != top)
        {
            Unbind();
            _frameOutput = OrtValue.CreateTensorValueFromMemory(
                OrtMemoryInfo.DefaultInstance, destination.Memory.Slice((top + _region.Top) * rowBytes, _region.Height * rowBytes), [1, _region.Height, _size, 3]);
            _boundFrame = destination;
            _boundTop = top;
        }

        Render(face, _frameOutput!);

        // Rows above and below the box: the still picture (a few kB; the caller may have written there).
        int below = _region.Top + _region.Height;
        _canvas.AsSpan(0, _region.Top * rowBytes).CopyTo(destination.Pixels.Slice(top * rowBytes));
        _canvas.AsSpan(below * rowBytes, (_size - below) * rowBytes).CopyTo(destination.Pixels.Slice((top + below) * rowBytes));
    }

    private void Render(DrivenFace face, OrtValue output)
    {
        ArgumentNullException.ThrowIfNull(face);
        CharacterRig rig = _rig ?? throw new InvalidOperationException("SetCharacter must be called before Generate");
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        WriteDrivenPoints(_controls, rig.Neutral, face.Points, _drivenPoints);
        MoveRingWithHead(rig.Neutral, face, _drivenPoints.AsSpan(_controls.Length, RingAnchors));
        _drivenPoints[^2] = DrivenIris(face, _irisRestRight, right: true);
        _drivenPoints[^1] = DrivenIris(face, _irisRestLeft, right: false);
        if (_mesh is not null)
        {
            DriveSkirt();
        }
        if (!_solved || !_drivenPoints.AsSpan().SequenceEqual(_solvedPoints))
        {
            // A held or lost face repeats its points: the spline and the graph's weights stay as they are.
            if (_mesh is null)
            {
                SolveSpline(face);
            }
            else
            {
                SolveMesh(face, _mesh);
            }
        }

        long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        _painter.Paint(face, rig.MouthColor, rig.TeethColor, rig.LidColor, _regionKeep, _regionAdd);
        long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
        if (!ReferenceEquals(_boundOutput, output))
        {
            _binding!.BindOutput(WarpGraph.Frame, output);
            _boundOutput = output;
        }

        _session!.RunWithBinding(_runOptions, _binding!);
        long t3 = System.Diagnostics.Stopwatch.GetTimestamp();
        SplineTicks += t1 - t0;
        LayerTicks += t2 - t1;
        SessionTicks += t3 - t2;
    }

    // Fits the spline from the driven points back to the neutral ones and writes the graph's spline inputs.
    // Where a fold would show, the points are limited and the spline smoothed or the motion damped
    // first (see LimitFolds); the cache keeps the points as driven, before that.
    private void SolveSpline(DrivenFace face)
    {
        _drivenPoints.CopyTo(_solvedPoints, 0);
        _solved = true;
        _spline.Regularization = Smoothing[0];
        if (LimitFolds)
        {
            _limiter.Limit(_drivenPoints);
        }

        _spline.Solve(_drivenPoints, _sourcePoints);

        // The lattice test costs about as much as the spline's evaluation in the graph, so it runs
        // only when the control points' triangles say a fold is possible: one was corrected, or one
        // is squeezed under half its rest area (a stretched triangle, as an opening mouth makes,
        // reads a smaller area of the picture and does not fold).
        if (LimitFolds && (_limiter.Corrected > 0 || _limiter.MinRatio < CheckBelow))
        {
            // The same test as the fold-over metric, on the lattice the graph samples: where the
            // spline still folds between control points, it is solved again, smoother.
            FoldOverCheck.WriteFacePolygons(face.Points, _hull, _innerLips);
            for (int s = 1; s < Smoothing.Length && _folds.Count(_spline, _region, _size, _hull, _innerLips) > 0; s++)
            {
                _spline.Regularization = Smoothing[s];
                _spline.Solve(_drivenPoints, _sourcePoints);
                SmoothedFrames += s == 1 ? 1 : 0;
            }

            // Still folded at the smoothest fit (a face filling the crop, pressed against the
            // pinned border): the motion of this frame is scaled down until it does not.
            for (int step = 1; step <= 3 && _folds.Count(_spline, _region, _size, _hull, _innerLips) > 0; step++)
            {
                DampMotion(step);
                _spline.Solve(_drivenPoints, _sourcePoints);
                DampedFrames += step == 1 ? 1 : 0;
            }
        }

        int k = _drivenPoints.Length;
        ReadOnlySpan<float> w = _spline.Weights;
        for (int i = 0; i < k; i++)
        {
            _centers[i * 2] = -2 * _drivenPoints[i].X;
            _centers[(i * 2) + 1] = -2 * _drivenPoints[i].Y;
            _centerNorms[i] = _drivenPoints[i].LengthSquared();
            _weights[i] = w[i * 2];
            _weights[k + i] = w[(i * 2) + 1];
        }

        for (int j = 0; j < 3; j++)
        {
            _affine[j] = w[(k + j) * 2];
            _affine[3 + j] = w[((k + j) * 2) + 1];
        }
    }

    // The last resort against a fold, for either warp: step 1 and 2 halve this frame's motion, step 3 drops it.
    private void DampMotion(int step)
    {
        float keep = step == 3 ? 0 : 0.5f;
        for (int i = 0; i < _drivenPoints.Length; i++)
        {
            _drivenPoints[i] = _sourcePoints[i] + (keep * (_drivenPoints[i] - _sourcePoints[i]));
        }
    }

    // The skirt's driven places: the forward spline through the spline warp's points, at the skirt's rest places.
    private void DriveSkirt()
    {
        for (int i = 0; i < _forwardIndex.Length; i++)
        {
            _forwardDriven[i] = _drivenPoints[_forwardIndex[i]];
        }

        _forward.Solve(_forwardRest, _forwardDriven);
        int first = _controls.Length + RingAnchors + BorderAnchors;
        for (int i = 0; i < SkirtPoints; i++)
        {
            _drivenPoints[first + i] = _forward.Evaluate(_sourcePoints[first + i]);
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

    /// <summary>Regularization of the mesh skirt's forward spline (kernel units): smooth, it need not pass exactly through the face points.</summary>
    public const double SkirtSmoothing = 1e-3;

    // Limits the driven points so no mesh triangle flips and rasterizes the piecewise-affine map
    // onto the lattice. The lattice only approximates the map between nodes: where the triangles
    // say a fold is possible, the lattice is tested like the spline's, and a frame that still folds
    // is damped like the spline's last resort.
    private void SolveMesh(DrivenFace face, MeshWarp mesh)
    {
        _drivenPoints.CopyTo(_solvedPoints, 0);
        _solved = true;
        if (!LimitFolds)
        {
            mesh.WriteMap(_drivenPoints, _map);
            return;
        }

        mesh.Limit(_drivenPoints);
        mesh.WriteMap(_drivenPoints, _map);
        FoldLimiter limiter = mesh.Limiter;
        if (limiter.Corrected == 0 && limiter.MinRatio >= CheckBelow)
        {
            return;
        }

        // Where the lattice samples the bends of small triangles into a turned-over cell: relaxed
        // there (MeshWarp.RelaxFolds); then, while the test still finds a fold inside the face, the
        // displacements are smoothed over the mesh, then the motion damped, as for the spline.
        RelaxedFrames += mesh.RelaxFolds(_map) > 0 ? 1 : 0;
        FoldOverCheck.WriteFacePolygons(face.Points, _hull, _innerLips);
        int smoothed = 0;
        for (int round = 1; round <= MeshSmoothing.Length && (limiter.MinRatio <= 0 || _folds.Count(_map, _region, _size, _hull, _innerLips) > 0); round++)
        {
            mesh.Smooth(_drivenPoints, MeshSmoothing[round - 1] - smoothed);
            smoothed = MeshSmoothing[round - 1];
            Remap();
            SmoothedFrames += round == 1 ? 1 : 0;
        }

        for (int step = 1; step <= 3 && (limiter.MinRatio <= 0 || _folds.Count(_map, _region, _size, _hull, _innerLips) > 0); step++)
        {
            DampMotion(step);
            Remap();
            DampedFrames += step == 1 ? 1 : 0;
        }

        // The moved points limited again, rasterized, and the lattice relaxed.
        void Remap()
        {
            mesh.Limit(_drivenPoints);
            mesh.WriteMap(_drivenPoints, _map);
            mesh.RelaxFolds(_map);
        }
    }

    /// <summary>
    /// Counts the folded lattice cells of the last frame's backward map with <paramref name="check"/>
    /// (the spline evaluated on the lattice, or the mesh's lattice itself): see <see cref="FoldOverCheck"/>.
    /// </summary>
    public int CountFolds(FoldOverCheck check, ReadOnlySpan<Vector2> inside, ReadOnlySpan<Vector2> outside)
    {
        ArgumentNullException.ThrowIfNull(check);
        return _mesh is null ? check.Count(_spline, _region, _size, inside, outside) : check.Count(_map, _region, _size, inside, outside);
    }

    /// <summary>The control points as the last frame warped them (after limiting), normalized; owned by the generator (tests).</summary>
    public ReadOnlySpan<Vector2> DrivenControlPoints => _drivenPoints;

    /// <summary>The control points at rest (the character's neutral), normalized, in the order of <see cref="DrivenControlPoints"/>.</summary>
    public ReadOnlySpan<Vector2> RestControlPoints => _sourcePoints;

    /// <summary>The mesh warp's lattice of the last frame, planar [2, G²] (<see cref="WarpKind.Mesh"/> only; empty otherwise). Owned by the generator.</summary>
    public ReadOnlySpan<float> MeshMap => _map;

    private void CheckFits(VideoFrame destination, int left, int top)
    {
        if (left < 0 || top < 0 || left + _size > destination.Width || top + _size > destination.Height)
        {
            throw new ArgumentException($"a {_size}² frame does not fit at ({left},{top}) in {destination.Width}x{destination.Height}");
        }
    }

    public void CopyTo(VideoFrame destination, int left, int top, (byte R, byte G, byte B) background)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckFits(destination, left, top);
        ReadOnlySpan<byte> frame = Frame;
        if (_channels == 3)
        {
            // Opaque picture: the rows as they are.
            for (int y = 0; y < _size; y++)
            {
                frame.Slice(y * _size * 3, _size * 3).CopyTo(destination.Row(top + y).Slice(left * 3, _size * 3));
            }

            return;
        }

        for (int y = 0; y < _size; y++)
        {
            Span<byte> row = destination.Row(top + y).Slice(left * 3, _size * 3);
            ReadOnlySpan<byte> src = frame.Slice(y * _size * 4, _size * 4);
            for (int x = 0; x < _size; x++)
            {
                float a = src[(x * 4) + 3] / 255f;
                row[x * 3] = ToByte((src[x * 4] * a) + (background.R * (1 - a)));
                row[(x * 3) + 1] = ToByte((src[(x * 4) + 1] * a) + (background.G * (1 - a)));
                row[(x * 3) + 2] = ToByte((src[(x * 4) + 2] * a) + (background.B * (1 - a)));
            }
        }
    }

    public void CopyRgbaTo(Span<byte> destination)
    {
        int plane = _size * _size;
        if (destination.Length < plane * 4)
        {
            throw new ArgumentException("destination too small", nameof(destination));
        }

        ReadOnlySpan<byte> frame = Frame;
        if (_channels == 4)
        {
            frame.CopyTo(destination);
            return;
        }

        for (int i = 0; i < plane; i++)
        {
            destination[i * 4] = frame[i * 3];
            destination[(i * 4) + 1] = frame[(i * 3) + 1];
            destination[(i * 4) + 2] = frame[(i * 3) + 2];
            destination[(i * 4) + 3] = 255;
        }
    }

    public void Dispose()
    {
        DisposeSession();
        _runOptions.Dispose();
    }

    /// <summary>
    /// Control points in normalized output coordinates (align-corners, [-1, 1]): the mesh subset
    /// taken from <paramref name="points"/>, then the anchors, placed from <paramref name="neutral"/>
    /// and never moved.
    /// </summary>
    public static void WriteControlPoints(ReadOnlySpan<Vector3> neutral, ReadOnlySpan<Vector3> points, Span<Vector2> destination) =>
        WriteControlPoints(FaceTopology.WarpControls, neutral, points, destination);

    /// <summary>As <see cref="WriteControlPoints(ReadOnlySpan{Vector3}, ReadOnlySpan{Vector3}, Span{Vector2})"/> with the face points <paramref name="controls"/> (the mesh warp: all of them).</summary>
    public static void WriteControlPoints(ReadOnlySpan<int> controls, ReadOnlySpan<Vector3> neutral, ReadOnlySpan<Vector3> points, Span<Vector2> destination)
    {
        for (int i = 0; i < controls.Length; i++)
        {
            Vector3 p = points[controls[i]];
            destination[i] = new Vector2((2 * p.X) - 1, (2 * p.Y) - 1);
        }

        WriteAnchors(neutral, destination[controls.Length..]);
    }

    private static void WriteDrivenPoints(ReadOnlySpan<int> controls, ReadOnlySpan<Vector3> neutral, ReadOnlySpan<Vector2> points, Span<Vector2> destination)
    {
        for (int i = 0; i < controls.Length; i++)
        {
            Vector2 p = points[controls[i]];
            destination[i] = new Vector2((2 * p.X) - 1, (2 * p.Y) - 1);
        }

        WriteAnchors(neutral, destination[controls.Length..]);
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

    // A tensor over the first `length` floats of an array we own (pinned by ORT for the OrtValue's life).
    private static OrtValue Tensor(float[] data, int length, long[] shape) =>
        OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(data, 0, length), shape);

    private static byte ToByte(float v) => (byte)Math.Clamp((int)(v + 0.5f), 0, 255);
}
