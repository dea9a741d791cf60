namespace Capture.Tracking.Tests;

/// <summary>Resolves (and on first use converts) the tracker's models once for every test that needs them.</summary>
public sealed class ModelsFixture
{
    private readonly Lazy<TrackerModelPaths> _paths = new(() =>
        TrackerModels.ResolveAsync(new TrackerOptions { Face = true, Body = true }, CancellationToken.None).GetAwaiter().GetResult());

    public TrackerModelPaths Paths => _paths.Value;

    public Tracker Create(TrackerOptions options) =>
        Tracker.CreateAsync(options with { ModelPaths = Paths }).GetAwaiter().GetResult();
}

[CollectionDefinition(Name)]
public sealed class ModelsCollection : ICollectionFixture<ModelsFixture>
{
    public const string Name = "models";
}
