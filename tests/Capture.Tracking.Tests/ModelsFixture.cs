namespace Capture.Tracking.Tests;

/// <summary>Resolves (and on first use converts) the tracker's models once for every test that needs them.</summary>
public sealed class ModelsFixture
{
    private readonly Lazy<TrackerModelPaths> _paths = new(() =>
        TrackerModels.ResolveAsync(new TrackerOptions { Face = true, Body = true, Hands = true }, CancellationToken.None).GetAwaiter().GetResult());

    private readonly Lazy<string> _attention = new(() =>
        Capture.Inference.Models.ModelStore.FromRepository().GetModelPathAsync(TrackerModels.FaceLandmarkWithAttention).GetAwaiter().GetResult());

    public TrackerModelPaths Paths => _paths.Value;

    /// <summary>The paths with the attention face model (iris) in place of the plain mesh model.</summary>
    public TrackerModelPaths AttentionPaths => Paths with { FaceLandmark = _attention.Value, FaceLandmarkFallback = Paths.FaceLandmark };

    /// <summary>A tracker on the fixture's models; the attention model when <see cref="TrackerOptions.RefineLandmarks"/>.</summary>
    public Tracker Create(TrackerOptions options) =>
        Tracker.CreateAsync(options with { ModelPaths = options.RefineLandmarks ? AttentionPaths : Paths }).GetAwaiter().GetResult();
}

[CollectionDefinition(Name)]
public sealed class ModelsCollection : ICollectionFixture<ModelsFixture>
{
    public const string Name = "models";
}
