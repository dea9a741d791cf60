using Microsoft.Playwright;

namespace Capture.Server.Tests.Jobs;

/// <summary>
/// The upload page keeps up with every job (issue 20, item 2): each job has its own panel and row fed by its event
/// stream, a reload picks them all up, and leaving during an upload asks first. And the pages speak to people, not
/// to API clients (item 6).
/// </summary>
public sealed partial class PageTests
{
    private const string Mona = "char_painting_mona_lisa_s9.jpg";

    /// <summary>
    /// Collects, in every document of the page, each API phrase the page text ever showed (a mutation observer, so a
    /// message shown for a moment counts too): the Bearer header, field names in quotes, "through the API",
    /// multipart, and a line starting with a form part's name ("driving: …").
    /// </summary>
    private const string ApiWordsWatcher = """
        window.__apiWords = [];
        const check = () => {
          const text = document.body ? document.body.innerText : '';
          const m = text.match(/Bearer|Authorization|'(rig|driving|character|profile)'|through the API|multipart|(^|\n)(driving|character|rig|profile): /);
          if (m && !window.__apiWords.includes(m[0])) { window.__apiWords.push(m[0]); }
        };
        document.addEventListener('DOMContentLoaded', () => {
          new MutationObserver(check).observe(document.documentElement, { subtree: true, childList: true, characterData: true });
          check();
        });
        """;

    [Fact]
    public async Task UploadPage_TwoJobsSubmitted_EachPanelAndRowEndsWithItsOwnResult()
    {
        string a = await JobClient.TrimAsync(JobClient.Media("vid_expr_man_d18.mp4"), 1, Path.Combine(_dir, "take-a.mp4"));
        string b = await JobClient.TrimAsync(JobClient.Media("vid_expr_man_d18.mp4"), 1, Path.Combine(_dir, "take-b.mp4"));
        await using IBrowserContext context = await _browser.NewContextAsync();
        (IPage page, List<string> errors) = await OpenUploadPageAsync(context);

        string first = await SubmitAsync(page, a, JobClient.Media(Mona));
        // The second submit adds a panel: the first one stays and still ends with its own result.
        string second = await SubmitAsync(page, b, JobClient.Media(Mona));
        Assert.NotEqual(first, second);
        Assert.Equal(2, await page.Locator("article.job").CountAsync());

        await AssertPanelEndsWithResultAsync(page, first, "take-a.mp4");
        await AssertPanelEndsWithResultAsync(page, second, "take-b.mp4");
        // The list's rows kept up by themselves.
        await page.WaitForSelectorAsync($"#jobs tr[data-id='{first}'][data-state=succeeded]", new() { Timeout = 10_000 });
        await page.WaitForSelectorAsync($"#jobs tr[data-id='{second}'][data-state=succeeded]", new() { Timeout = 10_000 });
        Assert.Equal(["succeeded", "succeeded"], await page.Locator("#jobs tr td:nth-child(3)").AllInnerTextsAsync());
        Assert.Empty(errors);
    }

    [Fact]
    public async Task UploadPage_ReloadedMidJob_PicksUpEveryJobItsProgressAndResults()
    {
        // The long take runs long enough to be reloaded mid-job: 24 s (the clip looped) are ~720 frames, several
        // seconds at 256² even with the models warm in the process (a 4 s take could end before the second upload had).
        string a = await JobClient.TrimAsync(JobClient.Media("vid_expr_man_d18.mp4"), 24, Path.Combine(_dir, "take-long.mp4"), loop: true);
        string b = await JobClient.TrimAsync(JobClient.Media("vid_expr_man_d18.mp4"), 1, Path.Combine(_dir, "take-short.mp4"));
        await using IBrowserContext context = await _browser.NewContextAsync();
        (IPage page, List<string> errors) = await OpenUploadPageAsync(context);
        string first = await SubmitAsync(page, a, JobClient.Media(Mona));
        await page.WaitForSelectorAsync($"article.job[data-id='{first}'] .stats:has-text('fps')", new() { Timeout = 180_000 });
        string second = await SubmitAsync(page, b, JobClient.Media(Mona));

        // The second job waits behind the first: it cannot start while the first is running.
        string?[] states = await page.EvalOnSelectorAllAsync<string?[]>(
            $"#jobs tr[data-id='{first}'], #jobs tr[data-id='{second}']", "rows => rows.map(r => r.dataset.id + ' ' + r.dataset.state)");
        Assert.True(states.Length == 2, string.Join(", ", states));
        Assert.False(states.Contains($"{first} running") && !states.Contains($"{second} queued"), string.Join(", ", states));
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("body[data-ready=true]");
        // Both panels are back, nothing clicked.
        await page.WaitForSelectorAsync($"article.job[data-id='{second}']", new() { Timeout = 10_000 });
        // The running job's panel (or, on a fast machine, the finished one) goes on from the event stream (more
        // frames, or the end).
        string panel = $"article.job[data-id='{first}']";
        await page.WaitForSelectorAsync($"{panel}:is([data-state=running], [data-state=succeeded])", new() { Timeout = 10_000 });
        double before = await page.EvalOnSelectorAsync<double>($"{panel} progress", "p => p.value");
        await page.WaitForFunctionAsync(
            $"before => document.querySelector(\"{panel} progress\").value > before || document.querySelector(\"{panel}\").dataset.state === 'succeeded'",
            before, new() { Timeout = 120_000 });
        // Both end with their results, in their panels and in the list.
        await AssertPanelEndsWithResultAsync(page, first, "take-long.mp4");
        await AssertPanelEndsWithResultAsync(page, second, "take-short.mp4");
        await page.WaitForSelectorAsync($"#jobs tr[data-id='{first}'][data-state=succeeded]", new() { Timeout = 10_000 });
        await page.WaitForSelectorAsync($"#jobs tr[data-id='{second}'][data-state=succeeded]", new() { Timeout = 10_000 });

        // A reload after they finished shows them with their results again (the panels open in this tab).
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await AssertPanelEndsWithResultAsync(page, first, "take-long.mp4");
        await AssertPanelEndsWithResultAsync(page, second, "take-short.mp4");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task UploadPage_LeavingDuringTheUpload_AsksFirstAndSaysWhy()
    {
        string clip = await JobClient.TrimAsync(JobClient.Media("vid_expr_man_d18.mp4"), 1, Path.Combine(_dir, "take.mp4"));
        await using IBrowserContext context = await _browser.NewContextAsync();
        (IPage page, List<string> errors) = await OpenUploadPageAsync(context);
        // The upload is held in the browser until the test lets it go, so "during the upload" lasts.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync("**/api/jobs", async route =>
        {
            if (route.Request.Method == "POST")
            {
                await release.Task;
            }

            await route.ContinueAsync();
        });
        await page.SetInputFilesAsync("#driving", clip);
        await page.SetInputFilesAsync("#character", JobClient.Media(Mona));
        await page.SelectOptionAsync("#size", "256");
        await page.ClickAsync("#submit");
        await page.WaitForSelectorAsync("#upload-status:has-text('leaving or reloading now loses the upload')");

        var asked = new TaskCompletionSource<IDialog>(TaskCreationOptions.RunContinuationsAsynchronously);
        int dialogs = 0;
        page.Dialog += (_, dialog) =>
        {
            dialogs++;
            asked.TrySetResult(dialog);
        };
        await page.CloseAsync(new() { RunBeforeUnload = true });
        IDialog dialog = await asked.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(DialogType.BeforeUnload, dialog.Type);
        await dialog.DismissAsync();
        Assert.False(page.IsClosed);

        // Staying keeps the upload: it goes on and becomes a job with its panel.
        release.SetResult();
        IElementHandle panel = await page.WaitForSelectorAsync("article.job", new() { Timeout = 60_000 }) ?? throw new InvalidOperationException();
        string id = await panel.GetAttributeAsync("data-id") ?? "";
        await page.WaitForFunctionAsync("() => !document.body.dataset.uploading && !document.getElementById('submit').disabled");
        Assert.Equal("", await page.InnerTextAsync("#upload-status"));
        using HttpResponseMessage deleted = await _server.Client.DeleteAsync($"api/jobs/{id}");
        Assert.Equal(System.Net.HttpStatusCode.NoContent, deleted.StatusCode);

        // With nothing in flight, leaving asks nothing: the page just closes.
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        page.Close += (_, _) => closed.TrySetResult();
        await page.CloseAsync(new() { RunBeforeUnload = true });
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(1, dialogs);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task UploadPage_WrongKeyThenCorrected_ClearsTheErrorAtOnceInPeoplesWords()
    {
        string clip = await JobClient.TrimAsync(JobClient.Media("vid_expr_man_d18.mp4"), 1, Path.Combine(_dir, "take.mp4"));
        await using IBrowserContext context = await _browser.NewContextAsync();
        (IPage page, List<string> errors) = await OpenUploadPageAsync(context, key: null);
        Assert.Equal("empty", await page.GetAttributeAsync("#key-status", "data-key"));

        // Typing is enough (no Enter, no Tab): the key is tried after a short pause.
        await page.FillAsync("#key", "not-the-key");
        await page.WaitForSelectorAsync("#key-status[data-key=refused]", new() { Timeout = 5_000 });
        const string refused = "The server did not accept this key. Check it against the key the Capture server printed when it started (ask whoever runs the server).";
        Assert.Equal(refused, await page.InnerTextAsync("#key-status"));

        // A render asked for with the wrong key says the same under the form.
        await page.SetInputFilesAsync("#driving", clip);
        await page.SetInputFilesAsync("#character", JobClient.Media(Mona));
        await page.ClickAsync("#submit");
        await page.WaitForSelectorAsync("#message:has-text('did not accept this key')", new() { Timeout = 30_000 });

        // Corrected: both errors go at once, and the list is read.
        await page.FillAsync("#key", JobServer.Key);
        await page.WaitForSelectorAsync("#key-status[data-key=accepted]", new() { Timeout = 3_000 });
        Assert.Equal("", await page.InnerTextAsync("#message"));
        Assert.Equal("key accepted", await page.InnerTextAsync("#key-status"));
        await page.WaitForSelectorAsync("#no-jobs:not([hidden])");

        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__apiWords"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task UploadPage_RefusalsAndADeleteMadeInThePage_AreSaidInPeoplesWords()
    {
        string clip = await JobClient.TrimAsync(JobClient.Media("vid_expr_man_d18.mp4"), 3, Path.Combine(_dir, "take.mp4"));
        string notAPicture = Path.Combine(_dir, "notes.png");
        await File.WriteAllTextAsync(notAPicture, "shopping list: eggs, milk");
        await using IBrowserContext context = await _browser.NewContextAsync();
        (IPage page, List<string> errors) = await OpenUploadPageAsync(context);

        // A file that is not a picture: the sentence names the person's file and what it is, not the form field.
        await page.SetInputFilesAsync("#driving", clip);
        await page.SetInputFilesAsync("#character", notAPicture);
        await page.SelectOptionAsync("#size", "256");
        await page.ClickAsync("#submit");
        await page.WaitForFunctionAsync("() => document.getElementById('message').textContent !== ''", null, new() { Timeout = 60_000 });
        // (The server's problem says "character: not a picture (ffprobe: …)": ffmpeg's words.)
        Assert.Equal("The character picture notes.png: not a picture (the server cannot open it)", await page.InnerTextAsync("#message"));

        // A job deleted in the page while it is waiting or rendering.
        string id = await SubmitAsync(page, clip, JobClient.Media(Mona));
        // A second tab following the same job sees it go, in people's words too.
        (IPage other, List<string> otherErrors) = await OpenUploadPageAsync(context);
        await other.WaitForSelectorAsync($"article.job[data-id='{id}']", new() { Timeout = 10_000 });
        await page.ClickAsync($"article.job[data-id='{id}'] button:has-text('delete')");
        await page.WaitForSelectorAsync("#jobs-note:has-text('You deleted take.mp4')", new() { Timeout = 60_000 });
        Assert.Equal(0, await page.Locator($"article.job[data-id='{id}']").CountAsync());
        Assert.Equal(0, await page.Locator($"#jobs tr[data-id='{id}']").CountAsync());
        await other.WaitForSelectorAsync($"article.job[data-id='{id}'][data-state=gone]", new() { Timeout = 30_000 });
        Assert.StartsWith("This job is no longer on the server: it was deleted", await other.InnerTextAsync($"article.job[data-id='{id}'] .state"), StringComparison.Ordinal);

        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__apiWords"));
        Assert.Empty(await other.EvaluateAsync<string[]>("() => window.__apiWords"));
        Assert.Empty(errors);
        Assert.Empty(otherErrors);
    }

    [Fact]
    public async Task RigPage_WrongKeyThenCorrected_FitsAtOnceAndSaysItInPeoplesWords()
    {
        Dictionary<string, double[]> marks = ReadMarks();
        await using IBrowserContext context = await _browser.NewContextAsync();
        await context.AddInitScriptAsync(ApiWordsWatcher);
        IPage page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(new Uri(_server.Address, "rig.html").ToString());
        await page.WaitForSelectorAsync("body[data-ready=true]");
        await page.FillAsync("#key", "not-the-key");
        await page.WaitForSelectorAsync("#key-status[data-key=refused]", new() { Timeout = 5_000 });

        // The points are placed; the fit is refused for the key, and the page says so in people's words.
        await page.SetInputFilesAsync("#picture", JobClient.Media("char_animal_cat_chelsea.png"));
        Assert.Equal(marks.Count, await ClickMarksAsync(page, marks));
        await page.WaitForSelectorAsync("#message:has-text('did not accept this key')", new() { Timeout = 30_000 });
        Assert.Equal("0", await page.GetAttributeAsync("#canvas", "data-fitted"));

        // Corrected: the error goes at once and the points already placed are fitted.
        await page.FillAsync("#key", JobServer.Key);
        await page.WaitForSelectorAsync("#key-status[data-key=accepted]", new() { Timeout = 3_000 });
        await page.WaitForSelectorAsync("#canvas[data-fitted='468']", new() { Timeout = 30_000 });
        Assert.Equal("", await page.InnerTextAsync("#message"));
        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__apiWords"));
        Assert.Empty(errors);
    }

    /// <summary>A page of the upload page in <paramref name="context"/>, the key typed (unless null), the API-words watcher on.</summary>
    private async Task<(IPage Page, List<string> Errors)> OpenUploadPageAsync(IBrowserContext context, string? key = JobServer.Key)
    {
        await context.AddInitScriptAsync(ApiWordsWatcher);
        IPage page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(_server.Address.ToString());
        await page.WaitForSelectorAsync("body[data-ready=true]");
        if (key is not null && await page.InputValueAsync("#key") != key)
        {
            await page.FillAsync("#key", key);
            await page.PressAsync("#key", "Tab");
        }

        return (page, errors);
    }

    /// <summary>Picks the files, renders at 256² without motion data, and returns the id of the panel the job gets.</summary>
    private static async Task<string> SubmitAsync(IPage page, string clip, string picture)
    {
        string[] before = await page.EvalOnSelectorAllAsync<string[]>("article.job", "ps => ps.map(p => p.dataset.id)");
        await page.SetInputFilesAsync("#driving", clip);
        await page.SetInputFilesAsync("#character", picture);
        await page.SelectOptionAsync("#size", "256");
        await page.UncheckAsync("#motion-data");
        await page.ClickAsync("#submit");
        await page.WaitForFunctionAsync(
            "before => [...document.querySelectorAll('article.job')].some(p => !before.includes(p.dataset.id))", before, new() { Timeout = 60_000 });
        string[] after = await page.EvalOnSelectorAllAsync<string[]>("article.job", "ps => ps.map(p => p.dataset.id)");
        return after.Except(before).Single();
    }

    /// <summary>The job's panel (titled with its clip) ends succeeded, its own video loaded and its download link there.</summary>
    private static async Task AssertPanelEndsWithResultAsync(IPage page, string id, string clipName)
    {
        string panel = $"article.job[data-id='{id}']";
        await page.WaitForSelectorAsync($"{panel} .state[data-state=succeeded]", new() { Timeout = 240_000 });
        Assert.Equal(clipName, await page.InnerTextAsync($"{panel} header strong"));
        await page.WaitForFunctionAsync(
            $"() => {{ const v = document.querySelector(\"{panel} video\"); return !v.hidden && v.readyState >= 1 && isFinite(v.duration); }}",
            null, new() { Timeout = 30_000 });
        Assert.Equal(1, await page.Locator($"{panel} .links a[data-file=video]").CountAsync());
    }
}
