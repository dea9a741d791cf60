using System.CommandLine;
using Capture.Inference.Models;
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
