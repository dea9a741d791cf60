using Capture.Core.Frames;
using Capture.Media;
using Capture.Protocol.Schema;
using Capture.Server.Client;
using Capture.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Capture.Server.Tests.Pages;

/// <summary>
/// The viewer page over a checkerboard (issue 21): a character with its own alpha, drawn on the page's transparent
/// canvas with <c>bg=</c> set to a checkerboard picture. Two screenshots, over the checkerboard and over its inverse,
/// give each pixel's alpha and colour as the page composited them. And a body session's figure (the stick drawing,
/// a tall frame) over a chosen colour, its paper cut away.
/// </summary>
[Collection(LivePagesCollection.Name)]
[Trait("Category", "Browser")]
public sealed class ViewerAlphaPageTests(LivePagesFixture fixture, ITestOutputHelper output)
{
    private const int Side = 256;

    /// <summary>The checkerboard's two colours: magenta and green, far from any grey and from each other in every channel.</summary>
    private static readonly byte[] s_a = [255, 0, 255];
    private static readonly byte[] s_b = [0, 255, 0];

    [Fact]
    public async Task ViewerPage_SpriteOverCheckerboard_CheckerboardAroundOpaqueFigureAndNoGreyHalo()
    {
        using var api = new LiveApi(fixture.BaseUri, fixture.ApiKey);
        Client.LiveSessionInfo session = await api.CreateSessionAsync(AlphaViewerTests.Sprite, Side);
        await using FirstFrameProbe probe = await FirstFrameProbe.ConnectAsync(session);
        await using TestPerformer performer = await TestPerformer.ConnectAsync(session);

        // Frames without a face from a performer never seen: the session is not calibrated, so every frame is the
        // character at rest, the same picture in both shots.
        string shotA = await ShotAsync(session, performer, Checker(invert: false), "a");
        string shotB = await ShotAsync(session, performer, Checker(invert: true), "b");
        await api.DeleteSessionAsync(session.Id);
        byte[] rgbJpeg = Assert.IsType<byte[]>(probe.Rgb);
        byte[] alphaJpeg = Assert.IsType<byte[]>(probe.Alpha);

        RgbaImage a = await ImageFile.LoadRgbaAsync(shotA);
        RgbaImage b = await ImageFile.LoadRgbaAsync(shotB);
        Assert.Equal((Side, Side), (a.Width, a.Height));
        RgbaImage rgb = ImageFile.Decode("rgb.jpg", rgbJpeg, ImageLimits.Default);
        RgbaImage sent = ImageFile.Decode("alpha.jpg", alphaJpeg, ImageLimits.Default);

        int around = 0, aroundExact = 0, figure = 0, band = 0;
        double alphaError = 0;
        var edge = new double[3];
        var truth = new double[3];
        var naive = new double[3];
        for (int y = 0; y < Side; y++)
        {
            for (int x = 0; x < Side; x++)
            {
                int i = (y * Side) + x;
                bool first = ((x / 16) + (y / 16)) % 2 == 0;
                byte[] ca = first ? s_a : s_b, cb = first ? s_b : s_a;
                // s = P + (1 − α)·c over each background: the difference gives α, either shot the premultiplied colour P.
                double transmitted = 0;
                for (int c = 0; c < 3; c++)
                {
                    transmitted += (a.Pixels[(i * 4) + c] - b.Pixels[(i * 4) + c]) / (double)(ca[c] - cb[c]);
                }

                double alpha = Math.Clamp(1 - (transmitted / 3), 0, 1);
                double sentAlpha = sent.Pixels[i * 4] / 255.0;
                sentAlpha = sentAlpha <= 6 / 255.0 ? 0 : sentAlpha >= 249 / 255.0 ? 1 : sentAlpha;
                alphaError += Math.Abs(alpha - sentAlpha);
                if (alpha < 0.02)
                {
                    around++;
                    bool same = true;
                    for (int c = 0; c < 3; c++)
                    {
                        same &= Math.Abs(a.Pixels[(i * 4) + c] - ca[c]) <= 6;
                    }

                    aroundExact += same ? 1 : 0;
                }
                else if (alpha > 0.98)
                {
                    figure++;
                }
                else if (sentAlpha is > 0.15 and < 0.85)
                {
                    // The edge band: the colour the page shows there, taken out of its premultiplication, against the
                    // figure's own colour (the sent RGB with the grey matte taken out) and against the sent RGB as it
                    // is (what a page that ignored the matte would show: a grey fringe).
                    band++;
                    for (int c = 0; c < 3; c++)
                    {
                        double premultiplied = a.Pixels[(i * 4) + c] - ((1 - alpha) * ca[c]);
                        edge[c] += premultiplied / alpha;
                        truth[c] += Math.Clamp((rgb.Pixels[(i * 4) + c] - (235 * (1 - sentAlpha))) / sentAlpha, 0, 255);
                        naive[c] += rgb.Pixels[(i * 4) + c];
                    }
                }
            }
        }

        int n = Side * Side;
        double[] edgeMean = [.. edge.Select(v => v / Math.Max(band, 1))];
        double[] truthMean = [.. truth.Select(v => v / Math.Max(band, 1))];
        double[] naiveMean = [.. naive.Select(v => v / Math.Max(band, 1))];
        output.WriteLine($"around {around} ({aroundExact} exactly the checkerboard), figure {figure}, edge band {band}; mean |α − sent α| {alphaError / n:F4}");
        output.WriteLine($"edge band mean colour {Fmt(edgeMean)}; the figure's own {Fmt(truthMean)}; sent RGB over grey {Fmt(naiveMean)}");

        Assert.True(around > n / 10, $"the checkerboard shows on only {around} of {n} pixels");
        Assert.True(aroundExact >= around * 0.99, $"{around - aroundExact} transparent pixels are not the checkerboard's colour");
        Assert.True(figure > n / 10, $"only {figure} opaque pixels: the figure is not opaque");
        Assert.True(alphaError / n < 0.02, $"the page's alpha differs from the sent alpha by {alphaError / n:F4} on average");
        Assert.True(band > 50, $"only {band} edge pixels to judge the halo on");
        double toTruth = Distance(edgeMean, truthMean), toNaive = Distance(edgeMean, naiveMean);
        Assert.True(toTruth < 12, $"edge band colour {Fmt(edgeMean)} is {toTruth:F1} levels from the figure's own {Fmt(truthMean)}");
        Assert.True(toTruth < toNaive / 2, $"edge band colour {Fmt(edgeMean)} is nearer the grey-composited RGB {Fmt(naiveMean)} ({toNaive:F1}) than the figure's own ({toTruth:F1}): a grey halo");
    }

    [Fact]
    public async Task ViewerPage_BodySession_FigureOverTheChosenColourWithoutItsPaper()
    {
        // The stick drawing (a body session, 256 wide and its own tall shape) at rest: the performer sends no body.
        using var api = new LiveApi(fixture.BaseUri, fixture.ApiKey);
        Client.LiveSessionInfo session = await api.CreateSessionAsync(SharedMedia.File("drawing_stick_char4"), Side);
        await using FirstFrameProbe probe = await FirstFrameProbe.ConnectAsync(session);
        await using TestPerformer performer = await TestPerformer.ConnectAsync(session, capabilities: ["face", "blendshapes", "headpose", "body"]);
        await performer.SendFrameAsync(0);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (probe.Alpha is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no frame with alpha reached the probe; {fixture.LogText()}");
            await Task.Delay(50);
        }

        RgbaImage rgb = ImageFile.Decode("rgb.jpg", probe.Rgb!, ImageLimits.Default);
        RgbaImage sent = ImageFile.Decode("alpha.jpg", probe.Alpha, ImageLimits.Default);
        Assert.True(rgb.Height > rgb.Width * 2, $"a {rgb.Width}x{rgb.Height} frame: not the drawing's tall shape");
        Assert.Equal((rgb.Width, rgb.Height), (sent.Width, sent.Height));

        // A page exactly the frame's size, so the fitted canvas is the frame 1:1, painted magenta behind the figure.
        string shot = await ShotAsync(session, performer, "ff00ff", "body", rgb.Width, rgb.Height);
        await api.DeleteSessionAsync(session.Id);
        RgbaImage page = await ImageFile.LoadRgbaAsync(shot);
        Assert.Equal((rgb.Width, rgb.Height), (page.Width, page.Height));
        int transparent = 0, transparentMagenta = 0, opaque = 0, opaqueAsSent = 0;
        for (int i = 0; i < rgb.Width * rgb.Height; i++)
        {
            int a = sent.Pixels[i * 4];
            int toMagenta = Math.Max(Math.Abs(page.Pixels[i * 4] - 255), Math.Max(page.Pixels[(i * 4) + 1], Math.Abs(page.Pixels[(i * 4) + 2] - 255)));
            int toSent = Math.Max(Math.Abs(page.Pixels[i * 4] - rgb.Pixels[i * 4]), Math.Max(Math.Abs(page.Pixels[(i * 4) + 1] - rgb.Pixels[(i * 4) + 1]), Math.Abs(page.Pixels[(i * 4) + 2] - rgb.Pixels[(i * 4) + 2])));
            if (a <= 6)
            {
                transparent++;
                transparentMagenta += toMagenta <= 6 ? 1 : 0;
            }
            else if (a >= 249)
            {
                opaque++;
                opaqueAsSent += toSent <= 6 ? 1 : 0;
            }
        }

        int n = rgb.Width * rgb.Height;
        output.WriteLine($"{rgb.Width}x{rgb.Height}: transparent {transparent} ({transparentMagenta} magenta on the page), opaque {opaque} ({opaqueAsSent} as sent)");

        // The drawing's paper is gone: the page's magenta shows around the stick figure, which is drawn as sent.
        Assert.True(transparent > n / 2, $"only {transparent} of {n} pixels are transparent: the paper is not cut away");
        Assert.True(transparentMagenta >= transparent * 0.99, $"{transparent - transparentMagenta} transparent pixels are not the page's magenta");
        Assert.True(opaque > n / 50, $"only {opaque} opaque pixels: no figure");
        Assert.True(opaqueAsSent >= opaque * 0.99, $"{opaque - opaqueAsSent} of the figure's {opaque} pixels are not its sent colour");
    }

    private async Task<string> ShotAsync(Client.LiveSessionInfo session, TestPerformer performer, string background, string name, int width = Side, int height = Side)
    {
        await using IBrowserContext context = await fixture.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        IPage page = await context.NewPageAsync();
        fixture.Trace(page, $"viewer over checkerboard {name}");
        await page.GotoAsync(fixture.PageUri($"{session.ViewerPage}&bg={Uri.EscapeDataString(background)}").ToString());
        long seq = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (await page.EvaluateAsync<int>("() => window.captureView?.withAlpha ?? 0") < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the viewer painted no frame with alpha; {fixture.LogText()}");
            await performer.SendFrameAsync(seq++);
            await Task.Delay(100);
        }

        // Let the background picture load and the last frame settle, then shoot without a default background.
        await Task.Delay(300);
        byte[] png = await page.ScreenshotAsync(new PageScreenshotOptions { OmitBackground = true });
        string file = Path.Combine(fixture.TempFolder, $"viewer-checker-{name}.png");
        await File.WriteAllBytesAsync(file, png);
        return file;
    }

    // The checkerboard as a data: URL picture of the page's own size (shown 1:1 by bg=URL's 'cover'), 16 px squares.
    private static string Checker(bool invert)
    {
        var pixels = new byte[Side * Side * 3];
        for (int y = 0; y < Side; y++)
        {
            for (int x = 0; x < Side; x++)
            {
                bool first = (((x / 16) + (y / 16)) % 2 == 0) != invert;
                byte[] c = first ? s_a : s_b;
                c.CopyTo(pixels, ((y * Side) + x) * 3);
            }
        }

        string path = Path.Combine(Path.GetTempPath(), $"capture-checker-{Guid.NewGuid():N}.png");
        ImageFile.SavePngAsync(path, pixels, Side, Side, hasAlpha: false).GetAwaiter().GetResult();
        string url = "data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(path));
        File.Delete(path);
        return url;
    }

    /// <summary>A viewer on the session's frames keeping the first frame's RGB and alpha JPEGs as it received them.</summary>
    private sealed class FirstFrameProbe : IAsyncDisposable
    {
        private readonly LiveViewer _viewer;

        private FirstFrameProbe() => _viewer = new LiveViewer
        {
            OnFrame = (_, jpeg, _) => Rgb ??= jpeg.ToArray(),
            OnAlpha = (_, a, _) => Alpha ??= a.ToArray(),
        };

        public byte[]? Rgb { get; private set; }

        public byte[]? Alpha { get; private set; }

        public static async Task<FirstFrameProbe> ConnectAsync(Client.LiveSessionInfo session)
        {
            var probe = new FirstFrameProbe();
            await probe._viewer.ConnectAsync(new Uri(session.FramesUrl));
            return probe;
        }

        public ValueTask DisposeAsync() => _viewer.DisposeAsync();
    }

    private static double Distance(double[] p, double[] q) => Math.Sqrt(p.Zip(q, (u, v) => (u - v) * (u - v)).Sum());

    private static string Fmt(double[] c) => $"({c[0]:F0}, {c[1]:F0}, {c[2]:F0})";
}
