using Capture.Inference.Models;

namespace Capture.Inference.Tests.Models;

public sealed class ModelStoreTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("capture-store").FullName;
    private readonly ModelStore _repo = ModelStore.FromRepository();

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void Manifest_Repository_ListsTheMediaPipeModelsAndGeometry()
    {
        string[] names = [.. _repo.Manifest.Models.Select(m => m.Name)];

        Assert.Contains("face_landmark", names);
        Assert.Contains("face_detection_short_range", names);
        Assert.Contains("pose_landmark_full", names);
        Assert.Contains("geometry_pipeline_metadata_landmarks", names);
        Assert.All(_repo.Manifest.Models.Where(m => m.IsModel), m => Assert.NotNull(m.OnnxSha256));
    }

    [Fact]
    public async Task GetModelPathAsync_Fresh_BuildsOnnxWithManifestHash()
    {
        var store = new ModelStore(_repo.ManifestPath, _repo.NpmCacheDirectory, Path.Combine(_temp, "build"));
        ModelEntry entry = store.Manifest.Get("face_detection_short_range");
        Assert.Equal(ModelState.NotBuilt, store.GetState(entry));

        string path = await store.GetModelPathAsync("face_detection_short_range");

        Assert.Equal(Path.Combine(_temp, "build", "face_detection_short_range.onnx"), path);
        Assert.Equal(entry.OnnxSha256, ModelStore.Sha256Hex(File.ReadAllBytes(path)));
        Assert.Equal(ModelState.Ready, store.GetState(entry));
    }

    [Fact]
    public void Rehash_CurrentConverter_ReproducesManifestHashes()
    {
        ModelEntry entry = _repo.Manifest.Get("hand_recrop");

        Assert.Equal(entry, _repo.Rehash(entry));
    }

    [Fact]
    public async Task GetAssetPathAsync_Geometry_ExtractsPackedFileWithManifestHash()
    {
        var store = new ModelStore(_repo.ManifestPath, _repo.NpmCacheDirectory, Path.Combine(_temp, "build"));

        string path = await store.GetAssetPathAsync("geometry_pipeline_metadata_landmarks");

        Assert.EndsWith("geometry_pipeline_metadata_landmarks.binarypb", path, StringComparison.Ordinal);
        Assert.Equal(store.Manifest.Get("geometry_pipeline_metadata_landmarks").Sha256, ModelStore.Sha256Hex(File.ReadAllBytes(path)));
    }

    [Fact]
    public async Task GetModelPathAsync_CorruptedBuiltOnnx_ThrowsNamingFileAndExpectedHash()
    {
        string build = Path.Combine(_temp, "build");
        string path = await new ModelStore(_repo.ManifestPath, _repo.NpmCacheDirectory, build).GetModelPathAsync("face_detection_short_range");
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x55;
        File.WriteAllBytes(path, bytes);
        var store = new ModelStore(_repo.ManifestPath, _repo.NpmCacheDirectory, build);

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => store.GetModelPathAsync("face_detection_short_range"));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(store.Manifest.Get("face_detection_short_range").OnnxSha256!, ex.Message, StringComparison.Ordinal);
        Assert.Equal(ModelState.Corrupt, store.GetState(store.Manifest.Get("face_detection_short_range")));
    }

    [Fact]
    public async Task BuildAsync_ForceAfterCorruption_RebuildsIdenticalBytes()
    {
        var store = new ModelStore(_repo.ManifestPath, _repo.NpmCacheDirectory, Path.Combine(_temp, "build"));
        string path = await store.GetModelPathAsync("face_landmark");
        byte[] first = File.ReadAllBytes(path);
        File.WriteAllBytes(path, [1, 2, 3]);

        await store.BuildAsync("face_landmark", force: true);

        Assert.Equal(first, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task GetModelPathAsync_CorruptedTfLiteCopy_ThrowsNamingFileAndExpectedHash()
    {
        ModelEntry entry = _repo.Manifest.Get("pose_landmark_lite");
        string npm = Path.Combine(_temp, "npm");
        string package = Path.Combine(npm, "@mediapipe__pose");
        Directory.CreateDirectory(package);
        File.WriteAllText(Path.Combine(package, ".restored-" + entry.Version), "");
        byte[] tflite = File.ReadAllBytes(Path.Combine(_repo.PackageDirectory(entry), entry.File));
        tflite[^100] ^= 0x01;
        string corrupt = Path.Combine(package, entry.File);
        File.WriteAllBytes(corrupt, tflite);
        var store = new ModelStore(_repo.ManifestPath, npm, Path.Combine(_temp, "build"));

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => store.GetModelPathAsync("pose_landmark_lite"));

        Assert.Contains(corrupt, ex.Message, StringComparison.Ordinal);
        Assert.Contains(entry.Sha256, ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(store.BuiltPath(entry)));
    }

    [Fact]
    public async Task GetModelPathAsync_PackageNotRestored_ThrowsFileNotFoundNamingSetup()
    {
        var store = new ModelStore(_repo.ManifestPath, Path.Combine(_temp, "empty-npm"), Path.Combine(_temp, "build"));

        var ex = await Assert.ThrowsAsync<FileNotFoundException>(() => store.GetModelPathAsync("face_landmark"));

        Assert.Contains("setup.sh", ex.Message, StringComparison.Ordinal);
        Assert.Equal(ModelState.SourceMissing, store.GetState(store.Manifest.Get("face_landmark")));
    }

    [Fact]
    public void Get_UnknownName_ListsKnownNames()
    {
        var ex = Assert.Throws<KeyNotFoundException>(() => _repo.Manifest.Get("hand_landmark"));

        Assert.Contains("face_landmark", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"models\":[{\"name\":\"x\",\"package\":\"p\",\"version\":\"1\",\"file\":\"x.tflite\",\"sha256\":\"abc\"}]}")]
    public void Load_BadManifest_ThrowsInvalidDataNamingFile(string json)
    {
        string path = Path.Combine(_temp, "manifest.json");
        File.WriteAllText(path, json);

        var ex = Assert.Throws<InvalidDataException>(() => ModelManifest.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExtractPacked_NameNotInLoader_ThrowsInvalidData()
    {
        ModelEntry entry = _repo.Manifest.Get("face_landmark");
        string dir = _repo.PackageDirectory(entry);

        Assert.Throws<InvalidDataException>(() => ModelStore.ExtractPacked(
            Path.Combine(dir, entry.Packed + "_loader.js"), Path.Combine(dir, entry.Packed + ".data"), "hand_landmark.tflite"));
    }
}
