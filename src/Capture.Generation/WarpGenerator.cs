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
/// character's neutral ones in C#, paints the mouth/teeth/eyelid layers, and runs the
/// <see cref="WarpGraph"/> session (created once, CUDA or CPU as <see cref="InferenceEnvironment"/>
/// decides) on tensors allocated once. Not thread-safe: one frame at a time.
/// </summary>
public sealed class WarpGenerator : ICharacterGenerator
{
    /// <summary>Spline lattice: 64² evaluations are enough for a face's smooth motion and cost ~1 ms.</summary>
    public const int DefaultGridSize = 64;

    /// <summary>Fixed anchors: a ring around the face and the crop's corners and edge midpoints.</summary>
    public const int RingAnchors = 16;

    public const int BorderAnchors = 8;

    /// <summary>How much of the head's rigid motion the upper ring anchors (hair, ears) follow.</summary>
    public const float HeadFollow = 0.5f;

    /// <summary>Control points per frame: the mesh subset plus the fixed anchors.</summary>
    public static int ControlCount => FaceTopology.WarpControls.Length + RingAnchors + BorderAnchors + IrisControls;

    /// <summary>The two iris centres, last among the control points: they carry gaze.</summary>
    public const int IrisControls = 2;

    /// <summary>Largest iris shift drawn, in eye widths (a tracking glitch must not tear the eye).</summary>
    public const float MaxGaze = 0.2f;

    private readonly RunOptions _runOptions = new();
    private readonly int _size;
    private readonly int _channels;
    private readonly int _intraOpThreads;
    private readonly int _gridSize;
    private readonly float[] _image;
    private readonly float[] _mask;
    private readonly float[] _still;
    private readonly float[] _keep;
    private readonly float[] _add;
    private readonly float[] _centers;
    private readonly float[] _centerNorms;
    private readonly float[] _weights;
    private readonly float[] _affine = new float[6];
    private readonly float[] _output;
    private InferenceSession? _session;
    private OrtValue[] _inputs = [];
    private OrtValue[] _outputs = [];
    private WarpRegion _region;
    private float[] _regionKeep = [];
    private float[] _regionAdd = [];
    private float[] _regionOutput = [];
    private readonly string[] _outputNames = [WarpGraph.Frame];
    private readonly ThinPlateSpline _spline;
    private readonly FoldLimiter _limiter;
    private readonly FoldOverCheck _folds;
    private readonly Vector2[] _hull = new Vector2[FaceTopology.FaceOval.Length];
    private readonly Vector2[] _innerLips = new Vector2[FaceTopology.LipsInner.Length];
    private readonly LayerPainter _painter;
    private readonly Vector2[] _sourcePoints;
    private readonly Vector2[] _drivenPoints;
    private CharacterRig? _rig;
    private Vector2 _irisRestRight;
    private Vector2 _irisRestLeft;

    /// <param name="size">Output side: 256, 512 or 1024 (any size ≥ 16 works).</param>
    /// <param name="intraOpThreads">ONNX Runtime threads; 0 = one a core.</param>
    /// <param name="gridSize">Spline lattice side G.</param>
    /// <param name="withAlpha">Warp the alpha channel too (pictures with transparency); false warps RGB only and reports alpha 1.</param>
    public WarpGenerator(int size, int intraOpThreads = 0, int gridSize = DefaultGridSize, bool withAlpha = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 16);
        _size = size;
        _channels = withAlpha ? 4 : 3;
        _intraOpThreads = intraOpThreads;
        _gridSize = gridSize;
        int k = ControlCount;
        int plane = size * size;
        _image = new float[plane * 4];
        _mask = new float[plane];
        _still = new float[plane * 4];
        _keep = new float[plane];
        _add = new float[plane * 4];
        _centers = new float[k * 2];
        _centerNorms = new float[k];
        _weights = new float[2 * k];
        _output = new float[plane * 4];
        if (_channels == 3)
        {
            _output.AsSpan(3 * plane).Fill(1);
        }
        _spline = new ThinPlateSpline(k) { Regularization = Smoothing[0] };
        _limiter = new FoldLimiter(k);
        _folds = new FoldOverCheck(gridSize);
        _painter = new LayerPainter(size);
        _sourcePoints = new Vector2[k];
        _drivenPoints = new Vector2[k];
    }

    public int Size => _size;

    /// <summary>True when the alpha channel is warped (see the constructor).</summary>
    public bool WithAlpha => _channels == 4;

    /// <summary>The last frame, planar RGBA floats 0..1 (alpha all 1 without <see cref="WithAlpha"/>). Owned by the generator; overwritten by the next <see cref="Generate"/>.</summary>
    public ReadOnlySpan<float> Output => _output;

    /// <summary>
    /// Keep the control points from crossing (<see cref="FoldLimiter"/>); on by default. Off only to
    /// measure what it does.
    /// </summary>
    public bool LimitFolds { get; set; } = true;

    /// <summary>
    /// Spline regularization tried in turn while the map still folds inside the face: exact
    /// interpolation first, then smoother fits (kernel units; measured in docs/generator.md).
    /// </summary>
    public static ReadOnlySpan<double> Smoothing => [1e-6, 1e-3, 1e-2, 1e-1];

    /// <summary>Smallest triangle area ratio (driven/rest) at which the fold test is skipped.</summary>
    public const float CheckBelow = 0.5f;

    /// <summary>Frames so far whose spline had to be smoothed to stop a fold.</summary>
    public long SmoothedFrames { get; private set; }

    /// <summary>Frames so far whose motion had to be scaled down (to ½, ¼, then none) to stop a fold the smoothest fit kept.</summary>
    public long DampedFrames { get; private set; }

    /// <summary>The spline fitted for the last frame (tests compare the graph with it).</summary>
    public ThinPlateSpline Spline => _spline;

    public void SetCharacter(CharacterRig rig)
    {
        ArgumentNullException.ThrowIfNull(rig);
        rig.SampleCrop(_size, _image);
        rig.WriteAnimationMask(_size, _mask);
        _painter.SetCharacterLips(_image, rig.Neutral);
        int plane = _size * _size;
        for (int c = 0; c < 4; c++)
        {
            for (int i = 0; i < plane; i++)
            {
                _still[(c * plane) + i] = _image[(c * plane) + i] * (1 - _mask[i]);
            }
        }

        _painter.SetBase(_mask, _still, _keep, _add);

        // Outside the mask's bounding box the frame is the still picture: written once here, and
        // the session renders only the box.
        _add.AsSpan(0, _channels * plane).CopyTo(_output);
        WarpRegion region = WarpRegion.OfMask(_mask, _size);
        if (_session is null || region != _region)
        {
            CreateSession(region);
        }

        int k = ControlCount;
        WriteControlPoints(rig.Neutral, rig.Neutral, _sourcePoints);
        _sourcePoints[^2] = (2 * rig.IrisCenters[0]) - Vector2.One;
        _sourcePoints[^1] = (2 * rig.IrisCenters[1]) - Vector2.One;
        _irisRestRight = IrisRest(rig, right: true);
        _irisRestLeft = IrisRest(rig, right: false);
        Span<bool> pinned = stackalloc bool[k];
        pinned.Slice(FaceTopology.WarpControls.Length, RingAnchors + BorderAnchors).Fill(true);
        _limiter.SetRest(_sourcePoints, pinned);
        _rig = rig;
    }

    /// <summary>The output rectangle the session renders (the animation mask's bounding box).</summary>
    public WarpRegion Region => _region;

    private void CreateSession(WarpRegion region)
    {
        DisposeSession();
        int k = ControlCount;
        int plane = _size * _size;
        int area = region.Width * region.Height;
        byte[] model = WarpGraph.Build(_size, k, _gridSize, _channels, region);
        using (SessionOptions options = InferenceEnvironment.CreateSessionOptions(_intraOpThreads))
        {
            _session = new InferenceSession(model, options);
        }

        _region = region;
        _regionKeep = new float[area];
        _regionAdd = new float[area * _channels];
        _regionOutput = new float[area * _channels];
        _inputs =
        [
            Tensor(_image, _channels * plane, [1, _channels, _size, _size]),
            OrtValue.CreateTensorValueFromMemory(_regionKeep, [1, 1, region.Height, region.Width]),
            OrtValue.CreateTensorValueFromMemory(_regionAdd, [1, _channels, region.Height, region.Width]),
            OrtValue.CreateTensorValueFromMemory(_centers, [k, 2]),
            OrtValue.CreateTensorValueFromMemory(_centerNorms, [k, 1]),
            OrtValue.CreateTensorValueFromMemory(_weights, [2, k]),
            OrtValue.CreateTensorValueFromMemory(_affine, [2, 3]),
        ];
        _outputs = [OrtValue.CreateTensorValueFromMemory(_regionOutput, [1, _channels, region.Height, region.Width])];
    }

    // Copies the region's rows between a full S×S planar buffer and a region-sized one.
    private void CopyRegion(float[] full, float[] part, int channels, bool toPart)
    {
        int plane = _size * _size;
        int w = _region.Width;
        int area = w * _region.Height;
        for (int c = 0; c < channels; c++)
        {
            for (int y = 0; y < _region.Height; y++)
            {
                Span<float> f = full.AsSpan((c * plane) + ((_region.Top + y) * _size) + _region.Left, w);
                Span<float> p = part.AsSpan((c * area) + (y * w), w);
                if (toPart)
                {
                    f.CopyTo(p);
                }
                else
                {
                    p.CopyTo(f);
                }
            }
        }
    }

    private void DisposeSession()
    {
        foreach (OrtValue v in _inputs)
        {
            v.Dispose();
        }

        foreach (OrtValue v in _outputs)
        {
            v.Dispose();
        }

        _inputs = [];
        _outputs = [];
        _session?.Dispose();
        _session = null;
    }

    /// <summary>Stopwatch ticks spent so far solving splines, painting layers and in the ORT session.</summary>
    public long SplineTicks { get; private set; }

    /// <inheritdoc cref="SplineTicks"/>
    public long LayerTicks { get; private set; }

    /// <inheritdoc cref="SplineTicks"/>
    public long SessionTicks { get; private set; }

    public void Generate(DrivenFace face)
    {
        ArgumentNullException.ThrowIfNull(face);
        CharacterRig rig = _rig ?? throw new InvalidOperationException("SetCharacter must be called before Generate");
        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        WriteDrivenPoints(rig.Neutral, face.Points, _drivenPoints);
        MoveRingWithHead(rig.Neutral, face, _drivenPoints.AsSpan(FaceTopology.WarpControls.Length, RingAnchors));
        _drivenPoints[^2] = DrivenIris(face, _irisRestRight, right: true);
        _drivenPoints[^1] = DrivenIris(face, _irisRestLeft, right: false);
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
                float keep = step == 3 ? 0 : 0.5f;
                for (int i = 0; i < _drivenPoints.Length; i++)
                {
                    _drivenPoints[i] = _sourcePoints[i] + (keep * (_drivenPoints[i] - _sourcePoints[i]));
                }

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

        long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        _painter.Paint(face, rig.MouthColor, rig.TeethColor, rig.LidColor, _keep, _add);
        CopyRegion(_keep, _regionKeep, 1, toPart: true);
        CopyRegion(_add, _regionAdd, _channels, toPart: true);
        long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
        _session!.Run(_runOptions, WarpGraph.InputNames, _inputs, _outputNames, _outputs);
        long t3 = System.Diagnostics.Stopwatch.GetTimestamp();
        CopyRegion(_output, _regionOutput, _channels, toPart: false);
        long t4 = System.Diagnostics.Stopwatch.GetTimestamp();
        SplineTicks += t1 - t0;
        LayerTicks += t2 - t1;
        SessionTicks += t3 - t2;
        LayerTicks += t4 - t3;
    }

    public void CopyTo(VideoFrame destination, int left, int top, (byte R, byte G, byte B) background)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (left < 0 || top < 0 || left + _size > destination.Width || top + _size > destination.Height)
        {
            throw new ArgumentException($"a {_size}² frame does not fit at ({left},{top}) in {destination.Width}x{destination.Height}");
        }

        int plane = _size * _size;
        ReadOnlySpan<float> o = _output;
        if (_channels == 3)
        {
            // Opaque picture: no blend with the background.
            for (int y = 0; y < _size; y++)
            {
                Span<byte> row = destination.Row(top + y).Slice(left * 3, _size * 3);
                ReadOnlySpan<float> r = o.Slice(y * _size, _size);
                ReadOnlySpan<float> g = o.Slice(plane + (y * _size), _size);
                ReadOnlySpan<float> b = o.Slice((2 * plane) + (y * _size), _size);
                for (int x = 0; x < _size; x++)
                {
                    row[x * 3] = ToByte(r[x] * 255f);
                    row[(x * 3) + 1] = ToByte(g[x] * 255f);
                    row[(x * 3) + 2] = ToByte(b[x] * 255f);
                }
            }

            return;
        }

        for (int y = 0; y < _size; y++)
        {
            Span<byte> row = destination.Row(top + y).Slice(left * 3, _size * 3);
            int s = y * _size;
            for (int x = 0; x < _size; x++)
            {
                int i = s + x;
                float a = Math.Clamp(o[(3 * plane) + i], 0, 1);
                row[x * 3] = ToByte((o[i] * a * 255f) + (background.R * (1 - a)));
                row[(x * 3) + 1] = ToByte((o[plane + i] * a * 255f) + (background.G * (1 - a)));
                row[(x * 3) + 2] = ToByte((o[(2 * plane) + i] * a * 255f) + (background.B * (1 - a)));
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

        for (int i = 0; i < plane; i++)
        {
            for (int c = 0; c < 4; c++)
            {
                destination[(i * 4) + c] = ToByte(_output[(c * plane) + i] * 255f);
            }
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
    public static void WriteControlPoints(ReadOnlySpan<Vector3> neutral, ReadOnlySpan<Vector3> points, Span<Vector2> destination)
    {
        ReadOnlySpan<int> controls = FaceTopology.WarpControls;
        for (int i = 0; i < controls.Length; i++)
        {
            Vector3 p = points[controls[i]];
            destination[i] = new Vector2((2 * p.X) - 1, (2 * p.Y) - 1);
        }

        WriteAnchors(neutral, destination[controls.Length..]);
    }

    private static void WriteDrivenPoints(ReadOnlySpan<Vector3> neutral, ReadOnlySpan<Vector2> points, Span<Vector2> destination)
    {
        ReadOnlySpan<int> controls = FaceTopology.WarpControls;
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
