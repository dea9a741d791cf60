using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Retargeting;
using Capture.Retargeting.Rigs;
using Capture.Retargeting.Tests;

namespace Capture.Generation.Tests;

/// <summary>
/// The byte path (layers painted in box coordinates, the graph writing packed 8-bit pixels, bound to
/// the caller's frame) against the float path (the planar float frame, rounded as the render used to
/// round it): the same picture within one level, and no allocation per frame.
/// </summary>
public class WarpGeneratorBytesTests
{
    private const int Size = 128;

    // A talking, blinking, moving face: mouth open (interior + teeth painted), lids painted, head shifted.
    private static readonly Vector3[][] s_open = [.. Enumerable.Range(0, 3).Select(t => SyntheticFace.Create(mouthOpen: 0.02f + (0.03f * t)))];

    private static void Drive(CharacterRig rig, DrivenFace face, int t)
    {
        face.SetNeutral(rig.Neutral);
        Vector3[] open = s_open[t % 3];
        foreach (int i in FaceTopology.LipsInner)
        {
            face.Points[i] = new Vector2(open[i].X, open[i].Y);
        }

        var shift = new Vector2(0.004f * t, -0.003f * t);
        for (int i = 0; i < face.Points.Length; i++)
        {
            face.Points[i] += shift;
        }

        face.BlinkRight = t % 2 == 0 ? 0.9f : 0.1f;
        face.BlinkLeft = 0.6f;
    }

    private static byte ToByte(float v) => (byte)Math.Clamp((int)((v * 255f) + 0.5f), 0, 255);

    [Fact]
    public void GenerateInto_Opaque_MatchesTheFloatFrameWithinOneLevel()
    {
        CharacterRig rig = TestRigs.SyntheticRig(TestRigs.Picture(160, 160, transparentCorners: false));
        using var floats = new WarpGenerator(Size, 1, gridSize: 32, withAlpha: false, output: WarpOutput.Floats);
        using var bytes = new WarpGenerator(Size, 1, gridSize: 32, withAlpha: false);
        floats.SetCharacter(rig);
        bytes.SetCharacter(rig);
        var frame = VideoFrame.CreateUnpooled(Size, Size);
        frame.Pixels.Fill(77);
        var face = new DrivenFace();
        int plane = Size * Size;
        int worst = 0;
        long differing = 0;
        for (int t = 0; t < 4; t++)
        {
            Drive(rig, face, t);
            floats.Generate(face);
            bytes.GenerateInto(face, frame, 0, 0, (0, 0, 0));
            ReadOnlySpan<byte> got = frame.ReadOnlyPixels;
            for (int i = 0; i < plane; i++)
            {
                for (int c = 0; c < 3; c++)
                {
                    int d = Math.Abs(got[(i * 3) + c] - ToByte(floats.Output[(c * plane) + i]));
                    worst = Math.Max(worst, d);
                    differing += d > 0 ? 1 : 0;
                }
            }
        }

        Assert.True(worst <= 1, $"byte path differs from the float path by {worst} levels");
        Assert.True(differing < 4 * plane * 3 / 100, $"{differing} of {4 * plane * 3} values differ by a level");
        Assert.True(bytes.Region.Width < Size, "the test should exercise the strips beside the box");
    }

    [Fact]
    public void GenerateInto_SideBySide_WritesTheRightHalfAndLeavesTheLeft()
    {
        CharacterRig rig = TestRigs.SyntheticRig(TestRigs.Picture(160, 160, transparentCorners: false));
        using var bytes = new WarpGenerator(Size, 1, gridSize: 32, withAlpha: false);
        bytes.SetCharacter(rig);
        var wide = VideoFrame.CreateUnpooled(2 * Size, Size);
        var square = VideoFrame.CreateUnpooled(Size, Size);
        wide.Pixels.Fill(9);
        var face = new DrivenFace();
        Drive(rig, face, 1);

        bytes.GenerateInto(face, wide, Size, 0, (0, 0, 0));
        bytes.GenerateInto(face, square, 0, 0, (0, 0, 0));

        for (int y = 0; y < Size; y++)
        {
            Assert.True(wide.Row(y).Slice(Size * 3).SequenceEqual(square.Row(y)), $"row {y} differs");
            Assert.True(wide.Row(y)[..(Size * 3)].IndexOfAnyExcept((byte)9) < 0, $"row {y}: the left half was written");
        }
    }

    [Fact]
    public void GenerateInto_Alpha_RgbaWithinOneLevelAndTheBlendWithinTwo()
    {
        CharacterRig rig = TestRigs.SyntheticRig(TestRigs.Picture(160, 160, transparentCorners: true));
        using var floats = new WarpGenerator(Size, 1, gridSize: 32, output: WarpOutput.Floats);
        using var bytes = new WarpGenerator(Size, 1, gridSize: 32);
        floats.SetCharacter(rig);
        bytes.SetCharacter(rig);
        var frame = VideoFrame.CreateUnpooled(Size, Size);
        var rgba = new byte[Size * Size * 4];
        var face = new DrivenFace();
        Drive(rig, face, 2);
        (byte R, byte G, byte B) background = (30, 200, 90);
        floats.Generate(face);
        bytes.GenerateInto(face, frame, 0, 0, background);
        bytes.CopyRgbaTo(rgba);

        int plane = Size * Size;
        int worstRgba = 0;
        int worstComposite = 0;
        for (int i = 0; i < plane; i++)
        {
            float a = Math.Clamp(floats.Output[(3 * plane) + i], 0, 1);
            for (int c = 0; c < 4; c++)
            {
                worstRgba = Math.Max(worstRgba, Math.Abs(rgba[(i * 4) + c] - ToByte(floats.Output[(c * plane) + i])));
            }

            for (int c = 0; c < 3; c++)
            {
                byte bg = c == 0 ? background.R : c == 1 ? background.G : background.B;
                int expected = Math.Clamp((int)((floats.Output[(c * plane) + i] * a * 255f) + (bg * (1 - a)) + 0.5f), 0, 255);
                worstComposite = Math.Max(worstComposite, Math.Abs(frame.ReadOnlyPixels[(i * 3) + c] - expected));
            }
        }

        Assert.True(worstRgba <= 1, $"RGBA bytes differ from the float frame by {worstRgba} levels");

        // The composite rounds twice (the 8-bit colour and alpha, then the blend): at most one more level.
        Assert.True(worstComposite <= 2, $"composite differs from the float composite by {worstComposite} levels");
    }

    [Fact]
    public void GenerateInto_SameFrame_AllocatesNothingPerFrame()
    {
        CharacterRig rig = TestRigs.SyntheticRig(TestRigs.Picture(160, 160, transparentCorners: false));
        using var bytes = new WarpGenerator(Size, 1, gridSize: 32, withAlpha: false);
        bytes.SetCharacter(rig);
        var frame = VideoFrame.CreateUnpooled(Size, Size);
        var face = new DrivenFace();
        for (int t = 0; t < 3; t++)
        {
            Drive(rig, face, t);
            bytes.GenerateInto(face, frame, 0, 0, (0, 0, 0));
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 20; t++)
        {
            Drive(rig, face, t % 3);
            bytes.GenerateInto(face, frame, 0, 0, (0, 0, 0));
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated over 20 frames");
    }

    [Fact]
    public void Output_OnABytesGenerator_SaysToReadFrame()
    {
        using var bytes = new WarpGenerator(32, 1, gridSize: 8);
        var ex = Assert.Throws<InvalidOperationException>(() => bytes.Output.Length);
        Assert.Contains("Frame", ex.Message, StringComparison.Ordinal);
    }
}
