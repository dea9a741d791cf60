using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Threading.Channels;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Generation;
using Capture.Media;
using Capture.Protocol.Export;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Retargeting;
using Capture.Retargeting.Calibration;
using Capture.Retargeting.Rigs;
using Capture.Tracking;

namespace Capture.Pipeline.Rendering;

/// <summary>
/// decode → track → retarget → generate → encode, streamed frame by frame with flat memory: pooled
/// decoded frames, a fixed ring of tracking results, one output frame. Tracking (stage 1) and
/// retarget + generate + encode (stage 2) run concurrently on a bounded channel, so on two cores
/// the tracker and the generator overlap; nothing is dropped (offline). With motion data the body is
/// tracked in stage 1 too (a second, body-only tracker, so calibration stays face-only) and written
/// as motion.bvh.
/// </summary>
public static class RenderPipeline
{
    private const int Ring = 8;

    public static async Task<RenderResult> RunAsync(RenderOptions options, IProgress<RenderProgress>? progress = null, Action<string>? log = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Gains.Validate();
        if (!File.Exists(options.DrivingPath))
        {
            throw new FileNotFoundException($"driving clip {options.DrivingPath} does not exist", options.DrivingPath);
        }

        var clock = Stopwatch.StartNew();
        var timings = new StageClock();
        CharacterRig rig = await CharacterLoader.LoadAsync(options.CharacterPath, options.RigPath, log, ct).ConfigureAwait(false);
        MediaInfo info = await MediaProbe.ProbeAsync(options.DrivingPath, ct).ConfigureAwait(false);
        VideoStreamInfo video = info.Video ?? throw new InvalidDataException($"{options.DrivingPath} has no video stream");

        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true, Threads = 1, RefineLandmarks = options.Iris, Camera = options.Camera }, ct).ConfigureAwait(false);
        bool trackBody = options.MotionDataDirectory is not null && options.Body;
        using Tracker? bodyTracker = trackBody ? await Tracker.CreateAsync(new TrackerOptions { Face = false, Body = true, Threads = 1, PoseModel = options.PoseModel }, ct).ConfigureAwait(false) : null;
        var bodyScratch = new TrackingFrame();
        PerformerProfile? profile = options.ProfilePath is null ? null : PerformerProfile.Load(options.ProfilePath);
        (PerformerProfile calibrated, Vector4 performerCrop) = await CalibrateAsync(
            options.DrivingPath, tracker, profile, options.CalibrationSeconds, ct).ConfigureAwait(false);
        string profileSource = profile is { HasNeutral: true } ? options.ProfilePath! : $"first {options.CalibrationSeconds:0.#} s of {Path.GetFileName(options.DrivingPath)}";
        log?.Invoke($"performer neutral: {profileSource}");
        tracker.Reset();
        timings.Setup = clock.Elapsed.TotalSeconds;

        var retargeter = new Retargeter(rig, calibrated, options.Gains);
        // Two ORT threads for the generator, one for the tracker: the tracker stage spends about half
        // its time blocked on this one, and with spinning off (InferenceEnvironment) the second
        // worker sleeps when the core is busy. Measured on 2 cores: 9.8 s vs 10.6 s wall (median of 6).
        using var generator = new WarpGenerator(options.Size, intraOpThreads: 2, withAlpha: rig.Picture.HasAlpha);
        generator.SetCharacter(rig);
        int size = options.Size;
        int outWidth = options.SideBySide ? size * 2 : size;
        var output = VideoFrame.CreateUnpooled(outWidth, size);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(options.OutputPath));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        await using IFrameSource source = await FrameSources.OpenAsync(options.DrivingPath, new FrameSourceOptions { PoolCapacity = 6 }, ct).ConfigureAwait(false);
        await using Mp4Sink sink = Mp4Sink.Create(options.OutputPath, outWidth, size, source.FrameRate, info.Audio is null ? null : options.DrivingPath);
        using MotionWriter? motion = options.MotionDataDirectory is null ? null : new MotionWriter(options.MotionDataDirectory, Path.GetFileName(options.DrivingPath), trackBody ? source.FrameRate : null);
        long? total = options.MaxFrames is int max ? Math.Min(max, source.FrameCount ?? max) : source.FrameCount;

        var channel = Channel.CreateBounded<(VideoFrame Frame, TrackingFrame Tracking)>(
            new BoundedChannelOptions(3) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var ring = new TrackingFrame[Ring];
        for (int i = 0; i < ring.Length; i++)
        {
            ring[i] = new TrackingFrame();
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        Task producer = Task.Run(
            async () =>
            {
                try
                {
                    long n = 0;
                    while (options.MaxFrames is not int limit || n < limit)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        VideoFrame? frame = await source.ReadAsync(stop.Token).ConfigureAwait(false);
                        if (frame is null)
                        {
                            break;
                        }

                        long t1 = Stopwatch.GetTimestamp();
                        TrackingFrame result = ring[n % Ring];
                        tracker.Process(frame, result);
                        if (bodyTracker is not null)
                        {
                            // Tracker.Process clears the whole result, so the body goes through its own frame.
                            bodyTracker.Process(frame, bodyScratch);
                            bodyScratch.Body.CopyTo(result.Body);
                        }

                        long t2 = Stopwatch.GetTimestamp();
                        await channel.Writer.WriteAsync((frame, result), stop.Token).ConfigureAwait(false);
                        timings.Decode += t1 - t0;
                        timings.Track += t2 - t1;
                        timings.TrackQueue += Stopwatch.GetTimestamp() - t2;
                        n++;
                    }

                    channel.Writer.TryComplete();
                }
                catch (Exception ex)
                {
                    channel.Writer.TryComplete(ex);
                }
            },
            stop.Token);

        var driven = new DrivenFace();
        long frames = 0;
        long faceless = 0;
        var rate = Stopwatch.StartNew();
        long waitStart = Stopwatch.GetTimestamp();
        try
        {
            await foreach ((VideoFrame frame, TrackingFrame tracking) in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                using (frame)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    timings.GenerateWait += t0 - waitStart;
                    if (!tracking.Face.Present)
                    {
                        faceless++;
                    }

                    retargeter.Update(tracking, driven);
                    long t1 = Stopwatch.GetTimestamp();
                    driven.PerformerFrame = options.PaintedMouth ? null : frame;
                    generator.Generate(driven);
                    driven.PerformerFrame = null;
                    long t2 = Stopwatch.GetTimestamp();
                    if (options.SideBySide)
                    {
                        FrameOps.SampleSquare(frame, performerCrop.X, performerCrop.Y, performerCrop.Z, output, 0, 0, size);
                    }

                    generator.CopyTo(output, options.SideBySide ? size : 0, 0, options.Background);
                    long t3 = Stopwatch.GetTimestamp();
                    await sink.WriteAsync(output, ct).ConfigureAwait(false);
                    long t4 = Stopwatch.GetTimestamp();
                    timings.Retarget += t1 - t0;
                    timings.Generate += t2 - t1;
                    timings.Composite += t3 - t2;
                    timings.Encode += t4 - t3;
                    waitStart = Stopwatch.GetTimestamp();
                    motion?.Write(tracking, driven, retargeter.HeadRotation);
                    frames++;
                    progress?.Report(new RenderProgress(frames, total, frames / Math.Max(1e-6, rate.Elapsed.TotalSeconds)));
                }
            }

            if (frames > 0 && motion is not null)
            {
                motion.Complete();
                if (motion.Body is { FramesWithBody: 0 })
                {
                    log?.Invoke($"no body seen in {Path.GetFileName(options.DrivingPath)} (shoulders and hips must both be in view): motion.bvh holds the rest pose");
                }
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await DrainAsync(channel.Reader).ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The producer stops when the consumer does.
            }
        }

        if (frames == 0)
        {
            throw new InvalidDataException($"{options.DrivingPath}: no frames could be decoded");
        }

        long finish = Stopwatch.GetTimestamp();
        await sink.CompleteAsync(ct).ConfigureAwait(false);
        timings.Finish = Stopwatch.GetTimestamp() - finish;
        timings.Spline = generator.SplineTicks;
        timings.Layers = generator.LayerTicks;
        timings.Session = generator.SessionTicks;
        return new RenderResult(frames, faceless, clock.Elapsed.TotalSeconds, options.OutputPath, rig.LandmarkSource, profileSource)
        {
            FramesWithBody = motion?.Body?.FramesWithBody,
            Stages = timings.ToReport(),
        };
    }

    /// <summary>
    /// The performer's neutral: from the profile when it has one, otherwise the mean of the tracked
    /// frames in the clip's first <paramref name="seconds"/> (searching up to 5 s for a face).
    /// Also returns the square crop around the performer's face (left, top, side) for side-by-side views.
    /// </summary>
    public static async Task<(PerformerProfile Profile, Vector4 Crop)> CalibrateAsync(
        string drivingPath, Tracker tracker, PerformerProfile? profile, double seconds, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        var calibrator = new PerformerCalibrator();
        var tracking = new TrackingFrame();
        Vector4 crop = default;
        bool haveCrop = false;
        await using (IFrameSource source = await FrameSources.OpenAsync(drivingPath, null, ct).ConfigureAwait(false))
        {
            double fps = source.FrameRate > 0 ? source.FrameRate : 30;
            long neutralFrames = Math.Max(1, (long)Math.Round(seconds * fps));
            long searchFrames = Math.Max(neutralFrames, (long)(5 * fps));
            for (long n = 0; n < searchFrames && calibrator.NeutralFrames < neutralFrames; n++)
            {
                VideoFrame? frame = await source.ReadAsync(ct).ConfigureAwait(false);
                if (frame is null)
                {
                    break;
                }

                using (frame)
                {
                    tracker.Process(frame, tracking);
                }

                if (!tracking.Face.Present)
                {
                    continue;
                }

                calibrator.AddNeutral(tracking);
                if (!haveCrop)
                {
                    crop = FaceCrop(tracking);
                    haveCrop = true;
                }
            }
        }

        if (profile is { HasNeutral: true })
        {
            return (profile, haveCrop ? crop : new Vector4(0, 0, tracking.ImageHeight, 0));
        }

        if (calibrator.NeutralFrames == 0)
        {
            throw new InvalidDataException($"{drivingPath}: no face found in the first 5 seconds, so the performer's neutral cannot be taken (pass --profile with a calibrated profile, or use a clip that starts on the face)");
        }

        PerformerProfile built = calibrator.Build(profile?.Name ?? "clip", drivingPath);
        if (profile is not null)
        {
            built.Blendshapes = profile.Blendshapes;
        }

        return (built, crop);
    }

    /// <summary>A square around a tracked face (left, top, side in pixels), as the character crop is chosen.</summary>
    public static Vector4 FaceCrop(TrackingFrame tracking)
    {
        ArgumentNullException.ThrowIfNull(tracking);
        Span<Vector3> pixels = stackalloc Vector3[TrackingFrame.FaceLandmarkCount];
        for (int i = 0; i < pixels.Length; i++)
        {
            Vector3 p = tracking.Face.Landmarks[i];
            pixels[i] = new Vector3(p.X * tracking.ImageWidth, p.Y * tracking.ImageHeight, 0);
        }

        (Vector2 center, Vector2 radius) = FaceMeasures.OvalEllipse(pixels);
        float faceHeight = 2 * MathF.Max(radius.X, radius.Y);
        float side = MathF.Min(faceHeight * CharacterRigBuilder.CropFaceHeights, MathF.Max(Math.Min(tracking.ImageWidth, tracking.ImageHeight), faceHeight * 0.9f));
        float left = center.X - (side / 2);
        float top = center.Y - (side / 2) - (0.04f * faceHeight);
        left = side <= tracking.ImageWidth ? Math.Clamp(left, 0, tracking.ImageWidth - side) : (tracking.ImageWidth - side) / 2;
        top = side <= tracking.ImageHeight ? Math.Clamp(top, 0, tracking.ImageHeight - side) : (tracking.ImageHeight - side) / 2;
        return new Vector4(left, top, side, 0);
    }

    private static async Task DrainAsync(ChannelReader<(VideoFrame Frame, TrackingFrame Tracking)> reader)
    {
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out (VideoFrame Frame, TrackingFrame Tracking) item))
                {
                    item.Frame.Dispose();
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // Completed with the producer's error or cancellation: nothing left to return.
        }
        catch (Exception)
        {
            // The producer's own error is reported by awaiting it, not here.
        }
    }

    /// <summary>Per-stage tick totals, written by the two pipeline stages (each field by one thread only).</summary>
    private sealed class StageClock
    {
        public double Setup;
        public long Decode;
        public long Track;
        public long TrackQueue;
        public long GenerateWait;
        public long Retarget;
        public long Generate;
        public long Spline;
        public long Layers;
        public long Session;
        public long Composite;
        public long Encode;
        public long Finish;

        public string ToReport()
        {
            static string S(long ticks) => (ticks / (double)Stopwatch.Frequency).ToString("F2", CultureInfo.InvariantCulture);
            return string.Create(CultureInfo.InvariantCulture, $"setup (rig, tracker, calibration) {Setup:F2} s | stage 1: decode wait {S(Decode)}, track {S(Track)}, blocked on stage 2 {S(TrackQueue)} | ")
                + $"stage 2: wait for stage 1 {S(GenerateWait)}, retarget {S(Retarget)}, generate {S(Generate)} (spline {S(Spline)}, layers {S(Layers)}, ORT run {S(Session)}), "
                + $"side-by-side + RGB {S(Composite)}, encoder pipe {S(Encode)} | encoder finish {S(Finish)} s";
        }
    }

    /// <summary>
    /// The captured motion next to the video, for animators: <c>motion.mpk</c> (the wire protocol's
    /// recording of every tracked frame, replayable with <c>capture replay</c>), <c>livelink.csv</c>
    /// (Live Link Face's CSV, ARKit blendshapes per frame) and <c>motion.csv</c> (what the character
    /// was driven with: presence, head angles, blinks, calibrated blendshapes) and, when the body is
    /// tracked, <c>motion.bvh</c> (<see cref="BvhStreamWriter"/>, flat memory). The motion.csv and motion.bvh
    /// lines are formatted without allocating (LiveLinkFaceCsvWriter still makes a few strings a frame).
    /// </summary>
    private sealed class MotionWriter : IDisposable
    {
        private readonly StreamWriter _writer;
        private readonly StringBuilder _line = new(1024);
        private readonly FileStream _recordingFile;
        private readonly RecordingWriter _recording;
        private readonly PooledBufferWriter _packet = new(16 * 1024);
        private readonly StreamWriter _liveLinkFile;
        private readonly LiveLinkFaceCsvWriter _liveLink;

        /// <summary>motion.bvh's writer; null when the body is not tracked.</summary>
        public BvhStreamWriter? Body { get; }

        public MotionWriter(string directory, string source, double? bodyFramesPerSecond)
        {
            Directory.CreateDirectory(directory);
            Body = bodyFramesPerSecond is double fps ? new BvhStreamWriter(Path.Combine(directory, "motion.bvh"), fps) : null;
            _recordingFile = new FileStream(Path.Combine(directory, "motion.mpk"), FileMode.Create, FileAccess.Write, FileShare.Read);
            _recording = new RecordingWriter(_recordingFile, $"capture render {source}");
            _liveLinkFile = new StreamWriter(Path.Combine(directory, "livelink.csv"), false, new UTF8Encoding(false));
            _liveLink = new LiveLinkFaceCsvWriter(_liveLinkFile);
            _writer = new StreamWriter(Path.Combine(directory, "motion.csv"), false, new UTF8Encoding(false));
            _writer.Write("frame,time_s,face_present,presence,yaw_deg,pitch_deg,roll_deg,blink_right,blink_left");
            foreach (string name in ArkitBlendshapes.Names)
            {
                _writer.Write(',');
                _writer.Write(name);
            }

            _writer.WriteLine();
        }

        public void Write(TrackingFrame tracking, DrivenFace driven, Quaternion rotation)
        {
            _packet.Reset();
            ProtocolWriter.WriteTrackingFrame(_packet, tracking, LandmarkEncoding.Float32);
            _recording.Write(_packet.WrittenSpan);
            _liveLink.Write(tracking);
            Body?.Add(tracking);
            Vector3 euler = new HeadPose(rotation, Vector3.Zero).EulerDegrees();
            CultureInfo c = CultureInfo.InvariantCulture;
            _line.Clear();
            _line.Append(c, $"{tracking.Sequence},{tracking.CaptureTimestampUs / 1e6:F4},{(tracking.Face.Present ? 1 : 0)},{driven.Presence:F3},{euler.X:F2},{euler.Y:F2},{euler.Z:F2},{driven.BlinkRight:F3},{driven.BlinkLeft:F3}");
            // TryFormat into a stack buffer: StringBuilder's interpolation with a provider boxes each float.
            Span<char> text = stackalloc char[32];
            foreach (float b in driven.Blendshapes)
            {
                b.TryFormat(text, out int written, "F3", c);
                _line.Append(',').Append(text[..written]);
            }

            _writer.WriteLine(_line);
        }

        /// <summary>The take is over: writes motion.bvh (the other files are complete as they stream).</summary>
        public void Complete() => Body?.Complete();

        public void Dispose()
        {
            Body?.Dispose();
            _writer.Dispose();
            _recording.Dispose();
            _recordingFile.Dispose();
            _liveLinkFile.Dispose();
            _packet.Dispose();
        }
    }
}
