using System.Text.Json.Serialization;

namespace Capture.Jobs;

/// <summary>Where a job is in its life. Stored and sent as lower-case names (<c>queued</c>, <c>running</c>, …).</summary>
public enum JobState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Canceled,
}

/// <summary>What the uploader asked for; everything else comes from the render pipeline's defaults.</summary>
public sealed record JobSettings
{
    /// <summary>Output side: 256, 512 or 1024.</summary>
    public int Size { get; init; } = 512;

    /// <summary>The performer's face on the left of the character.</summary>
    public bool SideBySide { get; init; }

    /// <summary>Expression intensity 1..5 (3 = the performer's own amount).</summary>
    public float Intensity { get; init; } = 3;

    /// <summary>Write motion.mpk, livelink.csv, motion.csv and motion.bvh beside the video.</summary>
    public bool MotionData { get; init; } = true;

    /// <summary>
    /// The character's body moves (docs/body.md): its joints from the pose tracker, the rig's body joints or an Animated
    /// Drawings character (a zip, which turns this on); its figure cut out and the background filled.
    /// </summary>
    public bool Body { get; init; }

    /// <summary>Generated name of the uploaded figure mask inside the job folder (<c>mask.png</c>, white = figure), or null.</summary>
    public string? MaskFile { get; init; }
}

/// <summary>
/// One job as the store keeps it. File names are the generated names inside the job's folder
/// (<see cref="DataFolder.JobDirectory"/>); a client's file name is kept only as display text.
/// </summary>
public sealed record JobRecord
{
    public required string Id { get; init; }

    public JobState State { get; init; } = JobState.Queued;

    public JobSettings Settings { get; init; } = new();

    /// <summary>Generated name of the driving clip inside the job folder, e.g. <c>driving.mp4</c>.</summary>
    public required string DrivingFile { get; init; }

    /// <summary>Generated name of the character picture inside the job folder, e.g. <c>character.png</c>.</summary>
    public required string CharacterFile { get; init; }

    /// <summary>Generated name of the rig file (<c>rig.json</c>), or null.</summary>
    public string? RigFile { get; init; }

    /// <summary>Generated name of the performer profile (<c>profile.json</c>), or null.</summary>
    public string? ProfileFile { get; init; }

    /// <summary>The uploaded clip's name as the client sent it, reduced to a display-safe leaf name; never used as a path.</summary>
    public string? DrivingName { get; init; }

    /// <summary>The driving clip's duration as probed at upload.</summary>
    public double? DurationSeconds { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public long FramesDone { get; init; }

    public long? FramesTotal { get; init; }

    public double Fps { get; init; }

    /// <summary>Why the job failed or was canceled; null otherwise.</summary>
    public string? Error { get; init; }

    /// <summary>How many times a runner started it (a restart after a crash counts again).</summary>
    public int Attempts { get; init; }

    /// <summary>0..1: frames done over frames expected (1 once succeeded).</summary>
    public double Progress => State == JobState.Succeeded ? 1
        : FramesTotal is long total && total > 0 ? Math.Clamp((double)FramesDone / total, 0, 1) : 0;

    /// <summary>Seconds left at the current rate while running; null when unknown.</summary>
    public double? EtaSeconds => State == JobState.Running && Fps > 0 && FramesTotal is long total
        ? Math.Max(0, (total - FramesDone) / Fps) : null;

    /// <summary>Succeeded, failed or canceled: nothing more will happen to it.</summary>
    public bool IsFinished => State is JobState.Succeeded or JobState.Failed or JobState.Canceled;
}

/// <summary>
/// The job as the API shows it (<c>GET /api/jobs/{id}</c> and each server-sent event carry this
/// same object). Built from a <see cref="JobRecord"/>; holds no paths.
/// </summary>
public sealed record JobStatus(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("progress")] double Progress,
    [property: JsonPropertyName("framesDone")] long FramesDone,
    [property: JsonPropertyName("framesTotal")] long? FramesTotal,
    [property: JsonPropertyName("fps")] double Fps,
    [property: JsonPropertyName("etaSeconds")] double? EtaSeconds,
    [property: JsonPropertyName("error")] string? Error,
    [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("startedAt")] DateTimeOffset? StartedAt,
    [property: JsonPropertyName("finishedAt")] DateTimeOffset? FinishedAt,
    [property: JsonPropertyName("drivingName")] string? DrivingName,
    [property: JsonPropertyName("durationSeconds")] double? DurationSeconds,
    [property: JsonPropertyName("size")] int Size,
    [property: JsonPropertyName("sideBySide")] bool SideBySide,
    [property: JsonPropertyName("intensity")] float Intensity,
    [property: JsonPropertyName("motionData")] bool MotionData,
    [property: JsonPropertyName("body")] bool Body,
    [property: JsonPropertyName("attempts")] int Attempts)
{
    public static JobStatus From(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new JobStatus(
            job.Id, StateName(job.State), Math.Round(job.Progress, 4), job.FramesDone, job.FramesTotal, Math.Round(job.Fps, 2),
            job.EtaSeconds is double eta ? Math.Round(eta, 1) : null, job.Error, job.CreatedAt, job.StartedAt, job.FinishedAt,
            job.DrivingName, job.DurationSeconds, job.Settings.Size, job.Settings.SideBySide, job.Settings.Intensity, job.Settings.MotionData, job.Settings.Body, job.Attempts);
    }

    /// <summary>The state's wire name: <c>queued</c>, <c>running</c>, <c>succeeded</c>, <c>failed</c>, <c>canceled</c>.</summary>
    public static string StateName(JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Succeeded => "succeeded",
        JobState.Failed => "failed",
        JobState.Canceled => "canceled",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static JobState ParseState(string name) => name switch
    {
        "queued" => JobState.Queued,
        "running" => JobState.Running,
        "succeeded" => JobState.Succeeded,
        "failed" => JobState.Failed,
        "canceled" => JobState.Canceled,
        _ => throw new InvalidDataException($"unknown job state '{name}' in the store"),
    };
}
