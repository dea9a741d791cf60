namespace Capture.Server.Tests.Jobs;

/// <summary>
/// The job tests render real video on a 2-core machine: they run one class at a time and not beside
/// the live tests (whose frame rates they would disturb).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class JobsCollection
{
    public const string Name = "Jobs";
}
