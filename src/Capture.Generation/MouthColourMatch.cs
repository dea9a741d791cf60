using System.Numerics;

namespace Capture.Generation;

/// <summary>
/// Maps a colour of the performer's mouth into the character's lip colours. Brightness (luma,
/// Rec. 601 weights) is matched from the performer's lips to the character's: the same distance
/// from the lips' mean, times one contrast gain (the ratio of the lips' mean channel spreads, 0.5–1.5).
/// Colour (the pixel minus its luma) is moved from the performer's lip tint to the character's only
/// as far as the pixel shares the performer's lip tint: a lip or tongue colour takes the character's
/// lip tint, a neutral one (teeth) stays neutral. Matching every channel's mean instead (the first
/// version) added the difference of the two lip tints to the teeth too: white teeth under red lips
/// came out green under the Mona Lisa's olive ones.
/// </summary>
public readonly struct MouthColourMatch
{
    private static readonly Vector3 s_luma = new(0.299f, 0.587f, 0.114f);

    private readonly float _gain;
    private readonly float _fromLuma;
    private readonly float _toLuma;
    private readonly Vector3 _fromTint;
    private readonly Vector3 _toTint;
    private readonly float _fromTintSquared;

    /// <param name="fromMean">Mean colour (0..1) of the performer's lips.</param>
    /// <param name="fromSpread">Per-channel standard deviation of the performer's lips.</param>
    /// <param name="toMean">Mean colour of the character's lips.</param>
    /// <param name="toSpread">Per-channel standard deviation of the character's lips.</param>
    public MouthColourMatch(Vector3 fromMean, Vector3 fromSpread, Vector3 toMean, Vector3 toSpread)
    {
        float theirs = (fromSpread.X + fromSpread.Y + fromSpread.Z) / 3;
        float mine = (toSpread.X + toSpread.Y + toSpread.Z) / 3;
        _gain = Math.Clamp(mine / MathF.Max(theirs, 1e-3f), 0.5f, 1.5f);
        _fromLuma = Vector3.Dot(fromMean, s_luma);
        _toLuma = Vector3.Dot(toMean, s_luma);
        _fromTint = fromMean - new Vector3(_fromLuma);
        _toTint = toMean - new Vector3(_toLuma);
        _fromTintSquared = _fromTint.LengthSquared();
        Initialized = true;
    }

    /// <summary>False for <c>default</c>, which <see cref="Apply"/> treats as the identity.</summary>
    public bool Initialized { get; }

    /// <summary>The character's version of performer colour <paramref name="c"/> (0..1 per channel).</summary>
    public Vector3 Apply(Vector3 c)
    {
        if (!Initialized)
        {
            return c;
        }

        float luma = Vector3.Dot(c, s_luma);
        Vector3 tint = c - new Vector3(luma);
        float share = _fromTintSquared > 1e-6f ? Math.Clamp(Vector3.Dot(tint, _fromTint) / _fromTintSquared, 0, 1) : 0;
        float outLuma = _toLuma + ((luma - _fromLuma) * _gain);
        Vector3 outTint = ((tint - (share * _fromTint)) * _gain) + (share * _toTint);
        return Vector3.Clamp(new Vector3(outLuma) + outTint, Vector3.Zero, Vector3.One);
    }
}
