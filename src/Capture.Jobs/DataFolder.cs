using System.Security.Cryptography;

namespace Capture.Jobs;

/// <summary>
/// The data folder's layout. Every name in it is generated here; nothing a client sends becomes
/// part of a path (job ids are checked against <see cref="IsJobId"/> before use).
/// <code>
/// DATA/jobs.db                    the SQLite store
/// DATA/uploads/&lt;random&gt;.part      uploads being received (removed after validation or at start)
/// DATA/jobs/&lt;id&gt;/driving.&lt;ext&gt;    inputs under fixed names (character.&lt;ext&gt;, rig.json, profile.json)
/// DATA/jobs/&lt;id&gt;/work/            a running attempt's output (deleted when an attempt starts or fails)
/// DATA/jobs/&lt;id&gt;/result/          the finished output, renamed from work/ in one step:
///                                 result.mp4, motion/{motion.mpk, livelink.csv, motion.csv, motion.bvh}
/// </code>
/// </summary>
public sealed class DataFolder : IDisposable
{
    public const string ResultVideoName = "result.mp4";
    public const string MotionFolderName = "motion";

    /// <summary>The motion files a job can have, the only names the API serves.</summary>
    public static IReadOnlyList<string> MotionFiles { get; } = ["motion.mpk", "livelink.csv", "motion.csv", "motion.bvh"];

    private FileStream? _lock;

    /// <param name="root">The folder; created if missing.</param>
    /// <param name="temporary">Deleted with everything in it when disposed (hosts without a configured folder).</param>
    public DataFolder(string root, bool temporary = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        IsTemporary = temporary;
    }

    public string Root { get; }

    public bool IsTemporary { get; }

    /// <summary>
    /// Several nodes use this folder at once (scale-out, docs/deployment.md): <see cref="Prepare"/> takes
    /// no lock and leaves other nodes' uploads alone, removing only parts abandoned for a day.
    /// </summary>
    public bool Shared { get; init; }

    /// <summary>How old an upload part must be before a starting node of a shared folder removes it: no upload lasts a day.</summary>
    public static TimeSpan AbandonedUploadAge { get; } = TimeSpan.FromDays(1);

    /// <summary>Why jobs cannot run on this folder (held by another server, unreadable database); null when they can.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>Marks the folder unusable: the jobs API answers 503 with <paramref name="reason"/>, the rest of the server runs on.</summary>
    public void MarkUnavailable(string reason) => Unavailable = reason;

    public string DatabasePath => Path.Combine(Root, "jobs.db");

    public string UploadsDirectory => Path.Combine(Root, "uploads");

    public string JobsDirectory => Path.Combine(Root, "jobs");

    /// <summary>
    /// Creates the folders, takes the folder's lock (one server per data folder: two would each
    /// recover the other's running jobs) and empties uploads/ (half-received uploads of a previous
    /// run were never accepted).
    /// </summary>
    /// <exception cref="IOException">Another process holds the folder.</exception>
    public void Prepare()
    {
        Directory.CreateDirectory(Root);
        if (Shared)
        {
            Directory.CreateDirectory(JobsDirectory);
            Directory.CreateDirectory(UploadsDirectory);
            foreach (FileInfo part in new DirectoryInfo(UploadsDirectory).EnumerateFiles("*.part"))
            {
                if (DateTime.UtcNow - part.LastWriteTimeUtc > AbandonedUploadAge)
                {
                    part.Delete();
                }
            }

            return;
        }

        if (_lock is null)
        {
            try
            {
                // FileShare.None is an exclusive flock on Linux; the OS drops it when the process dies (kill -9 too).
                _lock = new FileStream(Path.Combine(Root, ".lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException ex)
            {
                throw new IOException($"the data folder {Root} is in use by another Capture server; give each server its own data folder (capture serve --data DIR)", ex);
            }
        }

        Directory.CreateDirectory(JobsDirectory);
        if (Directory.Exists(UploadsDirectory))
        {
            Directory.Delete(UploadsDirectory, recursive: true);
        }

        Directory.CreateDirectory(UploadsDirectory);
    }

    /// <summary>A new job id: 128 random bits as 32 lower-case hex digits.</summary>
    public static string NewJobId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    /// <summary>True for strings <see cref="NewJobId"/> can produce (the only ids ever used in a path).</summary>
    public static bool IsJobId(string? id)
    {
        if (id is not { Length: 32 })
        {
            return false;
        }

        foreach (char c in id)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    public string JobDirectory(string id) => Path.Combine(JobsDirectory, CheckedId(id));

    public string WorkDirectory(string id) => Path.Combine(JobDirectory(id), "work");

    public string ResultDirectory(string id) => Path.Combine(JobDirectory(id), "result");

    public string ResultVideo(string id) => Path.Combine(ResultDirectory(id), ResultVideoName);

    /// <summary>A motion file of a finished job, or null when <paramref name="file"/> is not one of <see cref="MotionFiles"/>.</summary>
    public string? MotionFile(string id, string file) =>
        MotionFiles.Contains(file, StringComparer.Ordinal) ? Path.Combine(ResultDirectory(id), MotionFolderName, file) : null;

    /// <summary>A fresh path under uploads/ for a part being received.</summary>
    public string NewUploadPath() => Path.Combine(UploadsDirectory, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)) + ".part");

    /// <summary>Bytes held by the data folder now (the database, uploads and every job).</summary>
    public long UsedBytes()
    {
        if (!Directory.Exists(Root))
        {
            return 0;
        }

        long total = 0;
        foreach (FileInfo f in new DirectoryInfo(Root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.ReparsePoint }))
        {
            total += f.Length;
        }

        return total;
    }

    /// <summary>Removes a job's folder (inputs, work and result); a missing folder is fine.</summary>
    public void DeleteJob(string id)
    {
        string dir = JobDirectory(id);
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// The file extension kept for an upload: the client's extension when it is one of the known
    /// media extensions (ffmpeg's image readers go by it), otherwise a neutral one. Only these
    /// fixed strings ever reach a path.
    /// </summary>
    public static string SafeExtension(string? clientName, bool picture)
    {
        string ext = Path.GetExtension(LeafName(clientName) ?? string.Empty).ToLowerInvariant();
        string[] known = picture ? [".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"] : [".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".y4m", ".mpk", ".csv", ".bvh"];
        foreach (string k in known)
        {
            if (ext == k)
            {
                return k;
            }
        }

        return picture ? ".img" : ".video";
    }

    /// <summary>
    /// A client's file name reduced to display text: its last path segment (either slash), control
    /// characters removed, at most 120 characters; null when nothing is left. Never used as a path.
    /// </summary>
    public static string? LeafName(string? clientName)
    {
        if (string.IsNullOrEmpty(clientName))
        {
            return null;
        }

        int cut = Math.Max(clientName.LastIndexOf('/'), clientName.LastIndexOf('\\'));
        string leaf = clientName[(cut + 1)..];
        leaf = new string([.. leaf.Where(c => !char.IsControl(c))]).Trim();
        if (leaf is "" or "." or "..")
        {
            return null;
        }

        return leaf.Length > 120 ? leaf[..120] : leaf;
    }

    /// <summary>Releases the lock; deletes a temporary folder.</summary>
    public void Dispose()
    {
        _lock?.Dispose();
        _lock = null;
        if (IsTemporary && Directory.Exists(Root))
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // A file still open elsewhere: the OS's temp cleaning takes it.
            }
        }
    }

    private static string CheckedId(string id) =>
        IsJobId(id) ? id : throw new ArgumentException($"'{id}' is not a job id", nameof(id));
}
