using System.Numerics;

namespace Capture.Generation.Tests;

/// <summary>How the performer's mouth colours are matched to the character's lips.</summary>
public class MouthColourMatchTests
{
    private static readonly Vector3 s_redLips = new(0.70f, 0.30f, 0.30f);
    private static readonly Vector3 s_oliveLips = new(0.55f, 0.45f, 0.25f);
    private static readonly Vector3 s_spread = new(0.08f);

    [Fact]
    public void Apply_ThePerformersLipColour_BecomesTheCharactersLipColour()
    {
        var match = new MouthColourMatch(s_redLips, s_spread, s_oliveLips, s_spread);

        Assert.True(Vector3.Distance(s_oliveLips, match.Apply(s_redLips)) < 1e-4f, $"{match.Apply(s_redLips)}");
    }

    [Fact]
    public void Apply_WhiteTeethUnderRedLips_StayNeutralUnderOliveLips()
    {
        var match = new MouthColourMatch(s_redLips, s_spread, s_oliveLips, s_spread);
        var teeth = new Vector3(0.92f, 0.90f, 0.88f);

        Vector3 got = match.Apply(teeth);

        // Matching each channel's mean instead gives (0.77, 1, 0.83): green.
        float tint = MathF.Max(got.X, MathF.Max(got.Y, got.Z)) - MathF.Min(got.X, MathF.Min(got.Y, got.Z));
        Assert.True(tint < 0.05f, $"teeth {got}");
        Assert.True(got.X > 0.75f, $"teeth {got} keep their brightness above the lips'");
    }

    [Fact]
    public void Apply_ADarkRedTongue_TakesTheCharactersTint()
    {
        var match = new MouthColourMatch(s_redLips, s_spread, s_oliveLips, s_spread);
        var tongue = new Vector3(0.50f, 0.15f, 0.15f);

        Vector3 got = match.Apply(tongue);

        // Redder than it is green before; the character's lips are more yellow than blue, and so is the tongue now.
        Assert.True(got.Y - got.Z > 0.1f, $"tongue {got}");
    }

    [Fact]
    public void Apply_SameLips_IsTheIdentity()
    {
        var match = new MouthColourMatch(s_redLips, s_spread, s_redLips, s_spread);
        Vector3[] colours = [new(0.1f, 0.5f, 0.9f), new(0.9f, 0.9f, 0.9f), s_redLips, new(0.3f, 0.05f, 0.1f)];

        foreach (Vector3 c in colours)
        {
            Assert.True(Vector3.Distance(c, match.Apply(c)) < 1e-5f, $"{c} → {match.Apply(c)}");
        }

        Assert.Equal(new Vector3(0.2f, 0.4f, 0.6f), default(MouthColourMatch).Apply(new Vector3(0.2f, 0.4f, 0.6f)));
    }

    [Fact]
    public void Apply_ContrastGain_IsClampedToHalfAndOneAndAHalf()
    {
        // The character's lips four times as varied: the gain stops at 1.5.
        var match = new MouthColourMatch(s_redLips, s_spread, s_redLips, s_spread * 4);
        Vector3 darker = s_redLips - new Vector3(0.1f);

        Vector3 got = match.Apply(darker);

        Assert.True(MathF.Abs((s_redLips - got).X - 0.15f) < 1e-4f, $"{got}");
    }
}
