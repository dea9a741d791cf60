using Capture.Inference.Onnx;

namespace Capture.Generation;

/// <summary>
/// Writes the embedded generator as an ONNX graph: a thin-plate-spline backward map evaluated on a
/// coarse grid, upsampled to the output size, a <c>GridSample</c> of the character image, and the
/// composite of the warped face (with its painted mouth, teeth and eyelid layers) over the still picture.
/// </summary>
/// <remarks>
/// Coordinates are normalized to [-1, 1] with the <c>align_corners = 1</c> convention throughout
/// (pixel i of n sits at -1 + 2i/(n-1)), so the coarse grid, the Resize and the GridSample agree
/// exactly and an affine map passes through the upsampling unchanged.
/// The spline kernel φ(r²) = r²·ln r² is evaluated on [K, G²] with r² = |c|² + |g|² − 2c·g (one
/// MatMul instead of a broadcast subtraction, which ONNX Runtime runs far slower).
/// The layers and the animation mask fold into two full-size inputs kept up to date by
/// <see cref="LayerPainter"/> (only around the mouth and eyes changes per frame), so the full-size
/// work is one Resize, one Transpose, the GridSample and one multiply-add:
/// <c>frame = GridSample(image, grid) · keep + add</c>.
/// Inputs (all float):
/// <list type="bullet">
/// <item><c>image</c> [1,C,S,S]: the character crop, RGBA (C = 4) or RGB (C = 3) in 0..1.</item>
/// <item><c>keep</c> [1,1,S,S]: weight of the warped picture: animation mask × (1 − layer coverage).</item>
/// <item><c>add</c> [1,C,S,S]: still picture × (1 − mask) + mask × premultiplied layer colour.</item>
/// <item><c>centers</c> [K,2]: −2 × the spline centres (= driven control points in output space).</item>
/// <item><c>center_norms</c> [K,1]: |centre|².</item>
/// <item><c>weights</c> [2,K]: the spline's kernel weights (x row, y row).</item>
/// <item><c>affine</c> [2,3]: the spline's affine part, columns (1, x, y).</item>
/// </list>
/// Output <c>frame</c> [1,C,H,W] in 0..1, or with <see cref="WarpOutput.Bytes"/> the box's rows as packed
/// uint8 pixels [1,H,S,C] (see <see cref="Build"/>).
/// GridSample runs with <c>padding_mode = zeros</c> and <c>align_corners = 0</c> on a field scaled by
/// (S−1)/S and clipped to the pixel centres at the edges: the same samples as border padding with
/// aligned corners, but ONNX Runtime's CPU kernel has a precomputed-plan fast path only for this
/// combination (the sample positions and weights are computed once for all channels instead of per
/// channel): about 2× the frame rate at 512².
/// </remarks>
public static class WarpGraph
{
    public const string Image = "image";
    public const string Keep = "keep";
    public const string Add = "add";
    public const string Centers = "centers";
    public const string CenterNorms = "center_norms";
    public const string Weights = "weights";
    public const string Affine = "affine";
    public const string Frame = "frame";

    /// <summary>The mesh warp's lattice of source positions, [2, G²] (<see cref="WarpKind.Mesh"/> graphs only).</summary>
    public const string Map = "map";

    /// <summary>Body graphs: the filled background behind the figure, [1,3,H,W] (<see cref="BuildBody"/>).</summary>
    public const string Background = "background";

    /// <summary>Body graphs: how much of each lattice node the driven figure covers, [1, Gw·Gh] (<see cref="BuildBody"/>).</summary>
    public const string Coverage = "coverage";

    /// <summary>uint8 still-picture strip left of the box (<see cref="WarpOutput.Bytes"/> only).</summary>
    public const string LeftStrip = "left_strip";

    /// <summary>uint8 still-picture strip right of the box (<see cref="WarpOutput.Bytes"/> only).</summary>
    public const string RightStrip = "right_strip";

    /// <summary>Input names of a spline graph in the order <see cref="WarpGenerator"/> feeds them (then the strips, where the graph has them).</summary>
    public static IReadOnlyList<string> InputNames { get; } = [Image, Keep, Add, Centers, CenterNorms, Weights, Affine];

    /// <summary>Input names of a <see cref="WarpKind.Mesh"/> graph, in order (then the strips, where the graph has them).</summary>
    public static IReadOnlyList<string> MeshInputNames { get; } = [Image, Keep, Add, Map];

    /// <summary>
    /// Builds the model bytes for output size <paramref name="size"/>, K control points, a G×G spline grid and
    /// <paramref name="channels"/> picture channels (4 = RGBA; 3 = RGB for opaque pictures, a quarter less GridSample work).
    /// </summary>
    /// <param name="region">
    /// The output rectangle to render (default: the whole S×S frame). Outside the animation mask the
    /// frame is the still picture, so only the mask's bounding box needs the warp: <c>keep</c>,
    /// <c>add</c> and <c>frame</c> are then [1,·,H,W] over that rectangle while <c>image</c> stays S×S,
    /// and the G×G spline lattice spans the rectangle.
    /// </param>
    /// <param name="output">
    /// <see cref="WarpOutput.Floats"/>: <c>frame</c> is [1,C,H,W] float, as computed.
    /// <see cref="WarpOutput.Bytes"/>: <c>frame</c> is [1,H,S,C] uint8, packed rows of the whole frame width
    /// (the box's rows, ready to be written straight into an RGB24/RGBA8 picture): the box is
    /// clipped to 0..255 and truncated (the caller scales the picture and <c>add</c> by 255 and adds
    /// 0.5 to <c>add</c>, so truncation rounds), then the still picture's strips left and right of
    /// the box (<see cref="LeftStrip"/> [1,H,left,C], <see cref="RightStrip"/> [1,H,S−left−W,C],
    /// uint8; present only when not empty) are concatenated around it.
    /// </param>
    /// <param name="kind">
    /// <see cref="WarpKind.Spline"/>: the lattice is the spline evaluated in the graph from <c>centers</c>,
    /// <c>center_norms</c>, <c>weights</c> and <c>affine</c>. <see cref="WarpKind.Mesh"/>: the lattice is the
    /// input <c>map</c> [2, G²] (all x, then all y, row-major nodes, the same normalized coordinates),
    /// computed outside the graph (<see cref="MeshWarp"/>); <paramref name="controlCount"/> is then unused.
    /// Everything after the lattice is the same graph.
    /// </param>
    public static byte[] Build(int size, int controlCount, int gridSize, int channels = 4, WarpRegion? region = null, WarpOutput output = WarpOutput.Floats, WarpKind kind = WarpKind.Spline)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 2);
        WarpRegion r = region ?? new WarpRegion(0, 0, size, size);
        if (r.Left < 0 || r.Top < 0 || r.Width < 2 || r.Height < 2 || r.Left + r.Width > size || r.Top + r.Height > size)
        {
            throw new ArgumentOutOfRangeException(nameof(region), $"region {r} must lie inside the {size}² frame and be at least 2×2");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(gridSize, 2);
        var g = new OnnxGraphBuilder("capture_warp_generator", 17);
        long s = size;
        int gg = gridSize * gridSize;

        g.Input(Image, OnnxDataType.Float, 1, channels, s, s);
        long h = r.Height;
        long w = r.Width;
        g.Input(Keep, OnnxDataType.Float, 1, 1, h, w);
        g.Input(Add, OnnxDataType.Float, 1, channels, h, w);
        string coarse;
        if (kind == WarpKind.Mesh)
        {
            coarse = g.Input(Map, OnnxDataType.Float, 2, gg);
        }
        else
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(controlCount, 3);
            coarse = SplineLattice(g, r, size, controlCount, gridSize);
        }

        string coarseShape = g.Initializer("coarse_shape", [1L, 2, gridSize, gridSize], 4);
        string fieldSize = g.Initializer("field_size", [1L, 2, h, w], 4);

        // align_corners = 0 coordinates (see the remarks): scaled on the lattice, which the linear Resize carries exactly.
        string toHalfPixel = g.Initializer("to_half_pixel", [(float)((size - 1) / (double)size)]);
        string coarseHalfPixel = g.Node("Mul", [coarse, toHalfPixel], "coarse_half_pixel");
        string coarse4 = g.Node("Reshape", [coarseHalfPixel, coarseShape], "coarse_nchw");
        string field = g.Node("Resize", [coarse4, "", "", fieldSize], "field",
            OnnxAttribute.String("mode", "linear"),
            OnnxAttribute.String("coordinate_transformation_mode", "align_corners"));
        // Border padding: positions clamped to the edge pixels' centres, so zero padding never shows.
        string clipLow = g.Initializer("clip_low", [(float)(-1 + (1 / (double)size))]);
        string clipHigh = g.Initializer("clip_high", [(float)(1 - (1 / (double)size))]);
        string clamped = g.Node("Clip", [field, clipLow, clipHigh], "field_clamped");
        string grid = g.Node("Transpose", [clamped], "grid", OnnxAttribute.Ints("perm", 0, 2, 3, 1));
        string warped = g.Node("GridSample", [Image, grid], "warped",
            OnnxAttribute.Int("align_corners", 0),
            OnnxAttribute.String("mode", "bilinear"),
            OnnxAttribute.String("padding_mode", "zeros"));

        string kept = g.Node("Mul", [warped, Keep], "kept");
        if (output == WarpOutput.Floats)
        {
            string frame = g.Node("Add", [kept, Add], Frame);
            g.Output(frame, OnnxDataType.Float, 1, channels, h, w);
            return g.ToModelBytes();
        }

        string composite = g.Node("Add", [kept, Add], "composite");
        string clipped = g.Node("Clip", [composite, g.Initializer("byte_low", [0f]), g.Initializer("byte_high", [255f])], "clipped");
        string bytes = g.Node("Cast", [clipped], "bytes", OnnxAttribute.Int("to", (long)OnnxDataType.UInt8));
        string packed = g.Node("Transpose", [bytes], "packed", OnnxAttribute.Ints("perm", 0, 2, 3, 1));
        long right = s - r.Left - w;
        if (r.Left == 0 && right == 0)
        {
            g.Node("Identity", [packed], Frame);
        }
        else
        {
            var parts = new List<string>(3);
            if (r.Left > 0)
            {
                parts.Add(g.Input(LeftStrip, OnnxDataType.UInt8, 1, h, r.Left, channels));
            }

            parts.Add(packed);
            if (right > 0)
            {
                parts.Add(g.Input(RightStrip, OnnxDataType.UInt8, 1, h, right, channels));
            }

            g.Node("Concat", parts, Frame, OnnxAttribute.Int("axis", 2));
        }

        g.Output(Frame, OnnxDataType.UInt8, 1, h, s, channels);
        return g.ToModelBytes();
    }

    /// <summary>Body graphs: the rectangle of the frame the figure is drawn in, int64 [4] = (top, left, bottom, right), ends exclusive (<see cref="BuildBody"/>).</summary>
    public const string Box = "box";

    /// <summary>Body graphs with <see cref="WarpOutput.Bytes"/>: the frame where no figure is, packed uint8 [1,H,W,3] (<see cref="BuildBody"/>).</summary>
    public const string Still = "still";

    /// <summary>
    /// Body frames up to this many pixels use <c>GridSample</c>'s planned zero-padding kernel, larger ones the
    /// border-padding one (see <see cref="BuildBody"/>). Measured CPU a run (body-graph benchmark, 2 threads,
    /// loaded machine): planned 7 vs 15 ms at 256×562, 22 vs 33 ms at 512×720; 173 vs 64 ms at 720×1000,
    /// 275 vs 105 ms at 720×1584. 2¹⁹ lies between the last size where the plan wins and the first where it loses.
    /// </summary>
    public const long PlannedGridSamplePixels = 1 << 19;

    /// <summary>
    /// Body graphs built with an alpha plane: the frame's alpha, uint8 [1,H,W] (255 = the figure, 0 where no figure is;
    /// <see cref="BuildBody"/>).
    /// </summary>
    public const string FrameAlpha = "frame_alpha";

    /// <summary>Input names of a body graph, in order (<see cref="BuildBody"/>; <see cref="Still"/> only with <see cref="WarpOutput.Bytes"/>).</summary>
    public static IReadOnlyList<string> BodyInputNames { get; } = [Image, Background, Keep, Add, Map, Coverage, Box, Still];

    /// <summary>
    /// Builds the body generator's graph for a <paramref name="width"/>×<paramref name="height"/> frame whose
    /// backward map is given as a <paramref name="gridWidth"/>×<paramref name="gridHeight"/> lattice
    /// (<c>map</c> [2, Gw·Gh], all x then all y, row-major, normalized align-corners coordinates of the
    /// frame; <c>coverage</c> [1, Gw·Gh], 1 where the driven figure covers the node). Only the
    /// <c>box</c> (int64 [4]: top, left, bottom, right; ends exclusive; at least 2×2) is warped: the lattice
    /// is upsampled over the box alone (<c>Resize</c>'s <c>tf_crop_and_resize</c>, whose positions are the
    /// whole-frame upsampling's), one <c>GridSample</c> of the figure (<c>image</c> [1,4,H,W]: colour
    /// premultiplied by the figure mask, the mask in channel 3, 0..1) over the box, composited over the
    /// filled <c>background</c> [1,3,H,W], then the painted layers:
    /// <c>frame = (rgb·c + background·(1 − α·c))·keep + add</c> (c = coverage, α = the warped mask).
    /// The caller's box holds every covered lattice cell and every painted layer, so outside it the frame is
    /// <c>still</c> (uint8 [1,H,W,3]: the same sum with c = 0 and the layers at rest, made once a character).
    /// Outputs: <see cref="WarpOutput.Bytes"/>: the whole frame, packed uint8 rows [1,H,W,3] (the box's
    /// pixels inside the still frame's); <see cref="WarpOutput.Floats"/>: the box as floats [1,3,h,w] (the
    /// generator gives the whole frame as the box then). With <paramref name="alphaPlane"/> (bytes only) a second
    /// output, <see cref="FrameAlpha"/>: the figure's opacity α·c over the box as uint8 [1,H,W] (rounded), 0 outside the
    /// box (no lattice cell there is covered), from the same <c>GridSample</c>: what a live viewer stands the figure on
    /// its own background with (the RGB output stays the composite over the filled background).
    /// The samples are the face graphs' (positions clamped to the edge pixels' centres), taken by the face
    /// graphs' kernel up to <see cref="PlannedGridSamplePixels"/> and by <c>GridSample</c>'s
    /// <c>align_corners = 1</c>, border-padding kernel above (see the graph's comments for why).
    /// </summary>
    public static byte[] BuildBody(int width, int height, int gridWidth, int gridHeight, WarpOutput output = WarpOutput.Bytes, bool alphaPlane = false)
    {
        if (alphaPlane && output != WarpOutput.Bytes)
        {
            throw new ArgumentException("the body graph's alpha plane comes with byte output (WarpOutput.Bytes)", nameof(alphaPlane));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(width, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(gridWidth, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(gridHeight, 2);
        var g = new OnnxGraphBuilder("capture_body_generator", 17);
        long w = width, h = height;
        int nodes = gridWidth * gridHeight;
        g.Input(Image, OnnxDataType.Float, 1, 4, h, w);
        g.Input(Background, OnnxDataType.Float, 1, 3, h, w);
        g.Input(Keep, OnnxDataType.Float, 1, 1, h, w);
        g.Input(Add, OnnxDataType.Float, 1, 3, h, w);
        g.Input(Map, OnnxDataType.Float, 2, nodes);
        g.Input(Coverage, OnnxDataType.Float, 1, nodes);
        g.Input(Box, OnnxDataType.Int64, 4);

        // The box's corners, its size and its place on the lattice (tiny tensors; per run).
        string Part(string source, string name, long from, long to) => g.Node("Slice", [source, g.Initializer($"{name}_from", [from], 1), g.Initializer($"{name}_to", [to], 1)], name);
        string top = Part(Box, "box_top", 0, 1), left = Part(Box, "box_left", 1, 2), bottom = Part(Box, "box_bottom", 2, 3), right = Part(Box, "box_right", 3, 4);
        string starts = Part(Box, "box_starts", 0, 2), ends = Part(Box, "box_ends", 2, 4);
        string spatial = g.Initializer("spatial_axes", [2L, 3], 2);
        string boxSize = g.Node("Sub", [ends, starts], "box_size");

        // tf_crop_and_resize reads lattice position start·(G−1) + i·(end − start)·(G−1)/(n−1) for output i of n:
        // with start = first/(frame − 1), end = last/(frame − 1) that is the whole-frame align-corners Resize's
        // position of pixel first + i. The ends are pulled in by 2⁻²⁰ so rounding never puts the last pixel
        // past the lattice (where the Resize would write its extrapolation value instead).
        string boxFloat = g.Node("Cast", [Box], "box_float", OnnxAttribute.Int("to", (long)OnnxDataType.Float));
        string lastPixel = g.Node("Sub", [boxFloat, g.Initializer("last_pixel", [0f, 0, 1, 1], 4)], "box_last");
        const float Inside = 1 - (1f / (1 << 20));
        string roiScale = g.Initializer("roi_scale", [1f / (height - 1), 1f / (width - 1), Inside / (height - 1), Inside / (width - 1)], 4);
        string roiBox = g.Node("Mul", [lastPixel, roiScale], "roi_box");
        string roiStart = Part(roiBox, "roi_start", 0, 2), roiEnd = Part(roiBox, "roi_end", 2, 4);
        string roi = g.Node("Concat", [g.Initializer("roi_lead", [0f, 0], 2), roiStart, g.Initializer("roi_mid", [1f, 1], 2), roiEnd], "roi", OnnxAttribute.Int("axis", 0));
        string fieldSize = g.Node("Concat", [g.Initializer("field_lead", [1L, 2], 2), boxSize], "field_size", OnnxAttribute.Int("axis", 0));
        string coverSize = g.Node("Concat", [g.Initializer("cover_lead", [1L, 1], 2), boxSize], "cover_size", OnnxAttribute.Int("axis", 0));

        // Two GridSample kernels of ONNX Runtime's CPU provider, the same samples (positions clamped to the
        // edge pixels' centres). Up to PlannedGridSamplePixels the face graphs' one: zero padding and
        // align_corners = 0 on a field scaled by (n−1)/n and clipped, where the kernel precomputes a plan per
        // output pixel (see the remarks). That plan (56 bytes a pixel) is built afresh on one thread every
        // run, and at a full-body frame's size it costs more than it saves: above the threshold the graph
        // uses align_corners = 1 with border padding, which reads the lattice's own coordinates and clamps at
        // the edges, with no scaling or clipping pass (body-graph benchmark, docs/body.md "Render speed").
        bool planned = (long)width * height <= PlannedGridSamplePixels;
        string lattice = Map;
        if (planned)
        {
            string toHalfPixel = g.Initializer("to_half_pixel", [(float)((width - 1) / (double)width), (float)((height - 1) / (double)height)], 2, 1);
            lattice = g.Node("Mul", [Map, toHalfPixel], "coarse_half_pixel");
        }

        string coarse4 = g.Node("Reshape", [lattice, g.Initializer("coarse_shape", [1L, 2, gridHeight, gridWidth], 4)], "coarse_nchw");
        string field = g.Node("Resize", [coarse4, roi, "", fieldSize], "field",
            OnnxAttribute.String("mode", "linear"),
            OnnxAttribute.String("coordinate_transformation_mode", "tf_crop_and_resize"));
        if (planned)
        {
            string low = g.Initializer("clip_low", [(float)(-1 + (1 / (double)width)), (float)(-1 + (1 / (double)height))], 1, 2, 1, 1);
            string high = g.Initializer("clip_high", [(float)(1 - (1 / (double)width)), (float)(1 - (1 / (double)height))], 1, 2, 1, 1);
            field = g.Node("Min", [g.Node("Max", [field, low], "field_low"), high], "field_clamped");
        }

        // (Resizing the lattice as NHWC straight into the grid's layout takes ONNX Runtime's generic
        // N-d path: slower than this Resize and Transpose together.)
        string grid = g.Node("Transpose", [field], "grid", OnnxAttribute.Ints("perm", 0, 2, 3, 1));
        string warped = g.Node("GridSample", [Image, grid], "warped",
            OnnxAttribute.Int("align_corners", planned ? 0 : 1),
            OnnxAttribute.String("mode", "bilinear"),
            OnnxAttribute.String("padding_mode", planned ? "zeros" : "border"));
        string cover4 = g.Node("Reshape", [Coverage, g.Initializer("cover_shape", [1L, 1, gridHeight, gridWidth], 4)], "cover_nchw");
        string cover = g.Node("Resize", [cover4, roi, "", coverSize], "cover",
            OnnxAttribute.String("mode", "linear"),
            OnnxAttribute.String("coordinate_transformation_mode", "tf_crop_and_resize"));
        string background = g.Node("Slice", [Background, starts, ends, spatial], "background_box");
        string keep = g.Node("Slice", [Keep, starts, ends, spatial], "keep_box");
        string add = g.Node("Slice", [Add, starts, ends, spatial], "add_box");
        IReadOnlyList<string> parts = g.Node("Split", [warped, g.Initializer("split", [3L, 1], 2)], ["warped_rgb", "warped_alpha"], OnnxAttribute.Int("axis", 1));
        string alpha = g.Node("Mul", [parts[1], cover], "alpha");
        string figure = g.Node("Mul", [parts[0], cover], "figure");
        string behind = g.Node("Mul", [background, g.Node("Sub", [g.Initializer("one", [1f]), alpha], "uncovered")], "behind");
        string composite = g.Node("Add", [figure, behind], "composite");
        string kept = g.Node("Mul", [composite, keep], "kept");
        if (output == WarpOutput.Floats)
        {
            g.Node("Add", [kept, add], Frame);
            g.Output(Frame, OnnxDataType.Float, 1, 3, -1, -1);
            return g.ToModelBytes();
        }

        string layered = g.Node("Add", [kept, add], "layered");
        string clipped = g.Node("Clip", [layered, g.Initializer("byte_low", [0f]), g.Initializer("byte_high", [255f])], "clipped");
        string bytes = g.Node("Cast", [clipped], "bytes", OnnxAttribute.Int("to", (long)OnnxDataType.UInt8));
        string packed = g.Node("Transpose", [bytes], "packed", OnnxAttribute.Ints("perm", 0, 2, 3, 1));

        // The box into the still frame: its rows' still strips left and right of it, then the rows above and below.
        g.Input(Still, OnnxDataType.UInt8, 1, h, w, 3);
        string zero = g.Initializer("zero", [0L], 1);
        string rowsAxis = g.Initializer("rows_axis", [1L], 1);
        string rowsAndColumns = g.Initializer("rows_columns_axes", [1L, 2], 2);
        string leftStrip = g.Node("Slice", [Still, g.Node("Concat", [top, zero], "left_from", OnnxAttribute.Int("axis", 0)), g.Node("Concat", [bottom, left], "left_to", OnnxAttribute.Int("axis", 0)), rowsAndColumns], "left_strip");
        string rightStrip = g.Node("Slice", [Still, g.Node("Concat", [top, right], "right_from", OnnxAttribute.Int("axis", 0)), g.Node("Concat", [bottom, g.Initializer("width", [w], 1)], "right_to", OnnxAttribute.Int("axis", 0)), rowsAndColumns], "right_strip");
        string band = g.Node("Concat", [leftStrip, packed, rightStrip], "band", OnnxAttribute.Int("axis", 2));
        string above = g.Node("Slice", [Still, zero, top, rowsAxis], "above");
        string below = g.Node("Slice", [Still, bottom, g.Initializer("height", [h], 1), rowsAxis], "below");
        g.Node("Concat", [above, band, below], Frame, OnnxAttribute.Int("axis", 1));
        g.Output(Frame, OnnxDataType.UInt8, 1, h, w, 3);
        if (alphaPlane)
        {
            // α·c in byte levels, rounded (+0.5: the Cast truncates), padded with zeros out to the frame: outside the
            // box no lattice cell is covered, so no figure. Padded as bytes after the Cast: a quarter of the float traffic.
            // (ONNX Runtime's CUDA provider has no uint8 Pad: under CUDA this one node runs on the CPU, where the output
            // is bound anyway, so the box's bytes cross to the host instead of the whole plane's.)
            string levels = g.Node("Add", [g.Node("Mul", [alpha, g.Initializer("alpha_levels", [255f])], "alpha_scaled"), g.Initializer("alpha_round", [0.5f])], "alpha_rounded");
            string alphaClipped = g.Node("Clip", [levels, g.Initializer("alpha_low", [0f]), g.Initializer("alpha_high", [255f])], "alpha_clipped");
            string alphaBytes = g.Node("Cast", [alphaClipped], "alpha_bytes", OnnxAttribute.Int("to", (long)OnnxDataType.UInt8));
            string alphaRows = g.Node("Squeeze", [alphaBytes, g.Initializer("alpha_channel_axis", [1L], 1)], "alpha_rows");
            string under = g.Node("Sub", [g.Initializer("alpha_height", [h], 1), bottom], "alpha_under");
            string beside = g.Node("Sub", [g.Initializer("alpha_width", [w], 1), right], "alpha_beside");
            string pads = g.Node("Concat", [zero, top, left, zero, under, beside], "alpha_pads", OnnxAttribute.Int("axis", 0));
            g.Node("Pad", [alphaRows, pads], FrameAlpha, OnnxAttribute.String("mode", "constant"));
            g.Output(FrameAlpha, OnnxDataType.UInt8, 1, h, w);
        }

        return g.ToModelBytes();
    }

    // The spline evaluated on the G×G lattice over the region: source positions [2, G²].
    private static string SplineLattice(OnnxGraphBuilder g, WarpRegion r, int size, int controlCount, int gridSize)
    {
        long k = controlCount;
        int gg = gridSize * gridSize;
        g.Input(Centers, OnnxDataType.Float, k, 2);
        g.Input(CenterNorms, OnnxDataType.Float, k, 1);
        g.Input(Weights, OnnxDataType.Float, 2, k);
        g.Input(Affine, OnnxDataType.Float, 2, 3);

        float[] points = new float[2 * gg];
        float[] norms = new float[gg];
        float[] homogeneous = new float[3 * gg];
        for (int gy = 0; gy < gridSize; gy++)
        {
            for (int gx = 0; gx < gridSize; gx++)
            {
                int i = (gy * gridSize) + gx;
                float x = LatticeX(r, size, gridSize, gx);
                float y = LatticeY(r, size, gridSize, gy);
                points[i] = x;
                points[gg + i] = y;
                norms[i] = (x * x) + (y * y);
                homogeneous[i] = 1;
                homogeneous[gg + i] = x;
                homogeneous[(2 * gg) + i] = y;
            }
        }

        string gridPoints = g.Initializer("grid_points", points, 2, gg);
        string gridNorms = g.Initializer("grid_norms", norms, 1, gg);
        string gridHomogeneous = g.Initializer("grid_homogeneous", homogeneous, 3, gg);
        string epsilon = g.Initializer("epsilon", [1e-20f]);

        // r² between every centre and every grid point, [K, G²]; clamped at 0 against rounding.
        string cross = g.Node("MatMul", [Centers, gridPoints], "cross");
        string partial = g.Node("Add", [cross, CenterNorms], "r2_partial");
        string r2 = g.Node("Relu", [g.Node("Add", [partial, gridNorms], "r2_raw")], "r2");
        string logR2 = g.Node("Log", [g.Node("Add", [r2, epsilon], "r2_eps")], "log_r2");
        string kernel = g.Node("Mul", [r2, logR2], "kernel");

        // Source position of each grid point: weights·kernel + affine·(1, x, y): [2, G²].
        string radial = g.Node("MatMul", [Weights, kernel], "radial");
        string linear = g.Node("MatMul", [Affine, gridHomogeneous], "linear");
        return g.Node("Add", [radial, linear], "coarse");
    }

    /// <summary>Normalized coordinate of lattice index <paramref name="i"/> of <paramref name="n"/> (align-corners).</summary>
    public static float GridCoordinate(int i, int n) => -1f + (2f * i / (n - 1));

    /// <summary>Normalized output x of lattice column <paramref name="gx"/> of a G×G lattice over <paramref name="r"/> (what the graph's lattice holds).</summary>
    public static float LatticeX(WarpRegion r, int size, int gridSize, int gx) => PixelCoordinate(r.Left + ((r.Width - 1) * (double)gx / (gridSize - 1)), size);

    /// <summary>Normalized output y of lattice row <paramref name="gy"/> (see <see cref="LatticeX"/>).</summary>
    public static float LatticeY(WarpRegion r, int size, int gridSize, int gy) => PixelCoordinate(r.Top + ((r.Height - 1) * (double)gy / (gridSize - 1)), size);

    private static float PixelCoordinate(double pixel, int n) => (float)(-1 + (2 * pixel / (n - 1)));
}

/// <summary>How the backward map's G×G lattice is made (see <see cref="WarpGraph.Build"/>).</summary>
public enum WarpKind
{
    /// <summary>Thin-plate spline through the control points, evaluated in the graph (limited and smoothed against folds).</summary>
    Spline,

    /// <summary>Piecewise-affine map on the triangulated face mesh, rasterized onto the lattice in C# (<see cref="MeshWarp"/>).</summary>
    Mesh,

    /// <summary>The body's skinned mesh (the face mesh riding on its head), rasterized in depth order with its coverage (<see cref="WarpGraph.BuildBody"/>).</summary>
    Body,
}

/// <summary>What the warp graph's <c>frame</c> output holds (see <see cref="WarpGraph.Build"/>).</summary>
public enum WarpOutput
{
    /// <summary>Planar float [1,C,H,W] over the box, 0..1 (scoring, tests).</summary>
    Floats,

    /// <summary>Packed uint8 [1,H,S,C]: the box's rows across the whole frame width, written where the caller binds them.</summary>
    Bytes,
}

/// <summary>A rectangle of output pixels (left, top, width, height) that the warp graph renders.</summary>
public readonly record struct WarpRegion(int Left, int Top, int Width, int Height)
{
    /// <summary>
    /// The bounding box of the pixels where <paramref name="mask"/> (size×size, row-major) is above 0,
    /// grown to at least 2×2; the whole frame when the mask is empty.
    /// </summary>
    public static WarpRegion OfMask(ReadOnlySpan<float> mask, int size)
    {
        int left = size;
        int top = size;
        int right = -1;
        int bottom = -1;
        for (int y = 0; y < size; y++)
        {
            ReadOnlySpan<float> row = mask.Slice(y * size, size);
            int first = -1;
            for (int x = 0; x < size; x++)
            {
                if (row[x] > 0)
                {
                    first = x;
                    break;
                }
            }

            if (first < 0)
            {
                continue;
            }

            int last = first;
            for (int x = size - 1; x > first; x--)
            {
                if (row[x] > 0)
                {
                    last = x;
                    break;
                }
            }

            left = Math.Min(left, first);
            right = Math.Max(right, last);
            top = Math.Min(top, y);
            bottom = y;
        }

        if (right < 0)
        {
            return new WarpRegion(0, 0, size, size);
        }

        right = Math.Min(size - 1, Math.Max(right, left + 1));
        left = Math.Min(left, right - 1);
        bottom = Math.Min(size - 1, Math.Max(bottom, top + 1));
        top = Math.Min(top, bottom - 1);
        return new WarpRegion(left, top, right - left + 1, bottom - top + 1);
    }
}
