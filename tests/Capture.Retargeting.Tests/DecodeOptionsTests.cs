using Capture.Media;
using Capture.Retargeting.Rendering;

namespace Capture.Retargeting.Tests;

public class DecodeOptionsTests
{
    private static VideoStreamInfo Video(int width, int height) => new(width, height, 30, 10, "h264", 0);

    [Fact]
    public void DecodeOptions_PortraitClip_ShrinksTheHeight()
    {
        FrameSourceOptions o = RenderPipeline.DecodeOptions(Video(720, 1280), 640);

        Assert.Equal(640, o.Height);
        Assert.Null(o.Width);
    }

    [Fact]
    public void DecodeOptions_LandscapeClip_ShrinksTheWidth()
    {
        FrameSourceOptions o = RenderPipeline.DecodeOptions(Video(1920, 1080), 640);

        Assert.Equal(640, o.Width);
        Assert.Null(o.Height);
    }

    [Theory]
    [InlineData(640, 480, 640)]
    [InlineData(1920, 1080, null)]
    public void DecodeOptions_SmallEnoughOrNoLimit_KeepsTheStoredSize(int width, int height, int? longSide)
    {
        FrameSourceOptions o = RenderPipeline.DecodeOptions(Video(width, height), longSide);

        Assert.Null(o.Width);
        Assert.Null(o.Height);
    }
}
