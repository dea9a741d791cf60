using System.Numerics;
using Capture.Core.Frames;
using Capture.Inference;
using Capture.Retargeting.Body;
using Capture.Retargeting;
using Capture.Retargeting.Rigs;
using Microsoft.ML.OnnxRuntime;

namespace Capture.Generation;

/// <summary>
/// The embedded generator: its backward map (<see cref="IBackwardMap"/>: the face mesh by default, or
/// the limited thin-plate spline) writes the lattice's inputs, the generator paints the
/// mouth/teeth/eyelid layers and runs the <see cref="WarpGraph"/> session (created once, CUDA or CPU
/// as <see cref="InferenceEnvironment"/> decides) on tensors allocated once. The generator owns the
/// graph, the layers and the buffers; the map owns only its own state. Not thread-safe: one frame at a time.
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

    private readonly RunOptions _runOptions = new();
    private readonly int _size;
    private readonly int _width;
    private readonly int _height;
    private readonly int _channels;
    private readonly int _intraOpThreads;
    private readonly int _gridSize;
    private readonly WarpOutput _outputKind;
    private readonly IBackwardMap _map;

    // 1 for floats; 255 for bytes, so the graph computes byte levels directly (+0.5 in add: the Cast truncates).
    private readonly float _scale;
    private readonly float _offset;
    private readonly float[] _image;
    private readonly float[] _mask;
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
    private readonly LayerPainter _painter;
    private CharacterRig? _rig;

    // Body mode (ForBody): the filled background behind the figure, and the character.
    private readonly float[] _background = [];
    private BodyCharacter? _body;

    // Body mode: the frame's box the graph warps this run (top, left, bottom, right; bound as the graph's
    // `box` input), and the frame without the figure and with the layers at rest (its `still` input, bytes).
    private readonly long[] _box = new long[4];
    private byte[] _still = [];

    // Body mode with an alpha plane (ForBody withAlpha): the graph's FrameAlpha output, bound once to this plane.
    private readonly byte[]? _alphaPlane;
    private OrtValue? _alphaOutput;

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
        : this(size, size, withAlpha ? 4 : 3, intraOpThreads, gridSize > 0 ? gridSize : DefaultGridSize, output, warp == WarpKind.Body ? throw new ArgumentException("a body generator is made with WarpGenerator.ForBody", nameof(warp))
            : warp == WarpKind.Mesh ? new FaceMeshMap(gridSize > 0 ? gridSize : DefaultGridSize) : new SplineMap(gridSize > 0 ? gridSize : DefaultGridSize))
    {
    }

    private WarpGenerator(int width, int height, int channels, int intraOpThreads, int gridSize, WarpOutput output, IBackwardMap map, bool alphaPlane = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 16);
        _size = width;
        _width = width;
        _height = height;
        _channels = channels;
        _intraOpThreads = intraOpThreads;
        _gridSize = gridSize;
        _outputKind = output;
        _map = map;
        int plane = width * height;
        _image = new float[plane * 4];
        _mask = new float[plane];
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

        _painter = new LayerPainter(width, height);
        if (map is BodyMeshMap)
        {
            _background = new float[plane * 3];
            _alphaPlane = alphaPlane ? new byte[plane] : null;
        }
    }

    /// <summary>
    /// A generator for characters whose body moves (<see cref="SetCharacter(BodyCharacter)"/>): a
    /// <paramref name="width"/>×<paramref name="height"/> output (<see cref="BodyCharacter.OutputSize"/>),
    /// RGB, the body's skinned mesh with the face mesh riding on its head (<see cref="BodyMeshMap"/>),
    /// the figure over its filled background, in the one warp graph (<see cref="WarpGraph.BuildBody"/>).
    /// </summary>
    /// <param name="withAlpha">
    /// Also give each frame's alpha (the figure's opacity, 0 where no figure is: <see cref="CopyAlphaTo"/>), a second
    /// output of the same graph (live sessions, whose viewers stand the figure on their own background); bytes only.
    /// Off for renders that only want the composite (its cost: docs/live.md "Body sessions").
    /// </param>
    public static WarpGenerator ForBody(int width, int height, int intraOpThreads = 0, WarpOutput output = WarpOutput.Bytes, bool withAlpha = false)
    {
        if (withAlpha && output != WarpOutput.Bytes)
        {
            throw new ArgumentException("a body generator's alpha comes with byte output (WarpOutput.Bytes)", nameof(withAlpha));
        }

        return new(width, height, 3, intraOpThreads, DefaultGridSize, output, new BodyMeshMap(), withAlpha);
    }

    /// <summary>Output width (a face crop's side; a body character's frame width).</summary>
    public int Size => _size;

    /// <summary>Output width in pixels.</summary>
    public int Width => _width;

    /// <summary>Output height in pixels (<see cref="Size"/> for a face crop).</summary>
    public int Height => _height;

    /// <summary>How the backward map is made (see the constructor).</summary>
    public WarpKind Warp => _map.Kind;

    /// <summary>The backward map: its fold counters, its lattice or spline (tests), <see cref="IBackwardMap.LimitFolds"/>.</summary>
    public IBackwardMap Map => _map;

    /// <summary>Lattice side G of the backward map (a <see cref="FoldOverCheck"/> of this side measures it).</summary>
    public int GridSize => _gridSize;

    /// <summary>True when frames have an alpha: the picture's alpha channel warped (see the constructor), or a body generator's alpha plane (<see cref="ForBody"/>).</summary>
    public bool WithAlpha => _channels == 4 || _alphaPlane is not null;

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

    public void SetCharacter(CharacterRig rig)
    {
        ArgumentNullException.ThrowIfNull(rig);
        if (_map is BodyMeshMap)
        {
            throw new InvalidOperationException("this generator animates bodies: give it a BodyCharacter");
        }

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

        _map.SetCharacter(WarpTarget.OfFace(rig, _region, _size));
        _rig = rig;
    }

    /// <summary>
    /// Prepares a body character (generators made with <see cref="ForBody"/>): the figure (its colour
    /// premultiplied by its mask) and the filled background sampled at the output size over the
    /// character's frame, transparent parts of the background over <paramref name="matte"/>, the body
    /// map's mesh and the face's lip colours. Not per frame.
    /// </summary>
    public void SetCharacter(BodyCharacter character, (byte R, byte G, byte B) matte = default)
    {
        ArgumentNullException.ThrowIfNull(character);
        if (_map is not BodyMeshMap bodyMap)
        {
            throw new InvalidOperationException("this generator animates faces: make a body generator with WarpGenerator.ForBody");
        }

        int w = _width, h = _height, plane = w * h;
        Vector4 f = character.Frame;
        FigurePicture(character).SampleRect(f.X, f.Y, f.Z, f.W, w, h, _image);
        _image.AsSpan(3 * plane, plane).CopyTo(_mask);
        var background = new float[plane * 4];
        character.Background.SampleRect(f.X, f.Y, f.Z, f.W, w, h, background);
        var m = new Vector3(matte.R, matte.G, matte.B) / 255f;
        for (int i = 0; i < plane; i++)
        {
            float a = background[(3 * plane) + i];
            for (int c = 0; c < 3; c++)
            {
                _background[(c * plane) + i] = ((background[(c * plane) + i] * a) + (m[c] * (1 - a))) * _scale;
            }
        }

        bodyMap.SetCharacter(new WarpTarget(character.Face, character, new WarpRegion(0, 0, w, h), w, h, _mask));
        _painter.FaceSide = bodyMap.FaceSide;
        if (character.Face is not null)
        {
            _painter.SetCharacterLips(_image, bodyMap.FrameNeutral);
        }

        CreateBodySession(bodyMap);
        _regionMask.AsSpan().Fill(1);
        _regionStill.AsSpan().Fill(_offset);
        _painter.SetBase(_region, 3, _scale, _regionMask, _regionStill, _regionKeep, _regionAdd);
        for (int i = 0; i < 3 * plane; i++)
        {
            _image[i] *= _scale;
        }

        // Outside the figure's box the graph's sum is background·1 + add at rest (coverage 0, no layer):
        // the same float sum, clipped and truncated as the graph's Cast does.
        if (_canvas is not null)
        {
            for (int i = 0; i < plane; i++)
            {
                for (int c = 0; c < 3; c++)
                {
                    _still[(i * 3) + c] = (byte)Math.Clamp((_background[(c * plane) + i] * _regionMask[i]) + _regionStill[(c * plane) + i], 0f, 255f);
                }
            }
        }

        _body = character;
        _rig = character.Face;
    }

    // The picture's colour premultiplied by the figure's mask, the mask as alpha (where the picture
    // itself is transparent, the figure is too): sampled, the figure's edge blends over the background.
    private static RgbaImage FigurePicture(BodyCharacter character)
    {
        RgbaImage picture = character.Picture;
        var figure = new RgbaImage(picture.Width, picture.Height, hasAlpha: true);
        byte[] src = picture.Pixels, dst = figure.Pixels;
        for (int i = 0; i < character.Mask.Length; i++)
        {
            int a = character.Mask[i] * src[(i * 4) + 3] / 255;
            dst[i * 4] = (byte)((src[i * 4] * a) / 255);
            dst[(i * 4) + 1] = (byte)((src[(i * 4) + 1] * a) / 255);
            dst[(i * 4) + 2] = (byte)((src[(i * 4) + 2] * a) / 255);
            dst[(i * 4) + 3] = (byte)a;
        }

        return figure;
    }

    private void CreateBodySession(BodyMeshMap map)
    {
        DisposeSession();
        int w = _width, h = _height, plane = w * h;
        byte[] model = WarpGraph.BuildBody(w, h, map.GridSize, map.GridHeight, _outputKind, _alphaPlane is not null);
        using (SessionOptions options = InferenceEnvironment.CreateSessionOptions(_intraOpThreads))
        {
            _session = new InferenceSession(model, options);
        }

        _region = new WarpRegion(0, 0, w, h);
        _regionMask = new float[plane];
        _regionStill = new float[plane * 3];
        _regionKeep = new float[plane];
        _regionAdd = new float[plane * 3];
        var names = new List<string> { WarpGraph.Image, WarpGraph.Background, WarpGraph.Keep, WarpGraph.Add };
        var inputs = new List<OrtValue>
        {
            OrtValue.CreateTensorValueFromMemory(_image, [1, 4, h, w]),
            OrtValue.CreateTensorValueFromMemory(_background, [1, 3, h, w]),
            OrtValue.CreateTensorValueFromMemory(_regionKeep, [1, 1, h, w]),
            OrtValue.CreateTensorValueFromMemory(_regionAdd, [1, 3, h, w]),
        };
        foreach (MapInput input in map.Inputs)
        {
            names.Add(input.Name);
            inputs.Add(OrtValue.CreateTensorValueFromMemory(input.Buffer, input.Shape));
        }

        names.Add(WarpGraph.Box);
        inputs.Add(OrtValue.CreateTensorValueFromMemory(_box, [4]));
        if (_canvas is not null)
        {
            _still = new byte[plane * 3];
            names.Add(WarpGraph.Still);
            inputs.Add(OrtValue.CreateTensorValueFromMemory(_still, [1, h, w, 3]));
        }

        if (_canvas is null)
        {
            _regionFloats = new float[plane * 3];
            _regionOutput = OrtValue.CreateTensorValueFromMemory(_regionFloats, [1, 3, h, w]);
        }
        else
        {
            _regionOutput = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<byte>(_canvas), [1, h, w, 3]);
        }

        _inputs = [.. inputs];
        _binding = _session.CreateIoBinding();
        for (int i = 0; i < _inputs.Length; i++)
        {
            _binding.BindInput(names[i], _inputs[i]);
        }

        if (_alphaPlane is not null)
        {
            // Bound once, like the inputs: every run writes the plane in place (the frame output may be rebound per destination).
            _alphaOutput = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<byte>(_alphaPlane), [1, h, w]);
            _binding.BindOutput(WarpGraph.FrameAlpha, _alphaOutput);
        }
    }

    /// <summary>The output rectangle the session renders (the animation mask's bounding box).</summary>
    public WarpRegion Region => _region;

    private void CreateSession(WarpRegion region)
    {
        DisposeSession();
        int plane = _size * _size;
        int area = region.Width * region.Height;
        byte[] model = WarpGraph.Build(_size, _map.ControlCount, _gridSize, _channels, region, _outputKind, _map.Kind);
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
        var names = new List<string> { WarpGraph.Image, WarpGraph.Keep, WarpGraph.Add };
        foreach (MapInput input in _map.Inputs)
        {
            names.Add(input.Name);
            inputs.Add(OrtValue.CreateTensorValueFromMemory(input.Buffer, input.Shape));
        }

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
        _alphaOutput?.Dispose();
        _alphaOutput = null;
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

    /// <summary>Stopwatch ticks spent so far in the backward map (solving the spline, or limiting and rasterizing the mesh), painting layers and in the ORT session.</summary>
    public long MapTicks { get; private set; }

    /// <inheritdoc cref="MapTicks"/>
    public long LayerTicks { get; private set; }

    /// <inheritdoc cref="MapTicks"/>
    public long SessionTicks { get; private set; }

    /// <summary>Renders one frame into <see cref="Frame"/> (bytes) or <see cref="Output"/> (floats).</summary>
    public void Generate(DrivenFace face) => Generate(face, null);

    /// <summary>
    /// Renders one frame into <see cref="Frame"/> (bytes) or <see cref="Output"/> (floats); a body
    /// generator (<see cref="ForBody"/>) needs <paramref name="body"/>, a face generator ignores it.
    /// </summary>
    public void Generate(DrivenFace face, DrivenBody? body)
    {
        Render(face, body, _regionOutput!);
        if (_output is not null)
        {
            // Scoring only: the box into the full planar frame.
            int plane = _width * _height;
            int w = _region.Width;
            int area = w * _region.Height;
            for (int c = 0; c < (_body is null ? _channels : 3); c++)
            {
                for (int y = 0; y < _region.Height; y++)
                {
                    _regionFloats.AsSpan((c * area) + (y * w), w).CopyTo(_output.AsSpan((c * plane) + ((_region.Top + y) * _width) + _region.Left, w));
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
    public void GenerateInto(DrivenFace face, VideoFrame destination, int left, int top, (byte R, byte G, byte B) background) =>
        GenerateInto(face, null, destination, left, top, background);

    /// <summary>As <see cref="GenerateInto(DrivenFace, VideoFrame, int, int, ValueTuple{byte, byte, byte})"/>, with the driven body for a body generator.</summary>
    public void GenerateInto(DrivenFace face, DrivenBody? body, VideoFrame destination, int left, int top, (byte R, byte G, byte B) background)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckFits(destination, left, top);
        if (_canvas is null || _channels != 3 || left != 0 || destination.Width != _width)
        {
            Generate(face, body);
            CopyTo(destination, left, top, background);
            return;
        }

        int rowBytes = _width * 3;
        if (!ReferenceEquals(_boundFrame, destination) || _boundTop != top)
        {
            Unbind();
            _frameOutput = OrtValue.CreateTensorValueFromMemory(
                OrtMemoryInfo.DefaultInstance, destination.Memory.Slice((top + _region.Top) * rowBytes, _region.Height * rowBytes), [1, _region.Height, _width, 3]);
            _boundFrame = destination;
            _boundTop = top;
        }

        Render(face, body, _frameOutput!);

        // Rows above and below the box: the still picture (a few kB; the caller may have written there).
        int below = _region.Top + _region.Height;
        _canvas.AsSpan(0, _region.Top * rowBytes).CopyTo(destination.Pixels.Slice(top * rowBytes));
        _canvas.AsSpan(below * rowBytes, (_height - below) * rowBytes).CopyTo(destination.Pixels.Slice((top + below) * rowBytes));
    }

    private void Render(DrivenFace face, DrivenBody? body, OrtValue output)
    {
        ArgumentNullException.ThrowIfNull(face);
        if (_rig is null && _body is null)
        {
            throw new InvalidOperationException("SetCharacter must be called before Generate");
        }

        long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
        DrivenFace painted = face;
        if (_map is BodyMeshMap bodyMap)
        {
            ArgumentNullException.ThrowIfNull(body, nameof(body));
            bodyMap.Update(face, body);
            painted = bodyMap.FrameFace;
        }
        else
        {
            _map.Update(face, null);
        }

        long t1 = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_rig is { } rig)
        {
            _painter.Paint(painted, rig.MouthColor, rig.TeethColor, rig.LidColor, _regionKeep, _regionAdd);
        }

        if (_map is BodyMeshMap drawn)
        {
            SetBox(drawn);
        }

        long t2 = System.Diagnostics.Stopwatch.GetTimestamp();
        if (!ReferenceEquals(_boundOutput, output))
        {
            _binding!.BindOutput(WarpGraph.Frame, output);
            _boundOutput = output;
        }

        _session!.RunWithBinding(_runOptions, _binding!);
        long t3 = System.Diagnostics.Stopwatch.GetTimestamp();
        MapTicks += t1 - t0;
        LayerTicks += t2 - t1;
        SessionTicks += t3 - t2;
    }

    /// <summary>
    /// Body generators: warp the whole frame every run instead of the figure's box (the same pixels,
    /// up to float rounding: tests hold the two together; off by default).
    /// </summary>
    public bool WholeFrame { get; set; }

    /// <summary>Body generators: the last run's box (top, left, bottom, right; ends exclusive), what the graph warped.</summary>
    public (int Top, int Left, int Bottom, int Right) LastBox => ((int)_box[0], (int)_box[1], (int)_box[2], (int)_box[3]);

    // The box the body graph warps: every lattice cell with a covered corner (outside them the coverage the
    // graph interpolates is exactly 0) and the rectangles the painter wrote layers into (outside them keep
    // and add are at rest), so outside the box the frame is the still one. Floats output: the whole frame.
    private void SetBox(BodyMeshMap map)
    {
        int w = _width, h = _height;
        if (WholeFrame || _canvas is null)
        {
            _box[0] = 0;
            _box[1] = 0;
            _box[2] = h;
            _box[3] = w;
            return;
        }

        ReadOnlySpan<float> coverage = map.Covered;
        int gw = map.GridSize, gh = map.GridHeight;
        int gx0 = gw, gy0 = gh, gx1 = -1, gy1 = -1;
        for (int gy = 0; gy < gh; gy++)
        {
            ReadOnlySpan<float> row = coverage.Slice(gy * gw, gw);
            int first = row.IndexOfAnyExcept(0f);
            if (first < 0)
            {
                continue;
            }

            gx0 = Math.Min(gx0, first);
            gx1 = Math.Max(gx1, row.LastIndexOfAnyExcept(0f));
            gy0 = Math.Min(gy0, gy);
            gy1 = gy;
        }

        // Lattice node i sits at pixel i·(n − 1)/(G − 1); the cells either side of a covered node are covered in part.
        float sx = (w - 1) / (float)(gw - 1), sy = (h - 1) / (float)(gh - 1);
        int left = w, top = h, right = 0, bottom = 0;
        if (gx1 >= 0)
        {
            left = (int)MathF.Floor((gx0 - 1) * sx);
            right = (int)MathF.Ceiling((gx1 + 1) * sx) + 1;
            top = (int)MathF.Floor((gy0 - 1) * sy);
            bottom = (int)MathF.Ceiling((gy1 + 1) * sy) + 1;
        }

        if (_painter.PaintedBounds() is (int X0, int Y0, int X1, int Y1) painted)
        {
            left = Math.Min(left, painted.X0);
            top = Math.Min(top, painted.Y0);
            right = Math.Max(right, painted.X1 + 1);
            bottom = Math.Max(bottom, painted.Y1 + 1);
        }

        // Clamped to the frame, at least 2×2 (the graph's Resize needs two pixels a side).
        left = Math.Clamp(left, 0, w - 2);
        top = Math.Clamp(top, 0, h - 2);
        _box[0] = top;
        _box[1] = left;
        _box[2] = Math.Clamp(bottom, top + 2, h);
        _box[3] = Math.Clamp(right, left + 2, w);
    }

    private void CheckFits(VideoFrame destination, int left, int top)
    {
        if (left < 0 || top < 0 || left + _width > destination.Width || top + _height > destination.Height)
        {
            throw new ArgumentException($"a {_width}x{_height} frame does not fit at ({left},{top}) in {destination.Width}x{destination.Height}");
        }
    }

    public void CopyTo(VideoFrame destination, int left, int top, (byte R, byte G, byte B) background)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckFits(destination, left, top);
        ReadOnlySpan<byte> frame = Frame;
        int w = _width;
        if (_channels == 3)
        {
            // Opaque picture: the rows as they are.
            for (int y = 0; y < _height; y++)
            {
                frame.Slice(y * w * 3, w * 3).CopyTo(destination.Row(top + y).Slice(left * 3, w * 3));
            }

            return;
        }

        for (int y = 0; y < _height; y++)
        {
            Span<byte> row = destination.Row(top + y).Slice(left * 3, w * 3);
            ReadOnlySpan<byte> src = frame.Slice(y * w * 4, w * 4);
            for (int x = 0; x < w; x++)
            {
                float a = src[(x * 4) + 3] / 255f;
                row[x * 3] = ToByte((src[x * 4] * a) + (background.R * (1 - a)));
                row[(x * 3) + 1] = ToByte((src[(x * 4) + 1] * a) + (background.G * (1 - a)));
                row[(x * 3) + 2] = ToByte((src[(x * 4) + 2] * a) + (background.B * (1 - a)));
            }
        }
    }

    /// <summary>
    /// Copies the last frame's colour into <paramref name="destination"/> at (left, top) as it was warped, alpha ignored:
    /// a cut-out character's own picture, background included (<see cref="CopyAlphaTo"/> gives the figure).
    /// </summary>
    public void CopyColourTo(VideoFrame destination, int left, int top)
    {
        ArgumentNullException.ThrowIfNull(destination);
        CheckFits(destination, left, top);
        if (_channels == 3)
        {
            CopyTo(destination, left, top, default);
            return;
        }

        ReadOnlySpan<byte> frame = Frame;
        int w = _width;
        for (int y = 0; y < _height; y++)
        {
            Span<byte> row = destination.Row(top + y).Slice(left * 3, w * 3);
            ReadOnlySpan<byte> src = frame.Slice(y * w * 4, w * 4);
            for (int x = 0; x < w; x++)
            {
                row[x * 3] = src[x * 4];
                row[(x * 3) + 1] = src[(x * 4) + 1];
                row[(x * 3) + 2] = src[(x * 4) + 2];
            }
        }
    }

    /// <summary>
    /// The last frame's alpha, Width × Height bytes row by row (255 everywhere without <see cref="WithAlpha"/>): the
    /// picture's warped alpha, or a body generator's figure (<see cref="ForBody"/> withAlpha; 0 where no figure is).
    /// </summary>
    public void CopyAlphaTo(Span<byte> destination)
    {
        int plane = _width * _height;
        if (destination.Length < plane)
        {
            throw new ArgumentException($"destination holds {destination.Length} bytes; a {_width}x{_height} alpha needs {plane}", nameof(destination));
        }

        if (_alphaPlane is not null)
        {
            _alphaPlane.CopyTo(destination);
            return;
        }

        if (_channels == 3)
        {
            destination[..plane].Fill(255);
            return;
        }

        ReadOnlySpan<byte> frame = Frame;
        for (int i = 0; i < plane; i++)
        {
            destination[i] = frame[(i * 4) + 3];
        }
    }

    public void CopyRgbaTo(Span<byte> destination)
    {
        int plane = _width * _height;
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

    // A tensor over the first `length` floats of an array we own (pinned by ORT for the OrtValue's life).
    private static OrtValue Tensor(float[] data, int length, long[] shape) =>
        OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new Memory<float>(data, 0, length), shape);

    private static byte ToByte(float v) => (byte)Math.Clamp((int)(v + 0.5f), 0, 255);
}
