using System.Buffers.Binary;

namespace Capture.Media.Internal;

/// <summary>
/// A picture's embedded ICC colour profile applied as browsers apply it: pixels converted from the profile's
/// RGB to sRGB, so a still decodes to the values Chromium gives a canvas (what MediaPipe JS and the capture
/// page see). Decoders ignore the profile (OpenCV, ffmpeg); a Display P3 photo read as if it were sRGB is
/// visibly off (the shared Mona Lisa: up to 30 levels) and moves tracked landmarks by ~0.5 % of the eye distance.
/// <para>
/// Matrix/TRC RGB profiles (ICC.1 §F.3, what cameras and phones embed: Display P3, Adobe RGB, sRGB variants):
/// each channel through its tone curve (<c>curv</c> table or gamma, or <c>para</c> function types 0–4), the
/// profile's rXYZ/gXYZ/bXYZ matrix to the D50 connection space, the sRGB matrix back, the sRGB curve, rounded.
/// A profile within a rounding of sRGB (the common HP sRGB profile) is left alone, as Chromium leaves it;
/// LUT-based, grey and CMYK profiles are left alone too (rare in photos; the pixels stay as decoded).
/// </para>
/// </summary>
internal sealed class IccColour
{
    // sRGB's RGB → XYZ (D50) matrix as the ICC sRGB profile stores it (s15.16 values), rows X, Y, Z.
    private static readonly double[,] s_srgbToXyz =
    {
        { 0.436065674, 0.385147095, 0.143066406 },
        { 0.222488403, 0.716873169, 0.060607910 },
        { 0.013916016, 0.097076416, 0.714096069 },
    };

    // Encoded sRGB for linear values at steps of 1/Steps: 4096 steps keep the interpolated result within
    // 0.02 of a level of the exact curve, far under the rounding to 8 bits.
    private const int Steps = 4096;
    private static readonly float[] s_encode = BuildEncode();

    private readonly float[][] _linear;
    private readonly double[,] _matrix;

    private IccColour(float[][] linear, double[,] matrix)
    {
        _linear = linear;
        _matrix = matrix;
    }

    /// <summary>
    /// The conversion a profile asks for, or null when none is needed or possible (sRGB already, or a kind of
    /// profile this does not handle). Never throws on a malformed profile: that is null too.
    /// </summary>
    public static IccColour? ToSrgb(ReadOnlySpan<byte> profile)
    {
        try
        {
            return Parse(profile);
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException or OverflowException)
        {
            return null;
        }
    }

    /// <summary>Converts packed RGBA8 pixels in place (alpha untouched).</summary>
    public void Apply(Span<byte> rgba)
    {
        float[] r = _linear[0], g = _linear[1], b = _linear[2];
        double[,] m = _matrix;
        for (int i = 0; i + 3 < rgba.Length; i += 4)
        {
            double lr = r[rgba[i]], lg = g[rgba[i + 1]], lb = b[rgba[i + 2]];
            rgba[i] = Encode((m[0, 0] * lr) + (m[0, 1] * lg) + (m[0, 2] * lb));
            rgba[i + 1] = Encode((m[1, 0] * lr) + (m[1, 1] * lg) + (m[1, 2] * lb));
            rgba[i + 2] = Encode((m[2, 0] * lr) + (m[2, 1] * lg) + (m[2, 2] * lb));
        }
    }

    private static IccColour? Parse(ReadOnlySpan<byte> p)
    {
        if (p.Length < 132 || !p.Slice(16, 4).SequenceEqual("RGB "u8) || !p.Slice(20, 4).SequenceEqual("XYZ "u8))
        {
            return null;
        }

        int count = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(p[128..]), 1024);
        ReadOnlySpan<byte> rXyz = default, gXyz = default, bXyz = default, rTrc = default, gTrc = default, bTrc = default;
        for (int t = 0; t < count && 132 + (12 * (t + 1)) <= p.Length; t++)
        {
            ReadOnlySpan<byte> entry = p.Slice(132 + (12 * t), 12);
            uint offset = BinaryPrimitives.ReadUInt32BigEndian(entry[4..]);
            uint size = BinaryPrimitives.ReadUInt32BigEndian(entry[8..]);
            if (offset + (ulong)size > (ulong)p.Length)
            {
                return null;
            }

            ReadOnlySpan<byte> data = p.Slice((int)offset, (int)size);
            switch (System.Text.Encoding.ASCII.GetString(entry[..4]))
            {
                case "rXYZ": rXyz = data; break;
                case "gXYZ": gXyz = data; break;
                case "bXYZ": bXyz = data; break;
                case "rTRC": rTrc = data; break;
                case "gTRC": gTrc = data; break;
                case "bTRC": bTrc = data; break;
            }
        }

        if (rXyz.Length < 20 || gXyz.Length < 20 || bXyz.Length < 20 || rTrc.IsEmpty || gTrc.IsEmpty || bTrc.IsEmpty)
        {
            return null; // not a matrix/TRC profile
        }

        var toXyz = new double[3, 3];
        int column = 0;
        foreach (ReadOnlySpan<byte> xyz in new[] { rXyz.ToArray(), gXyz.ToArray(), bXyz.ToArray() })
        {
            for (int row = 0; row < 3; row++)
            {
                toXyz[row, column] = S15(xyz[(8 + (4 * row))..]);
            }

            column++;
        }

        var linear = new float[3][];
        int channel = 0;
        foreach (byte[] curve in new[] { rTrc.ToArray(), gTrc.ToArray(), bTrc.ToArray() })
        {
            float[]? table = Curve(curve);
            if (table is null)
            {
                return null;
            }

            linear[channel++] = table;
        }

        if (IsSrgb(toXyz, linear))
        {
            return null;
        }

        return new IccColour(linear, Multiply(Invert(s_srgbToXyz), toXyz));
    }

    // 256 linear values of a tone curve at the 8-bit codes, or null for a curve type this does not read.
    private static float[]? Curve(ReadOnlySpan<byte> d)
    {
        var table = new float[256];
        if (d.Length >= 12 && d[..4].SequenceEqual("curv"u8))
        {
            int n = (int)BinaryPrimitives.ReadUInt32BigEndian(d[8..]);
            if (n < 0 || 12 + (2L * n) > d.Length)
            {
                return null;
            }

            for (int i = 0; i < 256; i++)
            {
                double x = i / 255.0;
                if (n == 0)
                {
                    table[i] = (float)x;
                }
                else if (n == 1)
                {
                    table[i] = (float)Math.Pow(x, BinaryPrimitives.ReadUInt16BigEndian(d[12..]) / 256.0);
                }
                else
                {
                    double at = x * (n - 1);
                    int k = Math.Min((int)at, n - 2);
                    double a = BinaryPrimitives.ReadUInt16BigEndian(d[(12 + (2 * k))..]) / 65535.0;
                    double b = BinaryPrimitives.ReadUInt16BigEndian(d[(14 + (2 * k))..]) / 65535.0;
                    table[i] = (float)(a + ((b - a) * (at - k)));
                }
            }

            return table;
        }

        if (d.Length >= 16 && d[..4].SequenceEqual("para"u8))
        {
            int type = BinaryPrimitives.ReadUInt16BigEndian(d[8..]);
            int parameters = type switch { 0 => 1, 1 => 3, 2 => 4, 3 => 5, 4 => 7, _ => -1 };
            if (parameters < 0 || d.Length < 12 + (4 * parameters))
            {
                return null;
            }

            Span<double> v = stackalloc double[7];
            for (int k = 0; k < parameters; k++)
            {
                v[k] = S15(d[(12 + (4 * k))..]);
            }

            double g = v[0], a = v[1], b = v[2], c = v[3], e = v[4], f = v[5], h = v[6];
            for (int i = 0; i < 256; i++)
            {
                double x = i / 255.0;
                double y = type switch
                {
                    0 => Math.Pow(x, g),
                    1 => x >= -b / a ? Math.Pow((a * x) + b, g) : 0,
                    2 => x >= -b / a ? Math.Pow((a * x) + b, g) + c : c,
                    3 => x >= e ? Math.Pow((a * x) + b, g) : c * x,
                    _ => x >= e ? Math.Pow((a * x) + b, g) + f : (c * x) + h,
                };
                table[i] = (float)Math.Clamp(y, 0, 1);
            }

            return table;
        }

        return null;
    }

    // Within rounding of sRGB: matrix entries within 0.002 and every code's linear value within 1/1024 of sRGB's.
    private static bool IsSrgb(double[,] toXyz, float[][] linear)
    {
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 3; c++)
            {
                if (Math.Abs(toXyz[r, c] - s_srgbToXyz[r, c]) > 0.002)
                {
                    return false;
                }
            }
        }

        foreach (float[] table in linear)
        {
            for (int i = 0; i < 256; i++)
            {
                if (Math.Abs(table[i] - SrgbLinear(i / 255.0)) > 1.0 / 1024)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static double SrgbLinear(double x) => x <= 0.04045 ? x / 12.92 : Math.Pow((x + 0.055) / 1.055, 2.4);

    private static float[] BuildEncode()
    {
        var table = new float[Steps + 2];
        for (int i = 0; i <= Steps + 1; i++)
        {
            double v = Math.Min(1.0, i / (double)Steps);
            table[i] = (float)(255 * (v <= 0.0031308 ? 12.92 * v : (1.055 * Math.Pow(v, 1 / 2.4)) - 0.055));
        }

        return table;
    }

    private static byte Encode(double linear)
    {
        double at = Math.Clamp(linear, 0, 1) * Steps;
        int k = (int)at;
        float y = s_encode[k] + ((s_encode[k + 1] - s_encode[k]) * (float)(at - k));
        return (byte)Math.Clamp((int)(y + 0.5f), 0, 255);
    }

    private static double S15(ReadOnlySpan<byte> b) => BinaryPrimitives.ReadInt32BigEndian(b) / 65536.0;

    private static double[,] Multiply(double[,] a, double[,] b)
    {
        var m = new double[3, 3];
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 3; c++)
            {
                m[r, c] = (a[r, 0] * b[0, c]) + (a[r, 1] * b[1, c]) + (a[r, 2] * b[2, c]);
            }
        }

        return m;
    }

    private static double[,] Invert(double[,] m)
    {
        double a = m[0, 0], b = m[0, 1], c = m[0, 2], d = m[1, 0], e = m[1, 1], f = m[1, 2], g = m[2, 0], h = m[2, 1], i = m[2, 2];
        double det = (a * ((e * i) - (f * h))) - (b * ((d * i) - (f * g))) + (c * ((d * h) - (e * g)));
        return new[,]
        {
            { ((e * i) - (f * h)) / det, ((c * h) - (b * i)) / det, ((b * f) - (c * e)) / det },
            { ((f * g) - (d * i)) / det, ((a * i) - (c * g)) / det, ((c * d) - (a * f)) / det },
            { ((d * h) - (e * g)) / det, ((b * g) - (a * h)) / det, ((a * e) - (b * d)) / det },
        };
    }
}
