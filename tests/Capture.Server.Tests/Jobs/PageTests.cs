using System.Text.Json;
using Capture.Retargeting.Rigs;
using Microsoft.Playwright;

namespace Capture.Server.Tests.Jobs;

/// <summary>
/// The upload page and the rig page in Debian's Chromium (Playwright with /usr/bin/chromium, never a
/// downloaded browser), driven by clicks as a person would, against the real host.
/// </summary>
[Collection(JobsCollection.Name)]
public sealed partial class PageTests : IAsyncLifetime
{
    private static readonly string[] s_chromiumArgs =
        ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    private readonly string _dir = Directory.CreateTempSubdirectory("capture-jobs-pages-").FullName;
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
    public async Task UploadPage_PickClipAndPicture_ShowsProgressPlaysTheResultAndDownloadsMotion()
    {
        string clip = await JobClient.TrimAsync(JobClient.Media("vid_expr_man_d18.mp4"), 3, Path.Combine(_dir, "take.mp4"));
        await using IBrowserContext context = await _browser.NewContextAsync(new BrowserNewContextOptions { AcceptDownloads = true });
        IPage page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(_server.Address.ToString());
        await page.WaitForSelectorAsync("body[data-ready=true]");

        await page.FillAsync("#key", JobServer.Key);
        await page.PressAsync("#key", "Tab");
        await page.SetInputFilesAsync("#driving", clip);
        await page.SetInputFilesAsync("#character", JobClient.Media("char_painting_mona_lisa_s9.jpg"));
        await page.SelectOptionAsync("#size", "256");
        await page.ClickAsync("#submit");

        // The bar and the numbers move while it renders (fed by the event stream).
        IElementHandle stats = await page.WaitForSelectorAsync("article.job .stats:has-text('fps')", new() { Timeout = 120_000 }) ?? throw new InvalidOperationException();
        string during = await stats.InnerTextAsync();
        // The total is said to be an estimate while it renders; at the end, the frames rendered.
        Assert.Matches(@"\d+ / about 90 frames · [\d.]+ fps · ETA", during);
        await page.WaitForSelectorAsync("article.job .state[data-state=succeeded]", new() { Timeout = 180_000 });
        Assert.Matches(@"^\d+ frames$", await page.InnerTextAsync("article.job .stats"));
        Assert.Equal(1.0, await page.EvalOnSelectorAsync<double>("article.job progress", "p => p.value"));

        // The finished video plays in the page.
        await page.WaitForFunctionAsync("() => { const v = document.querySelector('article.job video'); return v.readyState >= 1 && isFinite(v.duration); }", null, new() { Timeout = 30_000 });
        double duration = await page.EvalOnSelectorAsync<double>("article.job video", "v => v.duration");
        Assert.True(Math.Abs(duration - 3) < 0.25, $"video duration in the page {duration}");
        await page.EvalOnSelectorAsync("article.job video", "v => { v.muted = true; return v.play(); }");
        await page.WaitForFunctionAsync("() => document.querySelector('article.job video').currentTime > 0.2", null, new() { Timeout = 15_000 });

        // Download links: the video and the motion files.
        IDownload csv = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("article.job .links a[data-file='motion.csv']"));
        string csvPath = Path.Combine(_dir, "motion.csv");
        await csv.SaveAsAsync(csvPath);
        Assert.Equal("motion.csv", csv.SuggestedFilename);
        Assert.Equal(91, (await File.ReadAllLinesAsync(csvPath)).Length);
        IDownload video = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("article.job .links a[data-file='video']"));
        string mp4 = Path.Combine(_dir, "page.mp4");
        await video.SaveAsAsync(mp4);
        Assert.True((await JobClient.ProbeAsync(mp4)).Audio);

        // The list of earlier jobs shows it.
        await page.WaitForSelectorAsync("#jobs tr[data-state=succeeded]");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Favicon_IsServedAtTheAddressBrowsersAsk()
    {
        await using IBrowserContext context = await _browser.NewContextAsync();
        IPage page = await context.NewPageAsync();
        IResponse? icon = await page.GotoAsync(new Uri(_server.Address, "/favicon.ico").ToString());
        Assert.NotNull(icon);
        Assert.Equal(200, icon.Status);
        Assert.Equal("image/svg+xml", icon.Headers["content-type"]);
        // The pages link it too, and it loads under their Content-Security-Policy.
        await page.GotoAsync(_server.Address.ToString());
        Assert.Equal("/favicon.svg", await page.GetAttributeAsync("link[rel=icon]", "href"));
        Assert.True(await page.EvaluateAsync<bool>("async () => (await fetch('/favicon.svg')).ok"));
    }

    [Fact]
    public async Task RigPage_ClickTheCatsPoints_SavesARigThatRendersFromTheUploadPage()
    {
        string clip = await JobClient.TrimAsync(JobClient.Media("vid_expr_man_d18.mp4"), 1.5, Path.Combine(_dir, "take.mp4"));
        string cat = JobClient.Media("char_animal_cat_chelsea.png");
        // Where a person clicks: the cat's features as marked by hand in calibration/rigs/.
        Dictionary<string, double[]> marks = ReadMarks();
        await using IBrowserContext context = await _browser.NewContextAsync(new BrowserNewContextOptions { AcceptDownloads = true });
        IPage page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        // First the upload page refuses the faceless cat and points to the rig page.
        await page.GotoAsync(_server.Address.ToString());
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.FillAsync("#key", JobServer.Key);
        await page.PressAsync("#key", "Tab");
        await page.SetInputFilesAsync("#driving", clip);
        await page.SetInputFilesAsync("#character", cat);
        await page.SelectOptionAsync("#size", "256");
        await page.ClickAsync("#submit");
        await page.WaitForSelectorAsync("#rig-hint:not([hidden])", new() { Timeout = 60_000 });
        // In people's words: what is wrong and what to do, not the API's field names.
        Assert.Equal(
            "No face found in the character picture char_animal_cat_chelsea.png: the tracker cannot read this face. Mark it on the rig page, then render again.",
            await page.InnerTextAsync("#message"));
        await page.ClickAsync("#rig-hint a");
        await page.WaitForSelectorAsync("body[data-ready=true]");

        await page.SetInputFilesAsync("#picture", cat);
        Assert.Equal(marks.Count, await ClickMarksAsync(page, marks));
        await page.WaitForSelectorAsync("#canvas[data-fitted='468']", new() { Timeout = 30_000 });
        // The fitted mesh is drawn over the picture: many mesh-green pixels that the cat photo does not have.
        int green = await page.EvalOnSelectorAsync<int>("#canvas", @"c => {
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4) { if (d[i + 1] > 150 && d[i + 1] > d[i] + 60 && d[i + 1] > d[i + 2] + 30) n++; }
            return n; }");
        Assert.True(green > 2000, $"{green} mesh pixels");

        IDownload saved = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#save"));
        string rigPath = Path.Combine(_dir, saved.SuggestedFilename);
        await saved.SaveAsAsync(rigPath);
        RigFile rig = RigFile.Load(rigPath);
        Assert.Equal((451, 300), (rig.ImageWidth, rig.ImageHeight));
        // The rig names its picture by content: the cat file's SHA-256.
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(cat))), rig.ImageSha256);
        Assert.Equal("char_animal_cat_chelsea.png", rig.Image);
        Assert.Equal(marks.Count, rig.Points.Count);
        foreach ((string name, _, System.Numerics.Vector2 p) in rig.Points)
        {
            Assert.True(Math.Abs(p.X - marks[name][0]) < 1.5 && Math.Abs(p.Y - marks[name][1]) < 1.5, $"{name}: {p} vs [{marks[name][0]}, {marks[name][1]}]");
        }

        // Back on the upload page the saved rig is used for the job, which renders.
        await page.ClickAsync("#back");
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.WaitForSelectorAsync("#rig-from-page:not([hidden])");

        // Another picture: the page does not carry the cat's rig to it, and says so (the upload itself is
        // stopped here, in the browser, once seen: only what the page sends matters).
        await page.SetInputFilesAsync("#driving", clip);
        await page.SetInputFilesAsync("#character", JobClient.Media("char_painting_mona_lisa_s9.jpg"));
        string? sentWithoutRig = null;
        await page.RouteAsync("**/api/jobs", async route =>
        {
            sentWithoutRig = route.Request.PostDataBuffer is { } body ? System.Text.Encoding.Latin1.GetString(body) : "";
            await route.AbortAsync();
        });
        await page.ClickAsync("#submit");
        await page.WaitForSelectorAsync("#rig-not-used:not([hidden])");
        Assert.Equal(
            "The rig from the rig page was made for char_animal_cat_chelsea.png, not char_painting_mona_lisa_s9.jpg: it is not used for this picture.",
            await page.InnerTextAsync("#rig-not-used"));
        await page.WaitForFunctionAsync("() => !document.getElementById('submit').disabled");
        Assert.NotNull(sentWithoutRig);
        Assert.Contains("name=\"character\"", sentWithoutRig, StringComparison.Ordinal);
        Assert.DoesNotContain("name=\"rig\"", sentWithoutRig, StringComparison.Ordinal);
        await page.UnrouteAsync("**/api/jobs");

        await page.SetInputFilesAsync("#character", cat);
        await page.SelectOptionAsync("#size", "256");
        await page.UncheckAsync("#motion-data");
        await page.ClickAsync("#submit");
        await page.WaitForSelectorAsync("article.job .state[data-state=succeeded]", new() { Timeout = 180_000 });
        await page.WaitForFunctionAsync("() => document.querySelector('article.job video').readyState >= 1", null, new() { Timeout = 30_000 });
        Assert.Empty(errors);
    }

    /// <summary>Clicks each point the rig page asks for where <paramref name="marks"/> has it, skips the others; returns the clicks.</summary>
    private static async Task<int> ClickMarksAsync(IPage page, Dictionary<string, double[]> marks)
    {
        await page.WaitForSelectorAsync("#workspace:not([hidden])");
        int clicks = 0;
        while (await page.GetAttributeAsync("#prompt", "data-point") is { Length: > 0 } point)
        {
            if (marks.TryGetValue(point, out double[]? xy))
            {
                await page.ClickAsync("#canvas", new() { Position = new Position { X = (float)xy[0], Y = (float)xy[1] } });
                clicks++;
            }
            else
            {
                await page.ClickAsync("#skip");
            }
        }

        return clicks;
    }

    private static Dictionary<string, double[]> ReadMarks()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "calibration", "rigs", "char_animal_cat_chelsea.json")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        Assert.NotNull(dir);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "calibration", "rigs", "char_animal_cat_chelsea.json")));
        return doc.RootElement.GetProperty("points").EnumerateObject()
            .ToDictionary(p => p.Name, p => new[] { p.Value[0].GetDouble(), p.Value[1].GetDouble() });
    }
}
