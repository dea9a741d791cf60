using System.CommandLine;
using Spectre.Console;

namespace Capture.Cli;

/// <summary>
/// Runs the command line and turns the errors a user can cause (bad files, missing models, bad
/// arguments) into one clear red line and exit code 1, without a stack trace. A bug still shows
/// its stack trace, because then the trace is what a developer needs.
/// </summary>
internal static class CliErrors
{
    public static int Run(RootCommand root, string[] args)
    {
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception ex) when (IsUserError(ex))
        {
            Report(ex);
            return 1;
        }
    }

    public static void Report(Exception ex)
    {
        AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(ex.Message)}");
        CliJson.WriteError(ex.Message);
    }

    /// <summary>
    /// The one classification of errors a user can cause. IOException covers missing files and
    /// Capture.Media's MediaInputException (bad or unreadable media); ArgumentException covers option
    /// values the libraries reject (e.g. a gain out of range). Commands do not catch these themselves:
    /// they reach <see cref="Run"/>.
    /// </summary>
    public static bool IsUserError(Exception ex) =>
        ex is CaptureUserException or IOException or UnauthorizedAccessException or InvalidDataException or OperationCanceledException or ArgumentException;
}

/// <summary>An error the user can fix (the message says how); printed without a stack trace.</summary>
public class CaptureUserException(string message, Exception? inner = null) : Exception(message, inner);
