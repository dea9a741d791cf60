using System.Numerics;
using Capture.Core.Frames;
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
            List<VideoFrame> frames = await FramePixels.ReadFramesAsync(output);
            Assert.Equal((216, 476), (frames[0].Width, frames[0].Height));

            // The drawing holds its arms up with its hands at the top corners; the performer's arms hang
            // at the start: the corners, dark pencil in the picture, are paper in the render.
            int pencilInPicture = FramePixels.Dark(drawing.Picture, 0, 20, 50, 110) + FramePixels.Dark(drawing.Picture, 175, 20, 216, 110);
            int pencilInRender = FramePixels.Dark(frames[0], 0, 20, 50, 110) + FramePixels.Dark(frames[0], 175, 20, 216, 110);
            Assert.True(pencilInPicture > 250, $"the drawing's raised hands: {pencilInPicture} dark pixels");
            Assert.True(pencilInRender < pencilInPicture / 4, $"after the arms came down: {pencilInRender} dark pixels up there, {pencilInPicture} in the picture");

            // Not a still or black picture: the figure is drawn (pencil over the torso) and moves.
            Assert.True(FramePixels.Dark(frames[0], 60, 150, 170, 330) > 300, "the torso's pencil is there");
            float moved = FramePixels.MeanDifference(frames[10], frames[50]);
            Assert.True(moved > 1.5f, $"frames 10 and 50 differ by {moved:F2} levels on average");
        }
        finally
        {
            File.Delete(output);
        }
    }
}
