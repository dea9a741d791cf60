using System.Diagnostics;
using System.IO.Compression;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Capture.Core;
using Capture.Testing;

namespace Capture.Cli.Tests;

/// <summary>
/// The packages as users get them (docs/packages.md): <c>dotnet pack</c> of the solution into a local folder feed,
/// once for the class (<see cref="Feed"/>); the <c>capture</c> tool installed from that feed with
/// <c>dotnet tool install --tool-path</c> and run from a folder with no checkout above it; a console program
/// outside the solution restoring Capture.Protocol and Capture.Tracking from the feed alone. Slow by nature
/// (a pack, an install, a render, a restore): everything shares the one pack and the one install.
/// </summary>
[Trait("Category", "Packaging")]
public sealed partial class PackagingTests(PackagingTests.Feed feed) : IClassFixture<PackagingTests.Feed>
{
    private static readonly string[] s_libraries = ["Capture.Core", "Capture.Protocol", "Capture.Inference", "Capture.Tracking"];

    /// <summary>The packed feed and the installed tool, in a temporary folder outside the checkout.</summary>
    public sealed class Feed : IAsyncLifetime
    {
        /// <summary>The checkout (five levels above the CLI's build output, src/Capture.Cli/bin/Release/net10.0).</summary>
        public string Root { get; } = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(CliProcess.CliDll)!, "..", "..", "..", "..", ".."));

        public string Work { get; } = Path.Combine(Path.GetTempPath(), "capture-packaging-" + Guid.NewGuid().ToString("N")[..12]);

        public string Packages => Path.Combine(Work, "feed");

        public string Tools => Path.Combine(Work, "tools");

        /// <summary>An empty folder, no checkout above it: where the tool runs.</summary>
        public string Outside => Path.Combine(Work, "outside");

        /// <summary>The per-user cache the tool converts its models into (XDG_CACHE_HOME for every child here).</summary>
        public string UserCache => Path.Combine(Work, "xdg-cache");

        public string Version { get; } = CaptureVersion.Package;

        /// <summary>The environment every child gets: no checkout, no shared media, a fresh per-user cache.</summary>
        public Dictionary<string, string> Environment => new()
        {
            ["CAPTURE_ROOT"] = "",
            ["CAPTURE_MEDIA"] = "",
            ["CAPTURE_MODELS_DIR"] = "",
            ["XDG_CACHE_HOME"] = UserCache,
            ["NO_COLOR"] = "1",
            ["COLUMNS"] = "400",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
        };

        public TimeSpan PackTime { get; private set; }

        public TimeSpan InstallTime { get; private set; }

        public async Task InitializeAsync()
        {
            Directory.CreateDirectory(Outside);
            // Only the feed: restores and installs run under this folder, where this file clears every other source.
            await File.WriteAllTextAsync(Path.Combine(Work, "nuget.config"),
                $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="capture-feed" value="{Packages}" />
                  </packageSources>
                </configuration>
                """);
            var clock = Stopwatch.StartNew();
            ToolProcess.Result pack = await ToolProcess.RunAsync("dotnet",
                ["pack", Path.Combine(Root, "Capture.sln"), "-c", "Release", "--no-build", "-o", Packages, "-nologo", "-v:q", "-clp:ErrorsOnly"],
                Environment, TimeSpan.FromMinutes(15), Root);
            PackTime = clock.Elapsed;
            Assert.True(pack.ExitCode == 0, "dotnet pack failed:\n" + pack.All);

            clock.Restart();
            ToolProcess.Result install = await ToolProcess.RunAsync("dotnet",
                ["tool", "install", "Capture.Cli", "--version", Version, "--tool-path", Tools, "--add-source", Packages],
                Environment, TimeSpan.FromMinutes(4), Outside);
            InstallTime = clock.Elapsed;
            Assert.True(install.ExitCode == 0, "dotnet tool install failed:\n" + install.All);
        }

        public Task DisposeAsync()
        {
            try
            {
                Directory.Delete(Work, recursive: true);
            }
            catch (IOException)
            {
                // A child still closing a file: /tmp is cleaned by the OS.
            }

            return Task.CompletedTask;
        }

        /// <summary>Runs the installed <c>capture</c> from <see cref="Outside"/>.</summary>
        internal Task<ToolProcess.Result> CaptureAsync(params string[] args) =>
            ToolProcess.RunAsync(Path.Combine(Tools, "capture"), args, Environment, TimeSpan.FromMinutes(4), Outside);

        public string Nupkg(string id) => Path.Combine(Packages, $"{id}.{Version}.nupkg");
    }

    [Fact]
    public void LibraryPackages_CarryReadmeDocsSymbolsSourceLinkAndOneVersion()
    {
        string? commit = GitHead(feed.Root);
        foreach (string id in s_libraries)
        {
            using ZipArchive package = ZipFile.OpenRead(feed.Nupkg(id));
            string[] entries = [.. package.Entries.Select(e => e.FullName)];
            Assert.Contains("README.md", entries);
            Assert.Contains($"lib/net10.0/{id}.dll", entries);
            Assert.Contains($"lib/net10.0/{id}.xml", entries);

            XNamespace ns = XDocument.Load(package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open()).Root!.Name.Namespace;
            XElement metadata = XDocument.Load(package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open()).Root!.Element(ns + "metadata")!;
            Assert.Equal(feed.Version, metadata.Element(ns + "version")!.Value);
            Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
            // Every Capture dependency is this same version: one version for all, from Directory.Build.props.
            foreach (XElement dependency in metadata.Descendants(ns + "dependency").Where(d => d.Attribute("id")!.Value.StartsWith("Capture.", StringComparison.Ordinal)))
            {
                Assert.Equal($"[{feed.Version}, )", NormalizeRange(dependency.Attribute("version")!.Value));
            }

            // Source Link's git step recorded the commit the package was built from.
            XElement? repository = metadata.Element(ns + "repository");
            if (commit is not null)
            {
                Assert.Equal(commit, repository?.Attribute("commit")?.Value);
            }

            // Symbols beside it, and the assembly built deterministically with the documentation file.
            using ZipArchive symbols = ZipFile.OpenRead(Path.ChangeExtension(feed.Nupkg(id), ".snupkg"));
            Assert.Contains($"lib/net10.0/{id}.pdb", symbols.Entries.Select(e => e.FullName));
        }

        Assert.Equal(["Capture.Core", "Capture.Inference"], Dependencies("Capture.Tracking"));
        Assert.Equal(["Capture.Core"], Dependencies("Capture.Protocol"));
    }

    [Fact]
    public void InferencePackage_CarriesEveryModelSourceTheManifestNames_WithTheirNotices()
    {
        using ZipArchive package = ZipFile.OpenRead(feed.Nupkg("Capture.Inference"));
        var entries = package.Entries.Select(e => Uri.UnescapeDataString(e.FullName)).ToHashSet(StringComparer.Ordinal);
        const string content = "contentFiles/any/any/";
        Assert.Contains(content + "models/manifest.json", entries);
        Assert.Contains(content + "models/THIRD-PARTY-NOTICES.md", entries);
        Assert.Contains(content + "models/LICENSE-Apache-2.0.txt", entries);
        foreach ((string package_, string file) in ManifestSources(Path.Combine(feed.Root, "models", "manifest.json")))
        {
            string folder = content + "npm/" + package_.Replace("/", "__", StringComparison.Ordinal) + "/";
            Assert.Contains(folder + file, entries);
            Assert.Contains(folder + "package.json", entries);
        }
    }

    [Fact]
    public async Task Tool_FromTheFolderFeed_ReportsOneVersion_AndItsInfoOutsideACheckout()
    {
        ToolProcess.Result version = await feed.CaptureAsync("--version");
        Assert.True(version.ExitCode == 0, version.All);
        Assert.Equal(CaptureVersion.Informational, version.StdOut.Trim());
        Assert.StartsWith(feed.Version, version.StdOut.Trim(), StringComparison.Ordinal);

        ToolProcess.Result info = await feed.CaptureAsync("info");
        Assert.True(info.ExitCode == 0, info.All);
        Assert.Contains(CaptureVersion.Informational, info.StdOut, StringComparison.Ordinal);
        Assert.Contains("MessagePack schema 1.", info.StdOut, StringComparison.Ordinal);
        // The models are found in the tool's package, to be built in the per-user cache (the render test sees them
        // there), not beside the tool. The table wraps long paths, so only the words are checked here.
        Assert.Contains("built into", info.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("manifest.json not found", info.All, StringComparison.Ordinal);

        using ZipArchive tool = ZipFile.OpenRead(feed.Nupkg("Capture.Cli"));
        string[] entries = [.. tool.Entries.Select(e => Uri.UnescapeDataString(e.FullName))];
        const string app = "tools/net10.0/any/";
        Assert.Contains(app + "DotnetToolSettings.xml", entries);
        Assert.Contains(app + "models/THIRD-PARTY-NOTICES.md", entries);
        Assert.Contains(app + "wwwroot/api.html", entries);
        Assert.Contains(app + "npm/@mediapipe__face_mesh/face_mesh.js", entries);
        Assert.DoesNotContain(entries, e => e.EndsWith("libonnxruntime_providers_cuda.so", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tool_RendersTheSample_WithModelsConvertedOnFirstUseIntoTheUserCache()
    {
        (string driving, string character) = SampleInputs(feed.Root);
        string work = Path.Combine(feed.Outside, "render");
        Directory.CreateDirectory(work);
        string localDriving = Path.Combine(work, Path.GetFileName(driving));
        string localCharacter = Path.Combine(work, Path.GetFileName(character));
        File.Copy(driving, localDriving);
        File.Copy(character, localCharacter);
        string output = Path.Combine(work, "out.mp4");

        ToolProcess.Result render = await feed.CaptureAsync("render", localDriving, "--character", localCharacter, "-o", output, "--size", "256", "--frames", "12");

        Assert.True(render.ExitCode == 0, render.All);
        ToolProcess.Result probe = await ToolProcess.RunAsync("ffprobe",
            ["-v", "error", "-select_streams", "v:0", "-count_frames", "-show_entries", "stream=width,nb_read_frames", "-of", "csv=p=0", output]);
        Assert.True(probe.ExitCode == 0, probe.All);
        Assert.StartsWith("256,", probe.StdOut.Trim(), StringComparison.Ordinal);
        Assert.True(int.Parse(probe.StdOut.Trim().Split(',')[1], System.Globalization.CultureInfo.InvariantCulture) >= 12, probe.StdOut);
        string models = Path.Combine(feed.UserCache, "capture", "models", feed.Version);
        Assert.Contains(Directory.GetFiles(models), f => Path.GetFileName(f) == "face_landmark.onnx");
        Assert.Empty(Directory.GetDirectories(feed.Tools, "build", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Tool_Serve_AnswersHealthzWithTheVersions_AndServesTheReferenceAndThePagesPackages()
    {
        var info = new ProcessStartInfo(Path.Combine(feed.Tools, "capture"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = feed.Outside,
        };
        foreach (string a in (string[])["serve", "--urls", "http://127.0.0.1:0", "--api-key", "packaging-test-key", "--data", Path.Combine(feed.Work, "data")])
        {
            info.ArgumentList.Add(a);
        }

        foreach ((string key, string value) in feed.Environment)
        {
            if (value.Length == 0)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        using var serve = new Process { StartInfo = info };
        var output = new System.Text.StringBuilder();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(object sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (ListeningRegex().Match(e.Data) is { Success: true } m)
            {
                listening.TrySetResult(m.Groups[1].Value);
            }
        }

        serve.OutputDataReceived += OnLine;
        serve.ErrorDataReceived += OnLine;
        serve.Start();
        serve.BeginOutputReadLine();
        serve.BeginErrorReadLine();
        try
        {
            Task exited = serve.WaitForExitAsync();
            Task first = await Task.WhenAny(listening.Task, exited, Task.Delay(TimeSpan.FromMinutes(2)));
            Assert.True(first == listening.Task, "capture serve did not say where it listens:\n" + output);
            using var http = new HttpClient { BaseAddress = new Uri(await listening.Task), Timeout = TimeSpan.FromSeconds(60) };
            JsonElement health = await http.GetFromJsonAsync<JsonElement>("/healthz");
            Assert.Equal("ok", health.GetProperty("status").GetString());
            Assert.Equal(feed.Version, health.GetProperty("version").GetString());
            Assert.Equal(CaptureVersion.Informational, health.GetProperty("build").GetString());
            Assert.Equal($"{Capture.Protocol.Schema.ProtocolVersion.Major}.{Capture.Protocol.Schema.ProtocolVersion.Minor}", health.GetProperty("protocol").GetString());

            JsonElement document = await http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
            Assert.Equal(feed.Version, document.GetProperty("info").GetProperty("version").GetString());
            foreach (string path in (string[])["/", "/api.html", "/vendor/@mediapipe/face_mesh/face_mesh.js", "/vendor/@msgpack/msgpack/dist.esm/index.mjs"])
            {
                using HttpResponseMessage page = await http.GetAsync(path);
                Assert.True(page.IsSuccessStatusCode, $"{path}: {(int)page.StatusCode}");
            }
        }
        finally
        {
            if (!serve.HasExited)
            {
                serve.Kill(entireProcessTree: true);
            }

            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await serve.WaitForExitAsync(stop.Token);
        }
    }

    [Fact]
    public async Task OutsideProgram_RestoringOnlyFromTheFeed_DecodesARecordingAndTracksAPicture()
    {
        string consumer = Path.Combine(feed.Work, "consumer");
        Directory.CreateDirectory(consumer);
        foreach (string file in Directory.GetFiles(Path.Combine(feed.Root, "tests", "package-consumer")))
        {
            File.Copy(file, Path.Combine(consumer, Path.GetFileName(file)));
        }

        (string driving, string character) = SampleInputs(feed.Root);
        string recording = Path.Combine(consumer, "take.mpk");
        if (driving.EndsWith(".mpk", StringComparison.Ordinal))
        {
            File.Copy(driving, recording);
        }
        else
        {
            // No bundled recording in this checkout yet: make one of the picture with the CLI (a one-frame take).
            ToolProcess.Result track = await feed.CaptureAsync("track", character, "-o", recording);
            Assert.True(track.ExitCode == 0, track.All);
        }

        string picture = Path.Combine(consumer, "face.ppm");
        ToolProcess.Result ppm = await ToolProcess.RunAsync("ffmpeg", ["-v", "error", "-y", "-i", character, "-frames:v", "1", "-pix_fmt", "rgb24", picture]);
        Assert.True(ppm.ExitCode == 0, ppm.All);

        // Capture.* come from the feed into a fresh packages folder; the third-party packages they depend on come
        // from this machine's NuGet cache as a read-only fallback folder (no other source is configured).
        string packages = Path.Combine(feed.Work, "nuget-packages");
        var environment = new Dictionary<string, string>(feed.Environment) { ["NUGET_PACKAGES"] = packages };
        ToolProcess.Result build = await ToolProcess.RunAsync("dotnet",
            ["build", consumer, "-c", "Release", "-nologo", "-v:q", "-clp:ErrorsOnly", $"-p:CapturePackageVersion={feed.Version}", $"-p:RestoreAdditionalProjectFallbackFolders={GlobalPackages()}"],
            environment, TimeSpan.FromMinutes(5), consumer);
        Assert.True(build.ExitCode == 0, "the outside program did not build from the feed:\n" + build.All);
        foreach (string id in (string[])["capture.core", "capture.protocol", "capture.inference", "capture.tracking"])
        {
            Assert.True(Directory.Exists(Path.Combine(packages, id, feed.Version)), $"{id} {feed.Version} was not restored from the feed");
        }

        string bin = Path.Combine(consumer, "bin", "Release", "net10.0");
        Assert.True(File.Exists(Path.Combine(bin, "models", "THIRD-PARTY-NOTICES.md")), "the model notices did not travel beside the program");
        ToolProcess.Result run = await ToolProcess.RunAsync("dotnet", [Path.Combine(bin, "PackageConsumer.dll"), recording, picture], feed.Environment, TimeSpan.FromMinutes(3), consumer);

        Assert.True(run.ExitCode == 0, run.All);
        Assert.Contains($"capture {CaptureVersion.Informational}", run.StdOut, StringComparison.Ordinal);
        Match decoded = RecordingLineRegex().Match(run.StdOut);
        Assert.True(decoded.Success, run.StdOut);
        Assert.True(int.Parse(decoded.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, run.StdOut);
        Assert.True(int.Parse(decoded.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, run.StdOut);
        Assert.Contains("face with 468 points", run.StdOut, StringComparison.Ordinal);
    }

    /// <summary>The bundled sample (samples/, a recording and a picture) when the checkout has it, else a shared clip and picture.</summary>
    private static (string Driving, string Character) SampleInputs(string root)
    {
        string samples = Path.Combine(root, "samples");
        return File.Exists(Path.Combine(samples, "performance.mpk")) && File.Exists(Path.Combine(samples, "mona_lisa.jpg"))
            ? (Path.Combine(samples, "performance.mpk"), Path.Combine(samples, "mona_lisa.jpg"))
            : (SharedMedia.File("vid_expr_man_d18.mp4"), SharedMedia.File("char_painting_mona_lisa_s9.jpg"));
    }

    private static IEnumerable<(string Package, string File)> ManifestSources(string manifest)
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(manifest));
        foreach (JsonElement model in json.RootElement.GetProperty("models").EnumerateArray())
        {
            string package = model.GetProperty("package").GetString()!;
            if (model.TryGetProperty("packed", out JsonElement packed) && packed.ValueKind == JsonValueKind.String)
            {
                yield return (package, packed.GetString() + ".data");
                yield return (package, packed.GetString() + "_loader.js");
            }
            else
            {
                yield return (package, model.GetProperty("file").GetString()!);
            }
        }
    }

    private string[] Dependencies(string id)
    {
        using ZipArchive package = ZipFile.OpenRead(feed.Nupkg(id));
        XDocument nuspec = XDocument.Load(package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        return [.. nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").Select(d => d.Attribute("id")!.Value)
            .Where(d => d.StartsWith("Capture.", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];
    }

    private static string NormalizeRange(string range) => range.StartsWith('[') ? range.Replace(" ", "", StringComparison.Ordinal).Replace(",)", ", )", StringComparison.Ordinal) : $"[{range}, )";

    private static string GlobalPackages() =>
        System.Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } set
            ? set
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string? GitHead(string root)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", ["-C", root, "rev-parse", "HEAD"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            string head = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 && head.Length == 40 ? head : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    [GeneratedRegex(@"listening on (http://\S+)")]
    private static partial Regex ListeningRegex();

    [GeneratedRegex(@"recording: schema \d+\.\d+, (\d+) tracking frames, (\d+) with a face")]
    private static partial Regex RecordingLineRegex();
}
