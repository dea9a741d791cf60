using Capture.Core.Geometry;

namespace Capture.Media.Tests;

/// <summary>Chessboard calibration on OpenCV's own left-camera sample (9×6 inner corners, 640×480).</summary>
public sealed class CameraCalibrationTests : IClassFixture<TempDir>
{
    private readonly TempDir _temp;

    public CameraCalibrationTests(TempDir temp)
    {
        _temp = temp;
    }

    internal static string[] Boards() => Directory.GetFiles(Path.Combine(TestMedia.Dir, "calib_left"), "*.jpg").Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task CalibrateAsync_OpenCvSample_SubPixelRmsAndSaneCamera()
    {
        string[] boards = Boards();
        Assert.Equal(13, boards.Length);
        CameraCalibrationResult result = await CameraCalibration.CalibrateAsync(boards);
        CameraIntrinsics c = result.Camera;
        Assert.Empty(result.Rejected);
        Assert.Equal(13, result.Used.Count);

        // OpenCV's sample reports about 0.4 px on these photos.
        Assert.InRange(c.Rms, 0.1, 1.0);
        Assert.Equal((640, 480), (c.ImageWidth, c.ImageHeight));
        Assert.InRange(c.Cx, 640 * 0.4, 640 * 0.6);
        Assert.InRange(c.Cy, 480 * 0.4, 480 * 0.6);
        Assert.InRange(c.Fx / c.Fy, 0.98, 1.02); // square pixels
        Assert.Equal(5, c.Distortion.Length);

        string path = _temp.File("camera.json");
        await File.WriteAllTextAsync(path, c.ToJson());
        CameraIntrinsics back = CameraIntrinsics.Load(path);
        Assert.Equal((c.Fx, c.Fy, c.Cx, c.Cy, c.Rms), (back.Fx, back.Fy, back.Cx, back.Cy, back.Rms));
        Assert.Equal(c.Distortion, back.Distortion);
    }

    [Fact]
    public async Task CalibrateAsync_PhotoWithoutBoard_NamedAndRestUsed()
    {
        // A 640×480 photo with no chessboard (the cat, scaled to the boards' size).
        string cat = _temp.File("cat-640x480.png");
        TestMedia.Ffmpeg("-i", Path.Combine(TestMedia.Dir, "char_animal_cat_chelsea.png"), "-vf", "scale=640:480", cat);
        string[] boards = Boards();
        CameraCalibrationResult result = await CameraCalibration.CalibrateAsync([boards[0], cat, .. boards[1..5]]);
        RejectedCalibrationImage rejected = Assert.Single(result.Rejected);
        Assert.Equal(cat, rejected.Path);
        Assert.Equal("no 9x6 chessboard (inner corners) found", rejected.Reason);
        Assert.Equal(5, result.Used.Count);
        Assert.InRange(result.Camera.Rms, 0.05, 1.0);
    }

    [Fact]
    public async Task CalibrateAsync_TooFewBoards_ErrorNamesTheRejected()
    {
        string[] boards = Boards();
        string cat = Path.Combine(TestMedia.Dir, "char_animal_cat_chelsea.png");
        var ex = await Assert.ThrowsAsync<MediaInputException>(() => CameraCalibration.CalibrateAsync([boards[0], boards[1], cat]));
        Assert.Contains("only 2 of 3 photos show the 9x6 chessboard; calibration needs at least 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"{cat}: no 9x6 chessboard", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScaledTo_HalfSize_HalvesFocalAndCentre()
    {
        var c = new CameraIntrinsics(536, 534, 342, 235, 640, 480, [0, 0, 0, 0, 0], 0.4);
        CameraIntrinsics half = c.ScaledTo(320, 240);
        Assert.Equal((268.0, 267.0, 171.0, 117.5, 320, 240), (half.Fx, half.Fy, half.Cx, half.Cy, half.ImageWidth, half.ImageHeight));
        Assert.Same(c, c.ScaledTo(640, 480));
    }

    [Fact]
    public async Task Load_BadCameraJson_NamesFile()
    {
        string path = _temp.File("bad-camera.json");
        await File.WriteAllTextAsync(path, """{"fx": -1, "fy": 500, "cx": 1, "cy": 1, "imageWidth": 640, "imageHeight": 480, "distortion": [], "rms": 0}""");
        var ex = Assert.Throws<InvalidDataException>(() => CameraIntrinsics.Load(path));
        Assert.StartsWith($"{path}: not a usable camera.json (focal length fx=-1", ex.Message, StringComparison.Ordinal);
        await File.WriteAllTextAsync(path, "not json");
        ex = Assert.Throws<InvalidDataException>(() => CameraIntrinsics.Load(path));
        Assert.StartsWith($"{path}: not a camera.json", ex.Message, StringComparison.Ordinal);
    }
}
