using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Pipeline;
using Capture.Retargeting.Rigs;
using Capture.Server.Client;
using Capture.Testing;
using Capture.Tracking;
using OpenCvSharp;
using Tracker = Capture.Tracking.Tracker;

namespace Capture.Server.Tests;

/// <summary>
/// The browser's contract through the real sockets: a performer whose Hello says only "face" sends landmarks
/// with zero blendshapes and an identity pose, and the server's own solver makes the character's mouth move.
/// </summary>
public sealed class LandmarksOnlyPerformerTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task FaceOnlyCapability_LandmarksDriveTheCharacter()
    {
        // The clip's landmarks, as MediaPipe JS would give them: no blendshapes, no head pose.
        var frames = new List<TrackingFrame>();
        using (Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true }))
        await using (IFrameSource source = await FrameSources.OpenAsync(SharedMedia.File("vid_expr_man_d18.mp4")))
        {
            while (await source.ReadAsync() is VideoFrame frame)
            {
                using (frame)
                {
                    var t = new TrackingFrame();
                    tracker.Process(frame, t);
                    Array.Clear(t.Face.Blendshapes);
                    t.Face.HeadPose = HeadPose.Identity;
                    frames.Add(t);
                }
            }
        }

        // Idle frames off: a wait for the viewer longer than the idle delay (a loaded machine) would add a rendered
        // frame the performer never sent, and every rendered frame here is counted against the sent ones.
        LiveSessionInfo s = await server.CreateSessionAsync(idle: false);
        var jpegs = new List<byte[]>();
        await using var viewer = new LiveViewer { OnFrame = (_, jpeg, _) => jpegs.Add(jpeg.ToArray()) };
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s, capabilities: ["face"]);
        for (int i = 0; i < frames.Count; i++)
        {
            // One at a time, each rendered before the next goes: no frame is dropped, every one is checked.
            await performer.SendFrameAsync(i, frames[i]);
            int expected = i + 1;
            await IngestTests.WaitUntilAsync(() => viewer.Frames.Count >= expected);
        }

        SessionState state = (await server.StateAsync(s.Id))!;
        Assert.Equal(0, state.Drops.Malformed);
        Assert.Equal(frames.Count, state.FramesRendered);
        await server.DeleteAsync(s.Id);

        CharacterRig rig = await CharacterLoader.LoadAsync(ServerFixture.FaceCharacter, null);
        Rect mouth = CliLiveTests.Box(rig, 256, FaceTopology.MouthRight, FaceTopology.MouthLeft, FaceTopology.UpperLipOuter, FaceTopology.LowerLipOuter);
        var corner = new Rect(0, 0, 40, 40);
        using Mat first = Cv2.ImDecode(jpegs[0], ImreadModes.Grayscale);
        double mouthChange = 0, cornerChange = 0;
        foreach (byte[] jpeg in jpegs)
        {
            using Mat m = Cv2.ImDecode(jpeg, ImreadModes.Grayscale);
            mouthChange = Math.Max(mouthChange, CliLiveTests.MeanAbsDiff(first, m, mouth));
            cornerChange = Math.Max(cornerChange, CliLiveTests.MeanAbsDiff(first, m, corner));
        }

        Assert.True(mouthChange > 8, $"mouth region changed by at most {mouthChange:F1} grey levels");
        Assert.True(mouthChange > 3 * cornerChange, $"mouth {mouthChange:F1} vs corner {cornerChange:F1}");
    }
}
