namespace Capture.Generation.Tests;

/// <summary>
/// The generator graph written out in plain C#, loop by loop, from the ONNX operator definitions
/// (Resize linear align_corners, GridSample bilinear align_corners border, then warped·keep + add): the graph is checked against it.
/// </summary>
internal static class ReferenceWarp
{
    /// <param name="centers">The spline centres themselves (x, y pairs), not the graph's −2× form.</param>
    public static float[] Run(int size, int grid, float[] image, float[] keep, float[] add, float[] centers, float[] weights, float[] affine)
    {
        int k = centers.Length / 2;
        var coarse = new float[2, grid, grid];
        for (int gy = 0; gy < grid; gy++)
        {
            for (int gx = 0; gx < grid; gx++)
            {
                float x = -1 + (2f * gx / (grid - 1));
                float y = -1 + (2f * gy / (grid - 1));
                for (int c = 0; c < 2; c++)
                {
                    double v = affine[c * 3] + (affine[(c * 3) + 1] * x) + (affine[(c * 3) + 2] * y);
                    for (int i = 0; i < k; i++)
                    {
                        double dx = centers[i * 2] - x;
                        double dy = centers[(i * 2) + 1] - y;
                        double r2 = (dx * dx) + (dy * dy);
                        v += weights[(c * k) + i] * (r2 <= 0 ? 0 : r2 * Math.Log(r2));
                    }

                    coarse[c, gy, gx] = (float)v;
                }
            }
        }

        return RunLattice(size, grid, image, keep, add, coarse);
    }

    /// <summary>The graph after its lattice: <paramref name="coarse"/>[c, gy, gx] holds the source positions (the mesh graph's input).</summary>
    public static float[] RunLattice(int size, int grid, float[] image, float[] keep, float[] add, float[,,] coarse)
    {
        int plane = size * size;
        var output = new float[plane * 4];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                float sx = UpsampleAt(coarse, 0, grid, size, x, y);
                float sy = UpsampleAt(coarse, 1, grid, size, x, y);
                float px = (sx + 1) / 2 * (size - 1);
                float py = (sy + 1) / 2 * (size - 1);
                int i = (y * size) + x;
                for (int c = 0; c < 4; c++)
                {
                    output[(c * plane) + i] = (SampleBorder(image, c, size, px, py) * keep[i]) + add[(c * plane) + i];
                }
            }
        }

        return output;
    }

    private static float UpsampleAt(float[,,] coarse, int c, int grid, int size, int x, int y)
    {
        float fx = x * (grid - 1f) / (size - 1);
        float fy = y * (grid - 1f) / (size - 1);
        int x0 = Math.Min((int)fx, grid - 2);
        int y0 = Math.Min((int)fy, grid - 2);
        float ax = fx - x0;
        float ay = fy - y0;
        return (coarse[c, y0, x0] * (1 - ax) * (1 - ay)) + (coarse[c, y0, x0 + 1] * ax * (1 - ay))
            + (coarse[c, y0 + 1, x0] * (1 - ax) * ay) + (coarse[c, y0 + 1, x0 + 1] * ax * ay);
    }

    private static float SampleBorder(float[] image, int c, int size, float px, float py)
    {
        px = Math.Clamp(px, 0, size - 1);
        py = Math.Clamp(py, 0, size - 1);
        int x0 = Math.Min((int)px, size - 2);
        int y0 = Math.Min((int)py, size - 2);
        float ax = px - x0;
        float ay = py - y0;
        int p = c * size * size;
        return (image[p + (y0 * size) + x0] * (1 - ax) * (1 - ay)) + (image[p + (y0 * size) + x0 + 1] * ax * (1 - ay))
            + (image[p + ((y0 + 1) * size) + x0] * (1 - ax) * ay) + (image[p + ((y0 + 1) * size) + x0 + 1] * ax * ay);
    }
}
