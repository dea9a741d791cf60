using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Capture.Inference.TfLite;

namespace Capture.Inference.Models;

/// <summary>Where a model stands in the store.</summary>
public enum ModelState
{
    /// <summary>The npm package is not restored (run scripts/setup.sh).</summary>
    SourceMissing,

    /// <summary>The source is there; the .onnx is not built yet.</summary>
    NotBuilt,

    /// <summary>The built file is there and its hash matches the manifest.</summary>
    Ready,

    /// <summary>A file is there but its hash does not match the manifest.</summary>
    Corrupt,
}

/// <summary>
/// Models and assets from the pinned MediaPipe npm packages: extracts the .tflite (loose or packed), checks
/// its sha256 against models/manifest.json, converts it to ONNX, checks the .onnx sha256 too, and caches
/// it under models/build/. Nothing is downloaded: the packages come from scripts/setup.sh.
/// </summary>
/// <remarks>Thread-safe; concurrent builds of the same model are serialized.</remarks>
public sealed partial class ModelStore
{
    private readonly SemaphoreSlim _buildLock = new(1, 1);
    private readonly HashSet<string> _verified = new(StringComparer.Ordinal);

    /// <param name="manifestPath">models/manifest.json.</param>
    /// <param name="npmCacheDirectory">Where setup.sh unpacks npm packages (.cache/npm).</param>
    /// <param name="buildDirectory">Where built files go (models/build, git-ignored).</param>
    public ModelStore(string manifestPath, string npmCacheDirectory, string buildDirectory)
    {
        Manifest = ModelManifest.Load(manifestPath);
        ManifestPath = manifestPath;
        NpmCacheDirectory = npmCacheDirectory;
        BuildDirectory = buildDirectory;
    }

    public ModelManifest Manifest { get; private set; }

    public string ManifestPath { get; }

    public string NpmCacheDirectory { get; }

    public string BuildDirectory { get; }

    /// <summary>
    /// The store this program uses. In a Capture checkout (<c>CAPTURE_ROOT</c> if set, else the first directory at or
    /// above the application's that holds models/manifest.json): the npm packages scripts/setup.sh restored under
    /// .cache/npm, built models in models/build. In the installed <c>capture</c> tool (<see cref="IsInstalledLayout"/>:
    /// the manifest and the model sources travel in the package): sources from the tool's own npm/ folder, built
    /// models in the per-user <see cref="UserModelsDirectory"/>, never beside the tool.
    /// </summary>
    public static ModelStore FromRepository(string? root = null)
    {
        root ??= FindRoot() ?? throw new FileNotFoundException(
            "models/manifest.json not found above " + AppContext.BaseDirectory + " (set CAPTURE_ROOT to the Capture checkout)");
        string manifest = Path.Combine(root, "models", "manifest.json");
        return IsInstalledLayout(root)
            ? new ModelStore(manifest, Path.Combine(root, InstalledSourcesFolder), UserModelsDirectory())
            : new ModelStore(manifest, Path.Combine(root, ".cache", "npm"), Path.Combine(root, "models", "build"));
    }

    /// <summary>
    /// The folder of the installed tool that holds the model sources: the files of the pinned MediaPipe npm
    /// packages that the manifest names (with each package's package.json and README, their Apache-2.0 notices),
    /// laid out as .cache/npm is (<c>npm/@mediapipe__face_mesh/…</c>).
    /// </summary>
    public const string InstalledSourcesFolder = "npm";

    /// <summary>
    /// True for the installed tool's folder: models/manifest.json and <see cref="InstalledSourcesFolder"/> beside each
    /// other and no .git (a checkout keeps its sources in .cache/npm).
    /// </summary>
    public static bool IsInstalledLayout(string root) =>
        File.Exists(Path.Combine(root, "models", "manifest.json")) && Directory.Exists(Path.Combine(root, InstalledSourcesFolder))
        && !Directory.Exists(Path.Combine(root, ".cache", "npm"));

    /// <summary>
    /// Where the installed tool keeps the models it converts on first use: <c>CAPTURE_MODELS_DIR</c> if set, else
    /// <c>$XDG_CACHE_HOME/capture/models/VERSION</c> (<c>~/.cache/capture/models/VERSION</c>): per user, derived data
    /// that the tool rebuilds from its own sources when it is deleted, one folder per Capture version.
    /// </summary>
    public static string UserModelsDirectory()
    {
        string? chosen = Environment.GetEnvironmentVariable("CAPTURE_MODELS_DIR");
        if (!string.IsNullOrEmpty(chosen))
        {
            return chosen;
        }

        string? cache = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (string.IsNullOrEmpty(cache) || !Path.IsPathRooted(cache))
        {
            cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        }

        return Path.Combine(cache, "capture", "models", Capture.Core.CaptureVersion.Package);
    }

    /// <summary>Path of the built, verified .onnx for <paramref name="name"/>, building it first if needed.</summary>
    /// <exception cref="InvalidDataException">A source or built file whose sha256 does not match the manifest (named, with the expected hash).</exception>
    /// <exception cref="FileNotFoundException">The npm package is not restored.</exception>
    public Task<string> GetModelPathAsync(string name, CancellationToken cancellationToken = default)
    {
        ModelEntry entry = Manifest.Get(name);
        if (!entry.IsModel)
        {
            throw new ArgumentException($"'{name}' is an asset, not a model: use GetAssetPathAsync", nameof(name));
        }

        return GetAsync(entry, force: false, cancellationToken);
    }

    /// <summary>Path of an extracted, verified asset (e.g. "geometry_pipeline_metadata_landmarks").</summary>
    public Task<string> GetAssetPathAsync(string name, CancellationToken cancellationToken = default) =>
        GetAsync(Manifest.Get(name), force: false, cancellationToken);

    /// <summary>Builds (or with <paramref name="force"/> rebuilds) a model or asset and returns its path.</summary>
    public Task<string> BuildAsync(string name, bool force, CancellationToken cancellationToken = default) =>
        GetAsync(Manifest.Get(name), force, cancellationToken);

    /// <summary>Where the built file of <paramref name="entry"/> goes.</summary>
    public string BuiltPath(ModelEntry entry) =>
        Path.Combine(BuildDirectory, entry.IsModel ? entry.Name + ".onnx" : entry.File);

    /// <summary>The npm package directory of <paramref name="entry"/> (".cache/npm/@scope__name").</summary>
    public string PackageDirectory(ModelEntry entry) => Path.Combine(NpmCacheDirectory, entry.Package.Replace("/", "__", StringComparison.Ordinal));

    /// <summary>State of one entry without building anything (hashes the built file if present).</summary>
    public ModelState GetState(ModelEntry entry)
    {
        string built = BuiltPath(entry);
        if (File.Exists(built))
        {
            return Sha256Hex(File.ReadAllBytes(built)) == (entry.OnnxSha256 ?? entry.Sha256) ? ModelState.Ready : ModelState.Corrupt;
        }

        return Directory.Exists(PackageDirectory(entry)) ? ModelState.NotBuilt : ModelState.SourceMissing;
    }

    /// <summary>Extracts the source bytes (the .tflite or asset) from the npm package and checks their sha256.</summary>
    public byte[] ReadSource(ModelEntry entry)
    {
        (string sourceName, byte[] bytes) = ReadSourceUnverified(entry);
        VerifyHash(sourceName, bytes, entry.Sha256);
        return bytes;
    }

    /// <summary>
    /// The entry with its hashes recomputed from the npm package and the current converter: for a maintainer
    /// who changed the converter or a package version on purpose (<c>capture models build --update-manifest</c>).
    /// </summary>
    public ModelEntry Rehash(ModelEntry entry)
    {
        (_, byte[] source) = ReadSourceUnverified(entry);
        return entry with
        {
            Sha256 = Sha256Hex(source),
            OnnxSha256 = entry.IsModel ? Sha256Hex(Convert(entry, source)) : null,
        };
    }

    /// <summary>Writes <paramref name="manifest"/> over this store's manifest file.</summary>
    public void SaveManifest(ModelManifest manifest)
    {
        File.WriteAllText(ManifestPath, manifest.ToJson());
        Manifest = manifest;
        _buildLock.Wait();
        try
        {
            _verified.Clear();
        }
        finally
        {
            _buildLock.Release();
        }
    }

    private (string SourceName, byte[] Bytes) ReadSourceUnverified(ModelEntry entry)
    {
        string dir = PackageDirectory(entry);
        if (!Directory.Exists(dir))
        {
            throw new FileNotFoundException($"npm package {entry.Package}@{entry.Version} is not restored at {dir} (run scripts/setup.sh)", dir);
        }

        string versionMarker = Path.Combine(dir, ".restored-" + entry.Version);
        string packageJson = Path.Combine(dir, "package.json");
        if (!File.Exists(versionMarker) && File.Exists(packageJson)
            && !File.ReadAllText(packageJson).Contains($"\"{entry.Version}\"", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{packageJson}: {entry.Package} is not version {entry.Version} (run scripts/setup.sh)");
        }

        string sourceName;
        byte[] bytes;
        if (entry.Packed is null)
        {
            sourceName = Path.Combine(dir, entry.File);
            if (!File.Exists(sourceName))
            {
                throw new FileNotFoundException($"{sourceName} not found in {entry.Package}@{entry.Version}", sourceName);
            }

            bytes = File.ReadAllBytes(sourceName);
        }
        else
        {
            string data = Path.Combine(dir, entry.Packed + ".data");
            sourceName = $"{data} ({entry.File})";
            bytes = ExtractPacked(Path.Combine(dir, entry.Packed + "_loader.js"), data, entry.File);
        }

        return (sourceName, bytes);
    }

    /// <summary>
    /// Reads one file out of an Emscripten packed-assets bundle: the loader script lists
    /// <c>"filename": "/path/name", "start": N, "end": M</c> byte ranges of the .data file.
    /// </summary>
    public static byte[] ExtractPacked(string loaderPath, string dataPath, string fileName)
    {
        string loader = File.ReadAllText(loaderPath);
        foreach (Match m in PackedEntryRegex().Matches(loader))
        {
            if (Path.GetFileName(m.Groups[1].Value) != fileName)
            {
                continue;
            }

            long start = long.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            long end = long.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
            using FileStream stream = File.OpenRead(dataPath);
            if (start < 0 || end < start || end > stream.Length)
            {
                throw new InvalidDataException($"{loaderPath}: range {start}..{end} of {fileName} is outside {dataPath} ({stream.Length} bytes)");
            }

            var bytes = new byte[end - start];
            stream.Position = start;
            stream.ReadExactly(bytes);
            return bytes;
        }

        throw new InvalidDataException($"{loaderPath}: no packed file named {fileName}");
    }

    /// <summary>Converts source bytes of a model entry (already verified) to ONNX bytes.</summary>
    public static byte[] Convert(ModelEntry entry, byte[] tflite) => TfLiteToOnnxConverter.Convert(TfLiteModel.Read(tflite), entry.Name);

    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => System.Convert.ToHexStringLower(SHA256.HashData(bytes));

    private async Task<string> GetAsync(ModelEntry entry, bool force, CancellationToken cancellationToken)
    {
        string built = BuiltPath(entry);
        string expected = entry.OnnxSha256 ?? entry.Sha256;
        await _buildLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!force && _verified.Contains(built) && File.Exists(built))
            {
                return built;
            }

            if (!force && File.Exists(built))
            {
                byte[] existing = await File.ReadAllBytesAsync(built, cancellationToken).ConfigureAwait(false);
                VerifyHash(built, existing, expected, "; delete it or run `capture models build --force`");
                _verified.Add(built);
                return built;
            }

            byte[] output = await Task.Run(
                () =>
                {
                    byte[] source = ReadSource(entry);
                    cancellationToken.ThrowIfCancellationRequested();
                    return entry.IsModel ? Convert(entry, source) : source;
                },
                cancellationToken).ConfigureAwait(false);
            VerifyHash($"converted {entry.Name}.onnx", output, expected, " (converter output differs from the manifest)");
            Directory.CreateDirectory(BuildDirectory);
            // One temporary file per writer, not per process: two stores in one process (render sets up the
            // character's tracker and the performer's at once) may build the same model at the same moment; each
            // writes its own file and the atomic moves leave the identical, verified bytes.
            string temp = built + $".tmp{Environment.ProcessId}-{Guid.NewGuid():N}";
            await File.WriteAllBytesAsync(temp, output, cancellationToken).ConfigureAwait(false);
            File.Move(temp, built, overwrite: true);
            _verified.Add(built);
            return built;
        }
        finally
        {
            _buildLock.Release();
        }
    }

    private static void VerifyHash(string what, ReadOnlySpan<byte> bytes, string expected, string remedy = "")
    {
        string actual = Sha256Hex(bytes);
        if (actual != expected)
        {
            throw new InvalidDataException($"{what}: sha256 {actual} does not match the manifest's {expected}{remedy}");
        }
    }

    [GeneratedRegex("\"filename\":\\s*\"([^\"]+)\",\\s*\"start\":\\s*(\\d+),\\s*\"end\":\\s*(\\d+)")]
    private static partial Regex PackedEntryRegex();

    private static string? FindRoot()
    {
        string? env = Environment.GetEnvironmentVariable("CAPTURE_ROOT");
        if (!string.IsNullOrEmpty(env))
        {
            return env;
        }

        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            if (File.Exists(Path.Combine(d.FullName, "models", "manifest.json")))
            {
                return d.FullName;
            }
        }

        return null;
    }
}
