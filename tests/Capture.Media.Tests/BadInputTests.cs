using Capture.Testing;

namespace Capture.Media.Tests;

/// <summary>
/// Every bad input fails with a <see cref="MediaInputException"/> that names the input and the
/// problem, and leaves no ffmpeg behind.
/// </summary>
public sealed class BadInputTests : IClassFixture<TempDir>
{
    private readonly TempDir _temp;

    public BadInputTests(TempDir temp)
    {
        _temp = temp;
    }

    [Fact]
    public async Task ProbeAsync_NonexistentPath_ThrowsFileNotFoundNamingIt()
    {
        string path = _temp.File("does-not-exist.mp4");
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => MediaProbe.ProbeAsync(path));
        Assert.Equal(path, ex.Path);
        Assert.Equal($"{path}: file not found", ex.Message);
    }

    [Fact]
    public async Task ErrorSummary_NestedComponentPrefixes_AllRemovedWithTheirAddresses()
    {
        // A PNG whose header claims 100000×100000: ffprobe says "[png @ 0x…] [IMGUTILS @ 0x7ffe…] Picture size … is invalid".
        string path = _temp.File("absurd.png");
        await File.WriteAllBytesAsync(path, Convert.FromHexString(
            "89504e470d0a1a0a0000000d49484452000186a0000186a0080200000027309c9f0000000b49444154789c6360800100000a00017f80745e0000000049454e44ae426082"));
        await using var probe = Internal.FfmpegProcess.Start("ffprobe", ["-hide_banner", "-v", "error", "-show_streams", path], readStdout: true, writeStdin: false);
        await probe.StandardOutput.CopyToAsync(Stream.Null);
        await probe.WaitForExitAsync();
        Assert.Contains(probe.StderrLines(), l => l.Contains("] [IMGUTILS @ 0x", StringComparison.Ordinal));

        string summary = probe.ErrorSummary(maxLines: 3);

        Assert.Contains("Picture size 100000x100000 is invalid", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("@ 0x", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("[", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenFileAsync_ZeroByteFile_ThrowsEmptyFile()
    {
        string path = _temp.File("empty.mp4");
        await File.WriteAllBytesAsync(path, []);
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => FrameSources.OpenFileAsync(path));
        Assert.Equal($"{path}: empty file (0 bytes)", ex.Message);
        TestMedia.AssertNoFfmpegMentioning(path);
    }

    [Fact]
    public async Task ProbePictureAsync_TextOrSoundNamedPng_SaysNotAPicture()
    {
        string notes = _temp.File("notes.png");
        await File.WriteAllTextAsync(notes, "these are meeting notes, not a picture\n");
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => MediaProbe.ProbePictureAsync(notes));
        Assert.StartsWith($"{notes}: not a picture (ffprobe: ", ex.Message, StringComparison.Ordinal);

        string sound = _temp.File("sound.png");
        Assert.Equal(0, (await ToolProcess.RunAsync("ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "sine=duration=0.2", "-c:a", "pcm_s16le", "-f", "wav", "-y", sound])).ExitCode);
        ex = await Assert.ThrowsAsync<MediaInputException>(() => MediaProbe.ProbePictureAsync(sound));
        Assert.Equal($"{sound}: not a picture (only audio (pcm_s16le))", ex.Message);
        TestMedia.AssertNoFfmpegMentioning(notes);
    }

    [Fact]
    public async Task OpenFileAsync_TextFileNamedMp4_ThrowsNotAVideoWithFfprobeReason()
    {
        string path = _temp.File("notes.mp4");
        await File.WriteAllTextAsync(path, "these are meeting notes, not a video\n");
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => FrameSources.OpenFileAsync(path));
        Assert.Equal($"{path}: not a video file (ffprobe: Invalid data found when processing input)", ex.Message);
        TestMedia.AssertNoFfmpegMentioning(path);
    }

    [Fact]
    public async Task ProbeAsync_Directory_ThrowsIsADirectory()
    {
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => MediaProbe.ProbeAsync(_temp.Path));
        Assert.Contains("is a directory", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith(_temp.Path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProbeAsync_TruncatedMp4WithIndexAtEnd_ThrowsIndexMissing()
    {
        // The shared clip keeps its moov atom at the end, so cutting it loses the index.
        string path = _temp.File("cut-index.mp4");
        byte[] whole = await File.ReadAllBytesAsync(TestMedia.ExprMan);
        await File.WriteAllBytesAsync(path, whole.AsMemory(0, whole.Length / 2).ToArray());
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => FrameSources.OpenFileAsync(path));
        Assert.StartsWith($"{path}: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("moov atom not found", ex.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        TestMedia.AssertNoFfmpegMentioning(path);
    }

    [Fact]
    public async Task ReadAsync_TruncatedMp4_DeliversDecodableFramesThenThrowsNamingFile()
    {
        // Index first (+faststart), then cut: the probe succeeds and decoding runs into the cut.
        string faststart = _temp.File("faststart.mp4");
        TestMedia.Ffmpeg("-i", TestMedia.ExprMan, "-c", "copy", "-movflags", "+faststart", faststart);
        string path = _temp.File("cut-data.mp4");
        byte[] whole = await File.ReadAllBytesAsync(faststart);
        await File.WriteAllBytesAsync(path, whole.AsMemory(0, whole.Length / 2).ToArray());

        await using IFrameSource source = await FrameSources.OpenFileAsync(path);
        Assert.Equal(216, source.FrameCount); // the index still promises every frame
        int frames = 0;
        var ex = await Assert.ThrowsAsync<MediaInputException>(async () =>
        {
            while (await source.ReadAsync() is { } frame)
            {
                Assert.Equal(frames, frame.Sequence);
                frames++;
                frame.Dispose();
            }
        });

        Assert.InRange(frames, 30, 200);
        Assert.Equal(path, ex.Path);
        Assert.Contains($"decoding stopped after {frames} frames", ex.Message, StringComparison.Ordinal);
        Assert.Contains("ffmpeg exit", ex.Message, StringComparison.Ordinal);
        TestMedia.AssertNoFfmpegMentioning(path);
    }

    [Fact]
    public async Task OpenFileAsync_AudioOnlyFile_ThrowsNoVideoStream()
    {
        string path = _temp.File("tone.m4a");
        TestMedia.Ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", path);
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => FrameSources.OpenFileAsync(path));
        Assert.Equal($"{path}: no video stream (only audio (aac))", ex.Message);
        TestMedia.AssertNoFfmpegMentioning(path);
    }

    [Fact]
    public async Task OpenV4l2Async_AbsentDevice_ThrowsNoSuchDeviceNamingIt()
    {
        const string device = "/dev/video9";
        Assert.False(File.Exists(device), "this test needs /dev/video9 to be absent");
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => FrameSources.OpenV4l2Async(device));
        Assert.Equal(device, ex.Path);
        Assert.StartsWith("/dev/video9: no such video device", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenV4l2Async_RegularFile_ThrowsNotACaptureDevice()
    {
        string path = _temp.File("fake-camera");
        await File.WriteAllTextAsync(path, "not a camera");
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => FrameSources.OpenV4l2Async(path));
        Assert.StartsWith($"{path}: not a readable V4L2 capture device (ffprobe: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Inappropriate ioctl", ex.Message, StringComparison.Ordinal);
        TestMedia.AssertNoFfmpegMentioning(path);
    }

    [Fact]
    public async Task OpenAsync_DevVideoPath_DispatchesToV4l2()
    {
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => FrameSources.OpenAsync("/dev/video9"));
        Assert.Contains("no such video device", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenLavfi_InvalidGraph_FirstReadThrowsFfmpegError()
    {
        await using IFrameSource source = FrameSources.OpenLavfi("nosuchsource_capture_test", 64, 48, 10, 5);
        var ex = await Assert.ThrowsAsync<MediaInputException>(async () => await source.ReadAsync());
        Assert.StartsWith("lavfi:nosuchsource_capture_test: could not be decoded", ex.Message, StringComparison.Ordinal);
        TestMedia.AssertNoFfmpegMentioning("nosuchsource_capture_test");
    }

    [Fact]
    public async Task LoadRgbaAsync_TextFileNamedPng_ThrowsNotAPicture()
    {
        string path = _temp.File("fake.png");
        await File.WriteAllTextAsync(path, "hello");
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => ImageFile.LoadRgbaAsync(path));
        Assert.StartsWith($"{path}: could not be decoded as a picture", ex.Message, StringComparison.Ordinal);
    }
}
