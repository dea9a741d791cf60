namespace Capture.Pipeline.Evaluation;

/// <summary>
/// PSNR and SSIM between two pictures given as planar RGB values on the 0..255 scale. SSIM is the
/// usual form (Wang et al. 2004): Gaussian window σ = 1.5 (11 taps), K1 = 0.01, K2 = 0.03, computed
/// per colour channel and averaged. Scratch buffers are owned by the instance (one size).
/// </summary>
public sealed class ImageMetrics
{
    private const int Radius = 5;
    private static readonly float[] s_window = MakeWindow();

    private readonly int _size;
    private readonly float[] _mu1;
    private readonly float[] _mu2;
    private readonly float[] _s11;
    private readonly float[] _s22;
    private readonly float[] _s12;
    private readonly float[] _temp;
    private readonly float[] _product;

    public ImageMetrics(int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 2 * Radius + 1);
        _size = size;
        int n = size * size;
        _mu1 = new float[n];
        _mu2 = new float[n];
        _s11 = new float[n];
        _s22 = new float[n];
        _s12 = new float[n];
        _temp = new float[n];
        _product = new float[n];
    }

    /// <summary>Peak signal-to-noise ratio in dB over all channels (∞ for identical pictures).</summary>
    public static double Psnr(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length || a.Length == 0)
        {
            throw new ArgumentException("pictures must have the same, non-zero size");
        }

        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i];
            sum += d * d;
        }

        double mse = sum / a.Length;
        return mse <= 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }

    /// <summary>Mean SSIM over <paramref name="channels"/> planes of size×size (valid region, no padding).</summary>
    public double Ssim(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int channels)
    {
        int plane = _size * _size;
        double total = 0;
        for (int c = 0; c < channels; c++)
        {
            total += SsimPlane(a.Slice(c * plane, plane), b.Slice(c * plane, plane));
        }

        return total / channels;
    }

    private double SsimPlane(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        const double C1 = (0.01 * 255) * (0.01 * 255);
        const double C2 = (0.03 * 255) * (0.03 * 255);
        Blur(a, _mu1);
        Blur(b, _mu2);
        for (int i = 0; i < a.Length; i++)
        {
            _product[i] = a[i] * a[i];
        }

        Blur(_product, _s11);
        for (int i = 0; i < a.Length; i++)
        {
            _product[i] = b[i] * b[i];
        }

        Blur(_product, _s22);
        for (int i = 0; i < a.Length; i++)
        {
            _product[i] = a[i] * b[i];
        }

        Blur(_product, _s12);
        double sum = 0;
        int count = 0;
        for (int y = Radius; y < _size - Radius; y++)
        {
            for (int x = Radius; x < _size - Radius; x++)
            {
                int i = (y * _size) + x;
                double m1 = _mu1[i];
                double m2 = _mu2[i];
                double v1 = _s11[i] - (m1 * m1);
                double v2 = _s22[i] - (m2 * m2);
                double cov = _s12[i] - (m1 * m2);
                sum += ((2 * m1 * m2) + C1) * ((2 * cov) + C2) / (((m1 * m1) + (m2 * m2) + C1) * (v1 + v2 + C2));
                count++;
            }
        }

        return sum / count;
    }

    // Separable Gaussian; border rows/columns are left unused by the caller.
    private void Blur(ReadOnlySpan<float> source, float[] destination)
    {
        int n = _size;
        for (int y = 0; y < n; y++)
        {
            for (int x = Radius; x < n - Radius; x++)
            {
                float s = 0;
                for (int k = -Radius; k <= Radius; k++)
                {
                    s += s_window[k + Radius] * source[(y * n) + x + k];
                }

                _temp[(y * n) + x] = s;
            }
        }

        for (int y = Radius; y < n - Radius; y++)
        {
            for (int x = Radius; x < n - Radius; x++)
            {
                float s = 0;
                for (int k = -Radius; k <= Radius; k++)
                {
                    s += s_window[k + Radius] * _temp[((y + k) * n) + x];
                }

                destination[(y * n) + x] = s;
            }
        }
    }

    private static float[] MakeWindow()
    {
        var w = new float[(2 * Radius) + 1];
        double sum = 0;
        for (int k = -Radius; k <= Radius; k++)
        {
            double v = Math.Exp(-(k * k) / (2 * 1.5 * 1.5));
            w[k + Radius] = (float)v;
            sum += v;
        }

        for (int i = 0; i < w.Length; i++)
        {
            w[i] = (float)(w[i] / sum);
        }

        return w;
    }
}
