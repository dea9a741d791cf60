using Capture.Core.Frames;

namespace Capture.Media.Tests;

public sealed class FrameSourceTests : IClassFixture<TempDir>
{
    private readonly TempDir _temp;

    public FrameSourceTests(TempDir temp)
    {
        _temp = temp;
    }

    [Fact]
    public async Task ProbeAsync_SharedClip_ReportsStreams()
    {
        MediaInfo info = await MediaProbe.ProbeAsync(TestMedia.ExprMan);
        Assert.Contains("mp4", info.FormatName, StringComparison.Ordinal);
        Assert.Equal(new VideoStreamInfo(480, 480, 30, 216, "h264", 0), info.Video);
        Assert.Equal(new AudioStreamInfo(44100, 2, "aac"), info.Audio);
        Assert.InRange(info.DurationSeconds!.Value, 7.1, 7.3);
    }

    [Fact]
    public async Task OpenFile_WithItsProbe_OpensWithoutProbingAgainAndDecodesTheSameFrames()
    {
        MediaInfo info = await MediaProbe.ProbeAsync(TestMedia.ExprMan);
        await using IFrameSource probed = FrameSources.OpenFile(TestMedia.ExprMan, info, new FrameSourceOptions { Width = 240 });
        await using IFrameSource plain = await FrameSources.OpenFileAsync(TestMedia.ExprMan, new FrameSourceOptions { Width = 240 });
        Assert.Equal((plain.Width, plain.Height, plain.FrameRate, plain.FrameCount), (probed.Width, probed.Height, probed.FrameRate, probed.FrameCount));
        for (int i = 0; i < 3; i++)
        {
            using VideoFrame a = (await probed.ReadAsync())!;
            using VideoFrame b = (await plain.ReadAsync())!;
            Assert.True(a.ReadOnlyPixels.SequenceEqual(b.ReadOnlyPixels));
        }

        MediaInputException ex = Assert.Throws<MediaInputException>(() => FrameSources.OpenFile(TestMedia.ExprMan, info with { Video = null }));
        Assert.Contains("no video stream", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_SharedClip_DecodesAll216FramesWithPresentationTimes()
    {
        await using IFrameSource source = await FrameSources.OpenFileAsync(TestMedia.ExprMan);
        Assert.Equal((480, 480, 30.0, 216L), (source.Width, source.Height, source.FrameRate, source.FrameCount!.Value));
        int count = 0;
        long previous = -1;
        long checksumFirst = 0;
        while (await source.ReadAsync() is { } frame)
        {
            using (frame)
            {
                Assert.Equal(count, frame.Sequence);
                Assert.Equal(480 * 480 * 3, frame.Pixels.Length);
                if (count == 0)
                {
                    Assert.Equal(0, frame.TimestampUs);
                    foreach (byte b in frame.ReadOnlyPixels)
                    {
                        checksumFirst += b;
                    }
                }
                else
                {
                    Assert.InRange(frame.TimestampUs - previous, 33_332, 33_334);
                }

                previous = frame.TimestampUs;
                count++;
            }
        }

        Assert.Equal(216, count);
        // A real picture (grey studio background), not a black or white buffer.
        double mean = checksumFirst / (480.0 * 480 * 3);
        Assert.InRange(mean, 40, 220);
        Assert.Null(await source.ReadAsync()); // stays at the end
    }

    [Fact]
    public async Task ReadAsync_SharedClip_MatchesFfmpegDirectDecode()
    {
        string reference = _temp.File("frame10.rgb");
        TestMedia.Ffmpeg("-i", TestMedia.ExprMan, "-vf", "select=eq(n\\,10)", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", reference);
        byte[] expected = await File.ReadAllBytesAsync(reference);
        await using IFrameSource source = await FrameSources.OpenFileAsync(TestMedia.ExprMan);
        for (int i = 0; i < 11; i++)
        {
            VideoFrame frame = (await source.ReadAsync())!;
            if (i == 10)
            {
                Assert.True(frame.ReadOnlyPixels.SequenceEqual(expected), "frame 10 differs from ffmpeg's own decode");
            }

            frame.Dispose();
        }
    }

    [Fact]
    public async Task OpenFileAsync_WidthOnly_ScalesKeepingAspect()
    {
        await using IFrameSource source = await FrameSources.OpenFileAsync(TestMedia.TalkSelfie, new FrameSourceOptions { Width = 180 });
        Assert.Equal((180, 320), (source.Width, source.Height));
        using VideoFrame frame = (await source.ReadAsync())!;
        Assert.Equal((180, 320, 180 * 320 * 3), (frame.Width, frame.Height, frame.Pixels.Length));
    }

    [Fact]
    public async Task OpenFileAsync_BothSizes_StretchesToExactly()
    {
        await using IFrameSource source = await FrameSources.OpenFileAsync(TestMedia.ExprMan, new FrameSourceOptions { Width = 100, Height = 50 });
        using VideoFrame frame = (await source.ReadAsync())!;
        Assert.Equal((100, 50), (frame.Width, frame.Height));
    }

    [Fact]
    public async Task OpenFileAsync_MaxFrameRate_DropsToThatRate()
    {
        await using IFrameSource source = await FrameSources.OpenFileAsync(TestMedia.ExprMan, new FrameSourceOptions { MaxFrameRate = 10, Width = 96 });
        Assert.Equal(10, source.FrameRate);
        int count = 0;
        long last = 0;
        while (await source.ReadAsync() is { } frame)
        {
            last = frame.TimestampUs;
            Assert.Equal(count * 100_000L, frame.TimestampUs);
            count++;
            frame.Dispose();
        }

        Assert.InRange(count, 71, 73); // 7.2 s at 10 fps
        Assert.Equal((count - 1) * 100_000L, last);
    }

    [Fact]
    public async Task OpenFileAsync_RotatedPhoneClip_ReportsAndDeliversDisplayedSize()
    {
        string path = _temp.File("rotated.mp4");
        TestMedia.Ffmpeg("-i", TestMedia.TalkSelfie, "-t", "0.5", "-c", "copy", "-metadata:s:v", "rotate=90", path);
        MediaInfo info = await MediaProbe.ProbeAsync(path);
        Assert.Equal((1280, 720), (info.Video!.Width, info.Video.Height));
        Assert.Contains(info.Video.Rotation, new[] { 90, 270 });
        await using IFrameSource source = await FrameSources.OpenFileAsync(path);
        using VideoFrame frame = (await source.ReadAsync())!;
        Assert.Equal((1280, 720), (frame.Width, frame.Height));
    }

    [Fact]
    public async Task OpenFileAsync_LargerThanMaxLongSide_DecodedScaledDownKeepingAspect()
    {
        string path = _temp.File("qhd.mkv");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "testsrc2=size=2560x1440:rate=10", "-frames:v", "3", "-c:v", "mjpeg", path);
        await using IFrameSource source = await FrameSources.OpenFileAsync(path);
        Assert.Equal((1920, 1080), (source.Width, source.Height));
        using VideoFrame frame = (await source.ReadAsync())!;
        Assert.Equal((1920, 1080, 1920 * 1080 * 3), (frame.Width, frame.Height, frame.Pixels.Length));

        await using IFrameSource full = await FrameSources.OpenFileAsync(path, new FrameSourceOptions { MaxLongSide = null });
        Assert.Equal((2560, 1440), (full.Width, full.Height));
    }

    [Fact]
    public async Task OpenFileAsync_8192SquareClip_RefusedNamingSizeAndLimit()
    {
        // One flat 8192² frame as MJPEG is ~1 MB on disk and 200 MB decoded: refused before ffmpeg decodes it.
        string path = _temp.File("huge.mkv");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "color=c=gray:size=8192x8192:rate=1", "-frames:v", "1", "-c:v", "mjpeg", path);
        MediaInputException ex = await Assert.ThrowsAsync<MediaInputException>(() => FrameSources.OpenFileAsync(path));
        Assert.Contains("8192x8192", ex.Problem, StringComparison.Ordinal);
        Assert.Contains("over the 8192x4320 (35.4 Mpx) limit", ex.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3840, 2160, 1920, 1080)]
    [InlineData(1080, 1920, 1080, 1920)]
    [InlineData(2160, 3840, 1080, 1920)]
    [InlineData(4000, 3000, 1920, 1440)]
    [InlineData(640, 480, 640, 480)]
    public void DecodeSize_DefaultOptions_LongSideAtMost1920(int w, int h, int expectedW, int expectedH) =>
        Assert.Equal((expectedW, expectedH), FrameSources.DecodeSize(w, h, new FrameSourceOptions()));

    [Theory]
    [InlineData(7680, 4320, true)]
    [InlineData(4320, 7680, true)]
    [InlineData(8192, 4320, true)]
    [InlineData(8193, 100, false)]
    [InlineData(8192, 8192, false)]
    [InlineData(5000, 5000, false)]
    public void VideoLimits_Default_AcceptsUpTo8KRefusesLarger(int w, int h, bool accepted) =>
        Assert.Equal(accepted, VideoLimits.Default.Check(w, h) is null);

    [Fact]
    public async Task OpenLavfi_Testsrc2_DeliversCountSizeAndRate()
    {
        await using IFrameSource source = FrameSources.OpenLavfi("testsrc2", 64, 48, 25, frameCount: 10);
        int count = 0;
        while (await source.ReadAsync() is { } frame)
        {
            using (frame)
            {
                Assert.Equal((64, 48), (frame.Width, frame.Height));
                Assert.Equal(count * 40_000L, frame.TimestampUs);
                Assert.True(frame.ReadOnlyPixels.IndexOfAnyExcept(frame.ReadOnlyPixels[0]) >= 0, "testsrc2 is a pattern, not one colour");
                count++;
            }
        }

        Assert.Equal(10, count);
    }

    [Fact]
    public async Task OpenAsync_LavfiColor_DeliversThatColour()
    {
        await using IFrameSource source = await FrameSources.OpenAsync("lavfi:color=c=0x808080", new FrameSourceOptions { Width = 32, Height = 16 });
        Assert.StartsWith("lavfi", source.Description, StringComparison.Ordinal);
        Assert.Null(source.FrameCount);
        using VideoFrame frame = (await source.ReadAsync())!;
        Assert.Equal((32, 16), (frame.Width, frame.Height));
        foreach (byte b in frame.ReadOnlyPixels)
        {
            Assert.InRange(b, 126, 130);
        }
    }

    [Fact]
    public async Task OpenAsync_PngPath_IsOneStillFrame()
    {
        await using IFrameSource source = await FrameSources.OpenAsync(TestMedia.EileenRgba);
        Assert.StartsWith("image", source.Description, StringComparison.Ordinal);
        Assert.Equal((320, 720, 1L), (source.Width, source.Height, source.FrameCount!.Value));
        using (VideoFrame frame = (await source.ReadAsync())!)
        {
            Assert.Equal(0, frame.TimestampUs);
        }

        Assert.Null(await source.ReadAsync());
    }

    [Fact]
    public async Task OpenAsync_Mp4Path_IsAVideoFileSource()
    {
        await using IFrameSource source = await FrameSources.OpenAsync(TestMedia.ExprMan, new FrameSourceOptions { Height = 120 });
        Assert.Equal("file vid_expr_man_d18.mp4 120x120 @30", source.Description);
        Assert.IsNotAssignableFrom<ILiveFrameSource>(source);
    }

    [Fact]
    public async Task ReadAsync_ConsumerHoldsFrames_SourceWaitsAndReusesPool()
    {
        await using IFrameSource source = await FrameSources.OpenFileAsync(TestMedia.ExprMan, new FrameSourceOptions { PoolCapacity = 3, Width = 64 });
        var held = new List<VideoFrame>();
        for (int i = 0; i < 3; i++)
        {
            held.Add((await source.ReadAsync())!);
        }

        // All three pool frames are out: the next read must wait, not allocate a fourth.
        using (var shortWait = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
        {
            Task<VideoFrame?> next = source.ReadAsync(CancellationToken.None).AsTask();
            await Task.Delay(200);
            Assert.False(next.IsCompleted);
            held[0].Dispose();
            VideoFrame fourth = (await next)!;
            Assert.Same(held[0], fourth); // the same buffer came back
            Assert.Equal(3, fourth.Sequence);
            held[0] = fourth;
        }

        foreach (VideoFrame f in held)
        {
            f.Dispose();
        }
    }
}
