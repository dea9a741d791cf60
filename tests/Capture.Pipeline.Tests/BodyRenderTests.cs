using System.Numerics;
using Capture.Core.Frames;
using Capture.Media;
using Capture.Pipeline.Rendering;
using Capture.Retargeting.Rigs;
using Capture.Testing;

namespace Capture.Pipeline.Tests;

/// <summary>Body characters rendered from the shared full-body clips, looked at in pixels.</summary>
public class BodyRenderTests
{
    private static string Media(string name) => Path.Combine(SharedMedia.Directory, name);

    [Fact]
    public async Task Render_GestureClipDrivesTheDrawing_RaisedArmsComeDownAndTheFigureMoves()
    {
        BodyCharacter drawing = await BodyCharacters.DrawingAsync();
        string output = Path.Combine(Path.GetTempPath(), $"drawing-{Guid.NewGuid():N}.mp4");
        try
        {
            RenderResult result = await RenderPipeline.RunAsync(new RenderOptions
            {
                DrivingPath = Media("vid_body_fullbody_gesture_s13.mp4"),
                CharacterPath = BodyCharacters.Folder,
                BodyCharacter = drawing,
                OutputPath = output,
                Size = 216,
                MaxFrames = 60,
            });
            Assert.Equal(60, result.Frames);
            Assert.Equal(60, result.FramesWithBody);

            // The output has the drawing's shape: 216 wide, its 216×475 portrait.
            List<VideoFrame> frames = await ReadFramesAsync(output);
            Assert.Equal((216, 476), (frames[0].Width, frames[0].Height));

            // The drawing holds its arms up with its hands at the top corners; the performer's arms hang
            // at the start: the corners, dark pencil in the picture, are paper in the render.
            int pencilInPicture = Dark(drawing.Picture, 0, 20, 50, 110) + Dark(drawing.Picture, 175, 20, 216, 110);
            int pencilInRender = Dark(frames[0], 0, 20, 50, 110) + Dark(frames[0], 175, 20, 216, 110);
            Assert.True(pencilInPicture > 250, $"the drawing's raised hands: {pencilInPicture} dark pixels");
            Assert.True(pencilInRender < pencilInPicture / 4, $"after the arms came down: {pencilInRender} dark pixels up there, {pencilInPicture} in the picture");

            // Not a still or black picture: the figure is drawn (pencil over the torso) and moves.
            Assert.True(Dark(frames[0], 60, 150, 170, 330) > 300, "the torso's pencil is there");
            float moved = MeanDifference(frames[10], frames[50]);
            Assert.True(moved > 1.5f, $"frames 10 and 50 differ by {moved:F2} levels on average");
        }
        finally
        {
            File.Delete(output);
        }
    }

    /// <summary>Pixels darker than pencil's threshold (mean of RGB under 110) in a rectangle.</summary>
    internal static int Dark(VideoFrame frame, int x0, int y0, int x1, int y1)
    {
        int n = 0;
        for (int y = y0; y < Math.Min(y1, frame.Height); y++)
        {
            ReadOnlySpan<byte> row = frame.Row(y);
            for (int x = x0; x < Math.Min(x1, frame.Width); x++)
            {
                n += row[x * 3] + row[(x * 3) + 1] + row[(x * 3) + 2] < 330 ? 1 : 0;
            }
        }

        return n;
    }

    private static int Dark(RgbaImage picture, int x0, int y0, int x1, int y1)
    {
        int n = 0;
        for (int y = y0; y < y1; y++)
        {
            for (int x = x0; x < x1; x++)
            {
                int o = ((y * picture.Width) + x) * 4;
                n += picture.Pixels[o] + picture.Pixels[o + 1] + picture.Pixels[o + 2] < 330 ? 1 : 0;
            }
        }

        return n;
    }

    internal static float MeanDifference(VideoFrame a, VideoFrame b)
    {
        long sum = 0;
        ReadOnlySpan<byte> pa = a.ReadOnlyPixels, pb = b.ReadOnlyPixels;
        for (int i = 0; i < pa.Length; i++)
        {
            sum += Math.Abs(pa[i] - pb[i]);
        }

        return sum / (float)pa.Length;
    }

    internal static async Task<List<VideoFrame>> ReadFramesAsync(string path)
    {
        var frames = new List<VideoFrame>();
        await using IFrameSource source = await FrameSources.OpenFileAsync(path, new FrameSourceOptions { PoolCapacity = 2 });
        while (await source.ReadAsync(CancellationToken.None) is { } frame)
        {
            using (frame)
            {
                var copy = VideoFrame.CreateUnpooled(frame.Width, frame.Height);
                frame.ReadOnlyPixels.CopyTo(copy.Pixels);
                frames.Add(copy);
            }
        }

        return frames;
    }
}
