using System.CommandLine;
using Capture.Inference.Models;
using Capture.Pipeline.Motion;
using Capture.Retargeting;
using Spectre.Console;

namespace Capture.Cli.Commands;

/// <summary>
/// <c>capture models</c>: the MediaPipe models and assets from models/manifest.json and their state;
/// <c>models verify</c> checks every source and built file against its sha256; <c>models build [--force]</c>
/// extracts and converts them into models/build/.
/// </summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "List the models (from models/manifest.json) and their state; verify or build them.");
        command.SetAction(_ =>
        {
            ModelStore store = ModelStore.FromRepository();
            var table = new Table().AddColumns("name", "kind", "source", "state", "built file").Border(TableBorder.Simple);
            foreach (ModelEntry entry in store.Manifest.Models)
            {
                ModelState state = store.GetState(entry);
                string built = store.BuiltPath(entry);
                table.AddRow(
                    Markup.Escape(entry.Name),
                    entry.IsModel ? "model" : "asset",
                    Markup.Escape($"{entry.Package}@{entry.Version} {entry.File}"),
                    StateMarkup(state),
                    Markup.Escape(File.Exists(built) ? $"{Path.GetRelativePath(Environment.CurrentDirectory, built)} ({new FileInfo(built).Length / 1024} KiB)" : "-"));
            }

            AnsiConsole.Write(table);
            return 0;
        });

        var verify = new Command("verify", "Check every source file (in the npm cache) and every built file against the manifest's sha256.");
        verify.SetAction(_ => Verify(ModelStore.FromRepository()));
        command.Subcommands.Add(verify);

        var force = new Option<bool>("--force", "-f") { Description = "Rebuild even when a verified build exists." };
        var names = new Argument<string[]>("names") { Description = "Models or assets to build (default: all).", Arity = ArgumentArity.ZeroOrMore };
        var update = new Option<bool>("--update-manifest")
        {
            Description = "Maintainers only: recompute the selected entries' sha256 (source and converted) and rewrite models/manifest.json first.",
        };
        var build = new Command("build", "Extract and convert the models into models/build/ (checked against the manifest).") { force, update, names };
        build.SetAction(async (parseResult, ct) =>
        {
            ModelStore store = ModelStore.FromRepository();
            string[] selected = parseResult.GetValue(names) is { Length: > 0 } n ? n : [.. store.Manifest.Models.Select(m => m.Name)];
            foreach (string name in selected)
            {
                if (store.Manifest.Models.All(m => m.Name != name))
                {
                    throw new CaptureUserException($"no model or asset '{name}' in {store.ManifestPath} (known: {string.Join(", ", store.Manifest.Models.Select(m => m.Name))})");
                }
            }

            bool rebuild = parseResult.GetValue(force);
            if (parseResult.GetValue(update))
            {
                ModelEntry[] entries = [.. store.Manifest.Models.Select(m => selected.Contains(m.Name) ? store.Rehash(m) : m)];
                foreach ((ModelEntry before, ModelEntry after) in store.Manifest.Models.Zip(entries).Where(p => p.First != p.Second))
                {
                    AnsiConsole.MarkupLine($"[yellow]updated[/] {Markup.Escape(after.Name)}: sha256 {after.Sha256[..12]}…, onnx {after.OnnxSha256?[..12] ?? "-"}…");
                }

                store.SaveManifest(new ModelManifest(entries));
                rebuild = true;
            }

            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn())
                .StartAsync(async ctx =>
                {
                    ProgressTask task = ctx.AddTask("building models", maxValue: selected.Length);
                    foreach (string name in selected)
                    {
                        task.Description = $"building {Markup.Escape(name)}";
                        await store.BuildAsync(name, rebuild, ct).ConfigureAwait(false);
                        task.Increment(1);
                    }

                    task.Description = "models built";
                }).ConfigureAwait(false);
            foreach (string name in selected)
            {
                AnsiConsole.MarkupLine($"[green]ok[/] {Markup.Escape(name)} → {Markup.Escape(store.BuiltPath(store.Manifest.Get(name)))}");
            }

            return 0;
        });
        command.Subcommands.Add(build);
        command.Subcommands.Add(CreateBasis());
        return command;
    }

    /// <summary>
    /// <c>capture models basis CLIP… -o models/face-basis-v1.json</c>: fits the blendshape → face basis on clips
    /// (tracked here) and prints how well it reproduces each (docs/face-basis.md).
    /// </summary>
    private static Command CreateBasis()
    {
        var clips = new Argument<string[]>("clips") { Description = "Videos of faces to fit on (the shipped basis: vid_expr_man_d18.mp4 vid_expr_woman_d3.mp4 vid_talk_selfie_man_d13.mp4 from ../shared/media).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "Where to write the basis.", DefaultValueFactory = _ => Path.Combine("models", BlendshapeBasis.FileName) };
        var command = new Command("basis", "Fit the ARKit blendshape → face-mesh basis (Live Link CSV and BVH faces) on clips Capture tracks, and print its error on each (NME, % of the eye distance).")
        {
            clips, output,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            string[] paths = parseResult.GetValue(clips)!;
            foreach (string path in paths)
            {
                if (!File.Exists(path))
                {
                    throw new FileNotFoundException($"{path}: no such file", path);
                }
            }

            var tracked = new List<BasisClip>();
            await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn())
                .StartAsync(async ctx =>
                {
                    foreach (string path in paths)
                    {
                        ProgressTask task = ctx.AddTask($"track {Markup.Escape(Path.GetFileName(path))}", maxValue: 1);
                        task.IsIndeterminate = true;
                        tracked.Add(await BlendshapeBasisFit.TrackAsync(path, progress: new Progress<long>(n => task.Description = $"track {Markup.Escape(Path.GetFileName(path))} [grey]{n} frames[/]"), ct: ct).ConfigureAwait(false));
                        task.IsIndeterminate = false;
                        task.Value = 1;
                    }
                }).ConfigureAwait(false);

            string made = "capture models basis " + string.Join(' ', paths.Select(Path.GetFileName));
            (BlendshapeBasis basis, IReadOnlyList<BasisClipError> errors, double ridge) = BlendshapeBasisFit.FitAndMeasure(tracked, made);
            if (basis.Description?["clips"] is System.Text.Json.Nodes.JsonArray entries)
            {
                for (int i = 0; i < entries.Count; i++)
                {
                    await using FileStream file = File.OpenRead(paths[i]);
                    entries[i]!["sha256"] = Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(file, ct).ConfigureAwait(false));
                }
            }

            string target = parseResult.GetValue(output)!;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
            basis.Save(target);
            var table = new Table().Border(TableBorder.Simple)
                .AddColumns("clip", "face frames", "NME neutral only %", "NME held out %", "NME in fit %", "NME whole face %");
            foreach (BasisClipError e in errors)
            {
                table.AddRow(Markup.Escape(e.Clip), e.Frames.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    BlendshapeBasisFit.Format(e.NeutralOnly), BlendshapeBasisFit.Format(e.HeldOut), BlendshapeBasisFit.Format(e.InSample), BlendshapeBasisFit.Format(e.WholeFace));
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine(System.FormattableString.Invariant(
                $"[green]wrote[/] {Markup.Escape(target)} ({new FileInfo(target).Length / 1024} KiB), ridge {ridge:g3} (lowest held-out error)"));
            return 0;
        });
        return command;
    }

    private static int Verify(ModelStore store)
    {
        var table = new Table().AddColumns("name", "source sha256", "built file").Border(TableBorder.Simple);
        var problems = new List<string>();
        foreach (ModelEntry entry in store.Manifest.Models)
        {
            string source;
            try
            {
                store.ReadSource(entry);
                source = "[green]ok[/]";
            }
            catch (Exception ex) when (ex is InvalidDataException or FileNotFoundException)
            {
                source = "[red]bad[/]";
                problems.Add(ex.Message);
            }

            ModelState state = store.GetState(entry);
            if (state == ModelState.Corrupt)
            {
                problems.Add($"{store.BuiltPath(entry)}: sha256 does not match the manifest's {entry.OnnxSha256 ?? entry.Sha256} (run `capture models build --force`)");
            }

            table.AddRow(Markup.Escape(entry.Name), source, StateMarkup(state));
        }

        AnsiConsole.Write(table);
        if (problems.Count > 0)
        {
            throw new CaptureUserException(string.Join("\n", problems));
        }

        AnsiConsole.MarkupLine("[green]all sources and built files match the manifest[/]");
        return 0;
    }

    private static string StateMarkup(ModelState state) => state switch
    {
        ModelState.Ready => "[green]ready[/]",
        ModelState.NotBuilt => "[yellow]not built[/]",
        ModelState.Corrupt => "[red]corrupt[/]",
        _ => "[red]source missing (run scripts/setup.sh)[/]",
    };
}
