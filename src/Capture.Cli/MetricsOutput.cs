using Capture.Core.Diagnostics;
using Spectre.Console;

namespace Capture.Cli;

/// <summary><c>--verbose</c>: listens to the "Capture" meter for the length of a command and prints what it recorded.</summary>
internal static class MetricsOutput
{
    /// <summary>A listener when <paramref name="verbose"/>, else null (nothing listens, recording costs nothing).</summary>
    public static CaptureMetricsListener? Start(bool verbose) => verbose ? new CaptureMetricsListener() : null;

    /// <summary>Prints the listener's report (grey, one line a series); nothing for null. The caller disposes the listener.</summary>
    public static void Print(CaptureMetricsListener? listener)
    {
        if (listener is null)
        {
            return;
        }

        foreach (string line in listener.Report())
        {
            AnsiConsole.MarkupLine($"[grey]{Markup.Escape(line)}[/]");
        }
    }
}
