using System.CommandLine;
using System.Net.Sockets;
using System.Net.WebSockets;
using Capture.Protocol.Recording;
using Capture.Protocol.Transport;
using Spectre.Console;

namespace Capture.Cli.Commands;

/// <summary><c>capture replay rec.mpk --to url [--fast]</c>: sends a recording's packets to a listener.</summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("recording") { Description = "A .mpk recording (header value, then one MessagePack value per packet)." };
        var to = new Option<string>("--to", "-t")
        {
            Description = "Where to send: ws://host:port/path, tcp://host:port or udp://host:port.",
            Required = true,
        };
        var fast = new Option<bool>("--fast") { Description = "Send as fast as the link takes, instead of at the original timing." };
        var command = new Command("replay", "Replay a .mpk recording over WebSocket, TCP or UDP at its original timing (or --fast).")
        {
            file,
            to,
            fast,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            return await RunAsync(parseResult.GetValue(file)!, parseResult.GetValue(to)!, parseResult.GetValue(fast), cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(FileInfo path, string target, bool fast, CancellationToken cancellationToken)
    {
        if (!path.Exists)
        {
            throw new FileNotFoundException($"{path.FullName}: no such recording", path.FullName);
        }

        if (!Uri.TryCreate(target, UriKind.Absolute, out Uri? uri))
        {
            throw new CaptureUserException($"--to '{target}' is not a URL; write ws://host:port/path, tcp://host:port or udp://host:port");
        }

        using RecordingReader recording = RecordingReader.Open(path.FullName);
        IPacketTransport transport;
        try
        {
            transport = await PacketTransports.ConnectAsync(uri, cancellationToken);
        }
        catch (Exception ex) when (ex is ArgumentException or SocketException or WebSocketException)
        {
            throw new CaptureUserException($"Cannot connect to {uri}: {ex.Message}", ex);
        }

        await using (transport)
        {
            long total = path.Length;
            ReplayResult result = default;
            await AnsiConsole.Progress()
                .AutoClear(true)
                .StartAsync(async ctx =>
                {
                    ProgressTask task = ctx.AddTask($"replay {Markup.Escape(path.Name)} → {Markup.Escape(uri.ToString())}", maxValue: total);
                    var progress = new Progress<long>(offset => task.Value = offset);
                    try
                    {
                        result = await RecordingReplayer.ReplayAsync(recording, transport, fast, progress, cancellationToken);
                    }
                    catch (Exception ex) when (ex is SocketException or WebSocketException or IOException)
                    {
                        throw new CaptureUserException($"Sending to {uri} failed after {recording.PacketCount} packets: {ex.Message}", ex);
                    }

                    task.Value = total;
                });
            AnsiConsole.MarkupLine(
                $"sent [green]{result.Packets}[/] packets ({result.Bytes:N0} bytes) in {result.Elapsed.TotalSeconds:F2} s" +
                (result.Skipped > 0 ? $", [yellow]{result.Skipped} too large for {Markup.Escape(uri.Scheme)} skipped[/]" : ""));
        }

        return 0;
    }
}
