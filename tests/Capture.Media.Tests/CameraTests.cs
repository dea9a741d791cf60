namespace Capture.Media.Tests;

/// <summary>A fact that needs a V4L2 camera at /dev/video0; skipped with that reason where there is none.</summary>
public sealed class CameraFactAttribute : FactAttribute
{
    public const string Device = "/dev/video0";

    public CameraFactAttribute()
    {
        if (!File.Exists(Device))
        {
            Skip = $"hardware: no camera at {Device}";
        }
    }
}

[Trait("Hardware", "Camera")]
public sealed class CameraTests
{
    [CameraFact]
    public async Task OpenV4l2Async_RealCamera_DeliversLiveFrames()
    {
        await using IFrameSource source = await FrameSources.OpenV4l2Async(CameraFactAttribute.Device, new FrameSourceOptions { Width = 320 });
        Assert.IsAssignableFrom<ILiveFrameSource>(source);
        long previous = long.MinValue;
        for (int i = 0; i < 5; i++)
        {
            using Capture.Core.Frames.VideoFrame frame = (await source.ReadAsync())!;
            Assert.Equal(320, frame.Width);
            Assert.True(frame.TimestampUs > previous);
            previous = frame.TimestampUs;
        }
    }
}
