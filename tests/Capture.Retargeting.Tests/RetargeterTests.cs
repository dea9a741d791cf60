using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting.Calibration;
using Capture.Retargeting.Rigs;

namespace Capture.Retargeting.Tests;

public class RetargeterTests
{
    private const int Width = 640;
    private const int Height = 480;

    [Fact]
    public void Update_PerformerAtNeutral_DrivesTheCharacterNeutral()
    {
        (CharacterRig rig, PerformerProfile profile, TrackingFrame neutral) = Setup();
        var retargeter = new Retargeter(rig, profile);
        var driven = new DrivenFace();

        retargeter.Update(neutral, driven);

        for (int i = 0; i < driven.Points.Length; i++)
        {
            Assert.True(Vector2.Distance(driven.Points[i], new Vector2(rig.Neutral[i].X, rig.Neutral[i].Y)) < 1e-4f, $"point {i}");
        }

        Assert.Equal(0, driven.BlinkLeft, 3);
    }

    [Fact]
    public void Update_HeadMovedRigidly_MovesTheCharacterWithoutExpression()
    {
        (CharacterRig rig, PerformerProfile profile, TrackingFrame neutral) = Setup();
        var retargeter = new Retargeter(rig, profile);
        var moved = new TrackingFrame { ImageWidth = Width, ImageHeight = Height };
        neutral.CopyTo(moved);
        for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
        {
            moved.Face.Landmarks[i] += new Vector3(20f / Width, 0, 0);
        }

        var driven = new DrivenFace();
        retargeter.Update(moved, driven);

        // Everything shifts right by the same amount; the mouth stays closed.
        float shift = driven.Points[FaceTopology.NoseTip].X - rig.Neutral[FaceTopology.NoseTip].X;
        Assert.True(shift > 0.01f, $"nose moved by {shift}");
        Assert.Equal(shift, driven.Points[FaceTopology.Chin].X - rig.Neutral[FaceTopology.Chin].X, 3);
        Assert.True(Vector2.Distance(driven.Points[FaceTopology.UpperLipInner], driven.Points[FaceTopology.LowerLipInner]) < 1e-3f);
    }

    [Fact]
    public void Update_FaceLostForAStretch_EasesToNeutralAndBackWithoutJumps()
    {
        (CharacterRig rig, PerformerProfile profile, TrackingFrame neutral) = Setup();
        var retargeter = new Retargeter(rig, profile, new RetargetGains { EaseSeconds = 0.3f });
        TrackingFrame open = Tracked(SyntheticFace.Create(mouthOpen: 0.06f));
        var lost = new TrackingFrame { ImageWidth = Width, ImageHeight = Height };
        var driven = new DrivenFace();
        var gaps = new List<float>();
        float previous = float.NaN;
        float maxStep = 0;
        for (int n = 0; n < 60; n++)
        {
            TrackingFrame frame = n is >= 15 and < 40 ? lost : open;
            frame.CaptureTimestampUs = n * 33_333L;
            retargeter.Update(frame, driven);
            float gap = Vector2.Distance(driven.Points[FaceTopology.UpperLipInner], driven.Points[FaceTopology.LowerLipInner]);
            if (!float.IsNaN(previous))
            {
                maxStep = MathF.Max(maxStep, MathF.Abs(gap - previous));
            }

            previous = gap;
            gaps.Add(gap);
        }

        float full = gaps[14];
        Assert.True(full > 0.01f, "the open mouth reaches the character");
        Assert.True(gaps[38] < 1e-4f, $"eased to neutral while lost: {gaps[38]}");
        Assert.Equal(full, gaps[59], 4);
        Assert.True(maxStep < full * 0.3f, $"largest frame-to-frame change {maxStep} of {full}: a jump");
        Assert.True(gaps[20] < full && gaps[20] > 0, "fading out, not cut");
        Assert.True(gaps[44] < full && gaps[44] > 0, "fading in, not cut");
    }

    [Fact]
    public void Constructor_IntensityOutOfRange_Throws()
    {
        (CharacterRig rig, PerformerProfile profile, _) = Setup();

        Assert.Throws<ArgumentOutOfRangeException>(() => new Retargeter(rig, profile, new RetargetGains { Intensity = 7 }));
    }

    [Fact]
    public void Profile_SaveAndLoad_RoundTripsTheNeutral()
    {
        (_, PerformerProfile profile, _) = Setup();
        string path = Path.Combine(Path.GetTempPath(), $"profile-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, profile.ToJson());

            PerformerProfile loaded = PerformerProfile.Load(path);

            Assert.Equal(profile.NeutralScale, loaded.NeutralScale);
            Assert.Equal(profile.NeutralVectors()[FaceTopology.Chin], loaded.NeutralVectors()[FaceTopology.Chin]);
            File.WriteAllText(path, profile.ToJson().Replace("\"version\": 1", "\"version\": 9", StringComparison.Ordinal));
            InvalidDataException ex = Assert.Throws<InvalidDataException>(() => PerformerProfile.Load(path));
            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("""{"format":"capture-performer","version":"1"}""", ": $.version has the wrong type (line 1")]
    [InlineData("""{"format":"capture-performer","version":1,"neutralScale":"big"}""", ": $.neutralScale has the wrong type")]
    [InlineData("""{ "format": x }""", " is not valid JSON (line 1, byte 13)")]
    [InlineData("[1, 2]", " is not a profile: the top level must be an object")]
    public void Load_BadJson_SaysWhereWithoutDotNetTypeNames(string json, string expected)
    {
        string path = Path.Combine(Path.GetTempPath(), $"profile-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, json);
            InvalidDataException ex = Assert.Throws<InvalidDataException>(() => PerformerProfile.Load(path));
            Assert.Contains(path + expected, ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("System.", ex.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Capture.Retargeting", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_DefaultProfileInCalibration_HasNoNeutralAndFullRanges()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Capture.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        PerformerProfile profile = PerformerProfile.Load(Path.Combine(dir!, "calibration", "performer-default.json"));

        Assert.False(profile.HasNeutral);
        Assert.Equal(ArkitBlendshapes.Count, profile.Blendshapes.Count);
        Assert.All(profile.Blendshapes.Values, r => Assert.Equal(new BlendshapeRange(0, 1), r));
    }

    private static (CharacterRig Rig, PerformerProfile Profile, TrackingFrame Neutral) Setup()
    {
        CharacterRig rig = TestRigs.SyntheticRig(TestRigs.Picture(96, 96, transparentCorners: false));
        TrackingFrame neutral = Tracked(SyntheticFace.Create());
        var calibrator = new PerformerCalibrator();
        calibrator.AddNeutral(neutral);
        return (rig, calibrator.Build("test", null), neutral);
    }

    // The synthetic face seen by a camera: 300 px square around (320, 240).
    private static TrackingFrame Tracked(Vector3[] crop)
    {
        var frame = new TrackingFrame { ImageWidth = Width, ImageHeight = Height };
        SyntheticFace.ToTracking(crop, 170, 90, 300, Width, Height, frame.Face);
        return frame;
    }
}
