using System.Diagnostics;
using Capture.Core.Diagnostics;
using Capture.Core.Frames;

namespace Capture.Core.Tests;

public class CaptureMetricsTests
{
    [Fact]
    public void Listener_StagesCountersAndPool_AreSummedPerTagValues()
    {
        // A pipeline name no other test uses: the meter is process-wide.
        string pipeline = "test-" + Guid.NewGuid().ToString("N");
        using var listener = new CaptureMetricsListener();
        CaptureMetrics.RecordStage(pipeline, CaptureMetrics.Stages.Track, 0.010);
        CaptureMetrics.RecordStage(pipeline, CaptureMetrics.Stages.Track, 0.030);
        CaptureMetrics.RecordStage(pipeline, CaptureMetrics.Stages.Decode, 0.002);
        CaptureMetrics.Add(CaptureMetrics.Frames, pipeline, 2);
        CaptureMetrics.Add(CaptureMetrics.FramesDropped, pipeline);
        var pool = new FramePool(4, 4, 3);
        Assert.True(pool.TryRent(out VideoFrame? a));
        using VideoFrame first = a;
        CaptureMetrics.RecordPool(pipeline, a.Pool);
        Assert.True(pool.TryRent(out VideoFrame? b));
        using VideoFrame second = b;
        CaptureMetrics.RecordPool(pipeline, b.Pool);

        CaptureMetricsListener.Series track = listener.Get("capture.stage.duration", pipeline, CaptureMetrics.Stages.Track)!.Value;
        Assert.Equal(2, track.Count);
        Assert.Equal(0.040, track.Sum, 9);
        Assert.Equal(0.030, track.Max, 9);
        Assert.Equal(1, listener.Get("capture.stage.duration", pipeline, CaptureMetrics.Stages.Decode)!.Value.Count);
        Assert.Equal(2, listener.Get("capture.frames", pipeline)!.Value.Sum);
        Assert.Equal(1, listener.Get("capture.frames.dropped", pipeline)!.Value.Sum);
        CaptureMetricsListener.Series inUse = listener.Get("capture.pool.in_use", pipeline)!.Value;
        Assert.Equal((2, 1.0, 2.0), (inUse.Count, inUse.Min, inUse.Max));
        Assert.Null(listener.Get("capture.frames.faceless", pipeline));

        IReadOnlyList<string> report = listener.Report();
        Assert.Contains(report, l => l.StartsWith($"capture.stage.duration {pipeline} track: 0.040 s over 2", StringComparison.Ordinal));
        Assert.Contains(report, l => l == $"capture.frames {pipeline}: 2");
        Assert.Contains(report, l => l.StartsWith("capture.gc.collections 0: +", StringComparison.Ordinal));
        Assert.Contains(report, l => l.StartsWith("capture.gc.allocated: +", StringComparison.Ordinal));
    }

    [Fact]
    public void RecordStage_WithAListenerAfterWarmUp_AllocatesNothing()
    {
        string pipeline = "test-" + Guid.NewGuid().ToString("N");
        using var listener = new CaptureMetricsListener();
        long t0 = Stopwatch.GetTimestamp();
        for (int i = 0; i < 10; i++)
        {
            CaptureMetrics.RecordStage(pipeline, CaptureMetrics.Stages.Generate, t0, Stopwatch.GetTimestamp());
            CaptureMetrics.Add(CaptureMetrics.Frames, pipeline);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            CaptureMetrics.RecordStage(pipeline, CaptureMetrics.Stages.Generate, t0, Stopwatch.GetTimestamp());
            CaptureMetrics.Add(CaptureMetrics.Frames, pipeline);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1010, listener.Get("capture.frames", pipeline)!.Value.Sum);
    }
}
