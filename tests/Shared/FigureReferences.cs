using System.Globalization;

namespace Capture.Testing;

/// <summary>
/// The hand-traced figure outlines in tests/figure-references (README there): "+ x y x y …" adds a polygon, "- …" cuts one
/// out, in file order; "#" starts a comment. Rasterized here without any imaging library (pixel centres inside by the
/// even-odd rule), so every test project and the benchmarks read them the same way.
/// </summary>
internal static class FigureReferences
{
    /// <summary>The folder of the references, found above the running assembly.</summary>
    public static string Directory { get; } = Find();

    /// <summary>The outline of <paramref name="name"/> (a .poly file in the folder) as a width × height mask, 255 = figure.</summary>
    public static byte[] Polygon(string name, int width, int height)
    {
        var mask = new byte[width * height];
        foreach (string raw in File.ReadLines(Path.Combine(Directory, name)))
        {
            string line = raw.Split('#')[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            float[] v = [.. line[1..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(t => float.Parse(t, CultureInfo.InvariantCulture))];
            byte value = line[0] == '+' ? (byte)255 : (byte)0;
            int n = v.Length / 2;
            var crossings = new List<float>();
            for (int y = 0; y < height; y++)
            {
                float cy = y + 0.5f;
                crossings.Clear();
                for (int i = 0, j = n - 1; i < n; j = i++)
                {
                    float yi = v[(2 * i) + 1], yj = v[(2 * j) + 1];
                    if ((yi > cy) != (yj > cy))
                    {
                        crossings.Add(v[2 * i] + ((cy - yi) / (yj - yi) * (v[2 * j] - v[2 * i])));
                    }
                }

                crossings.Sort();
                for (int k = 0; k + 1 < crossings.Count; k += 2)
                {
                    int from = Math.Max(0, (int)MathF.Ceiling(crossings[k] - 0.5f));
                    int to = Math.Min(width - 1, (int)MathF.Floor(crossings[k + 1] - 0.5f));
                    for (int x = from; x <= to; x++)
                    {
                        mask[(y * width) + x] = value;
                    }
                }
            }
        }

        return mask;
    }

    /// <summary>Intersection over union of two masks at half coverage.</summary>
    public static double IoU(byte[] mask, byte[] truth)
    {
        int both = 0, either = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            bool m = mask[i] >= 128, t = truth[i] >= 128;
            both += m && t ? 1 : 0;
            either += m || t ? 1 : 0;
        }

        return both / (double)Math.Max(1, either);
    }

    private static string Find()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            string candidate = Path.Combine(dir, "tests", "figure-references");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return Path.Combine(AppContext.BaseDirectory, "tests", "figure-references");
    }
}
