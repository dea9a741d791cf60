using System.Globalization;
using System.Text.Json;
using Capture.Server.Client;
using Capture.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Capture.Server.Tests.Pages;

/// <summary>
/// The capture page with the hands on (issue: hands in the browser capture page): MediaPipe Hands, served by Capture
/// under /vendor, runs in the page beside the face mesh; the hands go to the server as protocol v1.4; the "Track hands"
/// box turns them off again; the page says what the hand model costs.
/// </summary>
[Collection(LivePagesCollection.Name)]
[Trait("Category", "Browser")]
public sealed class CapturePageHandsTests(LivePagesFixture fixture, ITestOutputHelper output)
{
    /// <summary>
    /// The fake camera plays the gesture clip's upper body (hands at the chest and raised, the performer facing the
    /// camera). A session made with hands gives a capture address with &amp;hands=1: the page starts the hand model, the
    /// server counts frames with hands, the performer's right hand (on the picture's left: the camera is not mirrored)
    /// is sent as the right hand; unticking the box stops the hands while the face goes on.
    /// </summary>
    [Fact]
    public async Task CapturePage_HandsOn_SendsBothHandsBySide_AndTheBoxTurnsThemOff()
    {
        string y4m = Path.Combine(fixture.TempFolder, "hands.y4m");
        // The upper 720×720 of the 720×1080 clip (head to hips), at 360×360 and 30 fps; the 4 s clip loops.
        await fixture.FfmpegAsync("-i", SharedMedia.File("vid_body_fullbody_gesture_s13.mp4"), "-an",
            "-vf", "crop=720:720:0:0,scale=360:360,fps=30", "-pix_fmt", "yuv420p", y4m);
        LiveSessionInfo session = await fixture.CreateSessionAsync(hands: true);
        Assert.EndsWith("&hands=1", session.CapturePage, StringComparison.Ordinal);
        IBrowser browser = await fixture.LaunchAsync(y4m);
        try
        {
            IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions { Permissions = ["camera"] });
            IPage page = await context.NewPageAsync();
            fixture.Trace(page, "capture (hands)");
            await page.GotoAsync(fixture.PageUri(session.CapturePage).ToString());
            await LivePagesTests.WaitForAsync(page, "window.captureLive.handsOn && window.captureLive.handsFrames >= 10", TimeSpan.FromMinutes(4), "10 frames with hands");
            // The page's main thread is busy with the models most of the time: read it by evaluation (no locator timeout).
            Assert.True(await page.EvaluateAsync<bool>("() => document.getElementById('hands').checked"));

            // The server got them (v1.4 hands), none refused.
            JsonElement state = await fixture.SessionStateAsync(session.Id);
            output.WriteLine(state.ToString());
            Assert.True(state.GetProperty("hands").GetBoolean());
            Assert.True(state.GetProperty("framesWithHands").GetInt64() >= 5, $"the server counted {state.GetProperty("framesWithHands")} frames with hands");
            Assert.Equal(0, state.GetProperty("drops").GetProperty("malformed").GetInt64());

            // Sides: where both hands went, the performer's right wrist is left of the left wrist in the picture.
            JsonElement recent = await page.EvaluateAsync<JsonElement>("() => window.captureLive.recent.filter((r) => r.left !== null && r.right !== null)");
            int both = recent.GetArrayLength();
            int bySide = recent.EnumerateArray().Count(r => r.GetProperty("right").GetDouble() < r.GetProperty("left").GetDouble());
            output.WriteLine($"frames with both hands: {both}, right hand left of the left hand in {bySide}");
            Assert.True(both >= 3, $"only {both} frames with both hands");
            Assert.True(bySide >= both * 0.9, $"the performer's right hand was on the picture's left in only {bySide} of {both} frames");

            // What it costs, as the page shows it.
            double handsMs = await page.EvaluateAsync<double>("() => window.captureLive.handsMs");
            double faceMs = await page.EvaluateAsync<double>("() => window.captureLive.faceMs");
            string cost = await page.EvaluateAsync<string>("() => document.getElementById('hands-cost').textContent");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"headless Chromium (SwiftShader, no GPU): face mesh {faceMs:F0} ms a frame, hands {handsMs:F0} ms a frame; the page says: {cost}"));
            Assert.True(handsMs > 0);
            Assert.Matches(@"^hands cost \d+ ms a frame here \(face \d+ ms\)$", cost);

            // Untick the box: the next frames go without hands, the face goes on.
            await page.EvaluateAsync("() => { const box = document.getElementById('hands'); box.click(); }");
            long trackedAtOff = await page.EvaluateAsync<long>("() => { window.offAt = window.captureLive.recent.length ? window.captureLive.recent.at(-1).seq : 0; return window.captureLive.tracked; }");
            await LivePagesTests.WaitForAsync(page, $"window.captureLive.tracked >= {trackedAtOff + 10}", TimeSpan.FromMinutes(2), "10 frames after the box was unticked");
            // The frame in flight when the box was unticked may still carry hands; none after it.
            int after = await page.EvaluateAsync<int>("() => window.captureLive.recent.filter((r) => r.seq > window.offAt + 1 && (r.left !== null || r.right !== null)).length");
            Assert.Equal(0, after);
            Assert.False(await page.EvaluateAsync<bool>("() => window.captureLive.handsOn"));
            Assert.False(await page.EvaluateAsync<bool>("() => document.getElementById('hands').checked"));
            Assert.StartsWith("(the hand model in this page", await page.EvaluateAsync<string>("() => document.getElementById('hands-cost').textContent"), StringComparison.Ordinal);
        }
        finally
        {
            await browser.CloseAsync();
            await fixture.Http.DeleteAsync(new Uri($"/api/live/{session.Id}", UriKind.Relative));
        }
    }

    /// <summary>Without &amp;hands=1 the box is there, unticked, and no hand model is loaded.</summary>
    [Fact]
    public async Task CapturePage_HandsNotAsked_BoxOffAndNoHandModelLoaded()
    {
        PerformingSession performing = await fixture.PerformingAsync();
        IPage page = performing.CapturePage;
        await LivePagesTests.WaitForAsync(page, "window.captureLive.tracked >= 3 && !document.getElementById('hands').disabled", TimeSpan.FromMinutes(2), "the tracker to start");
        Assert.False(await page.IsCheckedAsync("#hands"));
        Assert.False(await page.EvaluateAsync<bool>("() => window.captureLive.handsOn || typeof window.Hands === 'function'"));
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.captureLive.handsFrames"));
    }
}
