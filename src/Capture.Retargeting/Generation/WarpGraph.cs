using Capture.Inference.Onnx;

namespace Capture.Retargeting.Generation;

/// <summary>
/// Writes the embedded generator as an ONNX graph: a thin-plate-spline backward map evaluated on a
/// coarse grid, upsampled to the output size, a <c>GridSample</c> of the character image, three
/// painted layers (mouth interior, teeth, eyelids) and the animation mask over the still picture.
/// </summary>
/// <remarks>
/// Coordinates are normalized to [-1, 1] with the <c>align_corners = 1</c> convention throughout
/// (pixel i of n sits at -1 + 2i/(n-1)), so the coarse grid, the Resize and the GridSample agree
/// exactly and an affine map passes through the upsampling unchanged.
/// Inputs (all float):
/// <list type="bullet">
/// <item><c>image</c> [1,4,S,S]: the character crop, RGBA in 0..1.</item>
/// <item><c>mask</c> [1,1,S,S]: the animation mask, 1 where the warped face shows, 0 where the picture stays still.</item>
/// <item><c>centers</c> [K,1,2]: spline centres = the driven control points in output space.</item>
/// <item><c>weights</c> [2,K]: the spline's kernel weights (x row, y row).</item>
/// <item><c>affine</c> [2,3]: the spline's affine part, columns (1, x, y).</item>
/// <item><c>layers</c> [1,3,L,L]: coverage of mouth interior, teeth and eyelid on an L×L lattice (align-corners).</item>
/// <item><c>mouth_color</c>, <c>teeth_color</c>, <c>lid_color</c> [1,4,1,1]: what each layer paints.</item>
/// </list>
/// Output <c>frame</c> [1,4,S,S], RGBA in 0..1.
/// </remarks>
public static class WarpGraph
{
    public const string Image = "image";
    public const string Mask = "mask";
    public const string Centers = "centers";
    public const string Weights = "weights";
    public const string Affine = "affine";
    public const string Layers = "layers";
    public const string MouthColor = "mouth_color";
    public const string TeethColor = "teeth_color";
    public const string LidColor = "lid_color";
    public const string Frame = "frame";

    /// <summary>Input names in the order <see cref="WarpGenerator"/> feeds them.</summary>
    public static IReadOnlyList<string> InputNames { get; } =
        [Image, Mask, Centers, Weights, Affine, Layers, MouthColor, TeethColor, LidColor];

    /// <summary>Builds the model bytes for output size <paramref name="size"/>, K control points, a G×G spline grid and an L×L layer lattice.</summary>
    public static byte[] Build(int size, int controlCount, int gridSize, int layerSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(controlCount, 3);
        ArgumentOutOfRangeException.ThrowIfLessThan(gridSize, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(layerSize, 2);
        var g = new OnnxGraphBuilder("capture_warp_generator", 17);
        long s = size;
        long k = controlCount;
        int gg = gridSize * gridSize;

        g.Input(Image, OnnxDataType.Float, 1, 4, s, s);
        g.Input(Mask, OnnxDataType.Float, 1, 1, s, s);
        g.Input(Centers, OnnxDataType.Float, k, 1, 2);
        g.Input(Weights, OnnxDataType.Float, 2, k);
        g.Input(Affine, OnnxDataType.Float, 2, 3);
        g.Input(Layers, OnnxDataType.Float, 1, 3, layerSize, layerSize);
        g.Input(MouthColor, OnnxDataType.Float, 1, 4, 1, 1);
        g.Input(TeethColor, OnnxDataType.Float, 1, 4, 1, 1);
        g.Input(LidColor, OnnxDataType.Float, 1, 4, 1, 1);

        float[] points = new float[gg * 2];
        float[] homogeneous = new float[3 * gg];
        for (int gy = 0; gy < gridSize; gy++)
        {
            for (int gx = 0; gx < gridSize; gx++)
            {
                int i = (gy * gridSize) + gx;
                float x = GridCoordinate(gx, gridSize);
                float y = GridCoordinate(gy, gridSize);
                points[i * 2] = x;
                points[(i * 2) + 1] = y;
                homogeneous[i] = 1;
                homogeneous[gg + i] = x;
                homogeneous[(2 * gg) + i] = y;
            }
        }

        string gridPoints = g.Initializer("grid_points", points, 1, gg, 2);
        string gridHomogeneous = g.Initializer("grid_homogeneous", homogeneous, 3, gg);
        string axis2 = g.Initializer("axis_2", [2L], 1);
        string epsilon = g.Initializer("epsilon", [1e-20f]);
        string coarseShape = g.Initializer("coarse_shape", [1L, 2, gridSize, gridSize], 4);
        string fieldSize = g.Initializer("field_size", [1L, 2, s, s], 4);
        string layerOutSize = g.Initializer("layer_size", [1L, 3, s, s], 4);

        // Spline kernel φ(r²) = r²·ln r² between every centre and every grid point: [K, G²].
        string diff = g.Node("Sub", [Centers, gridPoints], "diff");
        string sq = g.Node("Mul", [diff, diff], "diff_sq");
        string r2 = g.Node("ReduceSum", [sq, axis2], "r2", OnnxAttribute.Int("keepdims", 0));
        string logR2 = g.Node("Log", [g.Node("Add", [r2, epsilon], "r2_eps")], "log_r2");
        string kernel = g.Node("Mul", [r2, logR2], "kernel");

        // Source position of each grid point: weights·kernel + affine·(1, x, y): [2, G²].
        string radial = g.Node("MatMul", [Weights, kernel], "radial");
        string linear = g.Node("MatMul", [Affine, gridHomogeneous], "linear");
        string coarse = g.Node("Add", [radial, linear], "coarse");
        string coarse4 = g.Node("Reshape", [coarse, coarseShape], "coarse_nchw");

        string field = g.Node("Resize", [coarse4, "", "", fieldSize], "field",
            OnnxAttribute.String("mode", "linear"),
            OnnxAttribute.String("coordinate_transformation_mode", "align_corners"));
        string grid = g.Node("Transpose", [field], "grid", OnnxAttribute.Ints("perm", 0, 2, 3, 1));
        string warped = g.Node("GridSample", [Image, grid], "warped",
            OnnxAttribute.Int("align_corners", 1),
            OnnxAttribute.String("mode", "bilinear"),
            OnnxAttribute.String("padding_mode", "border"));

        string layersUp = g.Node("Resize", [Layers, "", "", layerOutSize], "layers_up",
            OnnxAttribute.String("mode", "linear"),
            OnnxAttribute.String("coordinate_transformation_mode", "align_corners"));
        IReadOnlyList<string> split = g.Node("Split", [layersUp], ["mouth_cover", "teeth_cover", "lid_cover"],
            OnnxAttribute.Int("axis", 1));

        string painted = warped;
        painted = Paint(g, painted, split[0], MouthColor, "with_mouth");
        painted = Paint(g, painted, split[1], TeethColor, "with_teeth");
        painted = Paint(g, painted, split[2], LidColor, "with_lids");

        // Animation mask: the warped face over the still picture.
        string frame = Paint(g, Image, Mask, painted, Frame);
        g.Output(frame, OnnxDataType.Float, 1, 4, s, s);
        return g.ToModelBytes();
    }

    /// <summary>Normalized coordinate of lattice index <paramref name="i"/> of <paramref name="n"/> (align-corners).</summary>
    public static float GridCoordinate(int i, int n) => -1f + (2f * i / (n - 1));

    // result = under + cover * (over - under)
    private static string Paint(OnnxGraphBuilder g, string under, string cover, string over, string output)
    {
        string delta = g.Node("Sub", [over, under], output + "_delta");
        string scaled = g.Node("Mul", [cover, delta], output + "_scaled");
        return g.Node("Add", [under, scaled], output);
    }
}
