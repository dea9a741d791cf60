using System.Runtime.CompilerServices;
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

    [Fact]
    public async Task Pool_UsedOnThreadPoolThreads_IsCollectedWithItsFrames()
    {
        // Rents and returns on thread-pool threads (as a decoder thread and a render stage do), then drops the pool:
        // nothing a thread keeps (per-thread storage of a concurrent collection) may hold it. It failed with ConcurrentBag.
        (WeakReference pool, WeakReference frame) = await UseAndDropAsync();
        for (int i = 0; i < 3 && pool.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(pool.IsAlive, "the pool is still reachable after its last user let go");
        Assert.False(frame.IsAlive, "a frame of the pool is still reachable");
    }

    [Fact]
    public void LivePools_ListsAPoolWhileItIsUsed()
    {
        var pool = new FramePool(8, 8, capacity: 2);
        Assert.Contains(pool, FramePool.LivePools());
        Assert.Equal(8 * 8 * 3 * 2, pool.Bytes);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<(WeakReference Pool, WeakReference Frame)> UseAndDropAsync()
    {
        var pool = new FramePool(64, 32, capacity: 4);
        WeakReference frameRef = null!;
        for (int round = 0; round < 8; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                VideoFrame f = await pool.RentAsync();
                await Task.Yield();
                f.Dispose();
            })));
        }

        Assert.True(pool.TryRent(out VideoFrame frame));
        frameRef = new WeakReference(frame);
        await Task.Run(frame.Dispose);
        return (new WeakReference(pool), frameRef);
    }
}
