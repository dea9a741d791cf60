using Microsoft.Playwright;

namespace Capture.Server.Tests.Pages;

/// <summary>
/// The API reference page (wwwroot/api.html) in Chromium, under the pages' Content-Security-Policy: it reads the
/// server's OpenAPI document and shows every operation, the multipart fields and the problem answers, with no
/// console error (a blocked script or fetch would be one).
/// </summary>
[Collection(LivePagesCollection.Name)]
[Trait("Category", "Browser")]
public sealed class ApiReferencePageTests(LivePagesFixture fixture)
{
    [Fact]
    public async Task ApiPage_RendersTheDocument_WithNoConsoleError()
    {
        await using IBrowserContext context = await fixture.Browser.NewContextAsync();
        IPage page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };
        page.PageError += (_, error) => errors.Add(error);

        await page.GotoAsync(fixture.PageUri("/api.html").ToString());
        await page.WaitForFunctionAsync("() => /\\d+ operations\\./.test(document.getElementById('status').textContent)", null, new() { Timeout = 30_000 });

        string text = await page.InnerTextAsync("body");
        foreach (string operation in (string[])["POST /api/live", "POST /api/jobs", "POST /api/rigs/fit", "GET /api/jobs/{id}/events", "GET /live/{id}/frames", "GET /healthz"])
        {
            Assert.Contains(operation, text, StringComparison.Ordinal);
        }

        Assert.Contains("multipart/form-data", text, StringComparison.Ordinal);
        Assert.Contains("motionData", text, StringComparison.Ordinal);
        Assert.Contains("application/problem+json", text, StringComparison.Ordinal);
        Assert.Contains("Bearer API key", text, StringComparison.Ordinal);
        Assert.Empty(errors);
    }
}
