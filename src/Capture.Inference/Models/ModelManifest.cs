using System.Text.Json;
using System.Text.Json.Serialization;

namespace Capture.Inference.Models;

/// <summary>One file Capture takes from a pinned npm package: a loose file or one packed in <c>*_packed_assets.data</c>.</summary>
/// <param name="Name">Short name, e.g. "face_landmark".</param>
/// <param name="Package">npm package, e.g. "@mediapipe/face_mesh".</param>
/// <param name="Version">Pinned package version (as in scripts/npm-packages.lock).</param>
/// <param name="File">The file's name inside the package (for packed assets: the name in the loader's list).</param>
/// <param name="Packed">For packed assets, the prefix of <c>{Packed}.data</c> and <c>{Packed}_loader.js</c>; null for a loose file.</param>
/// <param name="Sha256">Lower-case hex sha256 of the extracted file.</param>
/// <param name="OnnxSha256">For models: sha256 of the converted .onnx (the converter is deterministic); null for plain assets.</param>
public sealed record ModelEntry(
    string Name,
    string Package,
    string Version,
    string File,
    string? Packed,
    string Sha256,
    string? OnnxSha256)
{
    /// <summary>True for a TFLite model that gets converted; false for a data asset.</summary>
    [JsonIgnore]
    public bool IsModel => File.EndsWith(".tflite", StringComparison.Ordinal);
}

/// <summary>models/manifest.json: the models and assets Capture uses, where they come from and their hashes.</summary>
public sealed record ModelManifest(IReadOnlyList<ModelEntry> Models)
{
    private static readonly JsonSerializerOptions s_json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The entry called <paramref name="name"/>; a clear error listing the known names otherwise.</summary>
    public ModelEntry Get(string name) =>
        Models.FirstOrDefault(m => m.Name == name)
        ?? throw new KeyNotFoundException($"no model or asset '{name}' in the manifest (known: {string.Join(", ", Models.Select(m => m.Name))})");

    /// <summary>Reads and validates a manifest file.</summary>
    public static ModelManifest Load(string path)
    {
        if (!System.IO.File.Exists(path))
        {
            throw new FileNotFoundException($"model manifest {path} not found", path);
        }

        ModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelManifest>(System.IO.File.ReadAllText(path), s_json);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{path}: not a valid model manifest: {ex.Message}", ex);
        }

        if (manifest?.Models is null)
        {
            throw new InvalidDataException($"{path}: no \"models\" list");
        }

        foreach (ModelEntry m in manifest.Models)
        {
            if (string.IsNullOrEmpty(m.Name) || string.IsNullOrEmpty(m.Package) || string.IsNullOrEmpty(m.File) || !IsSha256(m.Sha256)
                || (m.OnnxSha256 is not null && !IsSha256(m.OnnxSha256)))
            {
                throw new InvalidDataException($"{path}: entry '{m.Name}' needs name, package, file and a 64-hex-digit sha256");
            }
        }

        return manifest;
    }

    public string ToJson() => JsonSerializer.Serialize(this, s_json) + "\n";

    private static bool IsSha256(string? s) => s is { Length: 64 } && s.All(char.IsAsciiHexDigitLower);
}
