using System.Diagnostics;
using System.Numerics;
using Capture.Core.Tracking;
using Capture.Retargeting.Evaluation;
using Capture.Retargeting.Generation;
using Capture.Retargeting.Rigs;
using Capture.Retargeting.Warping;
using Capture.Testing;

namespace Capture.Retargeting.Tests;

/// <summary>The fold-over metric, the limiter that keeps control points from crossing, and turned characters driven for real.</summary>
public class FoldOverTests
{
    private static readonly Vector2[] s_square = [new(-0.9f, -0.9f), new(0.9f, -0.9f), new(0.9f, 0.9f), new(-0.9f, 0.9f)];

    private static readonly WarpRegion s_whole = new(0, 0, 128, 128);

    [Fact]
    public void Count_IdentityMap_FindsNoFold()
    {
        (Vector2[] centers, Vector2[] values) = Lattice();
        var spline = new ThinPlateSpline(centers.Length);
        spline.Solve(centers, values);
        var check = new FoldOverCheck(32);

        Assert.Equal(0, check.Count(spline, s_whole, 128, s_square, []));
        Assert.InRange(check.MinDeterminant, 0.99f, 1.01f);
    }

    [Fact]
    public void Count_DeliberatelyFoldedMap_DetectsIt()
    {
        (Vector2[] centers, Vector2[] values) = Lattice();

        // The centre point reads from beyond its right neighbour: the map runs backwards between them.
        int middle = Array.FindIndex(centers, c => c == Vector2.Zero);
        values[middle] = new Vector2(0.8f, 0);
        var spline = new ThinPlateSpline(centers.Length);
        spline.Solve(centers, values);
        var check = new FoldOverCheck(32);

        Assert.True(check.Count(spline, s_whole, 128, s_square, []) > 0);
        Assert.True(check.MinDeterminant <= 0);

        // Outside the polygon it does not count.
        Vector2[] corner = [new(-0.9f, -0.9f), new(-0.6f, -0.9f), new(-0.6f, -0.6f), new(-0.9f, -0.6f)];
        Assert.Equal(0, check.Count(spline, s_whole, 128, corner, []));
    }

    [Fact]
    public void Limit_LidsPushedThroughEachOther_FoldsShrinkToAFew()
    {
        Vector3[] neutral = SyntheticFace.Create();
        Vector3[] driven = LidsCrossed(neutral);
        int k = WarpGenerator.ControlCount;
        var rest = new Vector2[k];
        var moved = new Vector2[k];
        WarpGenerator.WriteControlPoints(neutral, neutral, rest);
        WarpGenerator.WriteControlPoints(neutral, driven, moved);
        rest[^2] = moved[^2] = (2 * FaceMeasures.EyeContourCenter(neutral, right: true)) - Vector2.One;
        rest[^1] = moved[^1] = (2 * FaceMeasures.EyeContourCenter(neutral, right: false)) - Vector2.One;
        var hull = new Vector2[FaceTopology.FaceOval.Length];
        var lips = new Vector2[FaceTopology.LipsInner.Length];
        FoldOverCheck.WriteFacePolygons(driven.Select(p => new Vector2(p.X, p.Y)).ToArray(), hull, lips);
        var spline = new ThinPlateSpline(k) { Regularization = 1e-6 };
        var check = new FoldOverCheck();

        spline.Solve(moved, rest);
        int before = check.Count(spline, s_whole, 128, hull, lips);

        bool[] pinned = new bool[k];
        pinned.AsSpan(FaceTopology.WarpControls.Length, WarpGenerator.RingAnchors + WarpGenerator.BorderAnchors).Fill(true);
        var limiter = new FoldLimiter(k);
        limiter.SetRest(rest, pinned);
        limiter.Limit(moved);
        spline.Solve(moved, rest);
        int after = check.Count(spline, s_whole, 128, hull, lips);

        // The control points no longer cross, but the exact spline still overshoots between them
        // in a few cells: the generator smooths those (next test).
        Assert.True(before > 0, "the synthetic case must fold without the limiter");
        Assert.True(limiter.Corrected > 0);
        Assert.True(after * 4 < before, $"{before} folded cells before the limiter, {after} after");

        // Anchors stay where they were.
        for (int i = FaceTopology.WarpControls.Length; i < FaceTopology.WarpControls.Length + WarpGenerator.RingAnchors + WarpGenerator.BorderAnchors; i++)
        {
            Assert.Equal(rest[i], moved[i]);
        }
    }

    [Fact]
    public void Generate_LidsPushedThroughEachOther_RendersAMapWithoutFolds()
    {
        RgbaBitmap picture = WarpGeneratorTests.Picture(128, 128, transparentCorners: false);
        CharacterRig rig = WarpGeneratorTests.SyntheticRig(picture);
        using var generator = new WarpGenerator(128, 1);
        generator.SetCharacter(rig);
        var face = new DrivenFace();
        face.SetNeutral(rig.Neutral);
        Vector3[] crossed = LidsCrossed(rig.Neutral);
        for (int i = 0; i < crossed.Length; i++)
        {
            face.Points[i] = new Vector2(crossed[i].X, crossed[i].Y);
        }

        var hull = new Vector2[FaceTopology.FaceOval.Length];
        var lips = new Vector2[FaceTopology.LipsInner.Length];
        FoldOverCheck.WriteFacePolygons(face.Points, hull, lips);
        var check = new FoldOverCheck();

        generator.LimitFolds = false;
        generator.Generate(face);
        int unguarded = check.Count(generator.Spline, generator.Region, 128, hull, lips);
        generator.LimitFolds = true;
        generator.Generate(face);
        int guarded = check.Count(generator.Spline, generator.Region, 128, hull, lips);

        Assert.True(unguarded > 0);
        Assert.Equal(0, guarded);
    }

    [Fact]
    public void WriteLateralScale_OneSideOfTheCharacterNarrower_ShrinksOnlyThatSide()
    {
        Vector3[] performer = SyntheticFace.Create();
        Vector3[] character = SyntheticFace.Create();
        float mid = character[168].X;
        for (int i = 0; i < character.Length; i++)
        {
            if (character[i].X > mid)
            {
                character[i].X = mid + ((character[i].X - mid) * 0.5f);
            }
        }

        var frontal = new float[TrackingFrame.FaceLandmarkCount];
        var turned = new float[TrackingFrame.FaceLandmarkCount];
        Retargeter.WriteLateralScale(performer, performer, 1, Quaternion.Identity, frontal);
        Retargeter.WriteLateralScale(performer, character, 1, Quaternion.Identity, turned);

        Assert.All(frontal, s => Assert.InRange(s, 0.999f, 1.001f));
        int narrow = character[FaceTopology.RightFaceSide].X > mid ? FaceTopology.RightFaceSide : FaceTopology.LeftFaceSide;
        int wide = narrow == FaceTopology.RightFaceSide ? FaceTopology.LeftFaceSide : FaceTopology.RightFaceSide;
        Assert.InRange(turned[narrow], 0.45f, 0.55f);
        Assert.InRange(turned[wide], 0.999f, 1.001f);
    }

    /// <summary>
    /// Three-quarter characters: two frames of vid_expr_woman_d3 where her head is turned (cut with
    /// ffmpeg into a temp folder) and the Mona Lisa, each driven by the start of another performer's
    /// clip: no generated frame folds, and the tracker still finds each face.
    /// </summary>
    [Fact]
    public async Task CrossReenactment_TurnedCharacters_NoFoldOverFrames()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"turned-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var characters = new List<string>();
            foreach (string at in new[] { "1", "8" })
            {
                string path = Path.Combine(dir, $"d3_turned_{at}s.png");
                await CutFrameAsync(SharedMedia.File("vid_expr_woman_d3.mp4"), at, path);
                characters.Add(path);
            }

            characters.Add(SharedMedia.File("char_painting_mona_lisa_s9.jpg"));
            IReadOnlyList<CrossScores> scores = await CrossReenactment.RunAsync(
                characters, [SharedMedia.File("vid_expr_man_d18.mp4")], new CrossReenactment.Options(Size: 256, Every: 10, MaxFrames: 60));

            Assert.Equal(3, scores.Count);
            Assert.All(scores, s =>
            {
                Assert.Equal(60, s.Frames);
                Assert.Equal(0, s.FoldOverFrames);
                Assert.True(s.MinDeterminant > 0, $"{s.Character}: min det {s.MinDeterminant}");
                Assert.True(s.FaceFound > 0.9, $"{s.Character}: face found {s.FaceFound}");
                Assert.True(s.Compared > 0 && double.IsFinite(s.Aed) && double.IsFinite(s.Apd));
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task CutFrameAsync(string clip, string seconds, string output)
    {
        using var ffmpeg = Process.Start(new ProcessStartInfo("ffmpeg", ["-v", "error", "-y", "-ss", seconds, "-i", clip, "-frames:v", "1", output])
        {
            RedirectStandardError = true,
        })!;
        string errors = await ffmpeg.StandardError.ReadToEndAsync();
        await ffmpeg.WaitForExitAsync();
        Assert.True(ffmpeg.ExitCode == 0 && File.Exists(output), $"ffmpeg could not cut {clip} at {seconds} s: {errors}");
    }

    // Each lower lid pushed up through its upper lid, by twice the eye's opening.
    private static Vector3[] LidsCrossed(ReadOnlySpan<Vector3> neutral)
    {
        Vector3[] driven = neutral.ToArray();
        foreach (int[] eye in new[] { FaceTopology.RightEye.ToArray(), FaceTopology.LeftEye.ToArray() })
        {
            float gap = Vector3.Distance(neutral[eye[12]], neutral[eye[4]]);
            for (int j = 1; j < 8; j++)
            {
                driven[eye[j]].Y -= 2.5f * gap;
            }
        }

        return driven;
    }

    // A 5×5 lattice of centres over [-1, 1]² mapped to themselves.
    private static (Vector2[] Centers, Vector2[] Values) Lattice()
    {
        var centers = new Vector2[25];
        for (int i = 0; i < 25; i++)
        {
            centers[i] = new Vector2(-1 + (0.5f * (i % 5)), -1 + (0.5f * (i / 5)));
        }

        return (centers, (Vector2[])centers.Clone());
    }
}
