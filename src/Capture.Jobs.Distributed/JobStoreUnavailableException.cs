namespace Capture.Jobs.Distributed;

/// <summary>
/// The job store (PostgreSQL) cannot be reached. An <see cref="IOException"/>, so the job machinery's
/// loops treat it as a storage failure and go on; the API answers it with 503
/// (<see cref="StoreUnavailableHandler"/>).
/// </summary>
public sealed class JobStoreUnavailableException : IOException
{
    public JobStoreUnavailableException(string message, Exception? inner)
        : base(message, inner)
    {
    }
}
