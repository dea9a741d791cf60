using Capture.Core.Frames;
using Capture.Tracking.Segmentation;

namespace Capture.Tracking.Tests;

/// <summary>MediaPipe's selfie segmentation, converted and run as its graph runs it, on pictures whose figure is known.</summary>
public sealed class SelfieSegmenterTests
{
    [Fact]
    public async Task Segment_SpriteOverGrey_MatchesItsAlpha()
    {
        // The shared anime sprite's own alpha is the truth; the segmenter sees it over mid grey.
        byte[] alpha = Ffmpeg.Decode(TestData.Media("char_anime_eileen_renpy.png"), 1, 320, 720, extraFilter: "format=rgba,alphaextract")[0].Pixels.ToArray();
        VideoFrame picture = Ffmpeg.Decode(TestData.Media("char_anime_eileen_renpy.png"), 1)[0];
        Span<byte> rgb = picture.Pixels;
        for (int i = 0; i < rgb.Length; i++)
        {
            int a = alpha[i - (i % 3)];
            rgb[i] = (byte)(((rgb[i] * a) + (128 * (255 - a)) + 127) / 255);
        }

        using SelfieSegmenter segmenter = await SelfieSegmenter.CreateAsync();
        var mask = new byte[picture.Width * picture.Height];

        segmenter.Segment(picture, mask);

        int both = 0, either = 0;
        for (int i = 0; i < mask.Length; i++)
        {
            bool m = mask[i] >= 128, t = alpha[i * 3] >= 128;
            both += m && t ? 1 : 0;
            either += m || t ? 1 : 0;
        }

        // Measured 0.988 (docs/figure.md).
        Assert.True(both / (double)either > 0.95, $"IoU {both / (double)either:F3}");
    }

    [Fact]
    public async Task Segment_PlainGreyFrame_FindsNoPerson()
    {
        var grey = VideoFrame.CreateUnpooled(320, 240);
        grey.Pixels.Fill(128);
        using SelfieSegmenter segmenter = await SelfieSegmenter.CreateAsync();
        var mask = new byte[320 * 240];

        segmenter.Segment(grey, mask);

        Assert.True(mask.Count(v => v >= 128) < mask.Length / 100, $"{mask.Count(v => v >= 128)} person pixels in a grey frame");
    }
}
