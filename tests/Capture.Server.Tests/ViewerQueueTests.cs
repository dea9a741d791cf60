using Capture.Server.Live;

namespace Capture.Server.Tests;

/// <summary>The per-viewer queue: latest frame wins, drops counted, packets released, nothing allocated per frame.</summary>
public sealed class ViewerQueueTests
{
    [Fact]
    public async Task Enqueue_BeyondCapacity_DropsTheOldestAndReleasesIt()
    {
        var pool = new SharedPacketPool(64);
        var queue = new ViewerQueue();
        SharedPacket[] packets = [.. Enumerable.Range(0, 4).Select(i => Packet(pool, (byte)i))];
        Assert.True(queue.EnqueueFrame(packets[0]));
        Assert.True(queue.EnqueueFrame(packets[1]));
        Assert.False(queue.EnqueueFrame(packets[2]));                             // 0 dropped
        Assert.False(queue.EnqueueFrame(packets[3]));                             // 1 dropped
        Assert.Equal(2, queue.Dropped);
        Assert.Same(packets[2], await queue.DequeueAsync());
        Assert.Same(packets[3], await queue.DequeueAsync());
        // The dropped ones went back to the pool (their only reference was the queue's).
        Assert.Contains(pool.Rent(), new[] { packets[0], packets[1] });
    }

    [Fact]
    public async Task Audio_GoesOutBeforeFrames()
    {
        var pool = new SharedPacketPool(64);
        var queue = new ViewerQueue();
        SharedPacket frame = Packet(pool, 1), audio = Packet(pool, 2);
        queue.EnqueueFrame(frame);
        queue.EnqueueAudio(audio);
        Assert.Same(audio, await queue.DequeueAsync());
        Assert.Same(frame, await queue.DequeueAsync());
    }

    [Fact]
    public async Task WaitingReader_GetsTheNextPacket_AndCloseWakesItWithNull()
    {
        var pool = new SharedPacketPool(64);
        var queue = new ViewerQueue();
        ValueTask<SharedPacket?> waiting = queue.DequeueAsync();
        Assert.False(waiting.IsCompleted);
        SharedPacket p = Packet(pool, 7);
        queue.EnqueueFrame(p);
        Assert.Same(p, await waiting);
        ValueTask<SharedPacket?> next = queue.DequeueAsync();
        queue.Close();
        Assert.Null(await next);
        Assert.Null(await queue.DequeueAsync());
        Assert.False(queue.EnqueueFrame(Packet(pool, 8)));
    }

    [Fact]
    public async Task SteadyState_AllocatesNothingPerFrame()
    {
        var pool = new SharedPacketPool(64);
        var queue = new ViewerQueue();
        async Task RoundsAsync(int n)
        {
            for (int i = 0; i < n; i++)
            {
                SharedPacket p = pool.Rent();
                p.Write([1, 2, 3]);
                p.AddReference();
                queue.EnqueueFrame(p);                                           // the queue's reference
                p.Release();                                                     // the renderer's
                SharedPacket? got = await queue.DequeueAsync();
                got!.Release();
            }
        }

        await RoundsAsync(100);
        long before = GC.GetAllocatedBytesForCurrentThread();
        await RoundsAsync(1000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static SharedPacket Packet(SharedPacketPool pool, byte value)
    {
        SharedPacket p = pool.Rent();
        p.Write([value]);
        return p;
    }
}
