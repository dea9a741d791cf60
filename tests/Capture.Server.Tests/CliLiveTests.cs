using System.Numerics;
using Capture.Core.Tracking;
using Capture.Pipeline;
using Capture.Retargeting.Rigs;
using Capture.Server.Client;
using Capture.Testing;
using OpenCvSharp;

namespace Capture.Server.Tests;

/// <summary>`capture live` with a shared video file as the camera, against a real `capture serve` child process.</summary>
public sealed class CliLiveTests
{
    private const string Key = "cli-test-key-0123456789";

    /// <summary>A frontal man: neutral start, then a wide mouth opening.</summary>
    private static string Clip => SharedMedia.File("vid_expr_man_d18.mp4");

    [Fact]
    public async Task Live_VideoFileAsCamera_ViewerGetsOrderedFrames_AndTheCharactersMouthMoves()
    {
        await using ServeProcess serve = await ServeProcess.StartAsync(Key);
        using var api = new LiveApi(serve.Address, Key);
        LiveSessionInfo s = await api.CreateSessionAsync(ServerFixture.FaceCharacter, 256);
        var jpegs = new List<(long Sequence, byte[] Jpeg)>();
        await using var viewer = new LiveViewer { OnFrame = (h, jpeg, _) => jpegs.Add((h.Sequence, jpeg.ToArray())) };
        await viewer.ConnectAsync(new Uri(s.FramesUrl));

        CliRun.Result live = await CliRun.RunAsync("live", Clip, "--server", serve.Address.ToString(), "--session", s.Id, "--token", s.PerformerToken, "--no-iris");
        Assert.True(live.ExitCode == 0, live.All + "\n--- serve ---\n" + serve.Output);
        Assert.Matches(@"frames: \d+ sent of \d+ captured", live.StdOut);
        await viewer.Completion.WaitAsync(TimeSpan.FromSeconds(10));          // capture live's Bye ends the session
        Assert.Contains("the performer said bye", viewer.Close.Reason, StringComparison.Ordinal);

        IReadOnlyList<ViewedFrame> frames = viewer.Frames;
        Assert.True(frames.Count >= 60, $"only {frames.Count} frames reached the viewer\n{live.All}");
        for (int i = 0; i < frames.Count; i++)
        {
            RenderedFrameCheck(frames[i]);
            if (i > 0)
            {
                Assert.True(frames[i].Header.Sequence > frames[i - 1].Header.Sequence, $"sequence {frames[i].Header.Sequence} after {frames[i - 1].Header.Sequence}");
                Assert.True(frames[i].Header.CaptureTimestampUs > frames[i - 1].Header.CaptureTimestampUs);
            }
        }

        // Where the character's mouth is in the 256² frame, from its own rig.
        CharacterRig rig = await CharacterLoader.LoadAsync(ServerFixture.FaceCharacter, null);
        Rect mouth = Box(rig, 256, FaceTopology.MouthRight, FaceTopology.MouthLeft, FaceTopology.UpperLipOuter, FaceTopology.LowerLipOuter);
        var corner = new Rect(0, 0, 40, 40);
        using Mat first = Cv2.ImDecode(jpegs[0].Jpeg, ImreadModes.Grayscale);
        double mouthChange = 0;
        double cornerChange = 0;
        foreach ((_, byte[] jpeg) in jpegs)
        {
            using Mat m = Cv2.ImDecode(jpeg, ImreadModes.Grayscale);
            mouthChange = Math.Max(mouthChange, MeanAbsDiff(first, m, mouth));
            cornerChange = Math.Max(cornerChange, MeanAbsDiff(first, m, corner));
        }

        // The clip's wide mouth opening must show in the character's mouth, far more than in a still corner.
        Assert.True(mouthChange > 8, $"mouth region changed by at most {mouthChange:F1} grey levels");
        Assert.True(mouthChange > 3 * cornerChange, $"mouth {mouthChange:F1} vs corner {cornerChange:F1}");
    }

    [Fact]
    public async Task Live_RecordAndServerKeepsSessions_BothTakesHoldWhatWasSentAndRenderAgain()
    {
        string dir = Directory.CreateTempSubdirectory("capture-live-record-").FullName;
        try
        {
            string kept = Path.Combine(dir, "kept");
            string take = Path.Combine(dir, "take.mpk");
            await using ServeProcess serve = await ServeProcess.StartAsync(Key, "--record-sessions", kept);
            CliRun.Result live = await CliRun.RunAsync("live", Clip, "--server", serve.Address.ToString(), "--key", Key,
                "--character", ServerFixture.FaceCharacter, "--max-frames", "40", "--no-iris", "--no-viewer", "--record", take, "--json");
            Assert.True(live.ExitCode == 0, live.All + "\n--- serve ---\n" + serve.Output);

            // --json: stdout is one object; the human summary went to stderr.
            using var json = System.Text.Json.JsonDocument.Parse(live.StdOut);
            System.Text.Json.JsonElement root = json.RootElement;
            Assert.Equal("live", root.GetProperty("command").GetString());
            Assert.Equal(40, root.GetProperty("framesSent").GetInt64());
            Assert.Equal(take, root.GetProperty("recording").GetString());
            Assert.Contains("frames: 40 sent", live.StdErr, StringComparison.Ordinal);

            string[] keptFiles = Directory.GetFiles(kept, "*.mpk");
            Assert.Single(keptFiles);
            Assert.Equal(40, CountFrames(take));
            await WaitForAsync(() => CountFrames(keptFiles[0]) == 40, TimeSpan.FromSeconds(10));
            foreach (string recording in new[] { take, keptFiles[0] })
            {
                Capture.Pipeline.Rendering.RenderResult r = await Capture.Pipeline.Rendering.RenderPipeline.RunAsync(new Capture.Pipeline.Rendering.RenderOptions
                {
                    DrivingPath = recording, CharacterPath = ServerFixture.FaceCharacter, OutputPath = Path.Combine(dir, Path.GetFileName(recording) + ".mp4"), Size = 256,
                });
                Assert.Equal(Capture.Pipeline.Motion.MotionKind.Recording, r.DrivingKind);
                // The take's timestamps set the length: from the first frame's capture time to the last at the take's
                // rate (a frame that came late is held, so a stall on a loaded machine lengthens it), and none is lost.
                List<long> times = Timestamps(recording);
                Assert.Equal(Capture.Pipeline.Motion.MotionClock.FromTimestamps(times).FrameCount, r.Frames);
                Assert.True(r.Frames >= 38, $"{r.Frames} frames from 40 sent over {(times[^1] - times[0]) / 1e6:0.00} s");
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static int CountFrames(string path) => Timestamps(path).Count;

    /// <summary>The capture timestamps (µs) of a recording's tracking frames, in order.</summary>
    private static List<long> Timestamps(string path)
    {
        using var reader = Capture.Protocol.Recording.RecordingReader.Open(path);
        var protocol = new Capture.Protocol.Schema.ProtocolReader();
        var times = new List<long>();
        while (reader.TryReadNext(out ReadOnlyMemory<byte> packet))
        {
            if (protocol.Read(packet.Span) == Capture.Protocol.Schema.MessageKind.TrackingFrame)
            {
                times.Add(protocol.Frame.CaptureTimestampUs);
            }
        }

        return times;
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, "the server's recording did not hold every frame in time");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Live_WithKeyCharacterAndAudio_CreatesTheSession_PrintsViewerPageLatencyAndAudio()
    {
        await using ServeProcess serve = await ServeProcess.StartAsync(Key);
        CliRun.Result live = await CliRun.RunAsync("live", Clip, "--server", serve.Address.ToString(), "--key", Key,
            "--character", ServerFixture.FaceCharacter, "--max-frames", "45", "--no-iris", "--audio", Clip);
        Assert.True(live.ExitCode == 0, live.All);
        Assert.Matches($@"viewer page: {serve.Address.ToString().TrimEnd('/')}/live/[A-Za-z0-9_-]+/view\?token=[A-Za-z0-9_-]{{22,}}", live.StdOut);
        Assert.Contains("frames: 45 sent", live.StdOut, StringComparison.Ordinal);
        Assert.Matches(@"glass-to-glass \(capture → viewer received\): p50 \d+\.\d ms, p99 \d+\.\d ms", live.StdOut);
        // The clip's own soundtrack went up as AudioChunks and the server forwarded them to the viewer.
        Assert.Matches(@"audio: [1-9]\d* chunks sent \([\d.]+ s\), [1-9]\d* came back to the viewer", live.StdOut);
    }

    /// <summary>
    /// `capture live --body` with an Animated Drawings folder as the character: the folder goes up as a zip (a body session),
    /// the pose model runs here, every frame sent carries the performer's body with its world points, and the session's
    /// frames come back (the figure is rendered from them: BodyLiveTests looks at its pixels).
    /// </summary>
    [Fact]
    public async Task Live_BodyWithADrawingFolder_SendsBodiesAndTheViewerGetsFrames()
    {
        string take = Path.Combine(Path.GetTempPath(), $"capture-live-body-{Guid.NewGuid():N}.mpk");
        try
        {
            await using ServeProcess serve = await ServeProcess.StartAsync(Key);
            CliRun.Result live = await CliRun.RunAsync("live", SharedMedia.File("vid_body_fullbody_gesture_s13.mp4"), "--server", serve.Address.ToString(), "--key", Key,
                "--character", SharedMedia.File("drawing_stick_char4"), "--body", "--max-frames", "12", "--no-iris", "--record", take);
            Assert.True(live.ExitCode == 0, live.All + "\n--- serve ---\n" + serve.Output);

            // The 4 s clip plays at its own rate: on a loaded machine the pose model may track fewer than 12 frames of it.
            System.Text.RegularExpressions.Match sent = System.Text.RegularExpressions.Regex.Match(live.StdOut, @"frames: (\d+) sent");
            Assert.True(sent.Success, live.All);
            int count = int.Parse(sent.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(count, 3, 12);
            Assert.Matches(@"glass-to-glass \(capture → viewer received\): p50 \d+\.\d ms", live.StdOut);

            using var reader = Capture.Protocol.Recording.RecordingReader.Open(take);
            var protocol = new Capture.Protocol.Schema.ProtocolReader();
            int frames = 0, bodies = 0;
            while (reader.TryReadNext(out ReadOnlyMemory<byte> packet))
            {
                if (protocol.Read(packet.Span) == Capture.Protocol.Schema.MessageKind.TrackingFrame)
                {
                    frames++;
                    bodies += protocol.Frame.Body.Present && protocol.Frame.Body.HasWorld ? 1 : 0;
                }
            }

            Assert.Equal(count, frames);
            Assert.Equal(count, bodies);
        }
        finally
        {
            File.Delete(take);
        }
    }

    [Fact]
    public async Task Live_LavfiSource_StreamsInRealTime()
    {
        await using ServeProcess serve = await ServeProcess.StartAsync(Key);
        CliRun.Result live = await CliRun.RunAsync("live", "lavfi:testsrc2", "--server", serve.Address.ToString(), "--key", Key,
            "--character", ServerFixture.FaceCharacter, "--max-frames", "20", "--no-iris");
        Assert.True(live.ExitCode == 0, live.All);
        Assert.Contains("lavfi testsrc2 640x480 @30 real-time", live.All.ReplaceLineEndings(""), StringComparison.Ordinal);
        Assert.Contains("frames: 20 sent", live.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Live_NoIdle_InHelp_AndRefusedWhenJoiningASession()
    {
        CliRun.Result help = await CliRun.RunAsync("live", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--no-idle", help.StdOut, StringComparison.Ordinal);
        Assert.Contains("breathes, blinks and glances", help.StdOut.ReplaceLineEndings(" "), StringComparison.Ordinal);
        CliRun.Result join = await CliRun.RunAsync("live", Clip, "--server", "http://127.0.0.1:9", "--session", "abc", "--token", "t", "--no-idle");
        Assert.Equal(1, join.ExitCode);
        Assert.Contains("--no-idle applies to a session this command creates", join.All.ReplaceLineEndings(""), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("wrong-key", "face", "API key not valid")]
    [InlineData(Key, "chessboard", "no face in the character and no rig")]
    [InlineData(Key, "missing-source", "no such file")]
    [InlineData(Key, "chessboard-body", "no body in the character")]
    public async Task Live_BadInput_OneRedLine_Exit1(string key, string what, string expected)
    {
        await using ServeProcess serve = await ServeProcess.StartAsync(Key);
        string character = what.StartsWith("chessboard", StringComparison.Ordinal) ? ServerFixture.FacelessPicture : ServerFixture.FaceCharacter;
        string source = what == "missing-source" ? "/nonexistent/clip.mp4" : Clip;
        string[] body = what.EndsWith("-body", StringComparison.Ordinal) ? ["--body"] : [];
        CliRun.Result live = await CliRun.RunAsync(["live", source, "--server", serve.Address.ToString(), "--key", key, "--character", character, "--max-frames", "5", .. body]);
        Assert.Equal(1, live.ExitCode);
        Assert.Contains("error:", live.All, StringComparison.Ordinal);
        // Spectre.Console wraps the red line at 80 columns when the output is not a terminal.
        Assert.Contains(expected, live.All.ReplaceLineEndings(""), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", live.All, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--performer-timeout", "0", "--performer-timeout 0 must be more than 0 seconds")]
    [InlineData("--max-sessions", "0", "--max-sessions 0 must be at least 1")]
    [InlineData("--urls", "http://127.0.0.1:notaport", "is not an http://HOST:PORT address")]
    public async Task Serve_BadOption_OneRedLine_Exit1(string option, string value, string expected)
    {
        CliRun.Result serve = await CliRun.RunAsync("serve", "--api-key", Key, option, value);
        Assert.Equal(1, serve.ExitCode);
        Assert.Contains("error:", serve.All, StringComparison.Ordinal);
        Assert.Contains(expected, serve.All.ReplaceLineEndings(""), StringComparison.Ordinal);
    }

    private static void RenderedFrameCheck(ViewedFrame f)
    {
        Assert.Equal((256, 256), (f.Header.Width, f.Header.Height));
        Assert.True(f.Header.CaptureTimestampUs <= f.Header.RenderedTimestampUs, "rendered before captured");
        Assert.True(f.Header.RenderedTimestampUs <= f.ArrivedUs, "arrived before rendered");
    }

    internal static Rect Box(CharacterRig rig, int size, params int[] points)
    {
        Vector2 min = new(float.MaxValue), max = new(float.MinValue);
        foreach (int p in points)
        {
            var v = new Vector2(rig.Neutral[p].X, rig.Neutral[p].Y) * size;
            min = Vector2.Min(min, v);
            max = Vector2.Max(max, v);
        }

        // Room below for the opening jaw.
        int left = (int)min.X - 4, top = (int)min.Y - 4;
        return new Rect(left, top, (int)(max.X - min.X) + 8, (int)((max.Y - min.Y) * 2) + 8);
    }

    internal static double MeanAbsDiff(Mat a, Mat b, Rect region)
    {
        using Mat ra = new(a, region);
        using Mat rb = new(b, region);
        using var diff = new Mat();
        Cv2.Absdiff(ra, rb, diff);
        return Cv2.Mean(diff).Val0;
    }
}
