using System.Diagnostics;
using System.Numerics;

namespace Capture.Tracking.Tests.Reference;

/// <summary>The MediaPipe JS reference harness itself works: real MediaPipe, real Chromium.</summary>
public sealed class MediaPipeJsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-mpjs-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task RunFaceMeshAsync_FaceThenGrayImage_FindsOneFaceInsideTheImageThenNone()
    {
        string face = TestData.Media("face_sergey_mediapipe.png");
        string gray = Path.Combine(_dir, "gray.png");
        await RunFfmpegAsync("-f", "lavfi", "-i", "color=c=gray:s=640x480", "-frames:v", "1", gray);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));

        // Face first, then gray: in static mode the gray image must not inherit the face's track.
        IReadOnlyList<MediaPipeResult> results = await MediaPipeJs.RunFaceMeshAsync([face, gray], staticMode: true, timeout.Token);

        Assert.Equal(2, results.Count);
        MediaPipeResult found = results[0];
        Assert.Equal((600, 600), (found.Width, found.Height));
        MediaPipeFace single = Assert.Single(found.Faces);
        Assert.Equal(468, single.Landmarks.Count);
        Assert.All(single.Landmarks, p => Assert.True(p.X is > 0 and < 1 && p.Y is > 0 and < 1, $"{p} outside the image"));

        // Landmark 1 is the nose tip: near the middle of the face's landmark box, in this frontal photo.
        Vector3 min = single.Landmarks.Aggregate(Vector3.Min);
        Vector3 max = single.Landmarks.Aggregate(Vector3.Max);
        Vector3 centre = (min + max) / 2;
        Vector3 nose = single.Landmarks[1];
        Assert.InRange(nose.X, centre.X - ((max.X - min.X) * 0.1f), centre.X + ((max.X - min.X) * 0.1f));
        Assert.InRange(nose.Y, centre.Y - ((max.Y - min.Y) * 0.15f), centre.Y + ((max.Y - min.Y) * 0.15f));
        // The face fills a good part of this tightly framed portrait.
        Assert.InRange(max.X - min.X, 0.3f, 0.9f);

        Assert.Equal((640, 480), (results[1].Width, results[1].Height));
        Assert.Empty(results[1].Faces);
        Assert.Null(results[1].Pose);
    }

    private static async Task RunFfmpegAsync(params string[] args)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in (string[])["-v", "error", "-y", .. args])
        {
            start.ArgumentList.Add(a);
        }

        using Process process = Process.Start(start)!;
        string errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"ffmpeg failed: {errors}");
    }
}
