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
