using System.Text.Json;
using System.Threading.Channels;
using Capture.Jobs;
using Capture.Server.OpenApi;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Capture.Server.Jobs;

/// <summary>
/// The jobs API (docs/jobs.md): <c>POST /api/jobs</c> (multipart) → 202 + Location,
/// <c>GET /api/jobs</c>, <c>GET /api/jobs/{id}</c>, <c>GET /api/jobs/{id}/events</c> (server-sent
/// events of the same object), <c>GET /api/jobs/{id}/result</c>, <c>GET /api/jobs/{id}/motion/{file}</c>,
/// <c>DELETE /api/jobs/{id}</c>; <c>POST /api/rigs/fit</c>, <c>/joints</c> and <c>/drawing</c> for the rig page; the upload page at <c>/</c>.
/// All under the Bearer key; errors as problem+json.
/// </summary>
public static class JobEndpoints
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    /// <summary>The job machinery (store, queue, runner, retention) with options from section <c>Jobs</c>.</summary>
    public static IServiceCollection AddCaptureJobs(this IServiceCollection services, IConfiguration? configuration = null, Action<JobsOptions>? configure = null) =>
        services.AddJobMachinery(configuration, configure);

    /// <summary>Maps the jobs API; <paramref name="apiKey"/> gives the server's key (the live API's).</summary>
    public static IEndpointRouteBuilder MapJobs(this IEndpointRouteBuilder app, Func<string> apiKey, string? webRoot = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(apiKey);
        string pages = webRoot ?? Path.Combine(AppContext.BaseDirectory, "wwwroot");
        app.MapGet("/", () => File.Exists(Path.Combine(pages, "index.html"))
            ? Results.File(Path.Combine(pages, "index.html"), "text/html; charset=utf-8")
            : JobProblems.Problem(StatusCodes.Status404NotFound, "page not installed", "index.html is missing from the server's pages folder"))
            .WithTags("pages").WithSummary("The upload page")
            .Produces(StatusCodes.Status200OK, contentType: "text/html")
            .Problems(StatusCodes.Status404NotFound);

        Func<EndpointFilterInvocationContext, EndpointFilterDelegate, ValueTask<object?>> keyFilter = async (context, next) =>
            Security.ApiKey.Check(context.HttpContext, apiKey())
            ?? (context.HttpContext.RequestServices.GetRequiredService<DataFolder>().Unavailable is string reason
                ? JobProblems.Problem(StatusCodes.Status503ServiceUnavailable, "jobs unavailable", reason)
                : await next(context).ConfigureAwait(false));

        RouteGroupBuilder jobs = app.MapGroup("/api/jobs").AddEndpointFilter(keyFilter).WithTags("jobs");
        jobs.MapPost("", CreateAsync).DisableAntiforgery()
            .WithSummary("Submit a job: a reference video drives a character picture")
            .WithDescription("202 with Location: /api/jobs/{id}; follow it with GET /api/jobs/{id}/events (docs/jobs.md).")
            .WithMetadata(new MultipartForm(
                new FormField("driving", "The reference video (MP4, MOV, WebM, …; at most Jobs:MaxUploadBytes, Jobs:MaxDurationSeconds).", Required: true, File: true),
                new FormField("character", "The character's picture, or an Animated Drawings character (a zip of texture.png, mask.png and char_cfg.yaml; it moves its body) (at most Jobs:MaxPictureBytes).", Required: true, File: true),
                new FormField("rig", "A rig (JSON, as a file or as text) for a picture whose face the tracker cannot read; /rig.html makes one.", File: true),
                new FormField("profile", "A performer profile (JSON, `capture calibrate`).", File: true),
                new FormField("size", "The rendered side in pixels (default 512).", Values: ["256", "512", "1024"]),
                new FormField("sideBySide", "Put the reference video beside the character (default false).", Values: FormSwitch.Values),
                new FormField("intensity", "Expression strength, 1 to 5 (default 3)."),
                new FormField("motionData", "Also write motion.mpk, livelink.csv, motion.csv and motion.bvh (default true).", Values: FormSwitch.Values),
                new FormField("body", "The character's body follows the performer's (default false; on for an Animated Drawings zip or with a mask).", Values: FormSwitch.Values),
                new FormField("mask", "The figure's mask for a body (a picture of the character's shape, white = figure).", File: true)))
            .Produces<JobStatus>(StatusCodes.Status202Accepted)
            .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType,
                StatusCodes.Status422UnprocessableEntity, StatusCodes.Status503ServiceUnavailable, StatusCodes.Status507InsufficientStorage);
        jobs.MapGet("", ListAsync)
            .WithSummary("The newest jobs (?limit=1..500, default 50)")
            .Produces<JobStatus[]>()
            .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status503ServiceUnavailable);
        jobs.MapGet("/{id}", GetAsync)
            .WithSummary("A job's state and progress")
            .Produces<JobStatus>()
            .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable);
        jobs.MapGet("/{id}/events", EventsAsync)
            .WithSummary("A job's progress as server-sent events")
            .WithDescription("`event: job` + `data: {job}` now and at each change, closed after the final state; `: keep-alive` every 15 s.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable);
        jobs.MapGet("/{id}/result", ResultAsync)
            .WithSummary("The rendered MP4 (range requests work)")
            .Produces(StatusCodes.Status200OK, contentType: "video/mp4")
            .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status503ServiceUnavailable);
        jobs.MapGet("/{id}/motion/{file}", MotionAsync)
            .WithSummary("A motion file: motion.mpk, livelink.csv, motion.csv or motion.bvh")
            .Produces(StatusCodes.Status200OK, responseType: null, contentType: "application/octet-stream", additionalContentTypes: ["text/csv", "text/plain"])
            .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound, StatusCodes.Status409Conflict, StatusCodes.Status503ServiceUnavailable);
        jobs.MapDelete("/{id}", DeleteAsync)
            .WithSummary("Cancel a job and delete its files")
            .Produces(StatusCodes.Status204NoContent)
            .Problems(StatusCodes.Status401Unauthorized, StatusCodes.Status404NotFound, StatusCodes.Status503ServiceUnavailable);
        RouteGroupBuilder rigs = app.MapGroup("/api/rigs").AddEndpointFilter(keyFilter).WithTags("rigs");
        rigs.MapPost("/fit", FitRigAsync)
            .WithSummary("Fit a rig to a picture's size: the face mesh the rig page draws")
            .Accepts<RigFitRequest>("application/json")
            .Produces<RigFit>()
            .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status503ServiceUnavailable);
        rigs.MapPost("/joints", TrackJointsAsync).DisableAntiforgery()
            .WithSummary("The body joints the pose tracker finds in a picture: where the rig page's joints start")
            .WithDescription("The picture's bytes as the body (at most Jobs:MaxPictureBytes); the joints in picture pixels, MediaPipe pose's names, only those in the picture.")
            .Accepts<byte[]>("application/octet-stream", "image/png", "image/jpeg", "image/webp")
            .Produces<RigJoints>()
            .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType, StatusCodes.Status503ServiceUnavailable);
        rigs.MapPost("/drawing", ReadDrawingAsync).DisableAntiforgery()
            .WithSummary("An Animated Drawings character zip, read for the rig page: its drawing, mask and joints on Capture's body")
            .WithDescription("The zip's bytes as the body (texture.png, mask.png, char_cfg.yaml; at most Jobs:MaxPictureBytes); ?name= the file's name for messages. " +
                "texture and mask are the PNGs as in the zip (base64); joints are the 16 joints mapped by the loader's mapping (docs/body.md), MediaPipe pose's names, picture pixels.")
            .Accepts<byte[]>("application/zip", "application/octet-stream")
            .Produces<DrawingForRig>()
            .Problems(StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, JobIntake intake, CancellationToken ct)
    {
        JobsOptions options = intake.Options;
        // The whole request may be the upload limit plus multipart framing and the small parts.
        long bodyLimit = options.MaxUploadBytes + (2 * options.MaxPictureBytes) + (1024 * 1024);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = bodyLimit;
        }

        try
        {
            if (http.Request.ContentLength is long declared && declared > bodyLimit)
            {
                throw JobInputException.TooLarge($"the upload declares {declared} bytes, over the {options.MaxUploadBytes} byte limit (Jobs:MaxUploadBytes)");
            }

            using IDisposable slot = intake.BeginUpload(http.Request.ContentLength);
            StagedUpload upload = await JobUploadReader.ReadAsync(http.Request, intake, ct).ConfigureAwait(false);
            JobRecord job = await intake.AcceptAsync(upload, ct).ConfigureAwait(false);
            return Results.Accepted($"/api/jobs/{job.Id}", JobStatus.From(job));
        }
        catch (JobInputException ex)
        {
            Dictionary<string, object?>? extensions = ex.Message.Contains(JobPipeline.RigPage, StringComparison.Ordinal)
                ? new() { ["rigPage"] = JobPipeline.RigPage }
                : null;
            if (ex.Status == StatusCodes.Status503ServiceUnavailable)
            {
                http.Response.Headers.RetryAfter = "10";
            }

            if (ex.Status is StatusCodes.Status413PayloadTooLarge or StatusCodes.Status503ServiceUnavailable or StatusCodes.Status507InsufficientStorage)
            {
                // The rest of a refused body is not read; close rather than drain it.
                http.Response.Headers.Connection = "close";
            }

            return JobProblems.Problem(ex.Status, ex.Title, ex.Message, extensions);
        }
    }

    private static async Task<IResult> ListAsync(IJobStore store, string? limit, CancellationToken ct)
    {
        int count = 50;
        if (limit is not null && !int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out count))
        {
            return JobProblems.Problem(StatusCodes.Status400BadRequest, "bad request", $"limit '{JobProblems.Display(limit)}' is not a whole number; use 1 to 500 (default 50)");
        }

        IReadOnlyList<JobRecord> all = await store.ListAsync(Math.Clamp(count, 1, 500), ct).ConfigureAwait(false);
        return Results.Ok(all.Select(JobStatus.From).ToArray());
    }

    private static async Task<IResult> GetAsync(string id, IJobStore store, CancellationToken ct) =>
        await FindAsync(id, store, ct).ConfigureAwait(false) is JobRecord job ? Results.Ok(JobStatus.From(job)) : JobProblems.UnknownJob(id);

    private static async Task EventsAsync(HttpContext http, string id, IJobStore store, IJobEvents events, CancellationToken ct)
    {
        if (!DataFolder.IsJobId(id))
        {
            await JobProblems.UnknownJob(id).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        // Latest wins: a slow reader skips intermediate progress, never stalls the runner.
        var changes = Channel.CreateBounded<JobRecord>(new BoundedChannelOptions(4) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        using IDisposable subscription = events.Subscribe(id, job => changes.Writer.TryWrite(job));
        JobRecord? current = await store.GetAsync(id, ct).ConfigureAwait(false);
        if (current is null)
        {
            await JobProblems.UnknownJob(id).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-store";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await SendAsync(http.Response, current, ct).ConfigureAwait(false);
        long lastFrames = current.FramesDone;
        JobState lastState = current.State;
        while (!current.IsFinished)
        {
            using var keepAlive = CancellationTokenSource.CreateLinkedTokenSource(ct);
            keepAlive.CancelAfter(TimeSpan.FromSeconds(15));
            JobRecord next;
            try
            {
                next = await changes.Reader.ReadAsync(keepAlive.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                await http.Response.WriteAsync(": keep-alive\n\n", ct).ConfigureAwait(false);
                await http.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                continue;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // Progress published by a runner may overtake the final state in another thread: never go back.
            if (next.State == lastState && next.FramesDone < lastFrames)
            {
                continue;
            }

            current = next;
            lastFrames = next.FramesDone;
            lastState = next.State;
            await SendAsync(http.Response, current, ct).ConfigureAwait(false);
        }
    }

    private static async Task SendAsync(HttpResponse response, JobRecord job, CancellationToken ct)
    {
        string json = JsonSerializer.Serialize(JobStatus.From(job), s_json);
        await response.WriteAsync($"event: job\ndata: {json}\n\n", ct).ConfigureAwait(false);
        await response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

    private static async Task<IResult> ResultAsync(string id, IJobStore store, DataFolder data, CancellationToken ct)
    {
        if (await FindAsync(id, store, ct).ConfigureAwait(false) is not JobRecord job)
        {
            return JobProblems.UnknownJob(id);
        }

        if (NotReady(job) is IResult notReady)
        {
            return notReady;
        }

        string path = data.ResultVideo(id);
        string name = Path.GetFileNameWithoutExtension(job.DrivingName ?? "clip");
        return File.Exists(path)
            ? Results.File(path, "video/mp4", fileDownloadName: $"{SafeDownloadName(name)}_capture.mp4", enableRangeProcessing: true)
            : JobProblems.Problem(StatusCodes.Status404NotFound, "result missing", "the job succeeded but its video is gone from the data folder");
    }

    private static async Task<IResult> MotionAsync(string id, string file, IJobStore store, DataFolder data, CancellationToken ct)
    {
        if (await FindAsync(id, store, ct).ConfigureAwait(false) is not JobRecord job)
        {
            return JobProblems.UnknownJob(id);
        }

        string? path = data.MotionFile(id, file);
        if (path is null)
        {
            return JobProblems.Problem(StatusCodes.Status404NotFound, "no such motion file",
                $"'{JobProblems.Display(file)}' is not a motion file; a job has {string.Join(", ", DataFolder.MotionFiles)}");
        }

        if (NotReady(job) is IResult notReady)
        {
            return notReady;
        }

        if (!File.Exists(path))
        {
            return JobProblems.Problem(StatusCodes.Status404NotFound, "motion file not written",
                job.Settings.MotionData ? $"{file} was not written for this job (motion.bvh needs the body in view)" : "the job was submitted with motionData=false");
        }

        string type = file.EndsWith(".csv", StringComparison.Ordinal) ? "text/csv" : file.EndsWith(".bvh", StringComparison.Ordinal) ? "text/plain" : "application/octet-stream";
        return Results.File(path, type, fileDownloadName: file);
    }

    private static async Task<IResult> DeleteAsync(string id, JobRetention retention, CancellationToken ct) =>
        DataFolder.IsJobId(id) && await retention.DeleteAsync(id, "deleted before it finished", ct).ConfigureAwait(false)
            ? Results.NoContent()
            : JobProblems.UnknownJob(id);

    private static async Task<IResult> FitRigAsync(HttpContext http, DataFolder data, CancellationToken ct)
    {
        RigFitRequest? request;
        try
        {
            request = await http.Request.ReadFromJsonAsync<RigFitRequest>(s_json, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or BadHttpRequestException)
        {
            return JobProblems.Problem(StatusCodes.Status400BadRequest, "bad request", $"send JSON {{ \"rig\": {{…rig file…}}, \"width\": W, \"height\": H }} ({ex.Message})");
        }

        if (request?.Rig is not JsonElement rig || request.Width is < 1 or > 8192 || request.Height is < 1 or > 8192)
        {
            return JobProblems.Problem(StatusCodes.Status400BadRequest, "bad request", "send JSON { \"rig\": {…rig file…}, \"width\": W, \"height\": H } with the picture's size");
        }

        string path = data.NewUploadPath();
        try
        {
            await File.WriteAllTextAsync(path, rig.GetRawText(), ct).ConfigureAwait(false);
            (float[] points, int[] triangles) = await JobPipeline.FitRigAsync(path, request.Width, request.Height, ct).ConfigureAwait(false);
            return Results.Ok(new RigFit(points, triangles));
        }
        catch (JobInputException ex)
        {
            return JobProblems.Problem(ex.Status, ex.Title, ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Task<IResult> TrackJointsAsync(HttpContext http, DataFolder data, JobIntake intake, CancellationToken ct) =>
        WithBodyFileAsync(http, data, intake, "the picture", async path =>
        {
            (int width, int height, bool found, Dictionary<string, float[]> joints) = await JobPipeline.TrackJointsAsync(path, ct).ConfigureAwait(false);
            return Results.Ok(new RigJoints(width, height, found, joints));
        }, ct);

    private static Task<IResult> ReadDrawingAsync(HttpContext http, DataFolder data, JobIntake intake, string? name, CancellationToken ct) =>
        WithBodyFileAsync(http, data, intake, "the zip", async path =>
        {
            string shown = ClientText.Printable(Path.GetFileName(name ?? "")) is { Length: > 0 } n ? n : "the zip";
            return Results.Ok(await JobPipeline.ReadDrawingAsync(path, shown, ct).ConfigureAwait(false));
        }, ct);

    /// <summary>The request's body into an upload file (refused over Jobs:MaxPictureBytes or empty), handed to <paramref name="use"/>, then deleted.</summary>
    private static async Task<IResult> WithBodyFileAsync(HttpContext http, DataFolder data, JobIntake intake, string what, Func<string, Task<IResult>> use, CancellationToken ct)
    {
        long limit = intake.Options.MaxPictureBytes;
        string tooLarge = $"{what} is over the {limit / (1024 * 1024)} MiB limit (Jobs:MaxPictureBytes)";
        if (http.Request.ContentLength is long declared && declared > limit)
        {
            return JobProblems.Problem(StatusCodes.Status413PayloadTooLarge, "too large", tooLarge);
        }

        string path = data.NewUploadPath();
        try
        {
            long received = 0;
            await using (FileStream file = File.Create(path))
            {
                byte[] buffer = new byte[81920];
                int n;
                while ((n = await http.Request.Body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    received += n;
                    if (received > limit)
                    {
                        return JobProblems.Problem(StatusCodes.Status413PayloadTooLarge, "too large", tooLarge);
                    }

                    await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                }
            }

            if (received == 0)
            {
                return JobProblems.Problem(StatusCodes.Status400BadRequest, "bad request", $"send {what}'s bytes as the request body");
            }

            return await use(path).ConfigureAwait(false);
        }
        catch (JobInputException ex)
        {
            return JobProblems.Problem(ex.Status, ex.Title, ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<JobRecord?> FindAsync(string id, IJobStore store, CancellationToken ct) =>
        DataFolder.IsJobId(id) ? await store.GetAsync(id, ct).ConfigureAwait(false) : null;

    private static IResult? NotReady(JobRecord job) => job.State switch
    {
        JobState.Succeeded => null,
        JobState.Failed => JobProblems.Problem(StatusCodes.Status409Conflict, "job failed", $"the job failed, so it has no result: {job.Error}"),
        JobState.Canceled => JobProblems.Problem(StatusCodes.Status409Conflict, "job canceled", "the job was canceled, so it has no result"),
        _ => JobProblems.Problem(StatusCodes.Status409Conflict, "job not finished", $"the job is {JobStatus.StateName(job.State)}; its results are there once it has succeeded"),
    };

    private static string SafeDownloadName(string name)
    {
        string clean = new([.. name.Where(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.')]);
        return clean.Length == 0 ? "clip" : clean[..Math.Min(clean.Length, 60)];
    }

    /// <summary>The rig fit's request: the rig file as JSON and the picture's size in pixels (1..8192 each).</summary>
    internal sealed record RigFitRequest(JsonElement? Rig, int Width, int Height);

    /// <summary>The rig fit's answer: 468 mesh points (x0, y0, x1, …, picture pixels) and the mesh's triangles (index triples).</summary>
    internal sealed record RigFit(float[] Points, int[] Triangles);

    /// <summary>
    /// The pose tracker's joints in a picture: its size, whether a body was found, and the joints in the picture
    /// (MediaPipe pose's names → [x, y] in picture pixels; empty when no body).
    /// </summary>
    internal sealed record RigJoints(int Width, int Height, bool Found, Dictionary<string, float[]> Joints);
}
