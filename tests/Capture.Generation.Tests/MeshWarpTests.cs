using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Inference;
using Capture.Retargeting;
using Capture.Retargeting.Rigs;
using Capture.Retargeting.Tests;
using Microsoft.ML.OnnxRuntime;
using static Capture.Retargeting.Tests.TestRigs;

namespace Capture.Generation.Tests;

/// <summary>The piecewise-affine mesh warp: its triangulation, its lattice, its graph and the generator running it.</summary>
public class MeshWarpTests
{
    [Fact]
    public void Triangulate_RandomPointsInASquare_IsDelaunayAndTilesTheSquare()
    {
        var random = new Random(3);
        var points = new List<Vector2> { new(-1, -1), new(1, -1), new(1, 1), new(-1, 1) };
        for (int i = 0; i < 300; i++)
        {
            points.Add(new Vector2((float)((random.NextDouble() * 1.9) - 0.95), (float)((random.NextDouble() * 1.9) - 0.95)));
        }

        var triangles = new List<(int A, int B, int C)>();
        Delaunay.Triangulate(points.ToArray(), triangles);

        // Euler: a triangulation of n points with h on the hull has 2n − 2 − h triangles.
        Assert.Equal((2 * points.Count) - 2 - 4, triangles.Count);
        double area = 0;
        foreach ((int a, int b, int c) in triangles)
        {
            float signed = FoldLimiter.SignedArea(points[a], points[b], points[c]);
            Assert.True(signed > 0, "triangles are returned counter-clockwise in x→y");
            area += signed;
            (Vector2 centre, float r2) = Circumcircle(points[a], points[b], points[c]);
            for (int m = 0; m < points.Count; m++)
            {
                if (m != a && m != b && m != c)
                {
                    Assert.True(Vector2.DistanceSquared(centre, points[m]) >= r2 * (1 - 1e-4f), $"point {m} inside the circumcircle of ({a},{b},{c})");
                }
            }
        }

        Assert.Equal(4, area, 4);
    }

    [Fact]
    public void Triangulate_DuplicatePoint_IsLeftOutAndTheRestTriangulated()
    {
        Vector2[] points = [new(0, 0), new(1, 0), new(0, 1), new(1, 1), new(1, 0)];
        var triangles = new List<(int A, int B, int C)>();

        Delaunay.Triangulate(points, triangles);

        Assert.Equal(2, triangles.Count);
        Assert.DoesNotContain(triangles, t => t.A == 4 || t.B == 4 || t.C == 4);
    }

    [Fact]
    public void WriteMap_RestPoints_IsTheIdentity()
    {
        (Vector2[] rest, bool[] pinned) = Jittered(new Random(1));
        var mesh = new MeshWarp(rest.Length, 17);
        mesh.SetRest(rest, pinned);
        mesh.SetLattice(new WarpRegion(0, 0, 64, 64), 64);
        var map = new float[2 * 17 * 17];

        mesh.WriteMap(rest, map);

        for (int gy = 0; gy < 17; gy++)
        {
            for (int gx = 0; gx < 17; gx++)
            {
                int i = (gy * 17) + gx;
                Assert.Equal(WarpGraph.GridCoordinate(gx, 17), map[i], 5);
                Assert.Equal(WarpGraph.GridCoordinate(gy, 17), map[(17 * 17) + i], 5);
            }
        }
    }

    [Fact]
    public void WriteMap_ControlPointsOnLatticeNodes_ReadTheirRestPlacesExactly()
    {
        // Driven points on every lattice node (a 9×9 lattice over the whole frame); the rest points
        // anywhere nearby: each node must read exactly its control point's rest place.
        const int G = 9;
        var driven = new Vector2[G * G];
        var rest = new Vector2[G * G];
        var pinned = new bool[G * G];
        var random = new Random(7);
        for (int gy = 0; gy < G; gy++)
        {
            for (int gx = 0; gx < G; gx++)
            {
                int i = (gy * G) + gx;
                driven[i] = new Vector2(WarpGraph.GridCoordinate(gx, G), WarpGraph.GridCoordinate(gy, G));
                bool border = gx == 0 || gy == 0 || gx == G - 1 || gy == G - 1;
                pinned[i] = border;
                rest[i] = driven[i] + (border ? Vector2.Zero : new Vector2((float)(random.NextDouble() - 0.5) * 0.08f, (float)(random.NextDouble() - 0.5) * 0.08f));
            }
        }

        var mesh = new MeshWarp(rest.Length, G);
        mesh.SetRest(rest, pinned);
        mesh.SetLattice(new WarpRegion(0, 0, 33, 33), 33);
        var map = new float[2 * G * G];
        Vector2[] limited = (Vector2[])driven.Clone();
        mesh.Limit(limited);

        mesh.WriteMap(limited, map);

        Assert.Equal(0, mesh.Limiter.Corrected);
        for (int i = 0; i < G * G; i++)
        {
            Assert.Equal(rest[i].X, map[i], 4);
            Assert.Equal(rest[i].Y, map[(G * G) + i], 4);
            Vector2 at = mesh.Evaluate(limited, driven[i]);
            Assert.Equal(rest[i].X, at.X, 4);
            Assert.Equal(rest[i].Y, at.Y, 4);
        }
    }

    [Fact]
    public void WriteMap_MatchesThePointByPointMapOnEveryNode()
    {
        (Vector2[] rest, bool[] pinned) = Jittered(new Random(2));
        var driven = new Vector2[rest.Length];
        for (int i = 0; i < rest.Length; i++)
        {
            // A smooth swirl of the free points.
            driven[i] = pinned[i] ? rest[i] : rest[i] + (0.05f * new Vector2(MathF.Sin(3 * rest[i].Y), MathF.Cos(2 * rest[i].X)));
        }

        var region = new WarpRegion(10, 6, 40, 50);
        var mesh = new MeshWarp(rest.Length, 21);
        mesh.SetRest(rest, pinned);
        mesh.SetLattice(region, 64);
        mesh.Limit(driven);
        var map = new float[2 * 21 * 21];

        mesh.WriteMap(driven, map);

        for (int gy = 0; gy < 21; gy++)
        {
            for (int gx = 0; gx < 21; gx++)
            {
                int i = (gy * 21) + gx;
                Vector2 expected = mesh.Evaluate(driven, new Vector2(WarpGraph.LatticeX(region, 64, 21, gx), WarpGraph.LatticeY(region, 64, 21, gy)));
                Assert.Equal(expected.X, map[i], 4);
                Assert.Equal(expected.Y, map[(21 * 21) + i], 4);
            }
        }
    }

    [Fact]
    public void RelaxFolds_TurnedOverNode_UnfoldsTheLatticeAndLeavesAnUnfoldedOneAlone()
    {
        const int G = 12;
        var mesh = new MeshWarp(3, G);
        mesh.SetLattice(new WarpRegion(0, 0, 64, 64), 64);
        var identity = new float[2 * G * G];
        for (int i = 0; i < G * G; i++)
        {
            identity[i] = WarpGraph.GridCoordinate(i % G, G);
            identity[(G * G) + i] = WarpGraph.GridCoordinate(i / G, G);
        }

        float[] map = (float[])identity.Clone();
        Assert.Equal(0, mesh.RelaxFolds(map));
        Assert.Equal(identity, map);

        // One node reads from beyond its right neighbour: the cells around it turn over.
        int n = (5 * G) + 5;
        map[n] += 2.5f * (2f / (G - 1));
        var check = new FoldOverCheck(G);
        var region = new WarpRegion(0, 0, 64, 64);
        Vector2[] everywhere = [new(-1, -1), new(1, -1), new(1, 1), new(-1, 1)];
        Assert.True(check.Count(map, region, 64, everywhere, []) > 0);

        int iterations = mesh.RelaxFolds(map);

        Assert.InRange(iterations, 1, 63);
        Assert.Equal(0, check.Count(map, region, 64, everywhere, []));
        Assert.Equal(identity[0], map[0]);
        Assert.Equal(identity[(G * G) - 1], map[(G * G) - 1]);
    }

    [Fact]
    public void Build_MeshKind_MatchesTheCSharpReferenceWarp()
    {
        const int Size = 24;
        const int Grid = 7;
        var random = new Random(11);
        float[] Fill(int n, float lo, float hi) => Enumerable.Range(0, n).Select(_ => lo + ((float)random.NextDouble() * (hi - lo))).ToArray();
        float[] image = Fill(4 * Size * Size, 0, 1);
        float[] keep = Fill(Size * Size, 0, 1);
        float[] add = Fill(4 * Size * Size, 0, 0.5f);
        var coarse = new float[2, Grid, Grid];
        float[] map = new float[2 * Grid * Grid];
        for (int gy = 0; gy < Grid; gy++)
        {
            for (int gx = 0; gx < Grid; gx++)
            {
                for (int c = 0; c < 2; c++)
                {
                    // Near the identity, with a few positions beyond the border (the clamp must show).
                    float v = WarpGraph.GridCoordinate(c == 0 ? gx : gy, Grid) + (((float)random.NextDouble() - 0.5f) * 0.3f);
                    coarse[c, gy, gx] = v;
                    map[(c * Grid * Grid) + (gy * Grid) + gx] = v;
                }
            }
        }

        byte[] model = WarpGraph.Build(Size, 0, Grid, kind: WarpKind.Mesh);
        var output = new float[4 * Size * Size];
        using (SessionOptions options = InferenceEnvironment.CreateSessionOptions(1))
        using (var session = new InferenceSession(model, options))
        {
            OrtValue[] inputs =
            [
                OrtValue.CreateTensorValueFromMemory(image, [1, 4, Size, Size]),
                OrtValue.CreateTensorValueFromMemory(keep, [1, 1, Size, Size]),
                OrtValue.CreateTensorValueFromMemory(add, [1, 4, Size, Size]),
                OrtValue.CreateTensorValueFromMemory(map, [2, Grid * Grid]),
            ];
            using OrtValue result = OrtValue.CreateTensorValueFromMemory(output, [1, 4, Size, Size]);
            using var run = new RunOptions();
            session.Run(run, WarpGraph.MeshInputNames, inputs, [WarpGraph.Frame], [result]);
            foreach (OrtValue v in inputs)
            {
                v.Dispose();
            }
        }

        float[] expected = ReferenceWarp.RunLattice(Size, Grid, image, keep, add, coarse);
        float worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            worst = MathF.Max(worst, MathF.Abs(expected[i] - output[i]));
        }

        Assert.True(worst < 2e-3f, $"largest difference graph vs reference: {worst}");
    }

    [Fact]
    public void Generate_MeshDriven_EachControlPointReadsItsRestPlace()
    {
        // Every face point moved (open mouth, the whole face shifted).
        RgbaImage picture = Picture(128, 128, transparentCorners: false);
        CharacterRig rig = SyntheticRig(picture);
        using var generator = new WarpGenerator(128, 1, output: WarpOutput.Floats, warp: WarpKind.Mesh);
        generator.SetCharacter(rig);
        var face = new DrivenFace();
        face.SetNeutral(rig.Neutral);
        Vector3[] open = SyntheticFace.Create(mouthOpen: 0.04f);
        for (int i = 0; i < face.Points.Length; i++)
        {
            face.Points[i] = new Vector2(open[i].X, open[i].Y) + new Vector2(0.01f, -0.005f);
        }

        generator.Generate(face);

        Vector2[] driven = ((FaceMap)generator.Map).DrivenControlPoints.ToArray();
        Vector2[] rest = ((FaceMap)generator.Map).RestControlPoints.ToArray();
        var pinned = new bool[rest.Length];
        pinned.AsSpan(TrackingFrame.FaceLandmarkCount + FaceMap.RingAnchors, FaceMap.BorderAnchors).Fill(true);
        var mesh = new MeshWarp(rest.Length);
        mesh.SetRest(rest, pinned);
        var vertex = new bool[rest.Length];
        foreach ((int a, int b, int c, _) in mesh.Limiter.Triangles)
        {
            vertex[a] = vertex[b] = vertex[c] = true;
        }

        // Each control point in the triangulation (the synthetic closed mouth's inner lips coincide in
        // pairs: one of each pair is left out), where it is drawn, reads its rest place.
        int checkedPoints = 0;
        for (int i = 0; i < rest.Length; i++)
        {
            if (!vertex[i])
            {
                continue;
            }

            checkedPoints++;
            Vector2 at = mesh.Evaluate(driven, driven[i]);
            Assert.True(Vector2.Distance(at, rest[i]) < 1e-4f, $"control point {i} drawn at {driven[i]} reads {at}, rest {rest[i]}");
        }

        Assert.True(checkedPoints > rest.Length * 9 / 10, $"only {checkedPoints} of {rest.Length} points triangulated");
        Assert.NotEqual(rest[FaceTopology.LipsInner[4]], driven[FaceTopology.LipsInner[4]]);

        // And every node of the generator's lattice holds that map (the graph interpolates between nodes).
        ReadOnlySpan<float> map = ((FaceMeshMap)generator.Map).Lattice;
        int g = generator.GridSize;
        WarpRegion region = generator.Region;
        for (int gy = 0; gy < g; gy++)
        {
            for (int gx = 0; gx < g; gx++)
            {
                var node = new Vector2(WarpGraph.LatticeX(region, 128, g, gx), WarpGraph.LatticeY(region, 128, g, gy));
                Vector2 expected = mesh.Evaluate(driven, node);
                int n = (gy * g) + gx;
                Assert.True(Vector2.Distance(expected, new Vector2(map[n], map[(g * g) + n])) < 1e-4f, $"node ({gx},{gy})");
            }
        }
    }

    [Fact]
    public void GenerateInto_Mesh_AllocatesNothingPerFrame()
    {
        CharacterRig rig = SyntheticRig(Picture(160, 160, transparentCorners: false));
        using var generator = new WarpGenerator(128, 1, withAlpha: false, warp: WarpKind.Mesh);
        generator.SetCharacter(rig);
        var frame = VideoFrame.CreateUnpooled(128, 128);
        var face = new DrivenFace();
        Vector3[] crossed = FoldOverTests.LidsCrossed(rig.Neutral);
        Vector3[] open = SyntheticFace.Create(mouthOpen: 0.04f);
        void Drive(int t)
        {
            // In turn: a plain motion; crossed lids (the limiter corrects them); the face shoved
            // against the crop's pinned border, which the limiter cannot undo, so the lattice is
            // relaxed, the displacements smoothed and the motion damped.
            Vector3[] source = t % 3 == 0 ? open : crossed;
            Vector2 shift = t % 3 == 2 ? new Vector2(0.45f, 0) : new Vector2(0.002f * t, 0);
            face.SetNeutral(rig.Neutral);
            for (int i = 0; i < face.Points.Length; i++)
            {
                face.Points[i] = new Vector2(source[i].X, source[i].Y) + shift;
            }
        }

        for (int t = 0; t < 4; t++)
        {
            Drive(t);
            generator.GenerateInto(face, frame, 0, 0, (0, 0, 0));
        }

        IBackwardMap map = generator.Map;
        long smoothed = map.SmoothedFrames, damped = map.DampedFrames;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int t = 0; t < 20; t++)
        {
            Drive(t);
            generator.GenerateInto(face, frame, 0, 0, (0, 0, 0));
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated == 0, $"{allocated} bytes allocated over 20 frames");

        // The 6 shoved frames among the 20 measured went through the limiter, the fold test, the
        // lattice relaxation, the smoothing and the damping: those paths are shown allocation-free.
        Assert.Equal(6, map.SmoothedFrames - smoothed);
        Assert.Equal(6, map.DampedFrames - damped);
    }

    // A jittered 9×9 grid over [-1, 1]², its border pinned.
    private static (Vector2[] Points, bool[] Pinned) Jittered(Random random)
    {
        var rest = new Vector2[81];
        var pinned = new bool[81];
        for (int i = 0; i < 81; i++)
        {
            int x = i % 9, y = i / 9;
            bool border = x == 0 || y == 0 || x == 8 || y == 8;
            pinned[i] = border;
            rest[i] = new Vector2(-1 + (x * 0.25f), -1 + (y * 0.25f))
                + (border ? Vector2.Zero : new Vector2((float)(random.NextDouble() - 0.5) * 0.1f, (float)(random.NextDouble() - 0.5) * 0.1f));
        }

        return (rest, pinned);
    }

    private static (Vector2 Centre, float R2) Circumcircle(Vector2 a, Vector2 b, Vector2 c)
    {
        float d = 2 * ((a.X * (b.Y - c.Y)) + (b.X * (c.Y - a.Y)) + (c.X * (a.Y - b.Y)));
        float a2 = a.LengthSquared(), b2 = b.LengthSquared(), c2 = c.LengthSquared();
        var centre = new Vector2(
            ((a2 * (b.Y - c.Y)) + (b2 * (c.Y - a.Y)) + (c2 * (a.Y - b.Y))) / d,
            ((a2 * (c.X - b.X)) + (b2 * (a.X - c.X)) + (c2 * (b.X - a.X))) / d);
        return (centre, Vector2.DistanceSquared(centre, a));
    }
}
