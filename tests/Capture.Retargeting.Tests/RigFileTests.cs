using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Retargeting.Rigs;

namespace Capture.Retargeting.Tests;

public class RigFileTests
{
    private const string Valid = """
        { "format": "capture-rig", "version": 1, "imageSize": [200, 100],
          "points": { "rightEyeOuter": [60, 40], "rightEyeInner": [85, 42], "leftEyeInner": [115, 42], "leftEyeOuter": [140, 40],
                      "mouthRight": [85, 75], "mouthLeft": [115, 75], "noseTip": [100, 58] } }
        """;

    [Theory]
    [InlineData("{ not json", "not valid JSON")]
    [InlineData("""{ "format": "other", "version": 1 }""", "\"format\" must be \"capture-rig\"")]
    [InlineData("""{ "format": "capture-rig", "version": 7 }""", "\"version\" must be 1")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "points": {} }""", "\"imageSize\" must be [width, height]")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": [10, 10] }""", "\"points\" must be an object")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": [10, 10], "points": { "eyeball": [1, 2] } }""", "unknown point \"eyeball\"; known points: rightEyeOuter")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": [10, 10], "points": { "chin": [1] } }""", "point \"chin\" must be [x, y]")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": [10, 10], "points": { "chin": [1, 900] } }""", "far outside")]
    [InlineData("""{ "format": "capture-rig", "version": "1", "imageSize": [10, 10], "points": {} }""", "\"version\" must be 1")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": ["NaN", 10], "points": {} }""", "\"imageSize\" must be [width, height]")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": [10, 10], "points": { "rightEyeOuter": ["NaN", 1] } }""", "point \"rightEyeOuter\" must be [x, y]")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": [10, 10], "points": { "rightEyeOuter": [1, 2], "leftEyeOuter": [8, 2], "chin": [5, 9] } }""", "needs at least 4 points")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": [10, 10], "points": {}, "body": [1, 2] }""", "\"body\" must be an object")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": [10, 10], "points": {}, "body": { "left_tail": [1, 2] } }""", "unknown body joint \"left_tail\"; known joints: nose")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": [10, 10], "points": {}, "body": { "nose": [1, 11] } }""", "body joint \"nose\" [1, 11] lies outside the 10x10 image")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": [10, 10], "points": {}, "body": { "nose": ["a", 1] } }""", "body joint \"nose\" must be [x, y]")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": [10, 10], "points": { "chin": [5, 9] }, "body": { "nose": [1, 1] } }""", "the face points need at least 4 points")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": [10, 10], "points": {}, "body": { "nose": [1, 1] }, "mask": "data:image/jpeg;base64,AAAA" }""", "\"mask\" must be a PNG data URL")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": [10, 10], "points": {}, "body": { "nose": [1, 1] }, "mask": "data:image/png;base64,!!!" }""", "\"mask\" is not valid base64")]
    [InlineData("""{ "format": "capture-rig", "version": 1, "imageSize": [10, 10], "points": {}, "body": { "nose": [1, 1] }, "mask": "data:image/png;base64,AAAAAAAAAAAA" }""", "\"mask\" is not a PNG picture")]
    public void Parse_BadRigFile_ThrowsNamingFileAndProblem(string json, string expected)
    {
        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => RigFile.Parse(json, "my-rig.json"));

        Assert.Contains("my-rig.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BodyRigWithoutFace_JointsScaledToThePictureAndTheMaskKept()
    {
        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0];
        RigFile rig = RigFile.Parse(
            """{ "format": "capture-rig", "version": 1, "imageSize": [200, 400], "points": {}, "body": { "left_shoulder": [120, 100], "right_shoulder": [80, 101.5] }, "mask": "data:image/png;base64,"""
                + Convert.ToBase64String(png) + "\" }",
            "body.json");

        Assert.False(rig.HasFace);
        Assert.Equal(png, rig.MaskPng);
        Vector2[] joints = rig.BodyJointsFor(400, 800)!;
        Assert.Equal(new Vector2(240, 200), joints[BodyTopology.LeftShoulder]);
        Assert.Equal(new Vector2(160, 203), joints[BodyTopology.RightShoulder]);
        Assert.Equal(2, rig.BodyKnown!.Count(k => k));
        // Another shape would put the joints in the wrong places.
        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => rig.BodyJointsFor(400, 400));
        Assert.Contains("does not have the picture's shape", ex.Message, StringComparison.Ordinal);
        Assert.Null(RigFile.Parse(Valid, "face.json").BodyJoints);
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => RigFile.Load("/nonexistent/rig.json"));
    }

    [Fact]
    public void FitFace_FromCanonical_PutsEveryNamedPointExactly()
    {
        RigFile rig = RigFile.Parse(Valid, "valid.json");
        Vector3[] canonical = CanonicalFromSynthetic();

        Vector3[] face = rig.FitFace(canonical, 400, 200);

        Assert.Equal(TrackingFrame.FaceLandmarkCount, face.Length);
        foreach ((string name, int index, Vector2 point) in rig.Points)
        {
            var expected = point * 2;
            Assert.True(Vector2.Distance(expected, new Vector2(face[index].X, face[index].Y)) < 0.05f, $"{name}: {face[index]} vs {expected}");
        }

        // The rest of the face follows: the chin lands below the mouth, the forehead above the eyes.
        Assert.True(face[FaceTopology.Chin].Y > 150 && face[FaceTopology.ForeheadTop].Y < 80, $"chin {face[FaceTopology.Chin]}, forehead {face[FaceTopology.ForeheadTop]}");
    }

    [Fact]
    public void FitFace_PictureOfAnotherShape_ThrowsNamingTheSizes()
    {
        RigFile rig = RigFile.Parse(Valid, "valid.json");

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => rig.FitFace(CanonicalFromSynthetic(), 300, 300));

        Assert.Contains("200x100", ex.Message, StringComparison.Ordinal);
        Assert.Contains("300x300", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FitWorkingSize_HugePicture_IsHalvedWithAMessage()
    {
        var huge = new RgbaImage((CharacterRigBuilder.MaxWorkingSide * 2) - 10, 6);

        (RgbaImage fitted, string? message) = CharacterRigBuilder.FitWorkingSize(huge, "big.png");

        Assert.True(fitted.Width <= CharacterRigBuilder.MaxWorkingSide);
        Assert.Equal(3, fitted.Height);
        Assert.Contains("big.png", message, StringComparison.Ordinal);
        Assert.Contains("downscaled", message, StringComparison.Ordinal);
    }

    [Fact]
    public void FitWorkingSize_PictureOverTheLimit_IsRefused()
    {
        var tooBig = new RgbaImage(CharacterRigBuilder.MaxPictureSide + 1, 1);

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => CharacterRigBuilder.FitWorkingSize(tooBig, "huge.png"));

        Assert.Contains("huge.png", ex.Message, StringComparison.Ordinal);
        Assert.Contains("16384", ex.Message, StringComparison.Ordinal);
    }

    // A synthetic face as the canonical model would hold it: centimetres-like, y up.
    private static Vector3[] CanonicalFromSynthetic() =>
        SyntheticFace.Create(0, 0, 8).Select(p => new Vector3(p.X, -p.Y, p.Z)).ToArray();
}
