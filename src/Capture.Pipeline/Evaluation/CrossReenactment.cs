using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Generation;
using Capture.Pipeline.Rendering;
using Capture.Retargeting;
using Capture.Retargeting.Calibration;
using Capture.Retargeting.Rigs;
using Capture.Tracking;

namespace Capture.Pipeline.Evaluation;

/// <summary>Scores of one character driven by one clip (see <see cref="CrossReenactment"/>).</summary>
/// <param name="Frames">Frames generated.</param>
/// <param name="Compared">Frames (every Nth) where both the performer's and the character's face were found: AED and APD average over these.</param>
/// <param name="Aed">Mean absolute difference of the 52 ARKit blendshapes, each relative to its own neutral, character vs performer (0..1 units).</param>
/// <param name="Apd">Mean angle between the character's and the performer's head rotation, each relative to its own neutral, degrees.</param>
/// <param name="FaceFound">Share of the tracked frames (every Nth, where the performer's face was found) where the tracker still finds the character's face.</param>
/// <param name="FoldOverFrames">Generated frames whose backward map has a non-positive Jacobian determinant inside the driven face.</param>
/// <param name="MinDeterminant">Smallest lattice-cell Jacobian determinant inside the face over all frames, relative to the identity map's (1).</param>
public sealed record CrossScores(
    string Character, string Clip, long Frames, long Compared, double Aed, double Apd, double FaceFound,
    long FoldOverFrames, double MinDeterminant, double Seconds)
{
    /// <summary>Frames whose spline the generator solved smoother (or whose mesh displacements it smoothed) to stop a fold (<see cref="IBackwardMap.SmoothedFrames"/>).</summary>
    public long SmoothedFrames { get; init; }

    /// <summary>Mesh warp: frames whose lattice had turned-over cells relaxed (<see cref="IBackwardMap.RelaxedFrames"/>).</summary>
    public long RelaxedFrames { get; init; }

    /// <summary>Frames whose motion the generator scaled down to stop a fold (<see cref="IBackwardMap.DampedFrames"/>).</summary>
    public long DampedFrames { get; init; }
}

/// <summary>
/// Cross-reenactment: every character driven by every clip, as a user drives a picture of someone
/// else. No ground truth picture exists, so it scores what can be measured: does the character make
/// the performer's expression (AED) and head motion (APD), read by Capture's own tracker on the
/// generated frames; is its face still a face (face-found share); and does the warp ever fold over.
/// Each clip is tracked once and reused for every character.
/// </summary>
public static class CrossReenactment
{
    /// <summary>Output size, every Nth frame tracked, frames per clip, where to write side-by-side pictures, where rig files (NAME.json) for characters are looked up.</summary>
    public sealed record Options(int Size = 256, int Every = 4, int? MaxFrames = null, string? PicturesDirectory = null, string? RigDirectory = null, bool PaintedMouth = false, WarpKind Warp = WarpGenerator.DefaultWarp);

    public static async Task<IReadOnlyList<CrossScores>> RunAsync(
        IReadOnlyList<string> characters, IReadOnlyList<string> clips, Options options, Action<string>? log = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(characters);
        ArgumentNullException.ThrowIfNull(clips);
        ArgumentNullException.ThrowIfNull(options);
        if (characters.Count == 0)
        {
            throw new ArgumentException("--cross needs at least one character (--characters PICTURE…)");
        }

        foreach (string path in characters.Concat(clips))
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"{path} does not exist", path);
            }
        }

        var rigs = new List<CharacterRig>();
        foreach (string c in characters)
        {
            string? rig = options.RigDirectory is null ? null : Path.Combine(options.RigDirectory, Path.GetFileNameWithoutExtension(c) + ".json");
            rigs.Add(await CharacterLoader.LoadAsync(c, rig is not null && File.Exists(rig) ? rig : null, log, ct).ConfigureAwait(false));
        }

        using Tracker stills = await Tracker.CreateAsync(new TrackerOptions { Face = true, StaticImage = true, Threads = 1, RefineLandmarks = true }, ct).ConfigureAwait(false);
        var results = new List<CrossScores>();
        foreach (string clip in clips)
        {
            Performance performance = await TrackClipAsync(clip, stills, options, ct).ConfigureAwait(false);
            foreach (CharacterRig rig in rigs)
            {
                CrossScores s = await DriveAsync(rig, performance, stills, options, ct).ConfigureAwait(false);
                log?.Invoke($"{s.Character} × {s.Clip}: AED {s.Aed:F4}, APD {s.Apd:F2}°, face found {s.FaceFound:P0}, fold-over frames {s.FoldOverFrames} ({(s.RelaxedFrames > 0 ? $"lattice relaxed {s.RelaxedFrames}, " : string.Empty)}smoothed {s.SmoothedFrames}, damped {s.DampedFrames})");
                results.Add(s);
            }
        }

        return results;
    }

    // The clip as tracked: every frame by the video tracker (what drives the character), every Nth
    // frame's face crop by the still-image tracker (what the character's frames are compared with).
    private sealed class Performance
    {
        public required string Clip { get; init; }
        public required PerformerProfile Profile { get; init; }
        public required List<TrackingFrame> Frames { get; init; }
        public required Dictionary<int, Reading> Readings { get; init; }
        public required Reading Neutral { get; init; }
        public required List<byte[]> PictureCrops { get; init; }
        public required int WidestMouth { get; init; }
        public required int BiggestTurn { get; init; }

        /// <summary>The face crop (left, top, side) the crops were sampled from, in the clip's pixels.</summary>
        public required Vector4 Crop { get; init; }
    }

    private sealed record Reading(float[] Blendshapes, Quaternion Rotation);

    private static async Task<Performance> TrackClipAsync(string clip, Tracker stills, Options options, CancellationToken ct)
    {
        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true, Threads = 1, RefineLandmarks = true }, ct).ConfigureAwait(false);
        (PerformerProfile profile, CalibrationPass pass) = await CalibrationPass.CalibrateAsync(clip, "clip", new CalibrationWindow(), null, null, ct).ConfigureAwait(false);
        Vector4 crop = pass.FirstFaceCrop ?? throw new InvalidDataException($"{clip}: no face found in the first seconds, so the performer's neutral cannot be taken");
        await using IFrameSource source = await FrameSources.OpenAsync(clip, null, ct).ConfigureAwait(false);
        int size = options.Size;
        var cropFrame = VideoFrame.CreateUnpooled(size, size);
        var still = new TrackingFrame();
        var frames = new List<TrackingFrame>();
        var readings = new Dictionary<int, Reading>();
        var neutral = new List<Reading>();
        var crops = new List<byte[]>();
        long calibrationUs = 1_000_000;
        long firstUs = long.MinValue;
        float widest = -1, turn = -1;
        int widestAt = 0, turnAt = 0;
        Quaternion? firstPose = null;
        while (options.MaxFrames is not int m || frames.Count < m)
        {
            VideoFrame? frame = await source.ReadAsync(ct).ConfigureAwait(false);
            if (frame is null)
            {
                break;
            }

            var t = new TrackingFrame();
            int n = frames.Count;
            using (frame)
            {
                tracker.Process(frame, t);
                FrameOps.SampleSquare(frame, crop.X, crop.Y, crop.Z, cropFrame, 0, 0, size);
            }

            crops.Add(cropFrame.ReadOnlyPixels.ToArray());
            frames.Add(t);
            firstUs = firstUs == long.MinValue ? t.CaptureTimestampUs : firstUs;
            if (t.Face.Present)
            {
                firstPose ??= t.Face.HeadPose.Rotation;
                float gap = Vector3.Distance(t.Face.Landmarks[FaceTopology.UpperLipInner], t.Face.Landmarks[FaceTopology.LowerLipInner])
                    / MathF.Max(1e-6f, Vector3.Distance(t.Face.Landmarks[FaceTopology.RightEyeOuter], t.Face.Landmarks[FaceTopology.LeftEyeOuter]));
                if (gap > widest)
                {
                    (widest, widestAt) = (gap, n);
                }

                float angle = Angle(t.Face.HeadPose.Rotation, firstPose.Value);
                if (angle > turn)
                {
                    (turn, turnAt) = (angle, n);
                }
            }

            if (n % options.Every == 0)
            {
                stills.Process(cropFrame, still);
                if (still.Face.Present)
                {
                    var r = new Reading((float[])still.Face.Blendshapes.Clone(), still.Face.HeadPose.Rotation);
                    readings[n] = r;
                    if (t.CaptureTimestampUs - firstUs < calibrationUs)
                    {
                        neutral.Add(r);
                    }
                }
            }
        }

        if (readings.Count == 0)
        {
            throw new InvalidDataException($"{clip}: the tracker found no face in the compared frames");
        }

        if (neutral.Count == 0)
        {
            neutral.Add(readings[readings.Keys.Min()]);
        }

        // The performer's neutral: blendshapes averaged over the calibration window (as the profile's),
        // but the head rotation of its first frame, because the profile's neutral face is the window's
        // frames aligned to their first (PerformerCalibrator), so the retargeter turns the character by
        // the performer's rotation relative to that frame. (The window's mean rotation, used before,
        // differs from it by a constant turn wherever the head moves in the first second, and that
        // turn was counted in every frame's APD.)
        Reading calibration = Mean(neutral);
        calibration = calibration with { Rotation = neutral[0].Rotation };
        return new Performance
        {
            Clip = Path.GetFileName(clip), Profile = profile, Frames = frames, Readings = readings, Neutral = calibration,
            PictureCrops = crops, WidestMouth = widestAt, BiggestTurn = turnAt, Crop = crop,
        };
    }

    private static async Task<CrossScores> DriveAsync(CharacterRig rig, Performance performance, Tracker stills, Options options, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int size = options.Size;
        using var generator = new WarpGenerator(size, intraOpThreads: 1, withAlpha: rig.Picture.HasAlpha, warp: options.Warp);
        generator.SetCharacter(rig);
        var retargeter = new Retargeter(rig, performance.Profile);
        var driven = new DrivenFace();
        var picture = VideoFrame.CreateUnpooled(size, size);
        var performerCrop = VideoFrame.CreateUnpooled(size, size);
        var marks = new TrackingFrame();
        var folds = new FoldOverCheck(generator.GridSize);
        var hull = new Vector2[FaceTopology.FaceOval.Length];
        var mouth = new Vector2[FaceTopology.LipsInner.Length];
        (byte, byte, byte) background = (128, 128, 128);

        // The character's own neutral: its rest frame, read by the same tracker.
        driven.SetNeutral(rig.Neutral);
        generator.Generate(driven);
        generator.CopyTo(picture, 0, 0, background);
        stills.Process(picture, marks);
        Reading? neutral = marks.Face.Present ? new Reading((float[])marks.Face.Blendshapes.Clone(), marks.Face.HeadPose.Rotation) : null;

        double aed = 0, apd = 0, minDet = double.PositiveInfinity;
        long compared = 0, tracked = 0, found = 0, foldFrames = 0;
        for (int n = 0; n < performance.Frames.Count; n++)
        {
            retargeter.Update(performance.Frames[n], driven);

            // The performer's mouth from the kept face crop: their points moved into its pixels.
            performance.PictureCrops[n].CopyTo(performerCrop.Pixels);
            float toCrop = size / performance.Crop.Z;
            for (int i = 0; i < driven.PerformerPoints.Length; i++)
            {
                driven.PerformerPoints[i] = (driven.PerformerPoints[i] - new Vector2(performance.Crop.X, performance.Crop.Y)) * toCrop;
            }

            driven.PerformerFrame = options.PaintedMouth ? null : performerCrop;
            generator.Generate(driven);
            driven.PerformerFrame = null;
            FoldOverCheck.WriteFacePolygons(driven.Points, hull, mouth);
            if (generator.Map.CountFolds(folds, hull, mouth) > 0)
            {
                foldFrames++;
            }

            minDet = Math.Min(minDet, folds.MinDeterminant);
            bool save = options.PicturesDirectory is not null && (n == performance.WidestMouth || n == performance.BiggestTurn);
            if (n % options.Every != 0 && !save)
            {
                continue;
            }

            generator.CopyTo(picture, 0, 0, background);
            if (save)
            {
                await SaveSideBySideAsync(options.PicturesDirectory!, rig.Name, performance, n, picture, ct).ConfigureAwait(false);
            }

            if (n % options.Every != 0 || !performance.Readings.TryGetValue(n, out Reading? truth))
            {
                continue;
            }

            tracked++;
            stills.Process(picture, marks);
            if (!marks.Face.Present)
            {
                continue;
            }

            found++;
            if (neutral is null)
            {
                continue;
            }

            double sum = 0;
            for (int b = 0; b < ArkitBlendshapes.Count; b++)
            {
                float mine = marks.Face.Blendshapes[b] - neutral.Blendshapes[b];
                float theirs = truth.Blendshapes[b] - performance.Neutral.Blendshapes[b];
                sum += Math.Abs(mine - theirs);
            }

            aed += sum / ArkitBlendshapes.Count;
            Quaternion mineTurn = marks.Face.HeadPose.Rotation * Quaternion.Conjugate(neutral.Rotation);
            Quaternion theirTurn = truth.Rotation * Quaternion.Conjugate(performance.Neutral.Rotation);
            apd += Angle(mineTurn, theirTurn);
            compared++;
        }

        return new CrossScores(
            rig.Name, performance.Clip, performance.Frames.Count, compared,
            compared > 0 ? aed / compared : double.NaN, compared > 0 ? apd / compared : double.NaN,
            tracked > 0 ? found / (double)tracked : double.NaN, foldFrames, minDet, clock.Elapsed.TotalSeconds)
        {
            SmoothedFrames = generator.Map.SmoothedFrames,
            RelaxedFrames = generator.Map.RelaxedFrames,
            DampedFrames = generator.Map.DampedFrames,
        };
    }

    private static async Task SaveSideBySideAsync(string directory, string character, Performance performance, int n, VideoFrame generated, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        int size = generated.Width;
        var rgb = new byte[size * 2 * size * 3];
        byte[] performer = performance.PictureCrops[n];
        ReadOnlySpan<byte> mine = generated.ReadOnlyPixels;
        for (int y = 0; y < size; y++)
        {
            performer.AsSpan(y * size * 3, size * 3).CopyTo(rgb.AsSpan(y * size * 6));
            mine.Slice(y * size * 3, size * 3).CopyTo(rgb.AsSpan((y * size * 6) + (size * 3)));
        }

        string what = n == performance.WidestMouth ? "mouth" : "turn";
        string clip = Path.GetFileNameWithoutExtension(performance.Clip);
        string path = Path.Combine(directory, $"cross_{character}_{clip}_{what}.png");
        await ImageFile.SavePngAsync(path, rgb, size * 2, size, hasAlpha: false, ct).ConfigureAwait(false);
        if (performance.WidestMouth == performance.BiggestTurn)
        {
            File.Copy(path, Path.Combine(directory, $"cross_{character}_{clip}_turn.png"), overwrite: true);
        }
    }

    /// <summary>The angle of the rotation taking <paramref name="b"/> to <paramref name="a"/>, degrees.</summary>
    public static float Angle(Quaternion a, Quaternion b)
    {
        float dot = MathF.Abs(Quaternion.Dot(Quaternion.Normalize(a), Quaternion.Normalize(b)));
        return 2 * MathF.Acos(Math.Clamp(dot, 0, 1)) * (180f / MathF.PI);
    }

    private static Reading Mean(List<Reading> readings)
    {
        var b = new float[ArkitBlendshapes.Count];
        Vector4 q = Vector4.Zero;
        Quaternion first = readings[0].Rotation;
        foreach (Reading r in readings)
        {
            for (int i = 0; i < b.Length; i++)
            {
                b[i] += r.Blendshapes[i] / readings.Count;
            }

            Quaternion o = Quaternion.Dot(r.Rotation, first) < 0 ? Quaternion.Negate(r.Rotation) : r.Rotation;
            q += new Vector4(o.X, o.Y, o.Z, o.W);
        }

        return new Reading(b, Quaternion.Normalize(new Quaternion(q.X, q.Y, q.Z, q.W)));
    }
}
