using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Xunit.Abstractions;

namespace Capture.Tracking.Tests.Reference;

/// <summary>Our face landmarks against MediaPipe's own (JS solution in Chromium) on the shared photos.</summary>
[Collection(ModelsCollection.Name)]
public sealed class AgainstMediaPipeTests(ModelsFixture models, ITestOutputHelper output)
{
    private static readonly string[] s_photos =
    [
        "face_sergey_mediapipe.png",
        "face_astronaut_eileen_collins.png",
        "face_jianzhuguo_3ddfa.jpg",
        "face_woman_happy_sadtalker.png",
        "face_woman_sad_sadtalker.png",
    ];

    /// <summary>
    /// Normalized mean error: mean point distance (x, y in pixels) over the 468 points divided by the
    /// inter-ocular distance (outer eye corners 33–263, MediaPipe's points), per photo ≤ 1.5 %.
    /// </summary>
    [Fact]
    public async Task Process_SharedPhotos_MatchMediaPipeWithinOneAndAHalfPercentOfInterOcular()
    {
        string[] paths = [.. s_photos.Select(TestData.Media)];
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        IReadOnlyList<MediaPipeResult> reference = await MediaPipeJs.RunFaceMeshAsync(paths, staticMode: true, timeout.Token);
        using Tracker tracker = models.Create(new TrackerOptions { StaticImage = true });
        var ours = new TrackingFrame();

        for (int k = 0; k < paths.Length; k++)
        {
            VideoFrame frame = Ffmpeg.DecodeImage(paths[k]);
            tracker.Process(frame, ours);
            MediaPipeFace theirs = Assert.Single(reference[k].Faces);
            Assert.True(ours.Face.Present, $"{s_photos[k]}: no face found");
            Vector2 Theirs(int i) => new(theirs.Landmarks[i].X * frame.Width, theirs.Landmarks[i].Y * frame.Height);
            float interOcular = Vector2.Distance(Theirs(33), Theirs(263));
            double sum = 0;
            for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
            {
                sum += Vector2.Distance(ours.Face.Pixel(i, frame.Width, frame.Height), Theirs(i));
            }

            double nme = sum / TrackingFrame.FaceLandmarkCount / interOcular;
            output.WriteLine($"{s_photos[k]}: NME {nme * 100:F2} % of {interOcular:F0} px");
            Assert.True(nme <= 0.015, $"{s_photos[k]}: NME {nme * 100:F2} % > 1.5 %");
        }
    }
}
