using Capture.Core.Tracking;
using Capture.Media;
using Capture.Testing;
using Capture.Tracking;

namespace Capture.Pipeline.Tests;

/// <summary>The one calibration loop and the track loop, on real clips with the real tracker.</summary>
public sealed class CalibrationPassTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-calib-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Clip => SharedMedia.File("vid_expr_woman_d3.mp4");

    private static TrackerOptions FaceOptions => new() { Face = true, Threads = 1, RefineLandmarks = true };

    [Fact]
    public async Task RunAsync_KeptFramesThenTrackingOn_EqualsOneUnbrokenTrack()
    {
        // What render relies on: the pass's kept results plus the same tracker carrying on from where
        // the pass stopped give exactly what one tracker run from frame 0 gives.
        const int After = 5;
        MediaInfo info = await MediaProbe.ProbeAsync(Clip);
        using Tracker tracker = await Tracker.CreateAsync(FaceOptions);
        var window = new CalibrationWindow { NeutralSeconds = 0.3, KeepFrames = true };
        CalibrationPass pass;
        await using (IFrameSource source = FrameSources.OpenFile(Clip, info))
        {
            pass = await CalibrationPass.RunAsync(source, tracker, window);
        }

        double fps = info.Video!.FrameRate;
        Assert.Equal((long)Math.Round(0.3 * fps), pass.Calibrator.NeutralFrames);
        Assert.Equal(pass.FramesRead, pass.Frames.Count);
        Assert.NotNull(pass.FirstFaceCrop);
        Assert.Equal(0, pass.RangeFrames);

        var carried = new List<TrackingFrame>(pass.Frames);
        await using (IFrameSource source = FrameSources.OpenFile(Clip, info))
        {
            for (int n = 0; n < pass.Frames.Count + After; n++)
            {
                using Core.Frames.VideoFrame frame = (await source.ReadAsync())!;
                if (n >= pass.Frames.Count)
                {
                    var result = new TrackingFrame();
                    tracker.Process(frame, result);
                    carried.Add(result);
                }
            }
        }

        using Tracker fresh = await Tracker.CreateAsync(FaceOptions);
        await using (IFrameSource source = FrameSources.OpenFile(Clip, info))
        {
            var expected = new TrackingFrame();
            foreach (TrackingFrame got in carried)
            {
                using Core.Frames.VideoFrame frame = (await source.ReadAsync())!;
                fresh.Process(frame, expected);
                Assert.Equal(expected.Face.Present, got.Face.Present);
                Assert.Equal(expected.Face.Landmarks, got.Face.Landmarks);
                Assert.Equal(expected.Face.Blendshapes, got.Face.Blendshapes);
            }
        }
    }

    [Fact]
    public async Task CalibrateAsync_NeutralThenRange_ReadsBothWindowsAndBuildsTheProfile()
    {
        var window = new CalibrationWindow { NeutralSeconds = 0.2, RangeSeconds = 0.4 };
        (Retargeting.Calibration.PerformerProfile profile, CalibrationPass pass) = await CalibrationPass.CalibrateAsync(Clip, "d3", window);

        MediaInfo info = await MediaProbe.ProbeAsync(Clip);
        double fps = info.Video!.FrameRate;
        Assert.Equal((long)Math.Round(0.2 * fps), profile.Frames);
        Assert.Equal((long)Math.Ceiling(0.4 * fps), pass.RangeFrames);
        Assert.Equal(profile.Frames + pass.RangeFrames, pass.FramesRead);
        Assert.Empty(pass.Frames);
        Assert.True(profile.HasNeutral);
    }

    [Fact]
    public async Task RunAsync_NoNeutralSeconds_IsAnArgumentError()
    {
        await using IFrameSource source = FrameSources.OpenLavfi("color=c=gray", 64, 64, 10, frameCount: 3);
        using Tracker tracker = await Tracker.CreateAsync(FaceOptions);

        ArgumentException ex = await Assert.ThrowsAsync<ArgumentException>(() => CalibrationPass.RunAsync(source, tracker, new CalibrationWindow { NeutralSeconds = 0 }));
        Assert.Contains("neutral", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CalibrateAsync_NoFaceInTheClip_SaysSo()
    {
        // A grey test source: the pass searches its whole (short) length, then the profile has no neutral.
        InvalidDataException ex = await Assert.ThrowsAsync<InvalidDataException>(() => CalibrationPass.CalibrateAsync(
            "lavfi:color=c=gray:s=160x120:d=0.5", "grey", new CalibrationWindow { NeutralSeconds = 0.1, SearchSeconds = 0.5 }));
        Assert.Contains("no face", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrackPipeline_Clip_WritesOnePacketAFrame()
    {
        string output = Path.Combine(_dir, "t.mpk");
        using var metrics = new Core.Diagnostics.CaptureMetricsListener();
        TrackResult result = await TrackPipeline.RunAsync(new TrackOptions
        {
            Input = "lavfi:testsrc2=s=160x120:d=0.3",
            OutputPath = output,
            Tracker = FaceOptions,
        });

        Assert.InRange(result.Frames, 8, 10); // 0.3 s at lavfi's 30 fps
        Assert.Equal(0, result.FramesWithFace);
        using var recording = Protocol.Recording.RecordingReader.Open(output);
        int packets = 0;
        while (recording.TryReadNext(out _))
        {
            packets++;
        }

        Assert.Equal(result.Frames, packets);

        // The live counters saw the run (other tests may track at the same time: at least these frames).
        Assert.True(metrics.Get("capture.frames", "track")!.Value.Sum >= result.Frames);
        Assert.True(metrics.Get("capture.stage.duration", "track", "track")!.Value.Count >= result.Frames);
        Assert.True(metrics.Get("capture.frames.faceless", "track")!.Value.Sum >= result.Frames);
    }

    [Fact]
    public async Task TrackPipeline_MissingFileOrNothingToTrack_NamesTheProblem()
    {
        FileNotFoundException missing = await Assert.ThrowsAsync<FileNotFoundException>(() => TrackPipeline.RunAsync(
            new TrackOptions { Input = Path.Combine(_dir, "none.mp4"), OutputPath = Path.Combine(_dir, "x.mpk") }));
        Assert.Contains("none.mp4", missing.Message, StringComparison.Ordinal);

        ArgumentException nothing = await Assert.ThrowsAsync<ArgumentException>(() => TrackPipeline.RunAsync(
            new TrackOptions { Input = Clip, OutputPath = Path.Combine(_dir, "x.mpk"), Tracker = new TrackerOptions { Face = false, Body = false } }));
        Assert.Contains("nothing to track", nothing.Message, StringComparison.Ordinal);
    }
}
