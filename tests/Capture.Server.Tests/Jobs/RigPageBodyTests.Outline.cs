using System.Globalization;
using System.IO.Compression;
using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Pipeline;
using Capture.Retargeting.Rigs;
using Microsoft.Playwright;

namespace Capture.Server.Tests.Jobs;

/// <summary>
/// The rig page's outline tool and Animated Drawings characters (issue 23 item 3): an outline clicked around the stick
/// figure fills a mask that covers its joints and that a job accepts; Escape drops an outline, fewer than 3 points are
/// refused in words, an outline that leaves a joint out is refused by the job in words on the upload page; the drawing's
/// zip opens with its texture, its mask and its 16 joints (13 mapped onto Capture's body by the server), and the joints
/// edited there are the ones the job's loader uses.
/// </summary>
public sealed partial class RigPageBodyTests
{
    // Where a person clicks: the drawing's joints (char_cfg.yaml's, mapped to pose names).
    private static readonly Dictionary<string, double[]> s_stickJoints = new()
    {
        ["right_shoulder"] = [87, 198], ["left_shoulder"] = [138, 189], ["nose"] = [124, 68], ["right_elbow"] = [36, 152],
        ["right_wrist"] = [22, 64], ["left_elbow"] = [185, 147], ["left_wrist"] = [198, 54], ["right_hip"] = [64, 328],
        ["left_hip"] = [120, 323], ["right_knee"] = [45, 393], ["right_ankle"] = [31, 467], ["left_knee"] = [124, 388],
        ["left_ankle"] = [124, 458],
    };

    // An outline around the whole figure, arms raised, 14 px or more clear of every joint (55 % of the picture).
    private static readonly double[][] s_aroundFigure =
    [
        [8, 45], [40, 45], [62, 130], [95, 22], [155, 22], [168, 120], [185, 32], [212, 40], [212, 80], [200, 165], [152, 215],
        [145, 330], [145, 473], [100, 473], [85, 420], [65, 473], [8, 473], [25, 380], [50, 320], [70, 225], [20, 185], [5, 70],
    ];

    // The same outline with the figure's left arm (the picture's right) left out: the left elbow and wrist are outside.
    private static readonly double[][] s_withoutLeftArm =
    [
        [8, 45], [40, 45], [62, 130], [95, 22], [155, 22], [160, 130], [152, 215],
        [145, 330], [145, 473], [100, 473], [85, 420], [65, 473], [8, 473], [25, 380], [50, 320], [70, 225], [20, 185], [5, 70],
    ];

    [Fact]
    public async Task Outline_AroundTheStickFigure_FillsAMaskOverItsJoints_TheJobAcceptsIt()
    {
        string texture = Path.Combine(s_stick, "texture.png");
        await using IBrowserContext context = await _browser.NewContextAsync(new BrowserNewContextOptions { AcceptDownloads = true, ViewportSize = s_tall });
        IPage page = await OpenStickOutliningAsync(context, texture);

        // Zoomed in 1.5× and moved: the outline's points land in picture pixels whatever the view.
        await page.ClickAsync("#zoom-in");
        Assert.Equal("0", await page.GetAttributeAsync("#canvas", "data-mask"));
        foreach (double[] p in s_aroundFigure)
        {
            await ShowAsync(page, p);
            await MoveToAsync(page, p);
            await page.Mouse.DownAsync();
            await page.Mouse.UpAsync();
        }

        Assert.Equal(s_aroundFigure.Length.ToString(CultureInfo.InvariantCulture), await page.GetAttributeAsync("#canvas", "data-outline"));
        Assert.Equal("0", await page.GetAttributeAsync("#canvas", "data-mask"));

        // Clicking the first point closes it: the inside is the figure.
        await ShowAsync(page, s_aroundFigure[0]);
        await MoveToAsync(page, s_aroundFigure[0]);
        await page.Mouse.DownAsync();
        await page.Mouse.UpAsync();
        Assert.Equal("0", await page.GetAttributeAsync("#canvas", "data-outline"));
        int covered = int.Parse((await page.GetAttributeAsync("#canvas", "data-mask"))!, CultureInfo.InvariantCulture);
        double area = PolygonArea(s_aroundFigure);
        Assert.True(Math.Abs(covered - area) < 0.02 * area, $"{covered} figure pixels, the outline encloses {area:0}");
        Assert.Equal("", await page.InnerTextAsync("#mask-problem"));

        RigFile rig = await SaveAsync(page);
        RgbaImage mask = ImageFile.Decode("saved mask", rig.MaskPng, ImageLimits.Default);
        Assert.Equal((216, 475), (mask.Width, mask.Height));
        foreach ((string name, double[] xy) in s_stickJoints)
        {
            Assert.True(mask.Pixels[(((int)xy[1] * 216) + (int)xy[0]) * 4] >= 128, $"{name} at ({xy[0]}, {xy[1]}) is outside the outlined mask");
        }

        Assert.True(mask.Pixels[((10 * 216) + 10) * 4] < 128, "the top-left corner is background");

        // The job takes the picture with the rig: its joints and the outlined figure (the upload page sends the rig it kept).
        Assert.Equal("", await SubmitOnUploadPageAsync(page, texture));
        await StopJobsAsync();
        Assert.Empty(_pageErrors);
    }

    [Fact]
    public async Task Outline_EscapeDropsIt_TooFewPointsSaidInWords_ALeftOutJointRefusedByTheJobInWords()
    {
        string texture = Path.Combine(s_stick, "texture.png");
        await using IBrowserContext context = await _browser.NewContextAsync(new BrowserNewContextOptions { AcceptDownloads = true, ViewportSize = s_tall });
        IPage page = await OpenStickOutliningAsync(context, texture);

        // Two points and Enter: nothing is enclosed, the page says why, the points stay.
        await ClickAtAsync(page, [20, 20]);
        await ClickAtAsync(page, [200, 20]);
        await page.Keyboard.PressAsync("Enter");
        Assert.Contains("at least 3 points", await page.InnerTextAsync("#mask-problem"), StringComparison.Ordinal);
        Assert.Equal("2", await page.GetAttributeAsync("#canvas", "data-outline"));
        Assert.Equal("0", await page.GetAttributeAsync("#canvas", "data-mask"));

        // A third point, Backspace takes it back; Escape drops the outline: the mask is untouched.
        await ClickAtAsync(page, [200, 200]);
        Assert.Equal("3", await page.GetAttributeAsync("#canvas", "data-outline"));
        await page.Keyboard.PressAsync("Backspace");
        Assert.Equal("2", await page.GetAttributeAsync("#canvas", "data-outline"));
        await ClickAtAsync(page, [200, 200]);
        await page.Keyboard.PressAsync("Escape");
        Assert.Equal("0", await page.GetAttributeAsync("#canvas", "data-outline"));
        Assert.Equal("0", await page.GetAttributeAsync("#canvas", "data-mask"));

        // The outline without the left arm, closed by a double-click on its last point.
        for (int i = 0; i < s_withoutLeftArm.Length - 1; i++)
        {
            await ClickAtAsync(page, s_withoutLeftArm[i]);
        }

        double[] last = s_withoutLeftArm[^1];
        await page.DblClickAsync("#canvas", new() { Position = new Position { X = (float)last[0], Y = (float)last[1] } });
        Assert.Equal("0", await page.GetAttributeAsync("#canvas", "data-outline"));
        int covered = int.Parse((await page.GetAttributeAsync("#canvas", "data-mask"))!, CultureInfo.InvariantCulture);
        double area = PolygonArea(s_withoutLeftArm);
        Assert.True(Math.Abs(covered - area) < 0.02 * area, $"{covered} figure pixels, the outline encloses {area:0} (the double-click added one point, not two)");

        // "Cuts out": an outline over the right foot takes it away again (and Escape leaves a closed outline's mask alone).
        await page.ClickAsync("#outline-cut");
        foreach (double[] p in new double[][] { [5, 440], [60, 440], [60, 474], [5, 474] })
        {
            await ClickAtAsync(page, p);
        }

        await page.Keyboard.PressAsync("Enter");
        int cut = int.Parse((await page.GetAttributeAsync("#canvas", "data-mask"))!, CultureInfo.InvariantCulture);
        Assert.True(cut < covered - 500, $"{covered} → {cut} figure pixels after cutting out the foot");
        await page.Keyboard.PressAsync("Escape");
        Assert.Equal(cut.ToString(CultureInfo.InvariantCulture), await page.GetAttributeAsync("#canvas", "data-mask"));

        // Put the foot back, save; the job refuses the figure that leaves the left arm out, in a person's words.
        await page.ClickAsync("#outline");
        foreach (double[] p in new double[][] { [5, 440], [60, 440], [60, 474], [5, 474] })
        {
            await ClickAtAsync(page, p);
        }

        await page.ClickAsync("#outline-close");
        await SaveAsync(page);
        string message = await SubmitOnUploadPageAsync(page, texture);
        Assert.StartsWith("The character picture texture.png: ", message, StringComparison.Ordinal);
        Assert.Contains("the figure's mask leaves out its left elbow (at 185, 147 in the picture)", message, StringComparison.Ordinal);
        Assert.Contains("paint or outline the figure over every joint", message, StringComparison.Ordinal);
        Assert.DoesNotContain("left_elbow", message, StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("article.job").CountAsync());
        Assert.Empty(_pageErrors);
    }

    [Fact]
    public async Task AnimatedDrawingsZip_OpensWithItsDrawingMaskAndJoints_EditedJointsAreWhatTheJobLoads()
    {
        string zip = Path.Combine(_dir, "drawing_stick_char4.zip");
        ZipFile.CreateFromDirectory(s_stick, zip);
        await using IBrowserContext context = await _browser.NewContextAsync(new BrowserNewContextOptions { AcceptDownloads = true, ViewportSize = s_tall });
        IPage page = await OpenAsync(context, zip);
        await page.WaitForFunctionAsync("() => document.getElementById('canvas').dataset.drawingJoints === '16'", null, new() { Timeout = 30_000 });

        // The drawing at its size, its 16 joints read, 13 on Capture's body where the loader maps them, its mask as the figure.
        Assert.Equal("1", await page.GetAttributeAsync("#canvas", "data-scale"));
        Assert.Equal("13", await page.GetAttributeAsync("#canvas", "data-joints"));
        Assert.True(await page.IsCheckedAsync("#mode-body"));
        string status = await page.InnerTextAsync("#picture-status");
        Assert.Contains("16 joints", status, StringComparison.Ordinal);
        Assert.Contains("root, hip, torso are not used", status, StringComparison.Ordinal);
        RgbaImage original = await ImageFile.LoadRgbaAsync(Path.Combine(s_stick, "mask.png"));
        int white = 0;
        for (int i = 0; i < original.Pixels.Length; i += 4)
        {
            white += original.Pixels[i] >= 128 ? 1 : 0;
        }

        Assert.Equal(white.ToString(CultureInfo.InvariantCulture), await page.GetAttributeAsync("#canvas", "data-mask"));
        int shown = await page.Locator("#joints li.done").CountAsync();
        Assert.Equal(13, shown);

        // Drag the head 10 px down, as on any picture; save.
        await MoveToAsync(page, [124, 68]);
        await page.Mouse.DownAsync();
        await MoveToAsync(page, [124, 73]);
        await MoveToAsync(page, [124, 78]);
        await page.Mouse.UpAsync();
        RigFile rig = await SaveAsync(page);
        Assert.Equal("drawing_stick_char4.zip", rig.Image);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(zip))), rig.ImageSha256);
        Assert.Equal((216, 475), (rig.ImageWidth, rig.ImageHeight));
        (Vector2[] mapped, bool[] known) = AnimatedDrawingsConfig.Load(Path.Combine(s_stick, AnimatedDrawingsConfig.FileName)).ToPoseJoints();
        for (int i = 0; i < known.Length; i++)
        {
            Assert.Equal(known[i], rig.BodyKnown![i]);
            if (known[i] && i != BodyTopology.Nose)
            {
                Assert.True(Vector2.Distance(mapped[i], rig.BodyJoints![i]) < 0.11f, $"{BodyTopology.Names[i]}: {rig.BodyJoints[i]} saved, {mapped[i]} in char_cfg.yaml");
            }
        }

        // The job's loader takes the zip with the rig: the edited head, the mask as the page had it.
        var messages = new List<string>();
        BodyCharacter c = await CharacterLoader.LoadBodyAsync(zip, new BodyLoadOptions { RigPath = _lastRig }, messages.Add);
        Assert.Equal("rig page", c.Body.Source);
        Assert.Equal(78, c.Body.Joint(BodyTopology.Nose).Y, 1.5);
        Assert.Contains(messages, m => m.Contains("figure from rig file", StringComparison.Ordinal));

        // The rig names the zip by its bytes: another zip of the same drawing is not given its joints.
        string other = Path.Combine(_dir, "other.zip");
        ZipFile.CreateFromDirectory(s_stick, other, CompressionLevel.NoCompression, includeBaseDirectory: true);
        InvalidDataException refused = await Assert.ThrowsAsync<InvalidDataException>(() => CharacterLoader.LoadBodyAsync(other, new BodyLoadOptions { RigPath = _lastRig }));
        Assert.Contains("belongs to the picture 'drawing_stick_char4.zip'", refused.Message, StringComparison.Ordinal);

        // And the upload page sends that rig with the zip: the job is accepted.
        Assert.Equal("", await SubmitOnUploadPageAsync(page, zip));
        await StopJobsAsync();
        Assert.Empty(_pageErrors);
    }

    [Fact]
    public async Task AZipThatIsNoCharacter_IsSaidInWords()
    {
        string zip = Path.Combine(_dir, "no-config.zip");
        using (ZipArchive archive = ZipFile.Open(zip, ZipArchiveMode.Create))
        {
            archive.CreateEntryFromFile(Path.Combine(s_stick, "texture.png"), "texture.png");
        }

        await using IBrowserContext context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = s_tall });
        IPage page = await OpenRigPageAsync(context);
        await page.SetInputFilesAsync("#picture", zip);
        await page.WaitForSelectorAsync("#picture-status.error", new() { Timeout = 30_000 });
        Assert.Equal(
            "no-config.zip cannot be opened as an Animated Drawings character: no char_cfg.yaml in the zip; zip an Animated Drawings character folder (texture.png, mask.png, char_cfg.yaml)",
            await page.InnerTextAsync("#picture-status"));
        Assert.True(await page.IsHiddenAsync("#workspace"));
        Assert.Empty(_pageErrors);
    }

    /// <summary>The stick figure's picture on the rig page, its joints placed, the figure tab's outline tool chosen.</summary>
    private async Task<IPage> OpenStickOutliningAsync(IBrowserContext context, string texture)
    {
        IPage page = await OpenAsync(context, texture);
        await PlaceStickJointsAsync(page);
        await page.ClickAsync("#mode-mask");
        await page.ClickAsync("#outline");
        return page;
    }

    /// <summary>Removes the tracker's joints and clicks each of the drawing's where it is.</summary>
    private static async Task PlaceStickJointsAsync(IPage page)
    {
        await page.ClickAsync("#mode-body");
        await page.WaitForFunctionAsync("() => !document.getElementById('body-status').textContent.startsWith('looking')", null, new() { Timeout = 60_000 });
        foreach (string name in s_stickJoints.Keys)
        {
            if (await page.IsVisibleAsync($"#joints li.done[data-name={name}]"))
            {
                await page.ClickAsync($"#joints li[data-name={name}]");
                await page.ClickAsync("#joint-remove");
            }
        }

        Assert.Equal("0", await page.GetAttributeAsync("#canvas", "data-joints"));
        foreach ((string name, double[] xy) in s_stickJoints)
        {
            Assert.Equal(name, await page.GetAttributeAsync("#body-prompt", "data-joint"));
            await page.ClickAsync("#canvas", new() { Position = new Position { X = (float)xy[0], Y = (float)xy[1] } });
        }

        Assert.Equal("13", await page.GetAttributeAsync("#canvas", "data-joints"));
    }

    /// <summary>A click on picture point <paramref name="p"/> at the page's fitted view (1:1 for the stick figure).</summary>
    private static Task ClickAtAsync(IPage page, double[] p) =>
        page.ClickAsync("#canvas", new() { Position = new Position { X = (float)p[0], Y = (float)p[1] } });

    /// <summary>Pans the zoomed view (drag with the right button) until picture point <paramref name="p"/> is inside the canvas.</summary>
    private static async Task ShowAsync(IPage page, double[] p)
    {
        for (int i = 0; i < 4; i++)
        {
            float s = await ScaleAsync(page);
            string[] offset = (await page.GetAttributeAsync("#canvas", "data-offset"))!.Split(',');
            double cx = (p[0] * s) - double.Parse(offset[0], CultureInfo.InvariantCulture);
            double cy = (p[1] * s) - double.Parse(offset[1], CultureInfo.InvariantCulture);
            double w = await page.EvalOnSelectorAsync<double>("#canvas", "c => c.width");
            double h = await page.EvalOnSelectorAsync<double>("#canvas", "c => c.height");
            if (cx > 1 && cy > 1 && cx < w - 1 && cy < h - 1)
            {
                return;
            }

            // Drag the picture by the difference from the canvas's middle, with the right button (pans in every tool).
            LocatorBoundingBoxResult box = (await page.Locator("#canvas").BoundingBoxAsync())!;
            float mx = box.X + (box.Width / 2), my = box.Y + (box.Height / 2);
            await page.Mouse.MoveAsync(mx, my);
            await page.Mouse.DownAsync(new() { Button = MouseButton.Right });
            await page.Mouse.MoveAsync(mx - (float)(cx - (w / 2)), my - (float)(cy - (h / 2)), new() { Steps = 4 });
            await page.Mouse.UpAsync(new() { Button = MouseButton.Right });
        }

        Assert.Fail($"could not bring ({p[0]}, {p[1]}) into view");
    }

    private static double PolygonArea(double[][] polygon)
    {
        double twice = 0;
        for (int i = 0; i < polygon.Length; i++)
        {
            double[] a = polygon[i], b = polygon[(i + 1) % polygon.Length];
            twice += (a[0] * b[1]) - (b[0] * a[1]);
        }

        return Math.Abs(twice) / 2;
    }

    /// <summary>
    /// Goes to the upload page in the same tab (it keeps the rig the rig page saved) and submits the gesture clip driving
    /// <paramref name="character"/>; returns the page's error, empty when the job was accepted.
    /// </summary>
    private async Task<string> SubmitOnUploadPageAsync(IPage page, string character)
    {
        string clip = await ShortBodyClipAsync();
        await page.GotoAsync(_server.Address.ToString());
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.SetInputFilesAsync("#driving", clip);
        await page.SetInputFilesAsync("#character", character);
        await page.SelectOptionAsync("#size", "256");
        await page.ClickAsync("#submit");
        await page.WaitForSelectorAsync("article.job, #message:not(:empty)", new() { Timeout = 120_000 });
        return await page.InnerTextAsync("#message");
    }

    /// <summary>The first 2 s of the shared gesture clip at 360 px high (a performer in full view): the job's driving clip.</summary>
    private async Task<string> ShortBodyClipAsync()
    {
        string output = Path.Combine(_dir, "gesture.mp4");
        if (!File.Exists(output))
        {
            await JobClient.RunToolAsync("ffmpeg", "-v", "error", "-y", "-i", JobClient.Media("vid_body_fullbody_gesture_s13.mp4"), "-t", "2",
                "-vf", "scale=-2:360", "-an", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", output);
        }

        return output;
    }

    /// <summary>Deletes the jobs accepted (their renders are not what these tests look at).</summary>
    private async Task StopJobsAsync()
    {
        using System.Text.Json.JsonDocument list = System.Text.Json.JsonDocument.Parse(await _server.Client.GetStringAsync("api/jobs"));
        foreach (System.Text.Json.JsonElement job in list.RootElement.EnumerateArray())
        {
            using HttpResponseMessage r = await _server.Client.DeleteAsync($"api/jobs/{job.GetProperty("id").GetString()}");
        }
    }
}
