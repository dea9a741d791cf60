namespace Capture.Jobs;

/// <summary>Why an upload cannot become a job; the HTTP side answers with <see cref="Status"/> as problem+json.</summary>
public sealed class JobInputException : Exception
{
    public JobInputException(int status, string title, string detail, Exception? inner = null)
        : base(detail, inner)
    {
        Status = status;
        Title = title;
    }

    /// <summary>HTTP status: 400 (bad field), 413 (too large), 415 (not usable media), 422 (media without what a job needs), 503 (a limit on work in progress reached; try again later), 507 (data folder full).</summary>
    public int Status { get; }

    /// <summary>Short, fixed summary of the kind of problem.</summary>
    public string Title { get; }

    public static JobInputException BadField(string detail) => new(400, "bad request", detail);

    public static JobInputException TooLarge(string detail) => new(413, "upload too large", detail);

    public static JobInputException NotMedia(string detail, Exception? inner = null) => new(415, "not usable media", detail, inner);

    public static JobInputException Unusable(string detail, Exception? inner = null) => new(422, "media cannot be used for a job", detail, inner);

    public static JobInputException Busy(string detail) => new(503, "server busy", detail);

    public static JobInputException Full(string detail, Exception? inner = null) => new(507, "data folder full", detail, inner);
}

/// <summary>Recognises a full disk in an exception (ENOSPC / ERROR_DISK_FULL), however deep it sits.</summary>
public static class DiskFull
{
    private const int Enospc = 28;
    private const int Edquot = 122;
    private const int ErrorDiskFull = 0x70;
    private const int ErrorHandleDiskFull = 0x27;

    public static bool Is(Exception? ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            // ffmpeg's own write failures arrive as its stderr text inside a media exception.
            if ((e is IOException && (e.HResult & 0xFFFF) is Enospc or Edquot or ErrorDiskFull or ErrorHandleDiskFull) ||
                e.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase) ||
                e.Message.Contains("Disk quota exceeded", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
