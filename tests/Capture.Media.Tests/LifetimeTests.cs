using Capture.Core.Frames;
using Capture.Media.Internal;

namespace Capture.Media.Tests;

/// <summary>ffmpeg children end with their owner: on cancel, on dispose, at the end of the stream.</summary>
public sealed class LifetimeTests
{
    [Fact]
    public async Task ReadAsync_Cancelled_KillsFfmpegAndStopsSource()
    {
        var source = (FfmpegFrameSource)FrameSources.OpenLavfi("testsrc2=size=320x240:rate=30:duration=600", 320, 240, 30);
        await using (source)
        {
            using (VideoFrame first = (await source.ReadAsync())!)
            {
                Assert.Equal(0, first.Sequence);
            }

            int pid = source.ProcessId;
            using var cts = new CancellationTokenSource();
            // Hold every frame so the next read has to wait, then cancel it.
            var held = new List<VideoFrame>();
            for (int i = 0; i < source.Pool.Capacity; i++)
            {
                held.Add((await source.ReadAsync())!);
            }

            ValueTask<VideoFrame?> pending = source.ReadAsync(cts.Token);
            cts.CancelAfter(100);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
            Assert.True(TestMedia.ProcessGone(pid), $"ffmpeg {pid} still running after cancel");
            TestMedia.AssertNoFfmpegMentioning("duration=600");
            held.ForEach(f => f.Dispose());
        }
    }

    [Fact]
    public async Task DisposeAsync_MidStream_KillsFfmpeg()
    {
        var source = (FfmpegFrameSource)await FrameSources.OpenFileAsync(TestMedia.TalkSelfie);
        (await source.ReadAsync())!.Dispose();
        int pid = source.ProcessId;
        Assert.False(source.ProcessHasExited);
        await source.DisposeAsync();
        Assert.True(TestMedia.ProcessGone(pid), $"ffmpeg {pid} still running after dispose");
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await source.ReadAsync());
    }

    [Fact]
    public async Task ReadAsync_CancelledBeforeOpen_ProbeCancelled()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => FrameSources.OpenFileAsync(TestMedia.ExprMan, ct: cts.Token));
    }
}

public sealed class LiveSourceTests
{
    [Fact]
    public async Task ReadAsync_RealTimeSourceWithSlowConsumer_DropsOldestAndDeliversRecentFrame()
    {
        await using IFrameSource opened = FrameSources.OpenLavfi("testsrc2", 64, 48, 100, realTime: true);
        var source = Assert.IsAssignableFrom<ILiveFrameSource>(opened);
        long firstSequence;
        using (Capture.Core.Frames.VideoFrame first = (await source.ReadAsync())!)
        {
            firstSequence = first.Sequence;
        }

        await Task.Delay(600); // the consumer falls ~60 frames behind a 100 fps camera
        long before = Capture.Core.Timing.CaptureClock.NowUs;
        using Capture.Core.Frames.VideoFrame latest = (await source.ReadAsync())!;
        Assert.True(latest.Sequence - firstSequence >= 30, $"got frame {latest.Sequence} after {firstSequence}: stale frames were queued, not dropped");
        Assert.True(source.DroppedFrames >= 20, $"dropped {source.DroppedFrames}");
        // A frame queued before the pause would be ~600 ms old; the newest one is at most a few frame times old
        // (generous, because the test machine is shared and threads get scheduled late).
        Assert.InRange(before - latest.TimestampUs, 0, 300_000);
    }

    [Fact]
    public async Task ReadAsync_RealTimeSource_IsPacedLikeACamera()
    {
        await using IFrameSource source = FrameSources.OpenLavfi("testsrc2", 32, 32, 20, frameCount: 10, realTime: true);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int count = 0;
        while (await source.ReadAsync() is { } frame)
        {
            frame.Dispose();
            count++;
        }

        // Every frame ffmpeg produced is either delivered or counted as dropped (a late consumer on a busy machine).
        Assert.Equal(10, count + ((ILiveFrameSource)source).DroppedFrames);
        Assert.True(clock.ElapsedMilliseconds >= 350, $"10 frames at 20 fps took only {clock.ElapsedMilliseconds} ms");
    }
}
