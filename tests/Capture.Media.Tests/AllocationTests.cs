namespace Capture.Media.Tests;

[CollectionDefinition(nameof(AllocationCollection), DisableParallelization = true)]
public sealed class AllocationCollection;

/// <summary>Runs alone (no other test allocating meanwhile), so the process-wide allocation count is ours.</summary>
[Collection(nameof(AllocationCollection))]
public sealed class AllocationTests
{
    [Fact]
    public async Task ReadAsync_SteadyState_AllocatesFarLessThanAFramePerFrame()
    {
        await using IFrameSource source = await FrameSources.OpenFileAsync(TestMedia.ExprMan);
        for (int i = 0; i < 20; i++)
        {
            (await source.ReadAsync())!.Dispose(); // warm up: pool, channel, JIT
        }

        long before = GC.GetTotalAllocatedBytes(precise: true);
        const int Frames = 150;
        for (int i = 0; i < Frames; i++)
        {
            (await source.ReadAsync())!.Dispose();
        }

        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        // One 480×480 frame is 691 200 bytes; copying per frame would be 100 MB here. Allow runtime noise
        // (thread-pool, timers) but nothing that scales with frame size.
        Assert.True(allocated < 256 * 1024, $"allocated {allocated} bytes over {Frames} frames");
    }
}
