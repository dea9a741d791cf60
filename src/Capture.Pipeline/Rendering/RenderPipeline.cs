using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Threading.Channels;
using Capture.Core.Diagnostics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Generation;
using Capture.Media;
using Capture.Pipeline.Motion;
using Capture.Protocol.Export;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Retargeting;
using Capture.Retargeting.Body;
using Capture.Retargeting.Calibration;
using Capture.Retargeting.Rigs;
using Capture.Tracking;
using Capture.Tracking.Overlay;
using Stages = Capture.Core.Diagnostics.CaptureMetrics.Stages;

namespace Capture.Pipeline.Rendering;

/// <summary>
/// decode → track → retarget → generate → encode, streamed frame by frame with flat memory: pooled
/// decoded frames, a fixed ring of tracking results, one output frame. The motion comes from one
/// <see cref="IMotionDriver"/>: a video through the tracker, or a motion file read back (.mpk, Live Link
/// Face CSV, BVH), and nothing after it cares which. Driving (stage 1) and
/// retarget + generate + encode (stage 2) run concurrently on a bounded channel, so on two cores
/// the tracker and the generator overlap; nothing is dropped (offline). With motion data the body is
/// tracked too, in a stage of its own between the two (a second, body-only tracker, so calibration
/// stays face-only) and written as motion.bvh. Each stage's time, the frames and the pool use go to <see cref="CaptureMetrics"/>
/// (pipeline "render").
/// </summary>
public static class RenderPipeline
{
    // Frames in flight are bounded by the source's pool (each item holds a frame), so the ring of
    // tracking results must be larger than the pool: a result is reused only after its frame came back.
    private const int Pool = 8;
    private const int Ring = 12;
    private const string Pipeline = CaptureMetrics.Pipelines.Render;

    public static async Task<RenderResult> RunAsync(RenderOptions options, IProgress<RenderProgress>? progress = null, Action<string>? log = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Gains.Validate();
        if (!File.Exists(options.DrivingPath))
        {
            throw new FileNotFoundException($"driving input {options.DrivingPath} does not exist", options.DrivingPath);
        }

        if (options.AudioPath is not null && !File.Exists(options.AudioPath))
        {
            throw new FileNotFoundException($"audio {options.AudioPath} does not exist", options.AudioPath);
        }

        var clock = Stopwatch.StartNew();
        long setupStart = Stopwatch.GetTimestamp();

        // The character side (picture, its tracking, the generator's session) and the performer side
        // (the driver: probe and tracker, or a motion file; calibration) are independent until the first
        // frame: set up side by side on the two cores.
        bool bodyCharacter = options.BodyCharacter is not null;
        await using var character = new CharacterSetup(Task.Run(() => CharacterSetup.CreateAsync(options, log, ct), ct));
        await using IMotionDriver driver = await MotionDrivers.OpenAsync(
            options.DrivingPath,
            new MotionDriverOptions
            {
                Iris = options.Iris, Camera = options.Camera, PoolCapacity = Pool, Untrusted = options.UntrustedMotion,
                BasisPath = options.BasisPath, MetricsPipeline = Pipeline, Log = log,
                Body = bodyCharacter, PoseModel = options.PoseModel,
            },
            ct).ConfigureAwait(false);
        MotionInfo motionInfo = driver.Info;
        if (motionInfo.Kind != MotionKind.Video)
        {
            log?.Invoke(motionInfo.Description);
        }

        // A body character's tracker tracks the body itself; otherwise motion data tracks it (and the
        // hands) in a stage of its own.
        bool trackBody = options.MotionDataDirectory is not null && options.Body && motionInfo.HasPictures && !bodyCharacter;
        bool trackHands = options.MotionDataDirectory is not null && options.Hands && motionInfo.HasPictures;
        using Tracker? bodyTracker = trackBody || trackHands
            ? await Tracker.CreateAsync(new TrackerOptions { Face = false, Body = trackBody, Hands = trackHands, Threads = 1, PoseModel = options.PoseModel }, ct).ConfigureAwait(false)
            : null;
        bool writeBody = options.MotionDataDirectory is not null && options.Body && (trackBody || motionInfo.HasBody || (bodyCharacter && motionInfo.HasPictures));
        var bodyScratch = new TrackingFrame();
        PerformerProfile? profile = options.ProfilePath is null ? null : PerformerProfile.Load(options.ProfilePath);

        // The driver's calibration window is read once: the pass keeps the frames and the render restarts
        // the driver with them (a video is decoded again for its pictures, not tracked again).
        CalibrationPass calibration = await CalibrationPass.RunAsync(
            driver, new CalibrationWindow { NeutralSeconds = options.CalibrationSeconds, KeepFrames = true }, ct: ct).ConfigureAwait(false);
        await driver.RestartAsync(calibration.Frames, ct).ConfigureAwait(false);

        // A body character can go without the performer's face (a dancer seen from afar, a back turned):
        // its body moves and its face stays at rest.
        (PerformerProfile? calibrated, Vector4 performerCrop) = bodyCharacter && calibration.Calibrator.NeutralFrames == 0 && profile is not { HasNeutral: true }
            ? (null, new Vector4(0, 0, calibration.FrameHeight, 0))
            : Neutral(calibration, profile, options.DrivingPath);
        performerCrop = motionInfo.PreviewCrop ?? performerCrop;
        string profileSource = profile is { HasNeutral: true } ? options.ProfilePath! : $"first {options.CalibrationSeconds:0.#} s of {Path.GetFileName(options.DrivingPath)}";
        log?.Invoke(calibrated is null ? $"no face found in the first seconds of {Path.GetFileName(options.DrivingPath)}: the body is driven, the face stays at rest" : $"performer neutral: {profileSource}");

        (CharacterRig? rig, WarpGenerator created) = await character.TakeAsync().ConfigureAwait(false);
        using WarpGenerator generator = created;
        CaptureMetrics.RecordStage(Pipeline, Stages.Setup, setupStart, Stopwatch.GetTimestamp());

        // With a body, the head's place comes from the body; the face keeps its rotation and expression.
        Retargeter? retargeter = rig is null || calibrated is null ? null
            : new Retargeter(rig, calibrated, bodyCharacter ? options.Gains with { FollowHeadPosition = false } : options.Gains);
        BodyRetargeter? bodyRetargeter = options.BodyCharacter is { } figure ? new BodyRetargeter(figure.Body, options.BodyRetargeting) : null;
        var pose = new BodyPose();
        var drivenBody = new DrivenBody();
        if (options.BodyCharacter is not null)
        {
            drivenBody.SetRest(options.BodyCharacter.Body);
        }

        int size = generator.Width;
        int height = generator.Height;
        int outWidth = options.SideBySide ? size * 2 : size;
        var output = VideoFrame.CreateUnpooled(outWidth, height);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(options.OutputPath));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        // Motion files bring no pictures: side-by-side shows the tracked points drawn on a plain picture.
        VideoFrame? performerCanvas = options.SideBySide && !motionInfo.HasPictures ? VideoFrame.CreateUnpooled(motionInfo.Width, motionInfo.Height) : null;
        string? audio = options.AudioPath ?? motionInfo.AudioPath;
        await using Mp4Sink sink = Mp4Sink.Create(
            options.OutputPath, outWidth, height, motionInfo.FrameRate, audio, audioSourceInfo: options.AudioPath is null ? motionInfo.AudioInfo : null);
        using MotionWriter? motion = options.MotionDataDirectory is null ? null
            : new MotionWriter(options.MotionDataDirectory, Path.GetFileName(options.DrivingPath), writeBody ? motionInfo.FrameRate : null, options.Hands);
        long? total = options.MaxFrames is int max ? Math.Min(max, motionInfo.FrameCount ?? max) : motionInfo.FrameCount;

        var channel = Channel.CreateBounded<(VideoFrame? Frame, TrackingFrame Tracking)>(
            new BoundedChannelOptions(3) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        var ring = new TrackingFrame[Ring];
        for (int i = 0; i < ring.Length; i++)
        {
            ring[i] = new TrackingFrame();
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);

        // With the body tracked, the body model (the slowest, ~2.5× the face's time) runs as its own
        // stage between face tracking and generation, so on two cores face tracking, body tracking
        // and generation of three different frames overlap instead of face + body adding up.
        Channel<(VideoFrame? Frame, TrackingFrame Tracking)> faces = channel;
        Task bodyStage = Task.CompletedTask;
        if (bodyTracker is not null)
        {
            faces = Channel.CreateBounded<(VideoFrame? Frame, TrackingFrame Tracking)>(
                new BoundedChannelOptions(2) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
            ChannelReader<(VideoFrame? Frame, TrackingFrame Tracking)> toBody = faces.Reader;
            bodyStage = Task.Run(
                async () =>
                {
                    try
                    {
                        await foreach ((VideoFrame? frame, TrackingFrame result) in toBody.ReadAllAsync(stop.Token).ConfigureAwait(false))
                        {
                            long t0 = Stopwatch.GetTimestamp();

                            // Tracker.Process clears the whole result, so the body goes through its own frame.
                            // (A body character's body came with the face: only the hands are added then.)
                            bodyTracker.Process(frame!, bodyScratch);
                            if (trackBody)
                            {
                                bodyScratch.Body.CopyTo(result.Body);
                            }

                            bodyScratch.LeftHand.CopyTo(result.LeftHand);
                            bodyScratch.RightHand.CopyTo(result.RightHand);
                            CaptureMetrics.RecordStage(Pipeline, Stages.TrackBody, t0, Stopwatch.GetTimestamp());
                            await channel.Writer.WriteAsync((frame, result), stop.Token).ConfigureAwait(false);
                        }

                        channel.Writer.TryComplete();
                    }
                    catch (Exception ex)
                    {
                        channel.Writer.TryComplete(ex);
                    }
                },
                stop.Token);
        }

        Task producer = Task.Run(
            async () =>
            {
                try
                {
                    long n = 0;
                    while (options.MaxFrames is not int limit || n < limit)
                    {
                        TrackingFrame result = ring[n % Ring];
                        MotionStep step = await driver.ReadAsync(result, stop.Token).ConfigureAwait(false);
                        if (!step.HasFrame)
                        {
                            break;
                        }

                        long t0 = Stopwatch.GetTimestamp();
                        await faces.Writer.WriteAsync((step.Picture, result), stop.Token).ConfigureAwait(false);
                        CaptureMetrics.RecordStage(Pipeline, Stages.TrackQueue, t0, Stopwatch.GetTimestamp());
                        n++;
                    }

                    faces.Writer.TryComplete();
                }
                catch (Exception ex)
                {
                    faces.Writer.TryComplete(ex);
                }
            },
            stop.Token);

        var driven = new DrivenFace();
        if (rig is not null)
        {
            driven.SetNeutral(rig.Neutral);
        }

        long frames = 0;
        long faceless = 0;
        long bodyless = 0;
        var rate = Stopwatch.StartNew();
        long waitStart = Stopwatch.GetTimestamp();
        try
        {
            await foreach ((VideoFrame? frame, TrackingFrame tracking) in channel.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                using (frame)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    CaptureMetrics.RecordStage(Pipeline, Stages.GenerateWait, waitStart, t0);
                    if (!tracking.Face.Present)
                    {
                        faceless++;
                        CaptureMetrics.Add(CaptureMetrics.FramesWithoutFace, Pipeline);
                    }

                    long spline = generator.MapTicks, layers = generator.LayerTicks, session = generator.SessionTicks;

                    retargeter?.Update(tracking, driven);
                    if (bodyRetargeter is not null)
                    {
                        // With --hands the hand model turns the character's hands (a hand not tracked leaves the pose's).
                        pose.SetFromFrame(tracking);
                        bodyRetargeter.Update(pose, drivenBody);
                        bodyless += tracking.Body.Present ? 0 : 1;
                    }

                    long t1 = Stopwatch.GetTimestamp();
                    if (options.SideBySide)
                    {
                        VideoFrame performer = frame ?? DrawTracking(performerCanvas!, tracking);
                        if (bodyCharacter)
                        {
                            (float l, float t, float w, float h) = FrameOps.Fit(performer.Width, performer.Height, size, height);
                            FrameOps.SampleRect(performer, l, t, w, h, output, 0, 0, size, height);
                        }
                        else
                        {
                            FrameOps.SampleSquare(performer, performerCrop.X, performerCrop.Y, performerCrop.Z, output, 0, 0, size);
                        }
                    }

                    long t2 = Stopwatch.GetTimestamp();

                    // Opaque character, no side-by-side: ONNX Runtime writes the rows into `output` in place.
                    driven.PerformerFrame = options.PaintedMouth ? null : frame;
                    generator.GenerateInto(driven, bodyRetargeter is null ? null : drivenBody, output, options.SideBySide ? size : 0, 0, options.Background);
                    driven.PerformerFrame = null;
                    long t3 = Stopwatch.GetTimestamp();
                    await sink.WriteAsync(output, ct).ConfigureAwait(false);
                    long t4 = Stopwatch.GetTimestamp();
                    CaptureMetrics.RecordStage(Pipeline, Stages.Retarget, t0, t1);
                    CaptureMetrics.RecordStage(Pipeline, Stages.Composite, t1, t2);
                    CaptureMetrics.RecordStage(Pipeline, Stages.Generate, t2, t3);
                    CaptureMetrics.RecordStage(Pipeline, Stages.GenerateSpline, 0, generator.MapTicks - spline);
                    CaptureMetrics.RecordStage(Pipeline, Stages.GenerateLayers, 0, generator.LayerTicks - layers);
                    CaptureMetrics.RecordStage(Pipeline, Stages.GenerateSession, 0, generator.SessionTicks - session);
                    CaptureMetrics.RecordStage(Pipeline, Stages.Encode, t3, t4);
                    waitStart = Stopwatch.GetTimestamp();
                    motion?.Write(tracking, driven, retargeter?.HeadRotation ?? Quaternion.Identity);
                    frames++;
                    CaptureMetrics.Add(CaptureMetrics.Frames, Pipeline);
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
            if (faces != channel)
            {
                await DrainAsync(faces.Reader).ConfigureAwait(false);
            }

            foreach (Task stage in new[] { producer, bodyStage })
            {
                try
                {
                    await stage.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The tracking stages stop when the consumer does.
                }
            }
        }

        if (frames == 0)
        {
            throw new InvalidDataException($"{options.DrivingPath}: no frames could be decoded");
        }

        long finish = Stopwatch.GetTimestamp();
        await sink.CompleteAsync(ct).ConfigureAwait(false);
        CaptureMetrics.RecordStage(Pipeline, Stages.Finish, finish, Stopwatch.GetTimestamp());
        return new RenderResult(frames, faceless, clock.Elapsed.TotalSeconds, options.OutputPath, rig?.LandmarkSource ?? options.BodyCharacter!.Body.Source, calibrated is null ? null : profileSource)
        {
            FramesWithBody = motion?.Body?.FramesWithBody ?? (bodyRetargeter is null ? null : frames - bodyless),
            DrivingKind = motionInfo.Kind,
            FrameRate = motionInfo.FrameRate,
            AudioPath = options.AudioPath ?? (motionInfo.AudioPath is null ? null : options.DrivingPath),
        };
    }

    /// <summary>
    /// The performer's neutral: from the profile when it has one, otherwise the calibration pass's
    /// (the mean of the clip's first seconds with a face). Also the square crop around the
    /// performer's face (left, top, side) for side-by-side views.
    /// </summary>
    private static (PerformerProfile Profile, Vector4 Crop) Neutral(CalibrationPass pass, PerformerProfile? profile, string drivingPath)
    {
        if (profile is { HasNeutral: true })
        {
            return (profile, pass.FirstFaceCrop ?? new Vector4(0, 0, pass.FrameHeight, 0));
        }

        if (pass.Calibrator.NeutralFrames == 0)
        {
            throw new InvalidDataException($"{drivingPath}: no face found in the first 5 seconds, so the performer's neutral cannot be taken (pass --profile with a calibrated profile, or use a clip that starts on the face)");
        }

        PerformerProfile built = pass.Calibrator.Build(profile?.Name ?? "clip", drivingPath);
        if (profile is not null)
        {
            built.Blendshapes = profile.Blendshapes;
        }

        return (built, pass.FirstFaceCrop!.Value);
    }

    /// <summary>
    /// A motion file's frame for the side-by-side view: the tracked points (face mesh, skeleton) drawn on a
    /// plain dark picture of the motion's image size. Reuses <paramref name="canvas"/>.
    /// </summary>
    private static VideoFrame DrawTracking(VideoFrame canvas, TrackingFrame tracking)
    {
        canvas.Pixels.Fill(48);
        TrackingOverlay.Draw(canvas.Pixels, canvas.Width, canvas.Height, tracking, blendshapeBars: false);
        return canvas;
    }

    private static async Task DrainAsync(ChannelReader<(VideoFrame? Frame, TrackingFrame Tracking)> reader)
    {
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out (VideoFrame? Frame, TrackingFrame Tracking) item))
                {
                    item.Frame?.Dispose();
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

    /// <summary>
    /// The character side of the set-up, run beside the performer side: its result is taken once;
    /// when the render fails before that, disposing waits for it and frees the generator, so an
    /// error on either side is never left unobserved.
    /// </summary>
    private sealed class CharacterSetup(Task<(CharacterRig? Rig, WarpGenerator Generator)> task) : IAsyncDisposable
    {
        private bool _taken;

        public static async Task<(CharacterRig? Rig, WarpGenerator Generator)> CreateAsync(RenderOptions options, Action<string>? log, CancellationToken ct)
        {
            if (options.BodyCharacter is { } body)
            {
                (int w, int h) = body.OutputSize(options.Size);
                var bodyGenerator = WarpGenerator.ForBody(w, h, intraOpThreads: 2);
                try
                {
                    bodyGenerator.SetCharacter(body, options.Background);
                }
                catch
                {
                    bodyGenerator.Dispose();
                    throw;
                }

                log?.Invoke($"{body.Name}: body from {body.Body.Source}{(body.Face is null ? ", no face" : $", face from {body.Face.LandmarkSource}")}; {w}x{h} output");
                return (body.Face, bodyGenerator);
            }

            CharacterRig rig = await CharacterLoader.LoadAsync(options.CharacterPath, options.RigPath, log, ct).ConfigureAwait(false);

            // Two ORT threads for the generator, one for the tracker: with spinning off
            // (InferenceEnvironment) the second worker sleeps when the core is busy.
            var generator = new WarpGenerator(options.Size, intraOpThreads: 2, withAlpha: rig.Picture.HasAlpha, warp: options.Warp);
            try
            {
                generator.SetCharacter(rig);
            }
            catch
            {
                generator.Dispose();
                throw;
            }

            return (rig, generator);
        }

        public async Task<(CharacterRig? Rig, WarpGenerator Generator)> TakeAsync()
        {
            (CharacterRig? Rig, WarpGenerator Generator) result = await task.ConfigureAwait(false);
            _taken = true;
            return result;
        }

        public async ValueTask DisposeAsync()
        {
            if (_taken)
            {
                return;
            }

            try
            {
                (_, WarpGenerator generator) = await task.ConfigureAwait(false);
                generator.Dispose();
            }
            catch (Exception)
            {
                // The render is already failing with the performer side's error, which is the one reported.
            }
        }
    }

    /// <summary>
    /// The captured motion next to the video, for animators: <c>motion.mpk</c> (the wire protocol's
    /// recording of every tracked frame, replayable with <c>capture replay</c>), <c>livelink.csv</c>
    /// (Live Link Face's CSV, ARKit blendshapes per frame) and <c>motion.csv</c> (what the character
    /// was driven with: presence, head angles, blinks, calibrated blendshapes) and, when the body is
    /// tracked, <c>motion.bvh</c> (<see cref="BvhStreamWriter"/>, flat memory; with the hands, finger joints too). The motion.csv and motion.bvh
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

        public MotionWriter(string directory, string source, double? bodyFramesPerSecond, bool fingers)
        {
            Directory.CreateDirectory(directory);
            Body = bodyFramesPerSecond is double fps ? new BvhStreamWriter(Path.Combine(directory, "motion.bvh"), fps, fingers) : null;
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
