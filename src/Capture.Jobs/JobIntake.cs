using System.Globalization;
using Capture.Media;
using Capture.Pipeline.Characters;
using Capture.Pipeline.Motion;
using Capture.Pipeline.Rendering;
using Microsoft.Extensions.Options;

namespace Capture.Jobs;

/// <summary>An upload received to disk (under <see cref="DataFolder.UploadsDirectory"/>), not yet a job.</summary>
public sealed record StagedUpload
{
    /// <summary>The received driving clip (generated name under uploads/).</summary>
    public required string DrivingPath { get; init; }

    /// <summary>The client's name for the clip: only its extension (if a known one) and display text are used.</summary>
    public string? DrivingName { get; init; }

    public required string CharacterPath { get; init; }

    public string? CharacterName { get; init; }

    public string? RigPath { get; init; }

    public string? ProfilePath { get; init; }

    /// <summary>The received figure mask (a picture, white = figure), or null.</summary>
    public string? MaskPath { get; init; }

    public string? MaskName { get; init; }

    public JobSettings Settings { get; init; } = new();
}

/// <summary>
/// Turns a received upload into a job, or refuses it with a <see cref="JobInputException"/>:
/// settings in range, the clip probed (a video stream, within the duration limit) and a face in
/// its first seconds (or a motion file, .mpk, Live Link CSV or BVH, read through and within the limit), the character probed and a face found in it or placed by the rig, the
/// profile parsed. Only then is the job stored and queued. Files move from uploads/ into the
/// job's folder under fixed names; on refusal everything received is deleted.
/// </summary>
public sealed class JobIntake
{
    private readonly IJobStore _store;
    private readonly IJobQueue _queue;
    private readonly IJobEvents _events;
    private readonly DataFolder _data;
    private readonly JobsOptions _options;

    // Checks run the tracker; two at once keeps uploads from starving the running render on 2 cores.
    private readonly SemaphoreSlim _checks = new(2, 2);

    // Counting the queued jobs and adding one is one step (in this process): parallel uploads cannot pass the limit together.
    private readonly SemaphoreSlim _create = new(1, 1);
    private readonly Lock _uploadGate = new();
    private int _uploadsInFlight;
    private long _reservedBytes;

    public JobIntake(IJobStore store, IJobQueue queue, IJobEvents events, DataFolder data, IOptions<JobsOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _queue = queue;
        _events = events;
        _data = data;
        _options = options.Value;
    }

    public JobsOptions Options => _options;

    public DataFolder Data => _data;

    /// <summary>
    /// Starts receiving an upload of <paramref name="declaredBytes"/> (its Content-Length; null: as much as
    /// <see cref="JobsOptions.MaxUploadBytes"/>), counted and its bytes reserved in one step, so uploads racing
    /// each other cannot pass a limit together. Refuses with 503 when <see cref="JobsOptions.MaxConcurrentUploads"/>
    /// are being received, and 507 when the data folder plus the bytes every upload in flight may still add would
    /// pass <see cref="JobsOptions.MaxDataBytes"/>. Dispose the slot when the upload is accepted or refused.
    /// </summary>
    public IDisposable BeginUpload(long? declaredBytes)
    {
        long bytes = declaredBytes is long d && d > 0 ? d : _options.MaxUploadBytes;
        // The folder's size is read outside the lock (a walk of the data folder); the reservations are what
        // make the check atomic: an upload counted here is seen by every check after it.
        long used = _data.UsedBytes();
        lock (_uploadGate)
        {
            if (_uploadsInFlight >= _options.MaxConcurrentUploads)
            {
                throw JobInputException.Busy(string.Create(CultureInfo.InvariantCulture,
                    $"the server is already receiving {_uploadsInFlight} uploads, its limit (Jobs:MaxConcurrentUploads); try again when one has finished"));
            }

            if (used + _reservedBytes + bytes > _options.MaxDataBytes)
            {
                throw JobInputException.Full(string.Create(CultureInfo.InvariantCulture,
                    $"the data folder holds {used / 1048576.0:F0} MiB of its {_options.MaxDataBytes / 1048576.0:F0} MiB limit (Jobs:MaxDataBytes), uploads in flight may add {_reservedBytes / 1048576.0:F0} MiB and this one {bytes / 1048576.0:F0} MiB; delete finished jobs or raise the limit"));
            }

            _uploadsInFlight++;
            _reservedBytes += bytes;
        }

        return new UploadSlot(this, bytes);
    }

    /// <summary>Uploads being received now (for tests and metrics).</summary>
    public int UploadsInFlight
    {
        get
        {
            lock (_uploadGate)
            {
                return _uploadsInFlight;
            }
        }
    }

    private void EndUpload(long bytes)
    {
        lock (_uploadGate)
        {
            _uploadsInFlight--;
            _reservedBytes -= bytes;
        }
    }

    /// <summary>Checks and accepts an upload; the staged files are moved or deleted either way.</summary>
    public async Task<JobRecord> AcceptAsync(StagedUpload upload, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(upload);
        string id = DataFolder.NewJobId();
        string dir = _data.JobDirectory(id);
        bool accepted = false;
        try
        {
            CheckSettings(upload.Settings);
            // Early and cheap, before the probe and the face checks; the count that decides is taken again below, with the create.
            await EnsureQueueRoomAsync(ct).ConfigureAwait(false);
            Directory.CreateDirectory(dir);
            string driving = "driving" + DataFolder.SafeExtension(upload.DrivingName, picture: false);
            // An Animated Drawings character comes as a zip (told by its content, not its name) and always moves its body.
            bool drawing = AnimatedDrawingsFiles.IsZip(upload.CharacterPath);
            string character = "character" + (drawing ? ".zip" : DataFolder.SafeExtension(upload.CharacterName, picture: true));
            JobSettings settings = upload.Settings with { Body = upload.Settings.Body || drawing || upload.MaskPath is not null };
            File.Move(upload.DrivingPath, Path.Combine(dir, driving));
            File.Move(upload.CharacterPath, Path.Combine(dir, character));
            string? rig = null;
            string? profile = null;
            if (upload.RigPath is not null)
            {
                rig = "rig.json";
                File.Move(upload.RigPath, Path.Combine(dir, rig));
            }

            if (upload.ProfilePath is not null)
            {
                profile = "profile.json";
                File.Move(upload.ProfilePath, Path.Combine(dir, profile));
            }

            if (upload.MaskPath is not null)
            {
                settings = settings with { MaskFile = "mask" + DataFolder.SafeExtension(upload.MaskName, picture: true) };
                File.Move(upload.MaskPath, Path.Combine(dir, settings.MaskFile));
            }

            // A video is probed here and its face looked for below; a motion file (.mpk, Live Link CSV, BVH)
            // is read through by its driver, which refuses what it cannot render.
            string drivingPath = Path.Combine(dir, driving);
            bool motionFile = MotionDrivers.Detect(drivingPath) != MotionKind.Video;
            (double? seconds, long? frames) = motionFile
                ? CheckDuration(await JobPipeline.CheckDrivingMotionAsync(drivingPath, DataFolder.LeafName(upload.DrivingName), ct).ConfigureAwait(false))
                : Frames(await ProbeDrivingAsync(drivingPath, ct).ConfigureAwait(false));
            await _checks.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (profile is not null)
                {
                    JobPipeline.CheckProfile(Path.Combine(dir, profile));
                }

                string? rigPath = rig is null ? null : Path.Combine(dir, rig);
                if (settings.Body)
                {
                    await JobPipeline.CheckBodyCharacterAsync(Path.Combine(dir, character), rigPath, settings.MaskFile is null ? null : Path.Combine(dir, settings.MaskFile), ct).ConfigureAwait(false);
                }
                else
                {
                    await JobPipeline.CheckCharacterAsync(Path.Combine(dir, character), rigPath, ct).ConfigureAwait(false);
                }

                if (!motionFile)
                {
                    // A body job needs the performer's body, not a face: a full-body clip's face may be too small to find at first.
                    await JobPipeline.CheckDrivingPerformerAsync(drivingPath, settings.Body, ct).ConfigureAwait(false);
                }
            }
            finally
            {
                _checks.Release();
            }

            var job = new JobRecord
            {
                Id = id,
                State = JobState.Queued,
                Settings = settings,
                DrivingFile = driving,
                CharacterFile = character,
                RigFile = rig,
                ProfileFile = profile,
                DrivingName = DataFolder.LeafName(upload.DrivingName),
                DurationSeconds = seconds,
                CreatedAt = DateTimeOffset.UtcNow,
                FramesTotal = frames,
            };
            await _create.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await EnsureQueueRoomAsync(ct).ConfigureAwait(false);
                await _store.CreateAsync(job, ct).ConfigureAwait(false);
            }
            finally
            {
                _create.Release();
            }

            accepted = true;
            await _queue.EnqueueAsync(id, CancellationToken.None).ConfigureAwait(false);
            _events.Publish(job);
            return job;
        }
        catch (Exception ex) when (DiskFull.Is(ex) && ex is not JobInputException)
        {
            throw JobInputException.Full("the data folder's disk is full; the upload could not be stored", ex);
        }
        finally
        {
            if (!accepted)
            {
                DeleteQuietly(upload.DrivingPath);
                DeleteQuietly(upload.CharacterPath);
                DeleteQuietly(upload.RigPath);
                DeleteQuietly(upload.ProfilePath);
                DeleteQuietly(upload.MaskPath);
                try
                {
                    _data.DeleteJob(id);
                }
                catch (IOException)
                {
                    // Left for retention; the job was never stored.
                }
            }
        }
    }

    private static (double? Seconds, long? Frames) Frames(MediaInfo info)
    {
        VideoStreamInfo video = info.Video!;
        return (info.DurationSeconds, video.FrameCount ?? (info.DurationSeconds is double d && video.FrameRate > 0 ? (long)Math.Round(d * video.FrameRate) : null));
    }

    private (double? Seconds, long? Frames) CheckDuration((double Seconds, long Frames) motion)
    {
        if (motion.Seconds > _options.MaxDurationSeconds)
        {
            throw JobInputException.Unusable(string.Create(CultureInfo.InvariantCulture,
                $"driving: the motion is {motion.Seconds:F1} s long, over the {_options.MaxDurationSeconds:F0} s limit (Jobs:MaxDurationSeconds)"));
        }

        return (motion.Seconds, motion.Frames);
    }

    private async Task EnsureQueueRoomAsync(CancellationToken ct)
    {
        int queued = await _store.CountQueuedAsync(ct).ConfigureAwait(false);
        if (queued >= _options.MaxQueuedJobs)
        {
            throw JobInputException.Busy(string.Create(CultureInfo.InvariantCulture,
                $"{queued} jobs are already waiting, the limit (Jobs:MaxQueuedJobs); try again when some have run"));
        }
    }

    private async Task<MediaInfo> ProbeDrivingAsync(string path, CancellationToken ct)
    {
        MediaInfo info;
        try
        {
            info = await MediaProbe.ProbeAsync(path, ct).ConfigureAwait(false);
        }
        catch (MediaInputException ex)
        {
            throw JobInputException.NotMedia($"driving: {ex.Problem}", ex);
        }

        if (info.Video is null or { Width: <= 0 })
        {
            throw JobInputException.NotMedia("driving: no video stream");
        }

        if (VideoLimits.Default.Check(info.Video.Width, info.Video.Height) is string tooLarge)
        {
            throw JobInputException.Unusable($"driving: {tooLarge}");
        }

        if (info.DurationSeconds is not double seconds || seconds <= 0 || info.Video.FrameRate <= 0)
        {
            throw JobInputException.Unusable("driving: a still picture or a stream without a duration, not a video clip");
        }

        if (seconds > _options.MaxDurationSeconds)
        {
            throw JobInputException.Unusable(string.Create(CultureInfo.InvariantCulture,
                $"driving: the clip is {seconds:F1} s long, over the {_options.MaxDurationSeconds:F0} s limit (Jobs:MaxDurationSeconds)"));
        }

        return info;
    }

    private static void CheckSettings(JobSettings settings)
    {
        if (!RenderOptions.Sizes.Contains(settings.Size))
        {
            throw JobInputException.BadField($"size {settings.Size} is not supported; use 256, 512 or 1024");
        }

        if (settings.Intensity is < 1 or > 5 || float.IsNaN(settings.Intensity))
        {
            throw JobInputException.BadField(string.Create(CultureInfo.InvariantCulture, $"intensity {settings.Intensity} must be between 1 and 5"));
        }
    }

    private static void DeleteQuietly(string? path)
    {
        if (path is null)
        {
            return;
        }

        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private sealed class UploadSlot(JobIntake owner, long bytes) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                owner.EndUpload(bytes);
            }
        }
    }
}
