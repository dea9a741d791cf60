using System.CommandLine;
using System.Globalization;
using Capture.Core.Geometry;
using Capture.Media;
using Spectre.Console;

namespace Capture.Cli.Commands;

/// <summary><c>capture calibrate-camera IMAGES… -o camera.json [--board 9x6] [--square-size MM]</c>: camera intrinsics from chessboard photos.</summary>
internal static class CalibrateCameraCommand
{
    public static Command Create()
    {
        var images = new Argument<string[]>("images") { Description = "Photos of a printed chessboard from the camera, at different angles and places in the picture (10 or more is good).", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "camera.json to write (fx, fy, cx, cy, distortion, image size, RMS).", Required = true };
        var board = new Option<string>("--board") { Description = "Inner corners COLSxROWS (a board of 10x7 squares has 9x6).", DefaultValueFactory = _ => "9x6" };
        var square = new Option<double>("--square-size") { Description = "Side of one square in mm (does not change the intrinsics; kept for poses).", DefaultValueFactory = _ => 25 };
        var command = new Command("calibrate-camera", "Measure a camera's focal length, principal point and lens distortion from chessboard photos into camera.json.")
        {
            images, output, board, square,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            (int cols, int rows) = ParseBoard(parseResult.GetValue(board)!);
            double squareSize = parseResult.GetValue(square);
            if (!(squareSize > 0))
            {
                throw new CaptureUserException($"--square-size {squareSize} must be more than 0");
            }

            string[] paths = parseResult.GetValue(images)!;
            foreach (string p in paths)
            {
                if (!File.Exists(p))
                {
                    throw new FileNotFoundException($"{p}: no such file", p);
                }
            }

            CameraCalibrationResult result = await CameraCalibration.CalibrateAsync(paths, cols, rows, squareSize, ct).ConfigureAwait(false);
            foreach (RejectedCalibrationImage r in result.Rejected)
            {
                AnsiConsole.MarkupLine($"[yellow]skipped[/] {Markup.Escape(r.Path)}: {Markup.Escape(r.Reason)}");
            }

            CameraIntrinsics c = result.Camera;
            string outPath = parseResult.GetValue(output)!;
            string? dir = Path.GetDirectoryName(Path.GetFullPath(outPath));
            if (dir is not null)
            {
                Directory.CreateDirectory(dir);
            }

            await File.WriteAllTextAsync(outPath, c.ToJson(), ct).ConfigureAwait(false);
            var inv = CultureInfo.InvariantCulture;
            AnsiConsole.MarkupLine(string.Create(inv,
                $"RMS reprojection error {c.Rms:F3} px from {result.Used.Count} of {paths.Length} photos ({c.ImageWidth}x{c.ImageHeight})"));
            AnsiConsole.MarkupLine(string.Create(inv,
                $"fx {c.Fx:F1}  fy {c.Fy:F1}  cx {c.Cx:F1}  cy {c.Cy:F1}  vertical FOV {2 * Math.Atan(c.ImageHeight / 2.0 / c.Fy) * 180 / Math.PI:F1}°"));
            AnsiConsole.MarkupLine($"[green]wrote[/] {Markup.Escape(outPath)}");
            return 0;
        });
        return command;
    }

    private static (int Cols, int Rows) ParseBoard(string text)
    {
        string[] parts = text.Split('x', 'X');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int c)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int r) && c >= 2 && r >= 2 && c * r <= 10000)
        {
            return (c, r);
        }

        throw new CaptureUserException($"--board {text}: expected inner corners as COLSxROWS, e.g. 9x6");
    }
}
