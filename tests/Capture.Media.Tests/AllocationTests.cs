using System.Buffers.Binary;

namespace Capture.Media.Tests;

[CollectionDefinition(nameof(AllocationCollection), DisableParallelization = true)]
public sealed class AllocationCollection;

/// <summary>Runs alone (no other test allocating meanwhile), so the process-wide allocation count is ours.</summary>
[Collection(nameof(AllocationCollection))]
public sealed class AllocationTests
{
    [Fact]
    public async Task LoadRgbaAsync_PngHeaderClaimingHugeSize_RefusedBeforeDecoding()
    {
        // A real PNG whose IHDR is rewritten to 100000 x 100000 (10 Gpx): refused from the header.
        // Counted process-wide, alone: the per-thread count read before and after an await can
        // come from two threads (it failed a CI dry run that way).
        byte[] png = await File.ReadAllBytesAsync(TestMedia.EileenRgba);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), 100_000);
        string path = Path.Combine(Path.GetTempPath(), $"bomb-{Guid.NewGuid():N}.png");
        try
        {
            await File.WriteAllBytesAsync(path, png);
            long before = GC.GetTotalAllocatedBytes(precise: true);
            var ex = await Assert.ThrowsAsync<MediaInputException>(() => ImageFile.LoadRgbaAsync(path));
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            Assert.Contains("picture too large: 100000x100000", ex.Message, StringComparison.Ordinal);
            Assert.True(allocated < 10_000_000, $"allocated {allocated} bytes before refusing");
        }
        finally
        {
            File.Delete(path);
        }
    }

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
