using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Threading.Channels;
using Capture.Core.Frames;
using Capture.Core.Timing;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Media.Audio;
using Capture.Protocol.Export;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Tracking;

namespace Capture.Server.Client;

/// <summary>What <see cref="LivePerformer"/> streams, from where, to where.</summary>
public sealed record LivePerformerOptions
{
    /// <summary><c>/dev/videoN</c>, <c>lavfi:&lt;graph&gt;</c> or a video file (played at its own rate, like a camera).</summary>
    public required string Source { get; init; }

    /// <summary>The session's ingest WebSocket URL.</summary>
    public required Uri IngestUrl { get; init; }

    public required string PerformerToken { get; init; }

    /// <summary>The session's frames URL: when set, a viewer is opened too, to measure glass-to-glass.</summary>
    public Uri? FramesUrl { get; init; }

    /// <summary>Run MediaPipe's attention model (iris points, gaze, eyeLook blendshapes).</summary>
    public bool Iris { get; init; } = true;

    /// <summary>Track both hands too (palm detector + hand model) and send them (protocol v1.4; with VMC, the finger bones).</summary>
    public bool Hands { get; init; }

    /// <summary>
    /// Track the body too (the pose model, body first so a small face is found from the pose's head) and send its
    /// landmarks, image and world (protocol v1.3): what a session with a body character needs.
    /// </summary>
    public bool Body { get; init; }

    /// <summary>With <see cref="Body"/>: the BlazePose landmark model (Full by default, as `capture render`; Lite is the fastest).</summary>
    public PoseModel PoseModel { get; init; } = PoseModel.Full;

    /// <summary>
    /// With <see cref="Body"/>: run the face models on a second thread beside the pose model while the face is tracked
    /// (<see cref="TrackerOptions.ParallelFaceAndBody"/>): a frame waits about the longer of the two, not their sum.
    /// On by default; off is the one-thread tracker (the live-body benchmark's comparison).
    /// </summary>
    public bool ParallelFaceAndBody { get; init; } = true;

    /// <summary>Stop after this many frames sent; null runs until the source ends or the caller cancels.</summary>
    public long? MaxFrames { get; init; }

    /// <summary>Also send each tracked frame as VMC (OSC over UDP) to this receiver.</summary>
    public IPEndPoint? Vmc { get; init; }

    /// <summary>Also send audio: <c>pulse[:NAME]</c>, <c>alsa[:DEVICE]</c>, <c>lavfi:GRAPH</c> or a file (played at real time), as AudioChunks.</summary>
    public string? Audio { get; init; }

    /// <summary>
    /// Also keep the take as a Capture recording here: every TrackingFrame and AudioChunk sent, as sent, so
    /// <c>capture render take.mpk --character … --size 1024</c> re-renders it later. Null: not kept.
    /// </summary>
    public string? RecordPath { get; init; }

    /// <summary>Goes into the Hello.</summary>
    public string PerformerId { get; init; } = "capture-live";
}

/// <summary>What a run of <see cref="LivePerformer"/> saw.</summary>
public sealed record LivePerformerResult(
    long FramesCaptured, long FramesSent, long SourceDrops, IReadOnlyList<double> TrackMs, IReadOnlyList<ViewedFrame> Viewed, double Seconds, string? ServerClose)
{
    /// <summary>AudioChunks sent (0 without audio).</summary>
    public long AudioChunksSent { get; init; }

    /// <summary>AudioChunks the viewer got back.</summary>
    public long AudioChunksViewed { get; init; }

    /// <summary>The take's recording (<see cref="LivePerformerOptions.RecordPath"/>), or null.</summary>
    public string? RecordingPath { get; init; }

    /// <summary>Packets (TrackingFrames and AudioChunks) written to the recording.</summary>
    public long RecordedPackets { get; init; }
}

/// <summary>
/// The performer side of a live session in code (`capture live`, the live benchmarks): frames from a camera,
/// lavfi or a file paced at its own rate → a one-frame live queue (oldest dropped, counted) → the C# tracker
/// → stamped with the Unix-epoch clock (µs) at capture → schema-v1 TrackingFrames over the ingest WebSocket
/// (and VMC where asked), plus AudioChunks from a microphone or file where asked. Capabilities sent: face,
/// blendshapes, headpose (and iris, hands, body, audio).
/// </summary>
public static class LivePerformer
{
    public static async Task<LivePerformerResult> RunAsync(LivePerformerOptions options, Action<string>? log = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var clock = Stopwatch.StartNew();
        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true, RefineLandmarks = options.Iris, Hands = options.Hands, Body = options.Body, PoseModel = options.PoseModel, Threads = 1, ParallelFaceAndBody = options.ParallelFaceAndBody }, ct).ConfigureAwait(false);
        await using IFrameSource source = await OpenAsync(options.Source, ct).ConfigureAwait(false);
        bool paced = source is not ILiveFrameSource;
        log?.Invoke($"source: {source.Description}{(paced ? ", played at its own rate" : "")}");
        using VmcSender? vmc = options.Vmc is null ? null : new VmcSender(options.Vmc);
        await using FileStream? recordingFile = options.RecordPath is null ? null : new FileStream(options.RecordPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        using RecordingWriter? recording = recordingFile is null ? null : new RecordingWriter(recordingFile, $"capture live {Path.GetFileName(options.Source)}");
        using IAudioSource? audio = options.Audio is null ? null : await AudioSources.OpenAsync(options.Audio, realTime: true, ct).ConfigureAwait(false);
        if (audio is not null)
        {
            log?.Invoke($"audio: {audio.Description}");
        }

        using var ingest = new ClientWebSocket();
        await ingest.ConnectAsync(options.IngestUrl, ct).ConfigureAwait(false);
        using var packet = new PooledBufferWriter(16 * 1024);
        List<string> capabilities = ["face", "blendshapes", "headpose"];
        if (options.Iris)
        {
            capabilities.Add("iris");
        }

        if (options.Hands)
        {
            capabilities.Add("hands");
        }

        if (options.Body)
        {
            capabilities.Add("body");
        }

        if (audio is not null)
        {
            capabilities.Add("audio");
        }

        ProtocolWriter.WriteHello(packet, new HelloMessage(ProtocolVersion.Minor, capabilities, options.PerformerId, options.PerformerToken));
        await ingest.SendAsync(packet.WrittenMemory, WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
        Task<string?> serverClose = WatchCloseAsync(ingest);

        LiveViewer? viewer = null;
        if (options.FramesUrl is not null)
        {
            viewer = new LiveViewer();
            await viewer.ConnectAsync(options.FramesUrl, ct).ConfigureAwait(false);
        }

        long drops = 0;
        var frames = Channel.CreateBounded<VideoFrame>(
            new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
            stale =>
            {
                stale.Dispose();
                Interlocked.Increment(ref drops);
            });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        long captured = 0;
        Task producer = Task.Run(async () =>
        {
            try
            {
                long start = Stopwatch.GetTimestamp();
                long firstPts = long.MinValue;
                while (await source.ReadAsync(stop.Token).ConfigureAwait(false) is VideoFrame frame)
                {
                    if (paced)
                    {
                        // A file plays at its own rate, like a camera: each frame is due at its presentation time.
                        firstPts = firstPts == long.MinValue ? frame.TimestampUs : firstPts;
                        TimeSpan wait = TimeSpan.FromMicroseconds(frame.TimestampUs - firstPts) - Stopwatch.GetElapsedTime(start);
                        if (wait > TimeSpan.Zero)
                        {
                            await Task.Delay(wait, stop.Token).ConfigureAwait(false);
                        }
                    }

                    frame.TimestampUs = UnixClock.NowUs;
                    captured++;
                    frames.Writer.TryWrite(frame);
                }

                frames.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                frames.Writer.TryComplete(ex is OperationCanceledException ? null : ex);
            }
        }, CancellationToken.None);

        // Video and audio share the socket, which takes one send at a time.
        using var sendLock = new SemaphoreSlim(1, 1);
        long audioSent = 0;
        Task audioLoop = audio is null ? Task.CompletedTask : Task.Factory.StartNew(
            () => SendAudioAsync(audio, ingest, sendLock, recording, () => Interlocked.Increment(ref audioSent), stop.Token),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        var tracking = new TrackingFrame();
        var trackMs = new List<double>(1024);
        long sent = 0;
        string? closed = null;
        try
        {
            await foreach (VideoFrame frame in frames.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                using (frame)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    tracker.Process(frame, tracking);
                    if (trackMs.Count == LiveViewer.MaxKept)
                    {
                        trackMs.RemoveRange(0, LiveViewer.MaxKept / 2);
                    }

                    trackMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }

                packet.Reset();
                ProtocolWriter.WriteTrackingFrame(packet, tracking, LandmarkEncoding.Int16);
                try
                {
                    await sendLock.WaitAsync(ct).ConfigureAwait(false);
                    try
                    {
                        await ingest.SendAsync(packet.WrittenMemory, WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
                        recording?.Write(packet.WrittenSpan);
                    }
                    finally
                    {
                        sendLock.Release();
                    }
                }
                catch (WebSocketException ex)
                {
                    closed = await serverClose.WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None).ConfigureAwait(false) ?? ex.Message;
                    break;
                }

                vmc?.Send(tracking, (float)clock.Elapsed.TotalSeconds);
                sent++;
                if (options.MaxFrames is long max && sent >= max)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C: finish politely below.
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await producer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }

            while (frames.Reader.TryRead(out VideoFrame? left))
            {
                left.Dispose();
            }

            try
            {
                await audioLoop.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
                // Stopped with the video, or the server went away (reported by the video loop).
            }
        }

        IReadOnlyList<ViewedFrame> viewed = [];
        long audioViewed = 0;
        if (viewer is not null)
        {
            // The last frames are still being rendered: give them a moment before saying bye.
            await Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None).ConfigureAwait(false);
            viewed = viewer.Frames;
            audioViewed = viewer.AudioChunks;
            await viewer.DisposeAsync().ConfigureAwait(false);
        }

        if (closed is null && ingest.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            try
            {
                packet.Reset();
                ProtocolWriter.WriteBye(packet, new ByeMessage("capture live finished"));
                await ingest.SendAsync(packet.WrittenMemory, WebSocketMessageType.Binary, true, timeout.Token).ConfigureAwait(false);
                await ingest.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token).ConfigureAwait(false);
                await serverClose.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or TimeoutException)
            {
                // The server went first; nothing more to say.
            }
        }

        long sourceDrops = drops + (source is ILiveFrameSource live ? live.DroppedFrames : 0);
        recording?.Flush();
        return new LivePerformerResult(captured, sent, sourceDrops, trackMs, viewed, clock.Elapsed.TotalSeconds, closed)
        {
            RecordingPath = recording is null ? null : Path.GetFullPath(options.RecordPath!),
            RecordedPackets = recording?.PacketCount ?? 0,
            AudioChunksSent = Interlocked.Read(ref audioSent),
            AudioChunksViewed = audioViewed,
        };
    }

    // Chunks from the (real-time) audio source, stamped on the Unix clock like the video, as AudioChunk packets.
    private static async Task SendAudioAsync(IAudioSource audio, ClientWebSocket ingest, SemaphoreSlim sendLock, RecordingWriter? recording, Action counted, CancellationToken ct)
    {
        short[] pcm = new short[audio.ChunkFrames * audio.Channels];
        using var packet = new PooledBufferWriter(8 * 1024);
        long sequence = 0;
        while (!ct.IsCancellationRequested)
        {
            int frames = audio.Read(pcm, out long timestampUs);
            if (frames == 0)
            {
                return;
            }

            // The source stamps live chunks on CaptureClock; the wire wants the Unix clock, as for video.
            long unixUs = UnixClock.NowUs - (CaptureClock.NowUs - timestampUs);
            packet.Reset();
            ProtocolWriter.WriteAudioChunk(packet, new AudioChunkHeader(sequence++, unixUs, audio.SampleRate, audio.Channels),
                System.Runtime.InteropServices.MemoryMarshal.AsBytes(pcm.AsSpan(0, frames * audio.Channels)));
            await sendLock.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await ingest.SendAsync(packet.WrittenMemory, WebSocketMessageType.Binary, true, ct).ConfigureAwait(false);
                recording?.Write(packet.WrittenSpan);
            }
            finally
            {
                sendLock.Release();
            }

            counted();
        }
    }

    /// <summary>Opens the performer's source: cameras and lavfi run live; a file is paced by the caller.</summary>
    public static async Task<IFrameSource> OpenAsync(string source, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        if (source.StartsWith("lavfi:", StringComparison.Ordinal))
        {
            return FrameSources.OpenLavfi(source["lavfi:".Length..], 640, 480, 30, realTime: true);
        }

        if (source.StartsWith("/dev/", StringComparison.Ordinal))
        {
            return await FrameSources.OpenV4l2Async(source, new FrameSourceOptions { MaxFrameRate = 30 }, ct).ConfigureAwait(false);
        }

        return await FrameSources.OpenFileAsync(source, new FrameSourceOptions { PoolCapacity = 4 }, ct).ConfigureAwait(false);
    }

    // Reads the ingest socket only to learn why the server closed it (the server sends nothing else).
    private static async Task<string?> WatchCloseAsync(ClientWebSocket socket)
    {
        byte[] buffer = new byte[1024];
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult r = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    return $"{socket.CloseStatus}: {socket.CloseStatusDescription}";
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            return null;
        }
    }
}
