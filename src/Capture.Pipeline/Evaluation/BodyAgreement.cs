using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Generation;
using Capture.Media;
using Capture.Pipeline.Rendering;
using Capture.Retargeting;
using Capture.Retargeting.Body;
using Capture.Retargeting.Calibration;
using Capture.Retargeting.Rigs;
using Capture.Tracking;

namespace Capture.Pipeline.Evaluation;

/// <summary>Body agreement of one character driven by one clip (see <see cref="BodyAgreement"/>).</summary>
/// <param name="Frames">Frames generated.</param>
/// <param name="Compared">Read frames (every Nth) where the performer's body and the character's were both found.</param>
/// <param name="LimbDegrees">
/// Mean absolute difference of the 2-D directions of the 8 limb bones (upper and lower arms and legs)
/// between the performer and the character, both read by Capture's pose tracker, degrees; NaN when the
/// tracker cannot read the character (a drawing).
/// </param>
/// <param name="DrivenDegrees">The same between the performer's tracked bones and the joints the character's rig was driven to (what the generator was asked for).</param>
/// <param name="BodyFound">Share of the read frames with the performer's body where the tracker still finds the character's.</param>
/// <param name="FoldOverFrames">Generated frames with skin folded over at a joint (a flipped mesh triangle) or a fold in the face's map.</param>
public sealed record BodyScores(
    string Character, string Clip, long Frames, long Compared, double LimbDegrees, double DrivenDegrees, double BodyFound, long FoldOverFrames, double Seconds)
{
    /// <summary>Per limb bone (<see cref="BodySkeleton.LimbNames"/>), the read-back difference, degrees (NaN where never compared).</summary>
    public required double[] PerLimb { get; init; }

    /// <summary>True when the tracker reads the character's own rest frame as a body, so <see cref="LimbDegrees"/> is measured.</summary>
    public bool ReadBack { get; init; }

    /// <summary>Generated frames whose lattice had turned-over cells relaxed (the body's, or the face's).</summary>
    public long RelaxedFrames { get; init; }

    /// <summary>Mean distance between the driven joints and the performer's, each relative to its hips in its own torso lengths (the 8 limbs' ends).</summary>
    public double DrivenJointError { get; init; }
}

/// <summary>
/// Body agreement (<c>capture eval --cross --body</c>): every body character driven by every
/// full-body clip, as <c>render</c> drives it, and the generated frames read back with Capture's pose
/// tracker: do the character's limbs point where the performer's do? Both the performer's frames and
/// the character's are read by the same still-image pose tracker (every Nth frame), so its own bias
/// cancels. Characters the tracker cannot read (drawings) are scored on the joints their rig was
/// driven to instead. Each clip is tracked once and reused for every character.
/// </summary>
public static class BodyAgreement
{
    /// <summary>
    /// Output width, every Nth frame read, frames per clip, where to write side-by-side pictures, and whether the
    /// generator keeps its maps from folding (off only to measure what the relaxation and the limiter do).
    /// </summary>
    public sealed record Options(int Size = 360, int Every = 4, int? MaxFrames = null, string? PicturesDirectory = null, bool LimitFolds = true);

    public static async Task<IReadOnlyList<BodyScores>> RunAsync(
        IReadOnlyList<BodyCharacter> characters, IReadOnlyList<string> clips, Options options, Action<string>? log = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(characters);
        ArgumentNullException.ThrowIfNull(clips);
        ArgumentNullException.ThrowIfNull(options);
        if (characters.Count == 0)
        {
            throw new ArgumentException("--cross --body needs at least one body character (--characters …)");
        }

        using Tracker stills = await Tracker.CreateAsync(new TrackerOptions { Face = false, Body = true, StaticImage = true, Threads = 1 }, ct).ConfigureAwait(false);
        var results = new List<BodyScores>();
        foreach (string clip in clips)
        {
            Performance performance = await TrackClipAsync(clip, stills, options, ct).ConfigureAwait(false);
            foreach (BodyCharacter character in characters)
            {
                BodyScores s = await DriveAsync(character, performance, stills, options, ct).ConfigureAwait(false);
                log?.Invoke(
                    $"{s.Character} × {s.Clip}: limbs {(s.ReadBack ? $"{s.LimbDegrees:F1}°" : "n/a (not readable)")}, driven {s.DrivenDegrees:F1}°, " +
                    $"body found {s.BodyFound:P0}, fold-over frames {s.FoldOverFrames}");
                results.Add(s);
            }
        }

        return results;
    }

    // The clip as tracked: every frame by the video tracker (what drives), every Nth frame's body by the still tracker (what is compared).
    private sealed class Performance
    {
        public required string Path { get; init; }
        public required string Clip { get; init; }
        public required PerformerProfile? Profile { get; init; }
        public required List<TrackingFrame> Frames { get; init; }
        public required Dictionary<int, Vector3[]> Readings { get; init; }
        public required Dictionary<int, int> Moments { get; init; }
    }

    private static async Task<Performance> TrackClipAsync(string clip, Tracker stills, Options options, CancellationToken ct)
    {
        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true, Body = true, Threads = 1, RefineLandmarks = true }, ct).ConfigureAwait(false);
        await using IFrameSource source = await FrameSources.OpenAsync(clip, null, ct).ConfigureAwait(false);
        var frames = new List<TrackingFrame>();
        var readings = new Dictionary<int, Vector3[]>();
        var still = new TrackingFrame();
        var calibrator = new PerformerCalibrator();
        long firstUs = long.MinValue;
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
                if (n % options.Every == 0)
                {
                    stills.Process(frame, still);
                    if (still.Body.Present)
                    {
                        readings[n] = Pixels(still.Body, frame.Width, frame.Height);
                    }
                }
            }

            firstUs = firstUs == long.MinValue ? t.CaptureTimestampUs : firstUs;
            if (t.CaptureTimestampUs - firstUs < 1_000_000)
            {
                calibrator.AddNeutral(t);
            }

            frames.Add(t);
        }

        if (frames.Count == 0)
        {
            throw new InvalidDataException($"{clip}: no frames could be decoded");
        }

        if (readings.Count == 0)
        {
            throw new InvalidDataException($"{clip}: the pose tracker found no body in the read frames (a full-body clip is needed)");
        }

        return new Performance
        {
            Path = clip,
            Clip = System.IO.Path.GetFileName(clip),
            Profile = calibrator.NeutralFrames > 0 ? calibrator.Build("clip", clip) : null,
            Frames = frames,
            Readings = readings,
            Moments = Moments(frames),
        };
    }

    private static async Task<BodyScores> DriveAsync(BodyCharacter character, Performance performance, Tracker stills, Options options, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        (int w, int h) = character.OutputSize(options.Size);
        using WarpGenerator generator = WarpGenerator.ForBody(w, h, intraOpThreads: 1);
        (byte, byte, byte) matte = (128, 128, 128);
        generator.SetCharacter(character, matte);
        generator.Map.LimitFolds = options.LimitFolds;
        Retargeter? faces = character.Face is null || performance.Profile is null ? null
            : new Retargeter(character.Face, performance.Profile, new RetargetGains { FollowHeadPosition = false });
        var bodies = new BodyRetargeter(character.Body);
        var driven = new DrivenFace();
        if (character.Face is not null)
        {
            driven.SetNeutral(character.Face.Neutral);
        }

        var body = new DrivenBody();
        body.SetRest(character.Body);
        var pose = new BodyPose();
        var picture = VideoFrame.CreateUnpooled(w, h);
        var marks = new TrackingFrame();
        var folds = new FoldOverCheck();

        // Can the tracker read the character at all? Its rest frame, as the face eval reads the face's.
        generator.Generate(driven, body);
        generator.CopyTo(picture, 0, 0, matte);
        stills.Process(picture, marks);
        bool readable = marks.Body.Present;

        var limbSum = new double[BodySkeleton.LimbBones.Count];
        var limbCount = new long[BodySkeleton.LimbBones.Count];
        double drivenSum = 0, jointSum = 0;
        long drivenCount = 0, jointCount = 0, compared = 0, read = 0, found = 0, foldFrames = 0;
        Matrix3x2 toFrame = BodyMeshMap.PictureToFrame(character, w, h);

        // With --pictures, the frame with the most folded cells is kept as it is generated and written at the end.
        VideoFrame? worstFold = null;
        int worstFoldAt = -1, worstFolds = 0;
        for (int n = 0; n < performance.Frames.Count; n++)
        {
            TrackingFrame t = performance.Frames[n];
            faces?.Update(t, driven);
            pose.SetFromObservation(t.Body, t.ImageWidth, t.ImageHeight, t.CaptureTimestampUs);
            bodies.Update(pose, body);
            generator.Generate(driven, body);
            int folded = generator.Map.CountFolds(folds, [], []);
            if (folded > 0)
            {
                foldFrames++;
            }

            if (options.PicturesDirectory is not null && folded > worstFolds)
            {
                worstFold ??= VideoFrame.CreateUnpooled(w, h);
                generator.CopyTo(worstFold, 0, 0, matte);
                (worstFoldAt, worstFolds) = (n, folded);
            }

            if (t.Body.Present)
            {
                Vector3[] performer = Pixels(t.Body, t.ImageWidth, t.ImageHeight);
                (double sum, int count) = DrivenAgreement(character.Body, body, performer);
                drivenSum += sum;
                drivenCount += count;
                (double joints, int jointN) = JointError(character.Body, body, performer);
                jointSum += joints;
                jointCount += jointN;
            }

            bool save = options.PicturesDirectory is not null && performance.Moments.ContainsKey(n);
            if (save || (readable && performance.Readings.ContainsKey(n)))
            {
                generator.CopyTo(picture, 0, 0, matte);
            }

            if (save)
            {
                await SaveSideBySideAsync(options.PicturesDirectory!, character.Name, performance, n, picture, MomentNames(performance, n), ct).ConfigureAwait(false);
            }

            if (!readable || !performance.Readings.TryGetValue(n, out Vector3[]? truth))
            {
                continue;
            }

            read++;
            stills.Process(picture, marks);
            if (!marks.Body.Present)
            {
                continue;
            }

            found++;
            Vector3[] mine = Pixels(marks.Body, w, h);
            bool any = false;
            for (int b = 0; b < BodySkeleton.LimbBones.Count; b++)
            {
                (int from, int to) = BodySkeleton.LimbBones[b];
                if (!character.Body.Known(from) || !character.Body.Known(to) || !Seen(truth, from) || !Seen(truth, to) || !Seen(mine, from) || !Seen(mine, to))
                {
                    continue;
                }

                limbSum[b] += AngleBetween(Direction(truth, from, to), Direction(mine, from, to));
                limbCount[b]++;
                any = true;
            }

            compared += any ? 1 : 0;
        }

        if (worstFold is not null)
        {
            await SaveSideBySideAsync(options.PicturesDirectory!, character.Name, performance, worstFoldAt, worstFold, [$"fold_f{worstFoldAt}"], ct).ConfigureAwait(false);
        }

        double limbTotal = 0;
        long limbN = 0;
        var perLimb = new double[limbSum.Length];
        for (int b = 0; b < perLimb.Length; b++)
        {
            perLimb[b] = limbCount[b] > 0 ? limbSum[b] / limbCount[b] : double.NaN;
            limbTotal += limbSum[b];
            limbN += limbCount[b];
        }

        return new BodyScores(
            character.Name, performance.Clip, performance.Frames.Count, compared,
            readable && limbN > 0 ? limbTotal / limbN : double.NaN, drivenCount > 0 ? drivenSum / drivenCount : double.NaN,
            readable && read > 0 ? found / (double)read : double.NaN, foldFrames, clock.Elapsed.TotalSeconds)
        {
            PerLimb = perLimb,
            ReadBack = readable,
            DrivenJointError = jointCount > 0 ? jointSum / jointCount : double.NaN,
            RelaxedFrames = generator.Map.RelaxedFrames,
        };
    }

    // A landmark set in pixels (x, y) with its visibility in z.
    private static Vector3[] Pixels(BodyObservation body, int width, int height)
    {
        var p = new Vector3[TrackingFrame.BodyLandmarkCount];
        for (int i = 0; i < p.Length; i++)
        {
            Vector4 l = body.Landmarks[i];
            p[i] = new Vector3(l.X * width, l.Y * height, l.W);
        }

        return p;
    }

    private static bool Seen(Vector3[] p, int i) => p[i].Z >= BodyPose.SeenAbove;

    private static Vector2 Direction(Vector3[] p, int from, int to) => new(p[to].X - p[from].X, p[to].Y - p[from].Y);

    /// <summary>The angle between two 2-D directions, degrees (0..180).</summary>
    public static double AngleBetween(Vector2 a, Vector2 b)
    {
        double d = Math.Atan2(a.Y, a.X) - Math.Atan2(b.Y, b.X);
        d -= 2 * Math.PI * Math.Round(d / (2 * Math.PI));
        return Math.Abs(d) * 180 / Math.PI;
    }

    // The driven rig's limbs against the performer's tracked ones (the limbs both have).
    private static (double Sum, int Count) DrivenAgreement(BodyRig rig, DrivenBody body, Vector3[] performer)
    {
        double sum = 0;
        int count = 0;
        foreach ((int from, int to) in BodySkeleton.LimbBones)
        {
            if (rig.Known(from) && rig.Known(to) && Seen(performer, from) && Seen(performer, to))
            {
                sum += AngleBetween(Direction(performer, from, to), body.Joints[to] - body.Joints[from]);
                count++;
            }
        }

        return (sum, count);
    }

    // Driven limb ends vs the performer's, each relative to its hips (or neck) in its own torso lengths.
    private static (double Sum, int Count) JointError(BodyRig rig, DrivenBody body, Vector3[] performer)
    {
        if (!Seen(performer, BodyTopology.LeftShoulder) || !Seen(performer, BodyTopology.RightShoulder) || !Seen(performer, BodyTopology.LeftHip) || !Seen(performer, BodyTopology.RightHip))
        {
            return (0, 0);
        }

        Vector2 perfNeck = Mid(performer, BodyTopology.LeftShoulder, BodyTopology.RightShoulder);
        Vector2 perfRoot = Mid(performer, BodyTopology.LeftHip, BodyTopology.RightHip);
        float perfTorso = MathF.Max(1, Vector2.Distance(perfNeck, perfRoot));
        float charTorso = MathF.Max(1, Vector2.Distance(rig.Root, rig.Neck));
        double sum = 0;
        int count = 0;
        foreach ((int from, int to) in BodySkeleton.LimbBones)
        {
            if (rig.Known(to) && Seen(performer, to))
            {
                Vector2 theirs = (new Vector2(performer[to].X, performer[to].Y) - perfNeck) / perfTorso;
                Vector2 mine = (body.Joints[to] - body.Neck) / charTorso;
                sum += Vector2.Distance(theirs, mine);
                count++;
            }
        }

        return (sum, count);
    }

    private static Vector2 Mid(Vector3[] p, int a, int b) => new((p[a].X + p[b].X) * 0.5f, (p[a].Y + p[b].Y) * 0.5f);

    // The moments pictures are taken at: the widest arm spread, an arm crossing the body most, the biggest step.
    private static Dictionary<int, int> Moments(List<TrackingFrame> frames)
    {
        float spread = -1, cross = -1, step = -1;
        int spreadAt = 0, crossAt = 0, stepAt = 0;
        Vector2? firstRoot = null;
        for (int n = 0; n < frames.Count; n++)
        {
            BodyObservation b = frames[n].Body;
            if (!b.Present)
            {
                continue;
            }

            Vector3[] p = Pixels(b, frames[n].ImageWidth, frames[n].ImageHeight);
            if (!Seen(p, BodyTopology.LeftShoulder) || !Seen(p, BodyTopology.RightShoulder))
            {
                continue;
            }

            Vector2 neck = Mid(p, BodyTopology.LeftShoulder, BodyTopology.RightShoulder);
            float shoulders = MathF.Max(1, Vector2.Distance(new Vector2(p[BodyTopology.LeftShoulder].X, p[BodyTopology.LeftShoulder].Y), new Vector2(p[BodyTopology.RightShoulder].X, p[BodyTopology.RightShoulder].Y)));
            if (Seen(p, BodyTopology.LeftWrist) && Seen(p, BodyTopology.RightWrist))
            {
                float s = MathF.Abs(p[BodyTopology.LeftWrist].X - p[BodyTopology.RightWrist].X) / shoulders;
                (spread, spreadAt) = s > spread ? (s, n) : (spread, spreadAt);
            }

            // The subject's left wrist normally lies on the image's right of the neck; past it, the arm crosses.
            float side = MathF.Sign(p[BodyTopology.LeftShoulder].X - p[BodyTopology.RightShoulder].X);
            float c = MathF.Max(
                Seen(p, BodyTopology.LeftWrist) ? (neck.X - p[BodyTopology.LeftWrist].X) * side / shoulders : -1,
                Seen(p, BodyTopology.RightWrist) ? (p[BodyTopology.RightWrist].X - neck.X) * side / shoulders : -1);
            (cross, crossAt) = c > cross ? (c, n) : (cross, crossAt);
            if (Seen(p, BodyTopology.LeftHip) && Seen(p, BodyTopology.RightHip))
            {
                Vector2 root = Mid(p, BodyTopology.LeftHip, BodyTopology.RightHip);
                firstRoot ??= root;
                float d = Vector2.Distance(root, firstRoot.Value) / shoulders;
                (step, stepAt) = d > step ? (d, n) : (step, stepAt);
            }
        }

        var moments = new Dictionary<int, int>();
        moments.TryAdd(spreadAt, 0);
        moments.TryAdd(crossAt, 1);
        moments.TryAdd(stepAt, 2);
        return moments;
    }

    private static readonly string[] s_momentNames = ["spread", "cross", "step"];

    private static IEnumerable<string> MomentNames(Performance performance, int n) =>
        performance.Moments.Where(m => m.Key == n).Select(m => s_momentNames[m.Value]);

    // The clip's frame n beside the generated one, as body_{character}_{clip}_{name}.png for each name (a moment, or the worst fold).
    private static async Task SaveSideBySideAsync(string directory, string character, Performance performance, int n, VideoFrame generated, IEnumerable<string> names, CancellationToken ct)
    {
        Directory.CreateDirectory(directory);
        int w = generated.Width, h = generated.Height;
        var both = VideoFrame.CreateUnpooled(w * 2, h);
        await using (IFrameSource source = await FrameSources.OpenAsync(performance.Path, null, ct).ConfigureAwait(false))
        {
            for (int i = 0; i <= n; i++)
            {
                using VideoFrame? frame = await source.ReadAsync(ct).ConfigureAwait(false);
                if (frame is null)
                {
                    return;
                }

                if (i == n)
                {
                    (float l, float t, float fw, float fh) = FrameOps.Fit(frame.Width, frame.Height, w, h);
                    FrameOps.SampleRect(frame, l, t, fw, fh, both, 0, 0, w, h);
                }
            }
        }

        for (int y = 0; y < h; y++)
        {
            generated.Row(y).CopyTo(both.Row(y).Slice(w * 3));
        }

        string clip = System.IO.Path.GetFileNameWithoutExtension(performance.Clip);
        foreach (string name in names)
        {
            string path = System.IO.Path.Combine(directory, $"body_{character}_{clip}_{name}.png");
            await ImageFile.SavePngAsync(path, both.Pixels.ToArray(), w * 2, h, hasAlpha: false, ct).ConfigureAwait(false);
        }
    }
}
