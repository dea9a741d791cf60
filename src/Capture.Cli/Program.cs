using System.CommandLine;
using Capture.Cli.Commands;

namespace Capture.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
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
