using Capture.Core.Frames;

namespace Capture.Media.Tests;

public sealed class SinkTests : IClassFixture<TempDir>
{
    private readonly TempDir _temp;

    public SinkTests(TempDir temp)
    {
        _temp = temp;
    }

    [Fact]
    public async Task Mp4Sink_RoundTripWithAudio_ProbesH264AndAacAndDecodesClose()
    {
        string path = _temp.File("roundtrip.mp4");
        byte[]? firstWritten = null;
        await using (IFrameSource source = await FrameSources.OpenFileAsync(TestMedia.ExprMan))
        await using (Mp4Sink sink = Mp4Sink.Create(path, source.Width, source.Height, source.FrameRate, audioSourcePath: TestMedia.ExprMan))
        {
            for (int i = 0; i < 45; i++)
            {
                using VideoFrame frame = (await source.ReadAsync())!;
                firstWritten ??= frame.ReadOnlyPixels.ToArray();
                await sink.WriteAsync(frame);
            }

            await sink.CompleteAsync();
            Assert.Equal(45, sink.FramesWritten);
        }

        MediaInfo info = await MediaProbe.ProbeAsync(path);
        Assert.Equal("h264", info.Video!.Codec);
        Assert.Equal((480, 480), (info.Video.Width, info.Video.Height));
        Assert.Equal(45, info.Video.FrameCount);
        Assert.NotNull(info.Audio);
        Assert.Equal("aac", info.Audio.Codec);
        Assert.InRange(info.DurationSeconds!.Value, 1.4, 1.7); // -shortest: the 1.5 s of video, not the 7.2 s of audio

        await using IFrameSource back = await FrameSources.OpenFileAsync(path);
        using VideoFrame decoded = (await back.ReadAsync())!;
        Assert.True(Psnr(firstWritten!, decoded.ReadOnlyPixels) > 32, "crf 18 round trip should be near-lossless");
    }

    [Fact]
    public async Task Mp4Sink_AudioSourceWithoutAudio_WritesSilentVideo()
    {
        string path = _temp.File("silent.mp4");
        await using (Mp4Sink sink = Mp4Sink.Create(path, 64, 48, 25, audioSourcePath: TestMedia.TalkSelfie))
        {
            byte[] grey = new byte[64 * 48 * 3];
            Array.Fill(grey, (byte)100);
            for (int i = 0; i < 5; i++)
            {
                await sink.WriteAsync(grey);
            }

            await sink.CompleteAsync();
        }

        MediaInfo info = await MediaProbe.ProbeAsync(path);
        Assert.Null(info.Audio);
        Assert.Equal(5, info.Video!.FrameCount);
    }

    [Fact]
    public async Task Mp4Sink_OddSize_PadsToEven()
    {
        string path = _temp.File("odd.mp4");
        await using (Mp4Sink sink = Mp4Sink.Create(path, 33, 17, 10))
        {
            await sink.WriteAsync(new byte[33 * 17 * 3]);
            await sink.CompleteAsync();
        }

        MediaInfo info = await MediaProbe.ProbeAsync(path);
        Assert.Equal((34, 18), (info.Video!.Width, info.Video.Height));
    }

    [Fact]
    public async Task Mp4Sink_MissingAudioSource_ThrowsNamingIt()
    {
        string audio = _temp.File("no-such-audio.wav");
        var ex = Assert.Throws<MediaInputException>(() => Mp4Sink.Create(_temp.File("x.mp4"), 64, 48, 25, audio));
        Assert.Equal($"{audio}: file not found", ex.Message);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Mp4Sink_WrongFrameSize_Throws()
    {
        await using Mp4Sink sink = Mp4Sink.Create(_temp.File("wrong.mp4"), 64, 48, 25);
        await Assert.ThrowsAsync<ArgumentException>(async () => await sink.WriteAsync(new byte[10]));
    }

    [Fact]
    public async Task Mp4Sink_UnwritableOutput_CompleteThrowsNamingIt()
    {
        string path = Path.Combine(_temp.Path, "no-such-dir", "out.mp4");
        await using Mp4Sink sink = Mp4Sink.Create(path, 64, 48, 25);
        var ex = await Assert.ThrowsAsync<IOException>(async () =>
        {
            for (int i = 0; i < 50; i++)
            {
                await sink.WriteAsync(new byte[64 * 48 * 3]);
            }

            await sink.CompleteAsync();
        });
        Assert.StartsWith($"{path}: writing failed", ex.Message, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mp4Sink_WriteCancelled_KillsEncoder()
    {
        string path = _temp.File("cancelled.mp4");
        await using Mp4Sink sink = Mp4Sink.Create(path, 64, 48, 25);
        await sink.WriteAsync(new byte[64 * 48 * 3]);
        int pid = sink.ProcessId;
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await sink.WriteAsync(new byte[64 * 48 * 3], cts.Token));
        Assert.True(TestMedia.ProcessGone(pid), $"encoder {pid} still running after a cancelled write: {TestMedia.ProcessState(pid)}");
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await sink.WriteAsync(new byte[64 * 48 * 3]));
    }

    [Fact]
    public async Task Mp4Sink_DisposedWithoutComplete_LeavesNoEncoder()
    {
        string path = _temp.File("abandoned.mp4");
        int pid;
        await using (Mp4Sink sink = Mp4Sink.Create(path, 64, 48, 25))
        {
            await sink.WriteAsync(new byte[64 * 48 * 3]);
            pid = sink.ProcessId;
        }

        Assert.True(TestMedia.ProcessGone(pid), $"encoder {pid} still running after dispose");
        TestMedia.AssertNoFfmpegMentioning(path);
    }

    [Fact]
    public async Task PngSequenceSink_ThreeFrames_WritesNumberedFilesThatLoadBack()
    {
        string dir = _temp.File("seq");
        await using (IFrameSource source = FrameSources.OpenLavfi("testsrc2", 40, 30, 10, 3))
        await using (PngSequenceSink sink = PngSequenceSink.Create(dir, 40, 30))
        {
            while (await source.ReadAsync() is { } frame)
            {
                using (frame)
                {
                    await sink.WriteAsync(frame);
                }
            }

            await sink.CompleteAsync();
        }

        Assert.Equal<string>(
            ["frame_000000.png", "frame_000001.png", "frame_000002.png"],
            Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray());
        RgbaImage last = await ImageFile.LoadRgbaAsync(PngSequenceSink.FramePath(dir, 2));
        Assert.Equal((40, 30, false), (last.Width, last.Height, last.HasAlpha));
    }

    [Fact]
    public async Task LoadRgbaAsync_RgbaPng_KeepsAlpha()
    {
        RgbaImage image = await ImageFile.LoadRgbaAsync(TestMedia.EileenRgba);
        Assert.Equal((320, 720, true), (image.Width, image.Height, image.HasAlpha));
        Assert.Equal(0, image.AlphaAt(0, 0)); // transparent background in the corner
        Assert.Equal(255, image.AlphaAt(160, 300)); // opaque character in the middle
    }

    [Fact]
    public async Task LoadRgbaAsync_Jpeg_IsOpaque()
    {
        RgbaImage image = await ImageFile.LoadRgbaAsync(TestMedia.StatueJpeg);
        Assert.False(image.HasAlpha);
        Assert.Equal((725, 725), (image.Width, image.Height));
        for (int i = 3; i < image.Pixels.Length; i += 4)
        {
            Assert.Equal(255, image.Pixels[i]);
        }
    }

    [Fact]
    public async Task SavePngAsync_RgbaRoundTrip_IsLossless()
    {
        RgbaImage original = await ImageFile.LoadRgbaAsync(TestMedia.EileenRgba);
        string path = _temp.File("eileen-copy.png");
        await ImageFile.SavePngAsync(path, original.Pixels, original.Width, original.Height, hasAlpha: true);
        RgbaImage copy = await ImageFile.LoadRgbaAsync(path);
        Assert.True(copy.HasAlpha);
        Assert.Equal(original.Pixels, copy.Pixels);
    }

    [Fact]
    public async Task SavePngAsync_Rgb24_LoadsOpaqueWithSameColours()
    {
        byte[] rgb = new byte[4 * 2 * 3];
        for (int i = 0; i < rgb.Length; i++)
        {
            rgb[i] = (byte)(i * 10);
        }

        string path = _temp.File("tiny.png");
        await ImageFile.SavePngAsync(path, rgb, 4, 2, hasAlpha: false);
        RgbaImage back = await ImageFile.LoadRgbaAsync(path);
        Assert.False(back.HasAlpha);
        for (int p = 0; p < 8; p++)
        {
            Assert.Equal(rgb.AsSpan(p * 3, 3).ToArray(), back.Pixels.AsSpan(p * 4, 3).ToArray());
        }
    }

    private static double Psnr(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        Assert.Equal(a.Length, b.Length);
        double sum = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double d = a[i] - b[i];
            sum += d * d;
        }

        double mse = sum / a.Length;
        return mse == 0 ? double.PositiveInfinity : 10 * Math.Log10(255.0 * 255.0 / mse);
    }
}
