using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using Capture.Core.Geometry;
using Capture.Core.Tracking;
using Capture.Retargeting;
using Capture.Retargeting.Calibration;

namespace Capture.Pipeline.Motion;

/// <summary>
/// One clip's tracked frames in the basis's terms: per frame with a face, its blendshapes less the clip's
/// neutral ones and its points' pose-free displacement from the clip's neutral face, in basis space
/// (frontal, eye midpoint at 0, eye-centre distance 1: <see cref="BlendshapeBasis"/>).
/// </summary>
public sealed class BasisClip
{
    internal BasisClip(string name, long framesRead, Vector3[] neutral, float[] neutralWeights, List<float[]> weights, List<Vector3[]> displacements, List<(Vector3[] Points, Quaternion Turn, float[] Weights)> faces)
    {
        Name = name;
        FramesRead = framesRead;
        Neutral = neutral;
        NeutralWeights = neutralWeights;
        Weights = weights;
        Displacements = displacements;
        Faces = faces;
    }

    public string Name { get; }

    public long FramesRead { get; }

    /// <summary>The clip's neutral face in basis space (<see cref="BlendshapeBasis.PointCount"/> points).</summary>
    public Vector3[] Neutral { get; }

    public float[] NeutralWeights { get; }

    /// <summary>Per face frame: blendshapes less <see cref="NeutralWeights"/>.</summary>
    public IReadOnlyList<float[]> Weights { get; }

    /// <summary>Per face frame: each point's pose-free displacement from <see cref="Neutral"/>, basis space.</summary>
    public IReadOnlyList<Vector3[]> Displacements { get; }

    /// <summary>Per face frame: its points as tracked (height units, pose kept), its head turn (landmark axes) and raw blendshapes, for the whole-face error.</summary>
    internal IReadOnlyList<(Vector3[] Points, Quaternion Turn, float[] Weights)> Faces { get; }
}

/// <summary>How well a basis reproduces one clip (normalized mean errors, % of the eye-centre distance, over the 468 mesh points in x and y).</summary>
public sealed record BasisClipError(string Clip, int Frames, double NeutralOnly, double HeldOut, double InSample, double WholeFace);

/// <summary>
/// Fits the blendshape → face basis (<see cref="BlendshapeBasis"/>) on clips Capture tracks itself and says how
/// well it does. Each clip is tracked as render tracks (attention model, iris); its neutral is the mean of its
/// first second of faces (as render calibrates), turned frontal by the tracker's mean head pose over those
/// frames. Each frame's points are aligned to the neutral on the rigid points (as the retargeter does), the
/// difference turned frontal and scaled to the eye-centre distance; the basis is the ridge regression of those
/// displacements on the blendshapes less the neutral's, over every clip's frames. Errors are normalized mean
/// errors (NME) against the eye-centre distance: of the expression (pose removed, the clip's own neutral face)
/// with the clip held out of the fit and with it in, against the neutral face alone; and of the whole face
/// (the basis's mean face turned by the tracker's head pose, similarity-aligned to the tracked points).
/// </summary>
public static class BlendshapeBasisFit
{
    /// <summary>Ridge strengths tried (× the mean diagonal of the normal equations); the one with the lowest held-out error is kept.</summary>
    public static IReadOnlyList<double> RidgeGrid { get; } = [1e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3];

    /// <summary>Tracks a clip (every frame) into the basis's terms.</summary>
    public static async Task<BasisClip> TrackAsync(string path, double neutralSeconds = 1, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        await using VideoMotionDriver driver = await VideoMotionDriver.OpenAsync(path, new MotionDriverOptions { Iris = true, PoolCapacity = 4 }, ct).ConfigureAwait(false);
        var frames = new List<TrackingFrame>();
        while (true)
        {
            var f = new TrackingFrame();
            MotionStep step = await driver.ReadAsync(f, ct).ConfigureAwait(false);
            if (!step.HasFrame)
            {
                break;
            }

            step.Picture?.Dispose();
            frames.Add(f);
            progress?.Report(frames.Count);
        }

        return FromFrames(Path.GetFileName(path), frames, driver.Info.FrameRate, neutralSeconds);
    }

    /// <summary>A clip's tracked frames in the basis's terms (the neutral: the first <paramref name="neutralSeconds"/> of faces).</summary>
    public static BasisClip FromFrames(string name, IReadOnlyList<TrackingFrame> frames, double framesPerSecond, double neutralSeconds = 1)
    {
        ArgumentNullException.ThrowIfNull(frames);
        int want = Math.Max(1, (int)Math.Round(neutralSeconds * framesPerSecond));
        TrackingFrame[] neutralFrames = [.. frames.Where(f => f.Face.Present && f.Face.HasIris).Take(want)];
        if (neutralFrames.Length == 0)
        {
            throw new InvalidDataException($"{name}: no face with iris points tracked; the basis needs the attention model's faces");
        }

        // The clip's neutral: its first faces aligned to the first on the rigid points and averaged (height units).
        var first = new Vector3[BlendshapeBasis.PointCount];
        var sum = new Vector3[BlendshapeBasis.PointCount];
        var points = new Vector3[BlendshapeBasis.PointCount];
        var weightSum = new float[ArkitBlendshapes.Count];
        Quaternion turnSum = default;
        for (int n = 0; n < neutralFrames.Length; n++)
        {
            HeightUnits(neutralFrames[n], points);
            if (n == 0)
            {
                points.CopyTo(first, 0);
            }

            Similarity toFirst = SimilarityFit.Fit(points.AsSpan(0, TrackingFrame.FaceLandmarkCount), first.AsSpan(0, TrackingFrame.FaceLandmarkCount), FaceTopology.Rigid);
            for (int i = 0; i < points.Length; i++)
            {
                sum[i] += toFirst.Apply(points[i]);
            }

            for (int b = 0; b < weightSum.Length; b++)
            {
                weightSum[b] += neutralFrames[n].Face.Blendshapes[b];
            }

            Quaternion q = BlendshapeBasis.ImageRotation(neutralFrames[n].Face.HeadPose.Rotation);
            turnSum += Quaternion.Dot(q, turnSum) < 0 ? -q : q;
        }

        var neutral = new Vector3[BlendshapeBasis.PointCount];
        for (int i = 0; i < neutral.Length; i++)
        {
            neutral[i] = sum[i] / neutralFrames.Length;
        }

        float[] neutralWeights = [.. weightSum.Select(w => w / neutralFrames.Length)];
        Quaternion frontal = Quaternion.Inverse(Quaternion.Normalize(turnSum));
        float eyes = FaceMeasures.EyeDistance(neutral);
        Vector3 middle = (FaceMeasures.RightEyeCenter(neutral) + FaceMeasures.LeftEyeCenter(neutral)) * 0.5f;
        Vector3[] neutralBasis = [.. neutral.Select(p => Vector3.Transform(p - middle, frontal) / eyes)];

        var weights = new List<float[]>();
        var displacements = new List<Vector3[]>();
        var faces = new List<(Vector3[], Quaternion, float[])>();
        foreach (TrackingFrame f in frames)
        {
            if (!f.Face.Present || !f.Face.HasIris)
            {
                continue;
            }

            var tracked = new Vector3[BlendshapeBasis.PointCount];
            HeightUnits(f, tracked);
            Similarity pose = SimilarityFit.Fit(neutral.AsSpan(0, TrackingFrame.FaceLandmarkCount), tracked.AsSpan(0, TrackingFrame.FaceLandmarkCount), FaceTopology.Rigid);
            var d = new Vector3[BlendshapeBasis.PointCount];
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = Vector3.Transform(pose.Invert(tracked[i]) - neutral[i], frontal) / eyes;
            }

            weights.Add([.. f.Face.Blendshapes.Select((w, b) => w - neutralWeights[b])]);
            displacements.Add(d);
            faces.Add((tracked, BlendshapeBasis.ImageRotation(f.Face.HeadPose.Rotation), [.. f.Face.Blendshapes]));
        }

        return new BasisClip(name, frames.Count, neutralBasis, neutralWeights, weights, displacements, faces);
    }

    /// <summary>The ridge-regression basis over the clips' frames; its neutral is the mean of the clips' neutrals.</summary>
    public static BlendshapeBasis Fit(IReadOnlyList<BasisClip> clips, double ridge)
    {
        ArgumentNullException.ThrowIfNull(clips);
        if (clips.Count == 0)
        {
            throw new ArgumentException("no clips to fit on", nameof(clips));
        }

        const int B = ArkitBlendshapes.Count;
        const int P = BlendshapeBasis.PointCount * 3;
        var a = new double[B, B];
        var rhs = new double[B, P];
        foreach (BasisClip clip in clips)
        {
            for (int n = 0; n < clip.Weights.Count; n++)
            {
                float[] x = clip.Weights[n];
                ReadOnlySpan<float> y = System.Runtime.InteropServices.MemoryMarshal.Cast<Vector3, float>(clip.Displacements[n].AsSpan());
                for (int i = 0; i < B; i++)
                {
                    if (x[i] == 0)
                    {
                        continue;
                    }

                    for (int j = 0; j < B; j++)
                    {
                        a[i, j] += x[i] * x[j];
                    }

                    for (int k = 0; k < P; k++)
                    {
                        rhs[i, k] += x[i] * y[k];
                    }
                }
            }
        }

        double trace = 0;
        for (int i = 0; i < B; i++)
        {
            trace += a[i, i];
        }

        // A shape that never moved in the clips (tongueOut, mouthDimple …) has an empty row: the ridge keeps
        // the system solvable and its displacement 0.
        double lambda = Math.Max(ridge * trace / B, 1e-9);
        for (int i = 0; i < B; i++)
        {
            a[i, i] += lambda;
        }

        double[,] solved = Cholesky.Solve(a, rhs);
        var basis = new Vector3[B * BlendshapeBasis.PointCount];
        for (int b = 0; b < B; b++)
        {
            for (int i = 0; i < BlendshapeBasis.PointCount; i++)
            {
                basis[(b * BlendshapeBasis.PointCount) + i] = new Vector3((float)solved[b, 3 * i], (float)solved[b, (3 * i) + 1], (float)solved[b, (3 * i) + 2]);
            }
        }

        var neutral = new Vector3[BlendshapeBasis.PointCount];
        var weights = new float[B];
        foreach (BasisClip clip in clips)
        {
            for (int i = 0; i < neutral.Length; i++)
            {
                neutral[i] += clip.Neutral[i] / clips.Count;
            }

            for (int b = 0; b < B; b++)
            {
                weights[b] += clip.NeutralWeights[b] / clips.Count;
            }
        }

        return new BlendshapeBasis(neutral, weights, basis);
    }

    /// <summary>
    /// Fits on every clip with the ridge strength whose held-out error (each clip left out of the fit in turn)
    /// is lowest, and measures each clip; the basis's <see cref="BlendshapeBasis.Description"/> says how.
    /// </summary>
    public static (BlendshapeBasis Basis, IReadOnlyList<BasisClipError> Errors, double Ridge) FitAndMeasure(IReadOnlyList<BasisClip> clips, string command)
    {
        ArgumentNullException.ThrowIfNull(clips);
        double bestRidge = RidgeGrid[0];
        double best = double.MaxValue;
        Dictionary<double, double[]> heldOut = [];
        foreach (double ridge in RidgeGrid)
        {
            double[] errors = clips.Count < 2 ? [.. clips.Select(_ => double.NaN)]
                : [.. clips.Select(c => ExpressionNme(Fit([.. clips.Where(o => o != c)], ridge), c))];
            heldOut[ridge] = errors;
            double mean = clips.Count < 2 ? 0 : errors.Average();
            if (mean < best)
            {
                best = mean;
                bestRidge = ridge;
            }
        }

        BlendshapeBasis fitted = Fit(clips, bestRidge);
        BasisClipError[] table =
        [
            .. clips.Select((c, i) => new BasisClipError(c.Name, c.Weights.Count, NeutralNme(c), heldOut[bestRidge][i], ExpressionNme(fitted, c), WholeFaceNme(fitted, c))),
        ];
        var clipsJson = new JsonArray();
        foreach (BasisClipError e in table)
        {
            clipsJson.Add(new JsonObject
            {
                ["clip"] = e.Clip,
                ["faceFrames"] = e.Frames,
                ["nmeNeutralOnlyPercent"] = Round(e.NeutralOnly),
                ["nmeHeldOutPercent"] = double.IsNaN(e.HeldOut) ? null : Round(e.HeldOut),
                ["nmeInSamplePercent"] = Round(e.InSample),
                ["nmeWholeFacePercent"] = Round(e.WholeFace),
            });
        }

        var basis = new BlendshapeBasis(fitted.Neutral, fitted.NeutralWeights, fitted.Basis)
        {
            Description = new JsonObject
            {
                ["made"] = command,
                ["method"] = "per clip: tracked with the attention model (iris); neutral = first second of faces, frontal by the tracker's mean head pose; " +
                    "each frame aligned to the neutral on the rigid points, displacement in eye-centre distances; ridge regression on blendshapes − neutral blendshapes over all clips",
                ["ridge"] = bestRidge,
                ["nme"] = "mean over the 468 mesh points of the x-y distance to the tracked point, % of the eye-centre distance",
                ["clips"] = clipsJson,
            },
        };
        return (basis, table, bestRidge);
    }

    /// <summary>NME (%) of the expression a basis predicts from a clip's own blendshapes, against the clip's tracked, pose-free points.</summary>
    public static double ExpressionNme(BlendshapeBasis basis, BasisClip clip)
    {
        ArgumentNullException.ThrowIfNull(basis);
        ArgumentNullException.ThrowIfNull(clip);
        double total = 0;
        for (int n = 0; n < clip.Weights.Count; n++)
        {
            float[] x = clip.Weights[n];
            Vector3[] actual = clip.Displacements[n];
            double frame = 0;
            for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
            {
                Vector3 predicted = Vector3.Zero;
                for (int b = 0; b < x.Length; b++)
                {
                    predicted += basis.Basis[(b * BlendshapeBasis.PointCount) + i] * x[b];
                }

                frame += Vector2.Distance(new Vector2(predicted.X, predicted.Y), new Vector2(actual[i].X, actual[i].Y));
            }

            total += frame / TrackingFrame.FaceLandmarkCount;
        }

        return 100 * total / Math.Max(1, clip.Weights.Count);
    }

    /// <summary>NME (%) of the clip's neutral face alone (no expression) against its pose-free points: what the basis has to beat.</summary>
    public static double NeutralNme(BasisClip clip)
    {
        ArgumentNullException.ThrowIfNull(clip);
        double total = 0;
        foreach (Vector3[] d in clip.Displacements)
        {
            double frame = 0;
            for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
            {
                frame += new Vector2(d[i].X, d[i].Y).Length();
            }

            total += frame / TrackingFrame.FaceLandmarkCount;
        }

        return 100 * total / Math.Max(1, clip.Displacements.Count);
    }

    /// <summary>
    /// NME (%) of the whole synthesized face (the basis's mean face and the clip's blendshapes, turned by the
    /// tracker's head pose) after a similarity fit onto the tracked points: includes how far this performer's
    /// face shape is from the mean one.
    /// </summary>
    public static double WholeFaceNme(BlendshapeBasis basis, BasisClip clip)
    {
        ArgumentNullException.ThrowIfNull(basis);
        ArgumentNullException.ThrowIfNull(clip);
        var shape = new Vector3[BlendshapeBasis.PointCount];
        var turned = new Vector3[TrackingFrame.FaceLandmarkCount];
        var all = new float[TrackingFrame.FaceLandmarkCount];
        Array.Fill(all, 1f);
        double total = 0;
        foreach ((Vector3[] tracked, Quaternion turn, float[] weights) in clip.Faces)
        {
            basis.Shape(weights, shape);
            for (int i = 0; i < turned.Length; i++)
            {
                turned[i] = Vector3.Transform(shape[i], turn);
            }

            Similarity fit = SimilarityFit.Fit(turned, tracked.AsSpan(0, TrackingFrame.FaceLandmarkCount), all);
            float eyes = FaceMeasures.EyeDistance(tracked);
            double frame = 0;
            for (int i = 0; i < turned.Length; i++)
            {
                Vector3 p = fit.Apply(turned[i]);
                frame += Vector2.Distance(new Vector2(p.X, p.Y), new Vector2(tracked[i].X, tracked[i].Y)) / eyes;
            }

            total += frame / turned.Length;
        }

        return 100 * total / Math.Max(1, clip.Faces.Count);
    }

    // Landmarks and iris in height units (x and z scaled by the aspect ratio), as the calibrator measures faces.
    private static void HeightUnits(TrackingFrame frame, Span<Vector3> destination)
    {
        PerformerCalibrator.ToHeightUnits(frame, destination);
        float aspect = frame.ImageHeight > 0 ? (float)frame.ImageWidth / frame.ImageHeight : 1f;
        for (int i = 0; i < TrackingFrame.IrisLandmarkCount; i++)
        {
            Vector3 p = frame.Face.Iris[i];
            destination[TrackingFrame.FaceLandmarkCount + i] = new Vector3(p.X * aspect, p.Y, p.Z * aspect);
        }
    }

    private static double Round(double v) => Math.Round(v, 3);

    /// <summary>Solves A X = B for a small symmetric positive-definite A (52 × 52 here) by Cholesky.</summary>
    private static class Cholesky
    {
        public static double[,] Solve(double[,] a, double[,] b)
        {
            int n = a.GetLength(0);
            int m = b.GetLength(1);
            var l = new double[n, n];
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j <= i; j++)
                {
                    double s = a[i, j];
                    for (int k = 0; k < j; k++)
                    {
                        s -= l[i, k] * l[j, k];
                    }

                    l[i, j] = i == j ? Math.Sqrt(Math.Max(s, 1e-300)) : s / l[j, j];
                }
            }

            var x = new double[n, m];
            var y = new double[n];
            for (int c = 0; c < m; c++)
            {
                for (int i = 0; i < n; i++)
                {
                    double s = b[i, c];
                    for (int k = 0; k < i; k++)
                    {
                        s -= l[i, k] * y[k];
                    }

                    y[i] = s / l[i, i];
                }

                for (int i = n - 1; i >= 0; i--)
                {
                    double s = y[i];
                    for (int k = i + 1; k < n; k++)
                    {
                        s -= l[k, i] * x[k, c];
                    }

                    x[i, c] = s / l[i, i];
                }
            }

            return x;
        }
    }

    /// <summary>An error for a table: two decimals, "-" where there is none.</summary>
    public static string Format(double v) => double.IsNaN(v) ? "-" : v.ToString("F2", CultureInfo.InvariantCulture);
}
