using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace Capture.Cli;

/// <summary>
/// <c>--json</c>: a command prints exactly one JSON object on stdout when it ends (field names in docs/json.md,
/// camelCase, stable), and everything else it says (progress, notes, tables) goes to stderr, so
/// <c>capture render … --json | jq .frames</c> works. A user error prints <c>{"error": "…"}</c> instead (and the
/// red line on stderr), exit code 1. Numbers that are not finite (a PSNR of identical pictures) are null.
/// </summary>
internal static class CliJson
{
    private static readonly JsonSerializerOptions s_options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,

        // Paths, dashes and '+' as they are: the object is for programs and people, not for an HTML page.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private static TextWriter? s_stdout;

    /// <summary>True once a command asked for JSON: stdout is kept for the one object.</summary>
    public static bool Active => s_stdout is not null;

    public static Option<bool> CreateOption() =>
        new("--json") { Description = "Print one JSON object on stdout at the end (fields: docs/json.md); progress and messages go to stderr." };

    /// <summary>When <paramref name="json"/>: from here on everything but the final object goes to stderr.</summary>
    public static void Begin(bool json)
    {
        if (!json || Active)
        {
            return;
        }

        s_stdout = Console.Out;
        Console.SetOut(Console.Error);
        IAnsiConsole errors = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        if (Console.IsErrorRedirected)
        {
            errors.Profile.Width = Program.UnwrappedWidth;
            errors.Profile.Capabilities.Ansi = false;
            errors.Profile.Capabilities.Interactive = false;
        }

        AnsiConsole.Console = errors;
    }

    /// <summary>Writes the command's one object to stdout.</summary>
    public static void Write(object value)
    {
        TextWriter stdout = s_stdout ?? throw new InvalidOperationException("CliJson.Begin(true) was not called");
        stdout.WriteLine(JsonSerializer.Serialize(value, s_options));
        stdout.Flush();
    }

    /// <summary>A user error as the object, when JSON was asked for.</summary>
    public static void WriteError(string message)
    {
        if (Active)
        {
            Write(new { error = message });
        }
    }

    /// <summary>Null for NaN and infinities (JSON has no such numbers).</summary>
    public static double? Finite(double value) => double.IsFinite(value) ? value : null;
}
