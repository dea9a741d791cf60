using System.CommandLine;
using Capture.Cli.Commands;
using Spectre.Console;

namespace Capture.Cli;

internal static class Program
{
    /// <summary>
    /// The width lines and tables get when the output is not a terminal: wide enough that no message or table
    /// row is wrapped or cut (a terminal's own width still applies on a terminal).
    /// </summary>
    internal const int UnwrappedWidth = 10_000;

    private static int Main(string[] args)
    {
        if (Console.IsOutputRedirected)
        {
            // Piped into a file or another program: plain text, one line per line (Spectre would otherwise
            // wrap every line and table at 80 columns and keep styling escapes), no live progress redraws.
            AnsiConsole.Profile.Width = UnwrappedWidth;
            AnsiConsole.Profile.Capabilities.Ansi = false;
            AnsiConsole.Profile.Capabilities.Interactive = false;
        }

        var root = new RootCommand(
            "Capture: a performer's face and body, from a webcam or a video, drive a character.\n" +
            "Each stage runs on its own: probe a video, track it, render a character from it.")
        {
            InfoCommand.Create(),
            ProbeCommand.Create(),
            ReplayCommand.Create(),
            ModelsCommand.Create(),
            TrackCommand.Create(),
            RenderCommand.Create(),
            FigureCommand.Create(),
            EvalCommand.Create(),
            CalibrateCommand.Create(),
            CalibrateCameraCommand.Create(),
            ServeCommand.Create(),
            LiveCommand.Create(),
            WorkerCommand.Create(),
        };

        return CliErrors.Run(root, args);
    }
}
