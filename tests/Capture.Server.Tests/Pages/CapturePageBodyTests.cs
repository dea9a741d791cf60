using System.Globalization;
using System.Text.Json;
using Capture.Server.Client;
using Capture.Testing;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Capture.Server.Tests.Pages;

/// <summary>
/// The capture page for a session whose character moves its body (issue 23 item 7): MediaPipe Pose, served by Capture
/// under /vendor, runs in the page beside the face mesh and the body goes to the server as protocol v1.3 (image and
/// world points), which renders the Animated Drawings stick figure from it; the page says what the pose model costs.
/// </summary>
[Collection(LivePagesCollection.Name)]
[Trait("Category", "Browser")]
public sealed class CapturePageBodyTests(LivePagesFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task CapturePage_BodySession_SendsPoseLandmarksWithWorldPoints_AndTheServerCountsThem()
    {
        // The fake camera plays the gesture clip whole (the performer head to feet), 240×360 at 30 fps; the 4 s clip loops.
        string y4m = Path.Combine(fixture.TempFolder, "body.y4m");
        await fixture.FfmpegAsync("-i", SharedMedia.File("vid_body_fullbody_gesture_s13.mp4"), "-an",
            "-vf", "scale=240:360,fps=30", "-pix_fmt", "yuv420p", y4m);

        // The stick figure (sent as a zip of its folder): a body session, whose capture address asks the page for the body.
        LiveSessionInfo session = await fixture.CreateSessionAsync(character: SharedMedia.File("drawing_stick_char4"));
        Assert.EndsWith("&body=1", session.CapturePage, StringComparison.Ordinal);

        IBrowser browser = await fixture.LaunchAsync(y4m);
        try
        {
            IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions { Permissions = ["camera"] });
            IPage page = await context.NewPageAsync();
            fixture.Trace(page, "capture (body)");
            await page.GotoAsync(fixture.PageUri(session.CapturePage).ToString());
            await LivePagesTests.WaitForAsync(page, "window.captureLive.bodyOn && window.captureLive.bodyFrames >= 8", TimeSpan.FromMinutes(4), "8 frames with a body");
            Assert.True(await page.EvaluateAsync<bool>("() => document.getElementById('body').checked"));

            // The server read them (v1.3 body, none refused) and rendered the figure from them.
            await LivePagesTests.WaitForAsync(page, "window.captureLive.characterFrames >= 3", TimeSpan.FromMinutes(2), "the character's frames back");
            JsonElement state = await fixture.SessionStateAsync(session.Id);
            output.WriteLine(state.ToString());
            Assert.True(state.GetProperty("body").GetBoolean());
            Assert.True(state.GetProperty("framesWithBody").GetInt64() >= 5, $"the server counted {state.GetProperty("framesWithBody")} frames with a body");
            Assert.Equal(0, state.GetProperty("drops").GetProperty("malformed").GetInt64());

            // Each body went with its world points, its wrists inside the picture.
            JsonElement recent = await page.EvaluateAsync<JsonElement>("() => window.captureLive.recent.filter((r) => r.body !== null)");
            Assert.True(recent.GetArrayLength() >= 8);
            foreach (JsonElement r in recent.EnumerateArray())
            {
                Assert.True(r.GetProperty("world").GetBoolean());
                JsonElement wrists = r.GetProperty("body");
                foreach (string k in new[] { "lx", "ly", "rx", "ry" })
                {
                    Assert.InRange(wrists.GetProperty(k).GetDouble(), -0.2, 1.2);
                }
            }

            // What it costs, as the page shows it.
            double bodyMs = await page.EvaluateAsync<double>("() => window.captureLive.bodyMs");
            double faceMs = await page.EvaluateAsync<double>("() => window.captureLive.faceMs ?? 0");
            string cost = await page.EvaluateAsync<string>("() => document.getElementById('body-cost').textContent");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"headless Chromium (no GPU, CPU inference): face mesh {faceMs:F0} ms a frame, pose {bodyMs:F0} ms a frame; the page says: {cost}"));
            Assert.True(bodyMs > 0);
            Assert.Matches(@"^body costs \d+ ms a frame here \(face (\d+|–) ms\)$", cost);
        }
        finally
        {
            await browser.CloseAsync();
            await fixture.Http.DeleteAsync(new Uri($"/api/live/{session.Id}", UriKind.Relative));
        }
    }
}
