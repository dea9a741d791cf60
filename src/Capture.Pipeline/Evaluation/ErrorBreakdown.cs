using Capture.Retargeting;
using Capture.Retargeting.Rigs;

namespace Capture.Pipeline.Evaluation;

/// <summary>Squared error of one region of the crop, generated and frame 0 held still.</summary>
/// <param name="Name">Region, by distance from the face in face-oval radii.</param>
/// <param name="Share">Fraction of the crop's pixels in the region.</param>
/// <param name="Psnr">PSNR of the generated frames over the region's pixels alone (all frames pooled).</param>
/// <param name="StillPsnr">Same for frame 0 held still.</param>
/// <param name="ErrorShare">Fraction of all the generated frames' squared error that sits in this region.</param>
public sealed record RegionError(string Name, double Share, double Psnr, double StillPsnr, double ErrorShare);

/// <summary>
/// Where a self-reenactment's error sits: per-pixel squared error summed over frames, split into
/// rings around the character's face oval (inside the face, the rest of the animated head, the
/// feathered edge of the animation mask, the still picture). Also the mean error picture.
/// </summary>
public sealed class ErrorBreakdown
{
    private static readonly (string Name, float Outer)[] s_rings =
    [
        ("face (inside the oval)", 1f),
        ($"head (1–{CharacterRig.AnimationMaskInner} radii)", CharacterRig.AnimationMaskInner),
        ($"mask edge ({CharacterRig.AnimationMaskInner}–{CharacterRig.AnimationMaskOuter})", CharacterRig.AnimationMaskOuter),
        ("still picture", float.PositiveInfinity),
    ];

    private readonly int _size;
    private readonly double[] _generated;
    private readonly double[] _still;
    private readonly byte[] _ring;
    private long _frames;

    public ErrorBreakdown(CharacterRig rig, int size)
    {
        ArgumentNullException.ThrowIfNull(rig);
        _size = size;
        _generated = new double[size * size];
        _still = new double[size * size];
        _ring = new byte[size * size];
        (System.Numerics.Vector2 center, System.Numerics.Vector2 radius) = FaceMeasures.OvalEllipse(rig.Neutral);
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                float dx = (((float)x / (size - 1)) - center.X) / radius.X;
                float dy = (((float)y / (size - 1)) - center.Y) / radius.Y;
                float r = MathF.Sqrt((dx * dx) + (dy * dy));
                byte k = 0;
                while (r > s_rings[k].Outer)
                {
                    k++;
                }

                _ring[(y * size) + x] = k;
            }
        }
    }

    /// <summary>Adds one frame (planar RGB on the 0..255 scale, at least 3 planes).</summary>
    public void Add(ReadOnlySpan<float> generated, ReadOnlySpan<float> still, ReadOnlySpan<float> truth)
    {
        int plane = _size * _size;
        for (int c = 0; c < 3; c++)
        {
            int o = c * plane;
            for (int i = 0; i < plane; i++)
            {
                double g = generated[o + i] - truth[o + i];
                double s = still[o + i] - truth[o + i];
                _generated[i] += g * g;
                _still[i] += s * s;
            }
        }

        _frames++;
    }

    public IReadOnlyList<RegionError> Regions()
    {
        var result = new List<RegionError>();
        double total = _generated.Sum();
        for (int k = 0; k < s_rings.Length; k++)
        {
            double g = 0, s = 0;
            long n = 0;
            for (int i = 0; i < _ring.Length; i++)
            {
                if (_ring[i] == k)
                {
                    g += _generated[i];
                    s += _still[i];
                    n++;
                }
            }

            if (n == 0)
            {
                continue;
            }

            double count = n * 3.0 * _frames;
            result.Add(new RegionError(s_rings[k].Name, (double)n / _ring.Length, ToPsnr(g / count), ToPsnr(s / count), total > 0 ? g / total : 0));
        }

        return result;
    }

    /// <summary>The generated frames' root-mean-square error per pixel as an 8-bit grey picture (×4, clipped).</summary>
    public byte[] ErrorPicture()
    {
        var grey = new byte[_size * _size];
        for (int i = 0; i < grey.Length; i++)
        {
            double rms = Math.Sqrt(_generated[i] / (3.0 * Math.Max(1, _frames)));
            grey[i] = (byte)Math.Clamp((int)(rms * 4), 0, 255);
        }

        return grey;
    }

    public int Size => _size;

    private static double ToPsnr(double mse) => mse <= 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
}
