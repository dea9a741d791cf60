using Capture.Core.Frames;
using Capture.Core.Geometry;
using OpenCvSharp;

namespace Capture.Media;

/// <summary>A chessboard photo the calibration could not use, and why (shown to the user as it is).</summary>
public sealed record RejectedCalibrationImage(string Path, string Reason);

/// <summary>The camera found, and which photos went into it.</summary>
public sealed record CameraCalibrationResult(CameraIntrinsics Camera, IReadOnlyList<string> Used, IReadOnlyList<RejectedCalibrationImage> Rejected);

/// <summary>
/// Camera intrinsics from photos of a printed chessboard, with OpenCV: inner corners found in each
/// photo (findChessboardCorners, refined to sub-pixel on the grey image), then calibrateCamera with
/// five distortion coefficients. Photos where the board is not found, or whose size differs from the
/// first usable one, are rejected and named; the rest are used.
/// </summary>
public static class CameraCalibration
{
    /// <summary>Fewest usable photos: below this the focal length and distortion are not determined well.</summary>
    public const int MinimumImages = 3;

    /// <param name="columns">Inner corners along a row (9 for OpenCV's 10×7-square sample board).</param>
    /// <param name="rows">Inner corners along a column (6 for the sample board).</param>
    /// <param name="squareSize">Side of one square in any unit (mm); intrinsics do not depend on it.</param>
    /// <exception cref="MediaInputException">An image is unreadable (the message names it), or fewer than <see cref="MinimumImages"/> remain.</exception>
    public static async Task<CameraCalibrationResult> CalibrateAsync(
        IReadOnlyList<string> imagePaths, int columns = 9, int rows = 6, double squareSize = 1, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(imagePaths);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 2);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(squareSize);
        var board = new Point3f[columns * rows];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                board[(r * columns) + c] = new Point3f((float)(c * squareSize), (float)(r * squareSize), 0);
            }
        }

        List<Point2f[]> corners = [];
        List<string> used = [];
        List<RejectedCalibrationImage> rejected = [];
        Size size = default;
        var patternSize = new Size(columns, rows);
        foreach (string path in imagePaths)
        {
            ct.ThrowIfCancellationRequested();
            RgbaImage image = await ImageFile.LoadRgbaAsync(path, ct).ConfigureAwait(false);
            using Mat rgba = Mat.FromPixelData(image.Height, image.Width, MatType.CV_8UC4, image.Pixels);
            using var grey = new Mat();
            Cv2.CvtColor(rgba, grey, ColorConversionCodes.RGBA2GRAY);
            bool found = Cv2.FindChessboardCorners(grey, patternSize, out Point2f[] found2d,
                ChessboardFlags.AdaptiveThresh | ChessboardFlags.NormalizeImage);
            if (!found || found2d.Length != columns * rows)
            {
                rejected.Add(new(path, $"no {columns}x{rows} chessboard (inner corners) found"));
                continue;
            }

            if (size != default && (grey.Width != size.Width || grey.Height != size.Height))
            {
                rejected.Add(new(path, $"{grey.Width}x{grey.Height}, but the other photos are {size.Width}x{size.Height} (one camera mode per calibration)"));
                continue;
            }

            // Sub-pixel refinement: an 11×11 window as OpenCV's calibration sample uses.
            Point2f[] refined = Cv2.CornerSubPix(grey, found2d, new Size(11, 11), new Size(-1, -1),
                new TermCriteria(CriteriaTypes.Eps | CriteriaTypes.MaxIter, 30, 0.001));
            size = new Size(grey.Width, grey.Height);
            corners.Add(refined);
            used.Add(path);
        }

        if (corners.Count < MinimumImages)
        {
            string why = rejected.Count == 0 ? "" : " (" + string.Join("; ", rejected.Select(r => $"{r.Path}: {r.Reason}")) + ")";
            throw new MediaInputException(
                imagePaths.Count == 1 ? imagePaths[0] : $"{imagePaths.Count} images",
                $"only {corners.Count} of {imagePaths.Count} photos show the {columns}x{rows} chessboard; calibration needs at least {MinimumImages}{why}");
        }

        double[,] k = new double[3, 3];
        double[] distortion = new double[5];
        double rms = Cv2.CalibrateCamera(
            corners.Select(_ => (IEnumerable<Point3f>)board), corners.Select(c => (IEnumerable<Point2f>)c),
            size, k, distortion, out _, out _);
        var camera = new CameraIntrinsics(k[0, 0], k[1, 1], k[0, 2], k[1, 2], size.Width, size.Height, distortion, rms);
        return new CameraCalibrationResult(camera, used, rejected);
    }
}
