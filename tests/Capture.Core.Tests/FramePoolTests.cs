using Capture.Core.Frames;

namespace Capture.Core.Tests;

public class FramePoolTests
{
    [Fact]
    public void TryRent_AllFramesOut_ReturnsFalseUntilOneComesBack()
    {
        var pool = new FramePool(4, 2, capacity: 2);
        Assert.True(pool.TryRent(out VideoFrame a));
        Assert.True(pool.TryRent(out VideoFrame b));
        Assert.False(pool.TryRent(out _));
        Assert.Equal(2, pool.InUse);

        a.Dispose();
        Assert.True(pool.TryRent(out VideoFrame c));
        Assert.Same(a, c);
        b.Dispose();
        c.Dispose();
        Assert.Equal(0, pool.InUse);
    }

    [Fact]
    public void Dispose_Twice_Throws()
    {
        var pool = new FramePool(2, 2, capacity: 1);
        Assert.True(pool.TryRent(out VideoFrame frame));
        frame.Dispose();
        Assert.Throws<InvalidOperationException>(frame.Dispose);
    }

    [Fact]
    public async Task RentAsync_PoolEmpty_WaitsForReturn()
    {
        var pool = new FramePool(2, 2, capacity: 1);
        VideoFrame first = await pool.RentAsync();
        ValueTask<VideoFrame> pending = pool.RentAsync();
        Assert.False(pending.IsCompleted);
        first.Dispose();
        using VideoFrame second = await pending.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, pool.WaitCount);
    }

    [Fact]
    public void Frame_Pixels_HaveRgb24Size()
    {
        var pool = new FramePool(640, 480, capacity: 1);
        Assert.True(pool.TryRent(out VideoFrame frame));
        Assert.Equal(640 * 480 * 3, frame.Pixels.Length);
        Assert.Equal(640 * 3, frame.Row(10).Length);
        frame.Dispose();
    }
}
