namespace Capture.Jobs;

/// <summary>
/// Limits and places for jobs, bound from configuration section <c>Jobs</c> (environment
/// <c>CAPTURE_Jobs__MaxUploadBytes</c> and so on). The defaults are stated in docs/jobs.md; each
/// is a limit set on purpose.
/// </summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";

    /// <summary>
    /// The data folder: the job database, uploads and results. <c>capture serve</c> uses
    /// <see cref="DefaultDataDirectory"/> unless told otherwise (<c>--data</c>); a host built without
    /// one (tests, benchmarks) gets a temporary folder of its own, deleted when it stops.
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary><c>$XDG_DATA_HOME/capture</c> (usually <c>~/.local/share/capture</c>).</summary>
    public static string DefaultDataDirectory =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "capture");

    /// <summary>Jobs rendered at once. 1 by default: one render already keeps two cores busy (tracker and generator overlap).</summary>
    public int Concurrency { get; set; } = 1;

    /// <summary>Largest request (all files of one upload together), bytes. Default 512 MiB.</summary>
    public long MaxUploadBytes { get; set; } = 512L * 1024 * 1024;

    /// <summary>Longest driving clip accepted, seconds. Default 600 (10 minutes).</summary>
    public double MaxDurationSeconds { get; set; } = 600;

    /// <summary>How long a finished job (and its files) is kept. Default 7 days.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often retention runs. Default 1 minute.</summary>
    public TimeSpan RetentionSweep { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Most the data folder may hold; an upload that would pass it is refused (507). Default 20 GiB.</summary>
    public long MaxDataBytes { get; set; } = 20L * 1024 * 1024 * 1024;

    /// <summary>Largest character picture, rig or profile part, bytes. Default 32 MiB.</summary>
    public long MaxPictureBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// Jobs waiting to run, at most; an upload past it is refused (503). Default 100: at about a job a
    /// minute (a 30 s clip at 512² on two cores) that is over an hour of work already promised.
    /// </summary>
    public int MaxQueuedJobs { get; set; } = 100;

    /// <summary>
    /// Uploads received at once, at most; one more is refused (503). Default 8: each holds a connection,
    /// a file being written and (at the end) a face check, of which two run at a time.
    /// </summary>
    public int MaxConcurrentUploads { get; set; } = 8;

    /// <summary>Progress is written to the store and sent to listeners at most this often.</summary>
    public TimeSpan ProgressInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Throws naming the first setting that makes no sense (called at start).</summary>
    public void Validate()
    {
        if (DataDirectory is not null && DataDirectory.Trim().Length == 0)
        {
            throw new InvalidDataException("Jobs:DataDirectory is empty");
        }

        if (Concurrency is < 1 or > 64)
        {
            throw new InvalidDataException($"Jobs:Concurrency {Concurrency} must be 1..64");
        }

        if (MaxUploadBytes < 1024)
        {
            throw new InvalidDataException($"Jobs:MaxUploadBytes {MaxUploadBytes} is too small");
        }

        if (MaxDurationSeconds <= 0)
        {
            throw new InvalidDataException($"Jobs:MaxDurationSeconds {MaxDurationSeconds} must be positive");
        }

        if (Retention <= TimeSpan.Zero || RetentionSweep <= TimeSpan.Zero || ProgressInterval < TimeSpan.Zero)
        {
            throw new InvalidDataException("Jobs:Retention and Jobs:RetentionSweep must be positive");
        }

        if (MaxQueuedJobs < 1 || MaxConcurrentUploads < 1)
        {
            throw new InvalidDataException($"Jobs:MaxQueuedJobs {MaxQueuedJobs} and Jobs:MaxConcurrentUploads {MaxConcurrentUploads} must be at least 1");
        }

        if (MaxDataBytes < MaxUploadBytes)
        {
            throw new InvalidDataException($"Jobs:MaxDataBytes {MaxDataBytes} is smaller than Jobs:MaxUploadBytes {MaxUploadBytes}");
        }
    }
}
