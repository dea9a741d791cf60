using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Server.Live;
using Capture.Testing;
using Capture.Tracking;
using Capture.Tracking.Face;

namespace Capture.Server.Tests;

/// <summary>A performer that sends landmarks only (the browser page) gets the same head pose and blendshapes the C# tracker computes.</summary>
public sealed class LandmarkFaceSolverTests
{
    [Theory]
    [InlineData("face_woman_happy_sadtalker.png", false)]
    [InlineData("face_sergey_mediapipe.png", true)]
    public async Task Complete_LandmarksOnly_MatchesTheTrackersOwnPoseAndBlendshapes(string picture, bool iris)
    {
        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true, StaticImage = true, RefineLandmarks = iris });
        var tracked = new TrackingFrame();
        await using (IFrameSource source = await FrameSources.OpenAsync(SharedMedia.File(picture)))
        {
            using VideoFrame frame = (await source.ReadAsync())!;
            tracker.Process(frame, tracked);
        }

        Assert.True(tracked.Face.Present);
        Assert.Contains(tracked.Face.Blendshapes, b => b > 0.05f);
        var landmarksOnly = new TrackingFrame();
        tracked.CopyTo(landmarksOnly);
        landmarksOnly.Face.HeadPose = HeadPose.Identity;
        Array.Clear(landmarksOnly.Face.Blendshapes);

        var solver = new LandmarkFaceSolver(CanonicalFace.Geometry);
        solver.Complete(landmarksOnly, PerformerCapabilities.From(["face"]));

        Assert.Equal(tracked.Face.HeadPose.Rotation.X, landmarksOnly.Face.HeadPose.Rotation.X, 1e-4f);
        Assert.Equal(tracked.Face.HeadPose.Rotation.Y, landmarksOnly.Face.HeadPose.Rotation.Y, 1e-4f);
        Assert.Equal(tracked.Face.HeadPose.Rotation.W, landmarksOnly.Face.HeadPose.Rotation.W, 1e-4f);
        Assert.Equal(tracked.Face.HeadPose.Translation.Z, landmarksOnly.Face.HeadPose.Translation.Z, 1e-2f);
        for (int b = 0; b < ArkitBlendshapes.Count; b++)
        {
            Assert.True(MathF.Abs(tracked.Face.Blendshapes[b] - landmarksOnly.Face.Blendshapes[b]) < 1e-3f,
                $"{ArkitBlendshapes.Names[b]}: tracker {tracked.Face.Blendshapes[b]}, from landmarks {landmarksOnly.Face.Blendshapes[b]}");
        }
    }

    [Fact]
    public async Task Complete_FullFrames_AreLeftAsSent()
    {
        var frame = new TrackingFrame { ImageWidth = 640, ImageHeight = 480 };
        frame.Face.Present = true;
        frame.Face.Blendshapes[3] = 0.7f;
        var solver = new LandmarkFaceSolver(await CanonicalFace.LoadAsync());
        solver.Complete(frame, PerformerCapabilities.From(["face", "blendshapes", "headpose"]));
        Assert.Equal(0.7f, frame.Face.Blendshapes[3]);
        Assert.Equal(HeadPose.Identity, frame.Face.HeadPose);
    }
}
