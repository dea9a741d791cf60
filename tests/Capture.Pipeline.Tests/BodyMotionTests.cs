using Capture.Core.Tracking;
using Capture.Pipeline.Rendering;
using Capture.Protocol.Export;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Protocol.Tests;
using Capture.Testing;

namespace Capture.Pipeline.Tests;

/// <summary>render --motion-data's body: the real render on a full-body clip, with and without the body tracked.</summary>
public sealed class BodyMotionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-bvh-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Media(string name) => SharedMedia.File(name);

    [Fact]
    public async Task RunAsync_FullBodyClipWithMotionData_WritesOneBvhLinePerFrameAndRecordsTheBody()
    {
        const int Frames = 12;
        string motion = Path.Combine(_dir, "motion");
        RenderResult result = await RenderPipeline.RunAsync(new RenderOptions
        {
            DrivingPath = Media("vid_body_fullbody_gesture_s13.mp4"),
            CharacterPath = Media("char_statue_terracotta_s6.jpg"),
            OutputPath = Path.Combine(_dir, "out.mp4"),
            Size = 256,
            MaxFrames = Frames,
            CalibrationSeconds = 0.3,
            MotionDataDirectory = motion,
        });

        Assert.Equal(Frames, result.Frames);
        Assert.Equal(Frames, result.FramesWithBody);
        BvhText bvh = BvhText.Parse(await File.ReadAllTextAsync(Path.Combine(motion, "motion.bvh")));
        Assert.Equal(Frames, bvh.Motion.Length);
        Assert.Equal(1 / 25.0, bvh.FrameTime, 6);
        Assert.All(bvh.Motion, line => Assert.All(line, v => Assert.True(float.IsFinite(v))));
        // She gestures: some channel moves by more than a degree (or unit) over the half second.
        float largestChange = Enumerable.Range(0, bvh.Channels).Max(c => bvh.Motion.Max(l => l[c]) - bvh.Motion.Min(l => l[c]));
        Assert.True(largestChange > 1, $"largest channel change {largestChange}");
        Assert.False(File.Exists(Path.Combine(motion, "motion.bvh.lines.tmp")));

        using RecordingReader recording = RecordingReader.Open(Path.Combine(motion, "motion.mpk"));
        var frame = new TrackingFrame();
        int packets = 0, bodies = 0, faces = 0;
        while (recording.TryReadNext(out ReadOnlyMemory<byte> packet))
        {
            ProtocolReader.ReadTrackingFrame(packet.Span, frame);
            packets++;
            bodies += BvhStreamWriter.SeesBody(frame) ? 1 : 0;
            faces += frame.Face.Present ? 1 : 0;
        }

        Assert.Equal(Frames, packets);
        Assert.Equal(Frames, bodies);
        Assert.Equal(Frames, faces);
    }

    [Fact]
    public async Task RunAsync_MotionDataWithoutBody_WritesNoBvhAndRecordsNoBody()
    {
        string motion = Path.Combine(_dir, "motion");
        RenderResult result = await RenderPipeline.RunAsync(new RenderOptions
        {
            DrivingPath = Media("vid_body_fullbody_gesture_s13.mp4"),
            Iris = false, // the plain-mesh path (render --no-iris)
            CharacterPath = Media("char_statue_terracotta_s6.jpg"),
            OutputPath = Path.Combine(_dir, "out.mp4"),
            Size = 256,
            MaxFrames = 3,
            CalibrationSeconds = 0.2,
            MotionDataDirectory = motion,
            Body = false,
        });

        Assert.Null(result.FramesWithBody);
        Assert.False(File.Exists(Path.Combine(motion, "motion.bvh")));
        Assert.True(File.Exists(Path.Combine(motion, "motion.csv")));
        using RecordingReader recording = RecordingReader.Open(Path.Combine(motion, "motion.mpk"));
        var frame = new TrackingFrame();
        int packets = 0;
        while (recording.TryReadNext(out ReadOnlyMemory<byte> packet))
        {
            ProtocolReader.ReadTrackingFrame(packet.Span, frame);
            packets++;
            Assert.False(frame.Body.Present);
        }

        Assert.Equal(3, packets);
    }
}
