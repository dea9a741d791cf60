using System.Globalization;
using System.Numerics;
using Capture.Core.Tracking;
using Capture.Protocol.Export;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Testing;

namespace Capture.Protocol.Tests;

/// <summary>
/// render --motion-data's body: <see cref="BvhStreamWriter"/>'s lines against <see cref="BvhSkeleton"/>'s maths and what it
/// does with frames that miss the body (the real render on a full-body clip is in Capture.Pipeline.Tests).
/// </summary>
public sealed class BvhStreamWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-bvh-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Media(string name) => SharedMedia.File(name);

    [Fact]
    public void Complete_EveryFrameSeesTheBody_OneLineAFrameFromTheSkeletonsMaths()
    {
        string path = Path.Combine(_dir, "stream.bvh");
        using (var stream = new BvhStreamWriter(path, 25))
        {
            for (int t = 0; t < 40; t++)
            {
                stream.Add(Body(t));
            }

            stream.Complete();
        }

        BvhText bvh = BvhText.Parse(File.ReadAllText(path));
        Assert.Equal(40, bvh.Motion.Length);
        Assert.Equal(1 / 25.0, bvh.FrameTime, 6);
        Assert.Equal(BvhSkeleton.Body.JointNames.Count, bvh.Joints);
        Assert.Equal(BvhSkeleton.Body.ChannelCount, bvh.Channels);
        var channels = new float[BvhSkeleton.Body.ChannelCount];
        var lengths = new float[BvhSkeleton.Body.BoneLengthCount];
        foreach (int t in new[] { 0, 17, 39 })
        {
            TrackingFrame frame = Body(t);
            Vector3[] points = [.. frame.Body.Landmarks.Select(l => BvhSkeleton.ToSpace(l, 720f / 1080f))];
            BvhSkeleton.Body.MeasureFrame(points, channels, lengths);
            for (int c = 0; c < channels.Length; c++)
            {
                Assert.Equal(channels[c], bvh.Motion[t][c], 3);
            }
        }

        Assert.False(File.Exists(path + ".lines.tmp"));
    }

    [Fact]
    public void Add_BodyMissingAtStartAndInTheMiddle_HoldsTheFirstThenTheLastSeenPose()
    {
        string path = Path.Combine(_dir, "gaps.bvh");
        using (var stream = new BvhStreamWriter(path, 30))
        {
            stream.Add(Unseen(0));
            stream.Add(Body(1, hipsVisibility: 0.1f));
            stream.Add(Body(2));
            stream.Add(Unseen(3));
            stream.Add(Body(4));
            stream.Complete();
            Assert.Equal(5, stream.Frames);
            Assert.Equal(2, stream.FramesWithBody);
        }

        BvhText bvh = BvhText.Parse(File.ReadAllText(path));
        Assert.Equal(5, bvh.Motion.Length);
        Assert.Equal(bvh.Motion[2], bvh.Motion[0]);
        Assert.Equal(bvh.Motion[2], bvh.Motion[1]);
        Assert.Equal(bvh.Motion[2], bvh.Motion[3]);
        Assert.NotEqual(bvh.Motion[2], bvh.Motion[4]);
    }

    [Fact]
    public void Complete_BodyNeverSeen_WritesTheRestPoseWithDefaultBones()
    {
        string path = Path.Combine(_dir, "rest.bvh");
        using (var stream = new BvhStreamWriter(path, 30))
        {
            for (int t = 0; t < 6; t++)
            {
                // A selfie: BlazePose reports a body, but the hips it guessed are not visible.
                stream.Add(Body(t, hipsVisibility: 0.01f));
            }

            stream.Complete();
            Assert.Equal(0, stream.FramesWithBody);
        }

        BvhText bvh = BvhText.Parse(File.ReadAllText(path));
        Assert.Equal(6, bvh.Motion.Length);
        Assert.All(bvh.Motion, line => Assert.All(line, v => Assert.Equal(0f, v)));
        Assert.Equal(BvhSkeleton.Body.JointNames.Count, bvh.Joints);
        Assert.True(bvh.OffsetLengths.Skip(1).All(l => l > 1), "every bone below the root has a length");
    }

    [Fact]
    public void Add_AfterWarmUp_AllocatesNothingPerFrame()
    {
        using var stream = new BvhStreamWriter(Path.Combine(_dir, "alloc.bvh"), 30);
        TrackingFrame[] frames = [.. Enumerable.Range(0, 8).Select(t => Body(t))];
        TrackingFrame unseen = Unseen(0);
        // Warm-up past the first flush: StreamWriter and FileStream allocate their buffers then, once.
        for (int t = 0; t < 1000; t++)
        {
            stream.Add(frames[t % frames.Length]);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 500; t++)
        {
            stream.Add(t % 5 == 0 ? unseen : frames[t % frames.Length]);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    /// <summary>A standing person facing the camera (normalized image coordinates), arms and one knee moving with <paramref name="t"/>.</summary>
    private static TrackingFrame Body(int t, float hipsVisibility = 1f)
    {
        var frame = new TrackingFrame { Sequence = t, ImageWidth = 720, ImageHeight = 1080 };
        frame.Body.Present = true;
        frame.Body.Score = 0.9f;
        float s = MathF.Sin(t * 0.4f) * 0.05f;
        Vector4[] l = frame.Body.Landmarks;
        for (int i = 0; i < l.Length; i++)
        {
            l[i] = new Vector4(0.5f, 0.5f, 0, 0.9f);
        }

        l[0] = new Vector4(0.5f, 0.12f, -0.1f, 1);
        l[7] = new Vector4(0.54f, 0.11f, 0, 1);
        l[8] = new Vector4(0.46f, 0.11f, 0, 1);
        l[11] = new Vector4(0.6f, 0.25f, 0, 1);
        l[12] = new Vector4(0.4f, 0.25f, 0, 1);
        l[13] = new Vector4(0.68f, 0.38f + s, -s, 1);
        l[14] = new Vector4(0.32f, 0.38f, 0, 1);
        l[15] = new Vector4(0.7f + s, 0.5f - (2 * s), 0, 1);
        l[16] = new Vector4(0.3f, 0.5f + s, 0, 1);
        l[19] = new Vector4(0.71f + s, 0.54f - (2 * s), 0, 1);
        l[20] = new Vector4(0.29f, 0.54f + s, 0, 1);
        l[23] = new Vector4(0.56f, 0.55f, 0, hipsVisibility);
        l[24] = new Vector4(0.44f, 0.55f, 0, hipsVisibility);
        l[25] = new Vector4(0.57f + s, 0.72f, -s, 1);
        l[26] = new Vector4(0.43f, 0.72f, 0, 1);
        l[27] = new Vector4(0.57f, 0.9f, 0, 1);
        l[28] = new Vector4(0.43f, 0.9f, 0, 1);
        l[31] = new Vector4(0.58f, 0.93f, -0.05f, 1);
        l[32] = new Vector4(0.42f, 0.93f, -0.05f, 1);
        return frame;
    }

    private static TrackingFrame Unseen(int t) => new() { Sequence = t, ImageWidth = 720, ImageHeight = 1080 };
}
