using System.Net;
using Capture.Core.Tracking;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Protocol.Transport;
using Capture.Testing;

namespace Capture.Cli.Tests;

/// <summary><c>--hands</c> as a user runs it: track (recording and overlay), replay, render's motion data.</summary>
public sealed class HandsCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-cli-hands-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Media(string name) => SharedMedia.File(name);

    [Fact]
    public async Task TrackHands_GestureClip_RecordsBothHandsDrawsThemAndReplaysThem()
    {
        string recording = Path.Combine(_dir, "hands.mpk"), overlay = Path.Combine(_dir, "overlay.mp4");
        ToolProcess.Result r = await CliProcess.RunAsync(
            "track", Media("vid_body_fullbody_gesture_s13.mp4"), "-o", recording, "--hands", "--no-face", "--overlay", overlay);

        Assert.True(r.ExitCode == 0, r.All);
        string said = string.Join(' ', r.StdOut.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)); // the console wraps lines
        Assert.Matches(@"left hand in \d+, right hand in \d+", said);
        Assert.True(new FileInfo(overlay).Length > 10_000, "the overlay video is missing");
        int packets = 0, left = 0, right = 0;
        using (RecordingReader reader = RecordingReader.Open(recording))
        {
            var frame = new TrackingFrame();
            while (reader.TryReadNext(out ReadOnlyMemory<byte> packet))
            {
                ProtocolReader.ReadTrackingFrame(packet.Span, frame);
                packets++;
                left += frame.LeftHand.Present ? 1 : 0;
                right += frame.RightHand.Present ? 1 : 0;
            }
        }

        Assert.Equal(103, packets);
        Assert.True(left > 60 && right > 60, $"left hand in {left}, right in {right} of 103 frames");
        Assert.Contains($"left hand in {left}, right hand in {right}", said, StringComparison.Ordinal);

        // capture replay streams the recording's frames, hands and all, to a peer.
        using var listener = new TcpPacketListener(new IPEndPoint(IPAddress.Loopback, 0));
        Task<ToolProcess.Result> replay = CliProcess.RunAsync("replay", recording, "--to", $"tcp://127.0.0.1:{listener.Port}", "--fast");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using TcpPacketTransport peer = await listener.AcceptAsync(timeout.Token);
        var buffer = new byte[64 * 1024];
        var protocol = new ProtocolReader();
        int received = 0, withHands = 0;
        while (await peer.ReceiveAsync(buffer, timeout.Token) is int n and > 0)
        {
            if (protocol.Read(buffer.AsSpan(0, n)) == MessageKind.TrackingFrame)
            {
                received++;
                withHands += protocol.Frame.LeftHand.Present || protocol.Frame.RightHand.Present ? 1 : 0;
            }
        }

        ToolProcess.Result replayed = await replay;
        Assert.True(replayed.ExitCode == 0, replayed.All);
        Assert.Equal(103, received);
        Assert.True(withHands >= Math.Max(left, right), $"{withHands} replayed frames had hands");
    }

    [Fact]
    public async Task RenderHands_WithMotionData_BvhHasFingerJointsAndTheRecordingHasHands()
    {
        string motion = Path.Combine(_dir, "motion");
        ToolProcess.Result r = await CliProcess.RunAsync(
            "render", Media("vid_body_fullbody_gesture_s13.mp4"), "--character", Media("char_statue_terracotta_s6.jpg"),
            "-o", Path.Combine(_dir, "out.mp4"), "--size", "256", "--frames", "8", "--motion-data", motion, "--pose-model", "Lite", "--hands");

        Assert.True(r.ExitCode == 0, r.All);
        string bvh = await File.ReadAllTextAsync(Path.Combine(motion, "motion.bvh"));
        foreach (string joint in new[] { "LeftHandThumb1", "LeftHandIndex3", "RightHandPinky2" })
        {
            Assert.Contains($"JOINT {joint}", bvh, StringComparison.Ordinal);
        }

        using RecordingReader reader = RecordingReader.Open(Path.Combine(motion, "motion.mpk"));
        var frame = new TrackingFrame();
        int hands = 0;
        while (reader.TryReadNext(out ReadOnlyMemory<byte> packet))
        {
            ProtocolReader.ReadTrackingFrame(packet.Span, frame);
            hands += frame.LeftHand.Present ? 1 : 0;
            hands += frame.RightHand.Present ? 1 : 0;
        }

        Assert.True(hands >= 8, $"{hands} hands in 8 frames of motion.mpk");
    }

    [Fact]
    public async Task RenderHands_WithoutMotionData_OneLineSayingWhatToAdd()
    {
        ToolProcess.Result r = await CliProcess.RunAsync(
            "render", Media("vid_body_fullbody_gesture_s13.mp4"), "--character", Media("char_statue_terracotta_s6.jpg"), "-o", Path.Combine(_dir, "out.mp4"), "--hands");

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--motion-data", r.All, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.All, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "out.mp4")));
    }
}
