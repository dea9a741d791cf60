using System.Globalization;
using System.Text.Json;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Pipeline;
using Capture.Retargeting.Rigs;
using Capture.Testing;
using Microsoft.Playwright;

namespace Capture.Server.Tests.Jobs;

/// <summary>
/// The rig page's zoom, magnifier, body joints and figure mask in Debian's Chromium, driven by the mouse as a person
/// would (issue 20 item 7, issue 23 item 3): a point placed zoomed in is saved to the sub-pixel in picture pixels;
/// joints placed and dragged and a mask opened and painted round-trip through the saved rig (the loader reads them back,
/// and the page continues the saved rig).
/// </summary>
[Collection(JobsCollection.Name)]
public sealed partial class RigPageBodyTests : IAsyncLifetime
{
    private static readonly string[] s_chromiumArgs =
        ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    // Tall enough that the whole canvas (at most 640 px high, below the tools) is in view: the mouse reaches every point.
    private static readonly ViewportSize s_tall = new() { Width = 1280, Height = 1600 };

    private static readonly string s_stick = Path.Combine(SharedMedia.Directory, "drawing_stick_char4");

    private readonly string _dir = Directory.CreateTempSubdirectory("capture-rig-page-").FullName;
    private JobServer _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        _server = await JobServer.StartAsync(Path.Combine(_dir, "data"));
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = s_chromiumArgs });
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task ZoomedIn_PointsLandToTheSubPixel_SavedInPicturePixels()
    {
        // The cat at 4× (1804×1200): shown whole its face is ~60 px wide on screen, as the Scream's is; one screen pixel
        // is 2.5 picture pixels, so only zooming in can put a point within half a picture pixel.
        string cat = Path.Combine(_dir, "cat4x.png");
        await JobClient.RunToolAsync("ffmpeg", "-v", "error", "-y", "-i", JobClient.Media("char_animal_cat_chelsea.png"), "-vf", "scale=iw*4:ih*4:flags=bicubic", cat);
        Dictionary<string, double[]> marks = ReadCatMarks().ToDictionary(p => p.Key, p => new[] { (p.Value[0] * 4) + 0.3, (p.Value[1] * 4) + 0.3 });
        await using IBrowserContext context = await _browser.NewContextAsync(new BrowserNewContextOptions { AcceptDownloads = true, ViewportSize = s_tall });
        IPage page = await OpenAsync(context, cat);
        float fit = await ScaleAsync(page);
        Assert.InRange(fit, 0.39f, 0.41f);

        // The buttons: fit is 1, each + is 1.5×.
        await page.ClickAsync("#zoom-in");
        Assert.Equal(1.5, double.Parse(await page.GetAttributeAsync("#canvas", "data-zoom") ?? "0", CultureInfo.InvariantCulture), 3);
        await page.ClickAsync("#zoom-fit");
        Assert.Equal("1", await page.GetAttributeAsync("#canvas", "data-zoom"));

        var placed = new List<string>();
        while (await page.GetAttributeAsync("#prompt", "data-point") is { Length: > 0 } point)
        {
            if (!marks.TryGetValue(point, out double[]? target))
            {
                await page.ClickAsync("#skip");
                continue;
            }

            // Point at the mark on the whole picture, wheel in (the picture point under the cursor stays there), then
            // aim at the mark on the zoomed view.
            await page.ClickAsync("#zoom-fit");
            await MoveToAsync(page, target);
            for (int i = 0; i < 3; i++)
            {
                await page.Mouse.WheelAsync(0, -400);
            }

            await page.WaitForFunctionAsync("() => Number(document.getElementById('canvas').dataset.zoom) > 4", null, new() { Timeout = 5000 }).ContinueWith(async t =>
                Assert.True(t.IsCompletedSuccessfully, $"{point}: zoom {await page.GetAttributeAsync("#canvas", "data-zoom")} after the wheel, placed {placed.Count}")).Unwrap();
            float s = await ScaleAsync(page);
            await MoveToAsync(page, target);

            // The magnifier shows where a click lands, in picture pixels, magnified beyond the view.
            Assert.True(await page.IsVisibleAsync("#magnifier"), "the magnifier shows while placing a point");
            double mx = double.Parse((await page.GetAttributeAsync("#magnifier", "data-x"))!, CultureInfo.InvariantCulture);
            double my = double.Parse((await page.GetAttributeAsync("#magnifier", "data-y"))!, CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(mx - target[0]) < 0.45 && Math.Abs(my - target[1]) < 0.45, $"magnifier at ({mx}, {my}), the cursor over ({target[0]}, {target[1]})");
            Assert.True(double.Parse((await page.GetAttributeAsync("#magnifier", "data-magnification"))!, CultureInfo.InvariantCulture) > s);
            await page.Mouse.DownAsync();
            await page.Mouse.UpAsync();
            placed.Add(point);
        }

        Assert.Empty(_pageErrors);

        Assert.Equal(marks.Count, placed.Count);
        await page.WaitForSelectorAsync("#canvas[data-fitted='468']", new() { Timeout = 30_000 });
        RigFile rig = await SaveAsync(page);
        Assert.Equal((1804, 1200), (rig.ImageWidth, rig.ImageHeight));
        foreach ((string name, _, System.Numerics.Vector2 p) in rig.Points)
        {
            double[] t = marks[name];
            Assert.True(Math.Abs(p.X - t[0]) < 0.45 && Math.Abs(p.Y - t[1]) < 0.45, $"{name}: saved ({p.X}, {p.Y}), aimed at ({t[0]}, {t[1]})");
        }
    }

    [Fact]
    public async Task BodyJointsAndMask_PlacedDraggedPainted_RoundTripThroughTheSavedRig()
    {
        string texture = Path.Combine(s_stick, "texture.png");
        // Where a person clicks: the drawing's joints (char_cfg.yaml's, mapped to pose names).
        Dictionary<string, double[]> targets = new(s_stickJoints);
        await using IBrowserContext context = await _browser.NewContextAsync(new BrowserNewContextOptions { AcceptDownloads = true, ViewportSize = s_tall });
        IPage page = await OpenAsync(context, texture);
        Assert.Equal(1f, await ScaleAsync(page));

        // Whatever the tracker offered goes; each joint is placed where the drawing has it.
        await PlaceStickJointsAsync(page);
        Assert.True(await page.IsDisabledAsync("#save") == false, await page.InnerTextAsync("#body-problem"));

        // Drag the head 12 px down: the joint follows the mouse.
        await MoveToAsync(page, targets["nose"]);
        await page.Mouse.DownAsync();
        await MoveToAsync(page, [124, 74]);
        await MoveToAsync(page, [124, 80]);
        await page.Mouse.UpAsync();
        targets["nose"] = [124, 80];

        // The hips crossed are refused in words before saving.
        await page.ClickAsync("#joints li[data-name=left_hip]");
        await page.ClickAsync("#canvas", new() { Position = new Position { X = 50, Y = 335 } });
        Assert.Contains("crossed", await page.InnerTextAsync("#body-problem"), StringComparison.Ordinal);
        Assert.True(await page.IsDisabledAsync("#save"));
        await page.ClickAsync("#joints li[data-name=left_hip]");
        await page.ClickAsync("#canvas", new() { Position = new Position { X = 120, Y = 323 } });
        Assert.Equal("", await page.InnerTextAsync("#body-problem"));

        // The figure: Animated Drawings' mask opened, then a stroke painted in the empty top-right corner.
        await page.ClickAsync("#mode-mask");
        await page.SetInputFilesAsync("#mask-file", Path.Combine(s_stick, "mask.png"));
        await page.WaitForFunctionAsync("() => Number(document.getElementById('canvas').dataset.mask) > 0");
        int opened = int.Parse((await page.GetAttributeAsync("#canvas", "data-mask"))!, CultureInfo.InvariantCulture);
        await MoveToAsync(page, [150, 8]);
        await page.Mouse.DownAsync();
        await MoveToAsync(page, [180, 8]);
        await MoveToAsync(page, [205, 8]);
        await page.Mouse.UpAsync();
        int painted = int.Parse((await page.GetAttributeAsync("#canvas", "data-mask"))!, CultureInfo.InvariantCulture);
        Assert.True(painted > opened + 300, $"{opened} → {painted} figure pixels after the stroke");

        // The parts preview is drawn over the figure in the body tab.
        await page.ClickAsync("#mode-body");
        RigFile rig = await SaveAsync(page);
        Assert.False(rig.HasFace);
        Assert.NotNull(rig.BodyJoints);
        foreach ((string name, double[] xy) in targets)
        {
            int i = BodyTopology.Names.ToList().IndexOf(name);
            Assert.True(rig.BodyKnown![i], name);
            Assert.True(Math.Abs(rig.BodyJoints[i].X - xy[0]) < 1.5 && Math.Abs(rig.BodyJoints[i].Y - xy[1]) < 1.5, $"{name}: {rig.BodyJoints[i]} vs ({xy[0]}, {xy[1]})");
        }

        // The saved mask is mask.png plus the stroke, at the picture's size.
        RgbaImage saved = ImageFile.Decode("saved mask", rig.MaskPng, ImageLimits.Default);
        RgbaImage original = await ImageFile.LoadRgbaAsync(Path.Combine(s_stick, "mask.png"));
        Assert.Equal((216, 475), (saved.Width, saved.Height));
        int same = 0, inOriginal = 0, stroke = 0;
        for (int y = 0; y < 475; y++)
        {
            for (int x = 0; x < 216; x++)
            {
                bool a = saved.Pixels[((y * 216) + x) * 4] >= 128;
                bool b = original.Pixels[((y * 216) + x) * 4] >= 128;
                same += a && b ? 1 : 0;
                inOriginal += b ? 1 : 0;
                stroke += a && !b && y < 30 && x > 140 ? 1 : 0;
            }
        }

        Assert.True(same > 0.99 * inOriginal, $"{same} of mask.png's {inOriginal} figure pixels kept");
        Assert.True(stroke > 300, $"{stroke} stroke pixels");

        // The loader (jobs, capture render --rig) takes the rig's joints and mask for the picture.
        var messages = new List<string>();
        BodyCharacter c = await CharacterLoader.LoadBodyAsync(texture, new BodyLoadOptions { RigPath = _lastRig }, messages.Add);
        Assert.Equal("rig page", c.Body.Source);
        Assert.Equal(targets["nose"][1], c.Body.Joint(BodyTopology.Nose).Y, 1.5);
        Assert.Contains(messages, m => m.Contains("figure from rig file", StringComparison.Ordinal));

        // The page continues the saved rig: the joints and the mask come back.
        IPage again = await OpenAsync(context, texture);
        await again.SetInputFilesAsync("#open-rig", _lastRig!);
        await again.WaitForFunctionAsync("() => document.getElementById('canvas').dataset.joints === '13' && Number(document.getElementById('canvas').dataset.mask) > 0");
        int reopened = int.Parse((await again.GetAttributeAsync("#canvas", "data-mask"))!, CultureInfo.InvariantCulture);
        Assert.InRange(reopened, painted * 0.99, painted * 1.01);
        Assert.Empty(_pageErrors);
    }

    private readonly List<string> _pageErrors = [];
    private string? _lastRig;

    private async Task<IPage> OpenAsync(IBrowserContext context, string picture)
    {
        IPage page = await OpenRigPageAsync(context);
        await page.SetInputFilesAsync("#picture", picture);
        await page.WaitForSelectorAsync("#workspace:not([hidden])");
        await page.WaitForSelectorAsync("#canvas[data-scale]");
        return page;
    }

    /// <summary>The rig page in a new tab of <paramref name="context"/>, the server's key given; its script errors are kept.</summary>
    private async Task<IPage> OpenRigPageAsync(IBrowserContext context)
    {
        IPage page = await context.NewPageAsync();
        page.PageError += (_, e) => _pageErrors.Add(e);
        await page.GotoAsync(new Uri(_server.Address, "rig.html").ToString());
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.FillAsync("#key", JobServer.Key);
        await page.PressAsync("#key", "Tab");
        return page;
    }

    private static async Task<float> ScaleAsync(IPage page) =>
        float.Parse((await page.GetAttributeAsync("#canvas", "data-scale"))!, CultureInfo.InvariantCulture);

    /// <summary>Moves the mouse over picture point <paramref name="p"/> as the view now shows it.</summary>
    private static async Task MoveToAsync(IPage page, double[] p)
    {
        float s = await ScaleAsync(page);
        string[] offset = (await page.GetAttributeAsync("#canvas", "data-offset"))!.Split(',');
        double ox = double.Parse(offset[0], CultureInfo.InvariantCulture);
        double oy = double.Parse(offset[1], CultureInfo.InvariantCulture);
        JsonElement box = await page.EvalOnSelectorAsync<JsonElement>("#canvas", "c => { const r = c.getBoundingClientRect(); return { x: r.left + c.clientLeft, y: r.top + c.clientTop }; }");
        await page.Mouse.MoveAsync((float)(box.GetProperty("x").GetDouble() + (p[0] * s) - ox), (float)(box.GetProperty("y").GetDouble() + (p[1] * s) - oy));
    }

    private async Task<RigFile> SaveAsync(IPage page)
    {
        IDownload saved = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#save"));
        string path = Path.Combine(_dir, $"{Guid.NewGuid():N}.rig.json");
        await saved.SaveAsAsync(path);
        _lastRig = path;
        return RigFile.Load(path);
    }

    private static Dictionary<string, double[]> ReadCatMarks()
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(RepoFiles.Path("calibration", "rigs", "char_animal_cat_chelsea.json")));
        return doc.RootElement.GetProperty("points").EnumerateObject()
            .ToDictionary(p => p.Name, p => new[] { p.Value[0].GetDouble(), p.Value[1].GetDouble() });
    }
}
