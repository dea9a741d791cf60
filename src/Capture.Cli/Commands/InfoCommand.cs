using System.CommandLine;
using System.Runtime.InteropServices;
using Capture.Core;
using Capture.Inference;
using Capture.Inference.Models;
using Capture.Protocol.Schema;
using Spectre.Console;

namespace Capture.Cli.Commands;

/// <summary><c>capture info</c>: versions, ONNX Runtime and its execution providers, models state.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        Option<bool> json = CliJson.CreateOption();
        var command = new Command("info", "Print versions, the ONNX Runtime build and its execution providers, and the models' state.") { json };
        command.SetAction(parseResult =>
        {
            CliJson.Begin(parseResult.GetValue(json));
            ExecutionProviderChoice provider = InferenceEnvironment.Provider;
            if (CliJson.Active)
            {
                CliJson.Write(new
                {
                    command = "info",
                    capture = typeof(InfoCommand).Assembly.GetName().Version?.ToString(),
                    dotnet = RuntimeInformation.FrameworkDescription,
                    runtime = RuntimeInformation.RuntimeIdentifier,
                    onnxRuntime = InferenceEnvironment.OrtVersion,
                    builtInProviders = InferenceEnvironment.BuiltInProviders,
                    executionProvider = new { name = provider.Name, reason = provider.Reason },
                    ffmpeg = FirstLineOf("ffmpeg", "-version"),
                    models = ModelsJson(),
                });
                return 0;
            }

            var table = new Table().AddColumns("what", "value").HideHeaders().Border(TableBorder.Simple);
            table.AddRow("capture", Markup.Escape(CaptureVersion.Informational));
            table.AddRow("protocol", Markup.Escape($"MessagePack schema {ProtocolVersion.Major}.{ProtocolVersion.Minor} (docs/protocol.md)"));
            table.AddRow(".NET", Markup.Escape($"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})"));
            table.AddRow("ONNX Runtime", Markup.Escape(InferenceEnvironment.OrtVersion));
            table.AddRow("built-in providers", Markup.Escape(string.Join(", ", InferenceEnvironment.BuiltInProviders)));
            table.AddRow("execution provider", Markup.Escape($"{provider.Name}: {provider.Reason}"));
            table.AddRow("ffmpeg", Markup.Escape(FirstLineOf("ffmpeg", "-version") ?? "not found (run scripts/setup.sh)"));
            table.AddRow("models", Markup.Escape(DescribeModels()));
            AnsiConsole.Write(table);
            return 0;
        });
        return command;
    }

    private static string DescribeModels()
    {
        try
        {
            ModelStore store = ModelStore.FromRepository();
            IEnumerable<string> states = store.Manifest.Models
                .GroupBy(store.GetState)
                .Select(g => $"{g.Count()} {g.Key}");
            return $"{string.Join(", ", states)} ({store.ManifestPath}, built into {store.BuildDirectory}; `capture models` for each)";
        }
        catch (FileNotFoundException ex)
        {
            return ex.Message;
        }
    }

    private static object ModelsJson()
    {
        try
        {
            ModelStore store = ModelStore.FromRepository();
            return new
            {
                manifest = store.ManifestPath,
                states = store.Manifest.Models.ToDictionary(m => m.Name, m => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(store.GetState(m).ToString())),
                error = (string?)null,
            };
        }
        catch (FileNotFoundException ex)
        {
            return new { manifest = (string?)null, states = new Dictionary<string, string>(), error = ex.Message };
        }
    }

    private static string? FirstLineOf(string program, string argument)
    {
        try
        {
            using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(program, argument)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null)
            {
                return null;
            }

            string? line = process.StandardOutput.ReadLine();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return line;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
