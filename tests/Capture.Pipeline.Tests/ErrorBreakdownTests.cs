using Capture.Core.Frames;
using Capture.Pipeline.Evaluation;
using Capture.Retargeting.Rigs;
using Capture.Retargeting.Tests;

namespace Capture.Pipeline.Tests;

public class ErrorBreakdownTests
{
    [Fact]
    public void Regions_ErrorOnlyInTheCorner_PutsAllOfItInTheStillPicture()
    {
        RgbaImage picture = TestRigs.Picture(96, 96, transparentCorners: false);
        CharacterRig rig = TestRigs.SyntheticRig(picture);
        const int size = 64;
        var breakdown = new ErrorBreakdown(rig, size);
        var truth = new float[3 * size * size];
        var generated = new float[3 * size * size];
        var still = new float[3 * size * size];
        truth.AsSpan().Fill(100);
        generated.AsSpan().Fill(100);
        still.AsSpan().Fill(110);
        generated[0] = 120; // top-left pixel, red plane: far outside the face

        breakdown.Add(generated, still, truth);
        IReadOnlyList<RegionError> regions = breakdown.Regions();

        Assert.Equal(1.0, regions.Sum(r => r.Share), 6);
        Assert.Equal(1.0, regions.Sum(r => r.ErrorShare), 6);
        RegionError outside = regions[^1];
        Assert.Equal("still picture", outside.Name);
        Assert.Equal(1.0, outside.ErrorShare, 6);
        Assert.All(regions.Take(regions.Count - 1), r => Assert.True(double.IsPositiveInfinity(r.Psnr)));
        Assert.All(regions, r => Assert.Equal(10 * Math.Log10(255.0 * 255 / 100), r.StillPsnr, 6));
        Assert.Equal(46, breakdown.ErrorPicture()[0]); // RMS over the 3 channels: √(20²/3) ≈ 11.5, shown ×4
    }
}
