using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Geometry;
using Capture.Core.Tracking;
using Capture.Retargeting;
using Capture.Retargeting.Rigs;
using Capture.Retargeting.Tests;
using static Capture.Retargeting.Tests.TestRigs;

namespace Capture.Generation.Tests;

/// <summary>The fold-over metric and what keeps the warp from folding.</summary>
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
        int k = SplineMap.Controls;
        var rest = new Vector2[k];
        var moved = new Vector2[k];
        FaceMap.WriteControlPoints(neutral, neutral, rest);
        FaceMap.WriteControlPoints(neutral, driven, moved);
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
        pinned.AsSpan(FaceTopology.WarpControls.Length, FaceMap.RingAnchors + FaceMap.BorderAnchors).Fill(true);
        var limiter = new FoldLimiter(k);
        limiter.SetRest(rest, pinned);
        limiter.Limit(moved);
        spline.Solve(moved, rest);
        int after = check.Count(spline, s_whole, 128, hull, lips);

        // The control points no longer cross, but the exact spline still overshoots between them
        // in a few cells: the generator smooths those (next test).
        Assert.True(before > 0, "the synthetic case must fold without the limiter");
        Assert.True(limiter.Corrected > 0);
        Assert.True(after * 3 < before, $"{before} folded cells before the limiter, {after} after");

        // Anchors stay where they were.
        for (int i = FaceTopology.WarpControls.Length; i < FaceTopology.WarpControls.Length + FaceMap.RingAnchors + FaceMap.BorderAnchors; i++)
        {
            Assert.Equal(rest[i], moved[i]);
        }
    }

    [Theory]
    [InlineData(WarpKind.Spline)]
    [InlineData(WarpKind.Mesh)]
    public void Generate_LidsPushedThroughEachOther_RendersAMapWithoutFolds(WarpKind warp)
    {
        RgbaImage picture = Picture(128, 128, transparentCorners: false);
        CharacterRig rig = SyntheticRig(picture);
        using var generator = new WarpGenerator(128, 1, warp: warp);
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
        var check = new FoldOverCheck(generator.GridSize);

        generator.Map.LimitFolds = false;
        generator.Generate(face);
        int unguarded = generator.Map.CountFolds(check, hull, lips);
        generator.Map.LimitFolds = true;
        generator.Generate(face);
        int guarded = generator.Map.CountFolds(check, hull, lips);

        Assert.True(unguarded > 0, $"the crossed lids must fold the raw {warp} map");
        Assert.Equal(0, guarded);
        Assert.True(check.MinDeterminant > 0);
    }

    // Each lower lid pushed up through its upper lid, by twice the eye's opening.
    internal static Vector3[] LidsCrossed(ReadOnlySpan<Vector3> neutral)
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
