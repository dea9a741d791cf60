using System.CommandLine;
using System.Globalization;
using Capture.Media;
using Spectre.Console;

namespace Capture.Cli.Commands;

/// <summary><c>capture probe FILE [--json]</c>: what ffprobe finds in a media file, after the same checks every source makes.</summary>
internal static class ProbeCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "A video, image or audio+video file." };
        Option<bool> json = CliJson.CreateOption();
        var command = new Command("probe", "Check a media file and print its container, video and audio streams.") { file, json };
        command.SetAction(async (parseResult, ct) =>
        {
            CliJson.Begin(parseResult.GetValue(json));
            MediaInfo info;
            try
            {
                info = await MediaProbe.ProbeAsync(parseResult.GetValue(file)!, ct).ConfigureAwait(false);
            }
            catch (MediaInputException ex)
            {
                // Reported here: System.CommandLine's default handler would print a stack trace
                // before CliErrors ever saw the exception.
                CliErrors.Report(ex);
                return 1;
            }

            if (CliJson.Active)
            {
                CliJson.Write(info);
            }
            else
            {
                AnsiConsole.Write(ToTable(info));
            }

            return 0;
        });
        return command;
    }

    private static Table ToTable(MediaInfo info)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("[bold]property[/]").AddColumn("[bold]value[/]");
        table.AddRow("file", Markup.Escape(info.Path));
        table.AddRow("format", Markup.Escape(info.FormatName));
        table.AddRow("duration", info.DurationSeconds is double d ? d.ToString("0.###", CultureInfo.InvariantCulture) + " s" : "unknown");
        if (info.Video is { } v)
        {
            string frames = v.FrameCount is long n ? n.ToString(CultureInfo.InvariantCulture) : "unknown";
            table.AddRow("video", Markup.Escape($"{v.Codec}, {v.Width}x{v.Height} (displayed), {v.FrameRate.ToString("0.###", CultureInfo.InvariantCulture)} fps, {frames} frames"));
            if (v.Rotation != 0)
            {
                table.AddRow("rotation", $"{v.Rotation}° (applied when decoding)");
            }
        }

        table.AddRow("audio", info.Audio is { } a ? Markup.Escape($"{a.Codec}, {a.SampleRate} Hz, {a.Channels} ch") : "none");
        return table;
    }
}
