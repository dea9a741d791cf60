using System.Numerics;
using Capture.Core.Tracking;
using Capture.Pipeline.Motion;
using Capture.Protocol.Export;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Testing;
using Capture.Tracking;
using Xunit.Abstractions;

namespace Capture.Pipeline.Tests;

/// <summary>
/// A body's round trip through a BVH file: tracked → the BVH writer (render --motion-data's motion.bvh) →
/// the BVH driver (render MOTION.bvh). What the file keeps is the joints' angles; bone lengths become the
/// take's means and the driver faces the figure to its own camera, so the comparison is angle for angle.
/// </summary>
public sealed class BvhRoundTripTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-bvh-trip-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // (a, joint, c): the angle at the joint between its two bones, MediaPipe pose indices.
    private static readonly (string Name, int A, int B, int C)[] s_joints =
    [
        ("left elbow", 11, 13, 15), ("right elbow", 12, 14, 16),
        ("left shoulder", 23, 11, 13), ("right shoulder", 24, 12, 14),
        ("left hip", 11, 23, 25), ("right hip", 12, 24, 26),
        ("left knee", 23, 25, 27), ("right knee", 24, 26, 28),
    ];

    [Fact]
    public async Task TrackedBody_ThroughBvhAndBack_JointAnglesKept()
    {
        string recording = Path.Combine(_dir, "body.mpk");
        await TrackPipeline.RunAsync(new TrackOptions
        {
            Input = SharedMedia.File("vid_body_fullbody_gesture_s13.mp4"), OutputPath = recording, Width = 360,
            Tracker = new TrackerOptions { Face = false, Body = true },
        });
        List<TrackingFrame> tracked = Read(recording);

        string bvh = Path.Combine(_dir, "body.bvh");
        using (var writer = new BvhStreamWriter(bvh, 25))
        {
            foreach (TrackingFrame f in tracked)
            {
                writer.Add(f);
            }

            writer.Complete();
        }

        await using IMotionDriver driver = await MotionDrivers.OpenAsync(bvh, new MotionDriverOptions());
        Assert.Equal(tracked.Count, driver.Info.FrameCount);
        float aspect = tracked[0].ImageWidth / (float)tracked[0].ImageHeight;
        var read = new TrackingFrame();
        var errors = new List<double>[s_joints.Length];
        for (int j = 0; j < s_joints.Length; j++)
        {
            errors[j] = [];
        }

        foreach (TrackingFrame f in tracked)
        {
            Assert.True((await driver.ReadAsync(read, default)).HasFrame);
            if (!BvhStreamWriter.SeesBody(f))
            {
                continue; // the file holds the last seen pose there: nothing to compare
            }

            for (int j = 0; j < s_joints.Length; j++)
            {
                (_, int a, int b, int c) = s_joints[j];
                double before = Angle(Space(f, a, aspect), Space(f, b, aspect), Space(f, c, aspect));
                double after = Angle(read.Body.WorldLandmarks[a], read.Body.WorldLandmarks[b], read.Body.WorldLandmarks[c]);
                errors[j].Add(Math.Abs(before - after));
            }
        }

        Assert.True(errors[0].Count > tracked.Count / 2, $"the body was seen in {errors[0].Count} of {tracked.Count} frames");
        for (int j = 0; j < s_joints.Length; j++)
        {
            output.WriteLine($"{s_joints[j].Name}: mean {errors[j].Average():F2}°, max {errors[j].Max():F2}° over {errors[j].Count} frames");
        }

        double mean = errors.SelectMany(e => e).Average();
        double worst = errors.Max(e => e.Max());
        output.WriteLine($"all: mean {mean:F2}°, max {worst:F2}°");
        Assert.True(mean < 1.5 && worst < 12, // measured 0.90° and 8.4° (docs/motion.md)
            $"joint angles through the BVH: mean {mean:F2}°, max {worst:F2}°");
    }

    private static Vector3 Space(TrackingFrame f, int point, float aspect) => BvhSkeleton.ToSpace(f.Body.Landmarks[point], aspect);

    private static double Angle(Vector3 a, Vector3 joint, Vector3 c)
    {
        Vector3 u = Vector3.Normalize(a - joint);
        Vector3 v = Vector3.Normalize(c - joint);
        return Math.Acos(Math.Clamp(Vector3.Dot(u, v), -1f, 1f)) * 180 / Math.PI;
    }

    private static List<TrackingFrame> Read(string path)
    {
        var frames = new List<TrackingFrame>();
        using RecordingReader recording = RecordingReader.Open(path);
        var reader = new ProtocolReader(MessagePackLimits.Trusted);
        while (recording.TryReadNext(out ReadOnlyMemory<byte> packet))
        {
            if (reader.Read(packet.Span) == MessageKind.TrackingFrame)
            {
                var frame = new TrackingFrame();
                reader.Frame.CopyTo(frame);
                frames.Add(frame);
            }
        }

        return frames;
    }
}
