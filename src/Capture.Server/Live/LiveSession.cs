using System.Diagnostics;
using System.Threading.Channels;
using Capture.Core.Frames;
using Capture.Core.Timing;
using Capture.Core.Tracking;
using Capture.Protocol.Schema;
using Capture.Media;
using Capture.Server.Metrics;
using Microsoft.Extensions.Logging;

namespace Capture.Server.Live;

/// <summary>
/// One character, one performer at a time, any number of viewers. Frames from the performer go through a
/// bounded channel (<see cref="IngestCapacity"/>, oldest dropped and counted) to the session's render loop,
/// which renders, encodes a JPEG and hands the <see cref="MessageKind.RenderedFrame"/> packet to each
/// viewer's own <see cref="ViewerQueue"/> (latest frame wins). Nothing the performer or a viewer does can
/// make another wait. <see cref="End"/> (Bye, timeout, DELETE, shutdown) stops everything and frees the
/// generator; <see cref="Completion"/> finishes when it is all released.
/// </summary>
public sealed class LiveSession
{
    /// <summary>
    /// Two frames may wait while one renders; a newer one replaces the oldest. One slot dropped frames on
    /// scheduling hiccups alone (live-sessions on a quiet 2-core machine: a drop at 2 sessions with one slot,
    /// none up to 16 with two), while a render loop that keeps up never has two waiting, so glass-to-glass
    /// latency did not change (live-latency p50 7.4 → 7.0 ms at 256², 12.6 → 12.2 ms at 512²).
    /// </summary>
    public const int IngestCapacity = 2;

    /// <summary>
    /// libjpeg quality of the alpha plane (docs/protocol.md, v1.5). Alpha is mostly flat 0 and 255, which JPEG keeps at
    /// any quality; along the edge q90 rings at most 9–15 levels against q75's 18–31, for 1–3.5 KB a frame more
    /// (alpha-frames benchmark, docs/live.md), and the viewer snaps the few levels left at each end.
    /// </summary>
    public const int AlphaJpegQuality = 90;

    /// <summary>
    /// A connected performer silent this long (the capture page paused, the camera stalled) gets idle frames instead of a
    /// frozen character. A performer sends 15–30 frames a second, so a second without one is not network jitter.
    /// </summary>
    public static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Idle frames a second while the performer is silent: 15 draws a 0.2 s blink in three frames and a 4.2 s breath
    /// smoothly, for half the render and send cost of 30 (nobody is moving; a 2-core server keeps the time for sessions
    /// whose performers are).
    /// </summary>
    public const int IdleFramesPerSecond = 15;

    // Idle frames are stamped this far behind the performer's clock as the server estimates it: the performer's next real
    // frame was captured its tracking and network latency before it arrives, and must still come after them in time.
    private const long IdleStampLagUs = 250_000;

    // In flight at most: IngestCapacity in the channel, one being rendered, one being filled by the ingest, one idle frame.
    private const int TrackingFramePool = IngestCapacity + 3;

    private readonly LiveRenderer _renderer;
    private readonly JpegEncoder _encoder;
    private readonly JpegEncoder? _alphaEncoder;
    private readonly RenderedMatte? _matte;
    private readonly int _jpegQuality;
    private readonly LiveMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Channel<IngestItem> _ingest;
    private readonly Stack<TrackingFrame> _frames = new(TrackingFramePool);
    private readonly Lock _framesLock = new();
    private readonly Lock _viewersLock = new();
    private readonly SharedPacketPool _packets = new(64 * 1024);
    // One packet per (ladder step, with alpha or not) a frame: made once, shared by every viewer at that step.
    private readonly SharedPacket?[] _variants = new SharedPacket?[ViewerLadder.Steps.Length * 2];
    private int[] _viewerKeys = new int[4];
    // The frame and its alpha halved and quartered for viewers stepped down that far; allocated on first use, then reused.
    private byte[]? _halfRgb, _halfAlpha, _quarterRgb, _quarterAlpha;
    private readonly CancellationTokenSource _end = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ViewerQueue[] _viewers = [];
    private Task _renderLoop = Task.CompletedTask;
    private int _performer;
    private int _ended;
    private long _lastActivity;
    private PerformerCapabilities _capabilities;
    private int _performerChanged;
    private long _sequence;
    private long _lastCaptureUs = long.MinValue;
    private long _received;
    private long _rendered;
    private long _ingestDrops;
    private long _viewerDrops;
    private long _orderDrops;
    private long _malformed;
    private long _framesWithHands;
    private long _idleFrames;
    private long _lastFrameTicks;
    private long _lastFrameCaptureUs = long.MinValue;
    private Task _idleTicker = Task.CompletedTask;
    private int _renderErrors;
    private readonly Lock _recordingLock = new();
    private Capture.Protocol.Recording.RecordingWriter? _recording;
    private FileStream? _recordingFile;

    internal LiveSession(string id, string performerToken, string viewerToken, LiveRenderer renderer, JpegEncoder encoder, int jpegQuality, LiveMetrics metrics, ILogger logger)
    {
        Id = id;
        PerformerToken = performerToken;
        ViewerToken = viewerToken;
        _renderer = renderer;
        _encoder = encoder;
        _alphaEncoder = renderer.HasAlpha ? new JpegEncoder() : null;
        _matte = renderer.Matte is { } m ? new RenderedMatte(m.R, m.G, m.B) : null;
        _jpegQuality = jpegQuality;
        _metrics = metrics;
        _logger = logger;
        for (int i = 0; i < TrackingFramePool; i++)
        {
            _frames.Push(new TrackingFrame());
        }

        _ingest = Channel.CreateBounded<IngestItem>(
            new BoundedChannelOptions(IngestCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
            dropped =>
            {
                ReturnFrame(dropped.Frame);
                Interlocked.Increment(ref _ingestDrops);
                _metrics.Drop(DropLink.Ingest);
            });
        _lastActivity = Stopwatch.GetTimestamp();
    }

    public string Id { get; }

    public string PerformerToken { get; }

    public string ViewerToken { get; }

    public int Size => _renderer.Size;

    /// <summary>Cancelled when the session ends.</summary>
    public CancellationToken Ending => _end.Token;

    /// <summary>Why the session ended (null while it runs).</summary>
    public string? EndReason { get; private set; }

    /// <summary>Completes when the session has ended and released everything.</summary>
    public Task Completion => _completion.Task;

    public bool PerformerConnected => Volatile.Read(ref _performer) == 1;

    public int ViewerCount => Volatile.Read(ref _viewers).Length;

    /// <summary>The session was created for a performer who tracks the hands (the capture page turns its hand model on).</summary>
    public bool Hands { get; internal set; }

    /// <summary>Frames received with at least one hand (protocol v1.4). Recorded, not yet drawn on the character.</summary>
    public long FramesWithHands => Interlocked.Read(ref _framesWithHands);

    /// <summary>Figures for <c>GET /api/live/{id}</c> and the tests.</summary>
    public LiveSessionStats Stats => new(
        Interlocked.Read(ref _received), Interlocked.Read(ref _rendered), Interlocked.Read(ref _ingestDrops),
        Interlocked.Read(ref _viewerDrops), Interlocked.Read(ref _orderDrops), Interlocked.Read(ref _malformed));

    /// <summary>The libjpeg quality of the session's own frames (<see cref="ServerOptions.JpegQuality"/>): step 0 of <see cref="ViewerLadder"/>.</summary>
    public int JpegQuality => _jpegQuality;

    /// <summary>
    /// Draw idle frames (breathing, blinks, glances) at <see cref="IdleFramesPerSecond"/> while a connected performer
    /// sends no frames for <see cref="IdleAfter"/>; false with <c>idle=0</c>, where the character also stays still when
    /// the face is lost. Set before <see cref="Start"/>.
    /// </summary>
    internal bool IdleWhenSilent { get; set; }

    /// <summary>Idle frames the session queued because its connected performer sent none (counted in FramesRendered too).</summary>
    public long IdleFrames => Interlocked.Read(ref _idleFrames);

    /// <summary>True while idle frames are drawn: idle on, the performer connected, and no frame from it for <see cref="IdleAfter"/>.</summary>
    public bool DrawingIdle
    {
        get
        {
            long last = Interlocked.Read(ref _lastFrameTicks);
            return IdleWhenSilent && PerformerConnected && last != 0 && Stopwatch.GetElapsedTime(last) >= IdleAfter;
        }
    }

    internal void Start()
    {
        _renderLoop = Task.Run(RenderLoopAsync);
        if (IdleWhenSilent)
        {
            _idleTicker = Task.Run(IdleTickerAsync);
        }
    }

    /// <summary>How long since the performer last sent anything (or connected, or the session was created).</summary>
    internal TimeSpan Idle => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastActivity));

    /// <summary>Claims the performer slot; false when another performer holds it.</summary>
    public bool TryAttachPerformer(PerformerCapabilities capabilities)
    {
        if (Interlocked.CompareExchange(ref _performer, 1, 0) != 0)
        {
            return false;
        }

        _capabilities = capabilities;
        Volatile.Write(ref _performerChanged, 1);
        Touch();
        return true;
    }

    public void DetachPerformer()
    {
        Touch();
        Volatile.Write(ref _performer, 0);
    }

    internal void Touch() => Interlocked.Exchange(ref _lastActivity, Stopwatch.GetTimestamp());

    internal void CountMalformed()
    {
        Interlocked.Increment(ref _malformed);
        _metrics.Drop(DropLink.Malformed);
    }

    /// <summary>
    /// Queues a copy of <paramref name="frame"/> (the caller keeps it) for rendering; when the renderer is
    /// behind, the oldest queued frame is dropped and counted. Never waits.
    /// </summary>
    public void SubmitFrame(TrackingFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        Touch();
        Interlocked.Increment(ref _received);
        if (frame.LeftHand.Present || frame.RightHand.Present)
        {
            Interlocked.Increment(ref _framesWithHands);
        }

        _metrics.FramesReceived.Add(1);
        TrackingFrame? copy = RentFrame();
        if (copy is null)
        {
            // Cannot happen with the pool sized to what can be in flight; counted rather than allocated if it does.
            Interlocked.Increment(ref _ingestDrops);
            _metrics.Drop(DropLink.Ingest);
            return;
        }

        frame.CopyTo(copy);
        long now = Stopwatch.GetTimestamp();
        Interlocked.Exchange(ref _lastFrameCaptureUs, frame.CaptureTimestampUs);
        Interlocked.Exchange(ref _lastFrameTicks, now);
        if (!_ingest.Writer.TryWrite(new IngestItem(copy, now, Idle: false)))
        {
            ReturnFrame(copy);
        }
    }

    /// <summary>
    /// While the performer is connected and has sent no frame for <see cref="IdleAfter"/>, queues a frame that sees no face
    /// <see cref="IdleFramesPerSecond"/> times a second: the retargeter eases the performer's last pose out and
    /// <c>IdleMotion</c> in (the same as for a lost face), and back when frames return. The idle frames run on the
    /// performer's clock (their last capture time plus the time since it arrived), so a performer whose clock differs
    /// from the server's comes back without a jump in time. Separate from the render loop, which renders them like any frame.
    /// </summary>
    private async Task IdleTickerAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / IdleFramesPerSecond));
        CancellationToken ct = _end.Token;
        long idleTicks = (long)(IdleAfter.TotalSeconds * Stopwatch.Frequency);
        long sequence = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                long now = Stopwatch.GetTimestamp();
                long last = Interlocked.Read(ref _lastFrameTicks);
                if (!PerformerConnected || last == 0 || now - last < idleTicks || RentFrame() is not { } frame)
                {
                    continue;
                }

                frame.Clear();
                frame.Sequence = --sequence;
                frame.CaptureTimestampUs = Interlocked.Read(ref _lastFrameCaptureUs) + (long)Stopwatch.GetElapsedTime(last, now).TotalMicroseconds - IdleStampLagUs;
                Interlocked.Increment(ref _idleFrames);
                if (!_ingest.Writer.TryWrite(new IngestItem(frame, now, Idle: true)))
                {
                    ReturnFrame(frame);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ended.
        }
    }

    /// <summary>Forwards one AudioChunk packet, as it came, to every viewer (oldest chunk dropped for a viewer that is behind).</summary>
    public void ForwardAudio(ReadOnlySpan<byte> packet)
    {
        Touch();
        ViewerQueue[] viewers = Volatile.Read(ref _viewers);
        if (viewers.Length == 0)
        {
            return;
        }

        SharedPacket shared = _packets.Rent();
        shared.Write(packet);
        shared.ReadyTicks = Stopwatch.GetTimestamp();
        foreach (ViewerQueue viewer in viewers)
        {
            shared.AddReference();
            if (!viewer.EnqueueAudio(shared))
            {
                Interlocked.Increment(ref _viewerDrops);
                _metrics.Drop(DropLink.Viewer);
            }
        }

        shared.Release();
    }

    /// <summary>A new viewer's queue (its frames stepped down as <paramref name="adaptation"/> decides; null: never), or null when the session has ended.</summary>
    public ViewerQueue? AddViewer(ViewerAdaptation? adaptation = null)
    {
        var queue = new ViewerQueue(adaptation);
        lock (_viewersLock)
        {
            if (Volatile.Read(ref _ended) != 0)
            {
                return null;
            }

            _viewers = [.. _viewers, queue];
        }

        return queue;
    }

    public void RemoveViewer(ViewerQueue queue)
    {
        ArgumentNullException.ThrowIfNull(queue);
        lock (_viewersLock)
        {
            _viewers = Array.FindAll(_viewers, v => !ReferenceEquals(v, queue));
        }

        queue.Close();
    }

    /// <summary>Each connected viewer's step, frame side and quality, and what its socket drains (<c>GET /api/live/{id}</c>).</summary>
    public IReadOnlyList<LiveViewerLink> ViewerLinks()
    {
        ViewerQueue[] viewers = Volatile.Read(ref _viewers);
        var links = new LiveViewerLink[viewers.Length];
        for (int i = 0; i < viewers.Length; i++)
        {
            ViewerAdaptation a = viewers[i].Adaptation;
            ViewerLadder.Step step = ViewerLadder.Steps[a.Step];
            links[i] = new LiveViewerLink(a.Enabled, a.Step, Size / step.Divisor, step.Quality == 0 ? _jpegQuality : step.Quality, a.Alpha && _alphaEncoder is not null,
                Math.Round(a.BytesPerSecond / 1000, 1), Math.Round(a.FramesPerSecond, 1), viewers[i].Dropped, a.StepsDown, a.StepsUp);
        }

        return links;
    }

    /// <summary>The .mpk this session's motion is kept in (<see cref="ServerOptions.RecordDirectory"/>), or null.</summary>
    public string? RecordingPath { get; private set; }

    /// <summary>
    /// Keeps every packet the performer sends from now on (<see cref="RecordPacket"/>) in <paramref name="path"/>, a
    /// Capture recording that <c>capture render</c> re-renders; closed when the session ends.
    /// </summary>
    internal void StartRecording(string path)
    {
        _recordingFile = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        _recording = new Capture.Protocol.Recording.RecordingWriter(_recordingFile, $"capture serve, live session {Id}");
        RecordingPath = path;
    }

    /// <summary>Appends one accepted packet (a TrackingFrame or AudioChunk, as received) to the session's recording, if it keeps one.</summary>
    internal void RecordPacket(ReadOnlySpan<byte> packet)
    {
        lock (_recordingLock)
        {
            _recording?.Write(packet);
        }
    }

    private void StopRecording()
    {
        lock (_recordingLock)
        {
            _recording?.Dispose();
            _recordingFile?.Dispose();
            _recording = null;
            _recordingFile = null;
        }
    }

    /// <summary>Ends the session (once; later calls do nothing): stops the render loop, closes every viewer, frees the generator.</summary>
    public void End(string reason)
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        EndReason = reason;
        _logger.LogInformation("live session {Id} ended: {Reason}", Id, reason);
        _ingest.Writer.TryComplete();
        _end.Cancel();
        ViewerQueue[] viewers;
        lock (_viewersLock)
        {
            viewers = _viewers;
            _viewers = [];
        }

        foreach (ViewerQueue viewer in viewers)
        {
            viewer.Close();
        }

        StopRecording();
        _ = FinishAsync();
    }

    private async Task FinishAsync()
    {
        try
        {
            await _renderLoop.ConfigureAwait(false);
            await _idleTicker.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // The loop stops by cancellation.
        }
        finally
        {
            while (_ingest.Reader.TryRead(out IngestItem left))
            {
                ReturnFrame(left.Frame);
            }

            _renderer.Dispose();
            _encoder.Dispose();
            _alphaEncoder?.Dispose();
            _completion.TrySetResult();
        }
    }

    private async Task RenderLoopAsync()
    {
        ChannelReader<IngestItem> reader = _ingest.Reader;
        CancellationToken ct = _end.Token;
        try
        {
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (reader.TryRead(out IngestItem item))
                {
                    try
                    {
                        RenderOne(item);
                    }
                    finally
                    {
                        ReturnFrame(item.Frame);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ended.
        }
    }

    private void RenderOne(IngestItem item)
    {
        TrackingFrame frame = item.Frame;
        if (Interlocked.Exchange(ref _performerChanged, 0) == 1)
        {
            _renderer.BeginPerformer(_capabilities);
            _lastCaptureUs = long.MinValue;
        }

        if (item.Idle)
        {
            // Idle frames keep a calibrated character alive; before calibration there is no motion to ease out of.
            // They do not move the order check: a returning frame a little older than the last idle one is still the performer's.
            if (!_renderer.Calibrated)
            {
                return;
            }
        }
        else if (frame.CaptureTimestampUs < _lastCaptureUs)
        {
            // The retargeter needs frames in time order; a late one is dropped and counted.
            Interlocked.Increment(ref _orderDrops);
            _metrics.Drop(DropLink.Order);
            return;
        }

        else
        {
            _lastCaptureUs = frame.CaptureTimestampUs;
        }

        long t0 = Stopwatch.GetTimestamp();
        _metrics.QueueMs.Record(Stopwatch.GetElapsedTime(item.ReceivedTicks, t0).TotalMilliseconds);
        long t1;
        int encoded;
        try
        {
            _renderer.Render(frame);
            t1 = Stopwatch.GetTimestamp();
            encoded = Publish(frame.CaptureTimestampUs, item.Idle);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // One bad frame (a tracking glitch the retargeter cannot solve) must not end the session.
            if (Interlocked.Increment(ref _renderErrors) <= 3)
            {
                _logger.LogWarning(ex, "live session {Id}: frame {Sequence} could not be rendered; skipped", Id, frame.Sequence);
            }

            return;
        }

        long t2 = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _rendered);
        _metrics.FramesRendered.Add(1);
        _metrics.RenderMs.Record(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
        if (encoded > 0)
        {
            _metrics.JpegMs.Record(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
        }
    }

    /// <summary>
    /// Hands the rendered frame to every viewer at the step of <see cref="ViewerLadder"/> its <see cref="ViewerAdaptation"/>
    /// chose: each (step, alpha or not) needed is encoded once and its packet shared by the viewers that take it.
    /// Returns how many packets were made (0: no viewer).
    /// </summary>
    private int Publish(long captureUs, bool idle)
    {
        ViewerQueue[] viewers = Volatile.Read(ref _viewers);
        if (_viewerKeys.Length < viewers.Length)
        {
            _viewerKeys = new int[viewers.Length * 2];
        }

        long now = Stopwatch.GetTimestamp();
        for (int v = 0; v < viewers.Length; v++)
        {
            ViewerAdaptation a = viewers[v].Adaptation;
            _viewerKeys[v] = (a.Next(now) * 2) + (a.Alpha && _alphaEncoder is not null ? 1 : 0);
        }

        var header = new RenderedFrameHeader(_sequence++, captureUs, UnixClock.NowUs, _renderer.Size, _renderer.Size);
        int made = 0;
        try
        {
            for (int step = 0; step < ViewerLadder.Steps.Length; step++)
            {
                bool plain = false, withAlpha = false;
                for (int v = 0; v < viewers.Length; v++)
                {
                    plain |= _viewerKeys[v] == step * 2;
                    withAlpha |= _viewerKeys[v] == (step * 2) + 1;
                }

                if (plain || withAlpha)
                {
                    made += Encode(step, header, plain, withAlpha, idle);
                }
            }

            for (int v = 0; v < viewers.Length; v++)
            {
                SharedPacket packet = _variants[_viewerKeys[v]]!;
                packet.AddReference();
                bool kept = viewers[v].EnqueueFrame(packet);
                viewers[v].Adaptation.Offered(dropped: !kept);
                if (!kept)
                {
                    Interlocked.Increment(ref _viewerDrops);
                    _metrics.Drop(DropLink.Viewer);
                }
            }
        }
        finally
        {
            for (int i = 0; i < _variants.Length; i++)
            {
                _variants[i]?.Release();
                _variants[i] = null;
            }
        }

        return made;
    }

    // Encodes the frame at one ladder step into the packets for viewers without alpha (plain) and with it.
    private int Encode(int step, RenderedFrameHeader header, bool plain, bool withAlpha, bool idle)
    {
        ViewerLadder.Step s = ViewerLadder.Steps[step];
        VideoFrame rendered = _renderer.Frame;
        int side = rendered.Width / s.Divisor;
        ReadOnlySpan<byte> rgb = rendered.ReadOnlyPixels;
        int stride = rendered.Stride;
        ReadOnlySpan<byte> alphaPlane = _alphaEncoder is null ? default : _renderer.Alpha;
        if (s.Divisor > 1)
        {
            int half = rendered.Width / 2;
            _halfRgb ??= new byte[half * half * 3];
            FrameScaling.Halve(rgb, rendered.Width, rendered.Height, stride, 3, _halfRgb);
            rgb = _halfRgb;
            stride = half * 3;
            if (withAlpha)
            {
                _halfAlpha ??= new byte[half * half];
                FrameScaling.Halve(alphaPlane, rendered.Width, rendered.Height, rendered.Width, 1, _halfAlpha);
                alphaPlane = _halfAlpha;
            }

            if (s.Divisor > 2)
            {
                int quarter = half / 2;
                _quarterRgb ??= new byte[quarter * quarter * 3];
                FrameScaling.Halve(rgb, half, half, stride, 3, _quarterRgb);
                rgb = _quarterRgb;
                stride = quarter * 3;
                if (withAlpha)
                {
                    _quarterAlpha ??= new byte[quarter * quarter];
                    FrameScaling.Halve(alphaPlane, half, half, half, 1, _quarterAlpha);
                    alphaPlane = _quarterAlpha;
                }
            }
        }

        int quality = s.Quality == 0 ? _jpegQuality : s.Quality;
        RenderedFrameHeader h = header with { Width = side, Height = side };
        ReadOnlyMemory<byte> jpeg = _encoder.Encode(rgb, side, side, stride, JpegInputFormat.Rgb24, quality);
        int made = 0;
        if (plain)
        {
            SharedPacket packet = _packets.Rent();
            if (step == 0)
            {
                ProtocolWriter.WriteRenderedFrame(packet, h, jpeg.Span);
            }
            else
            {
                ProtocolWriter.WriteRenderedFrame(packet, h, jpeg.Span, default, null, quality);
            }

            Ready(packet, header.CaptureTimestampUs, idle);
            _variants[step * 2] = packet;
            made++;
        }

        if (withAlpha)
        {
            ReadOnlyMemory<byte> alpha = _alphaEncoder!.Encode(alphaPlane, side, side, side, JpegInputFormat.Grey8, AlphaJpegQuality);
            SharedPacket packet = _packets.Rent();
            if (step == 0)
            {
                ProtocolWriter.WriteRenderedFrame(packet, h, jpeg.Span, alpha.Span, _matte);
            }
            else
            {
                ProtocolWriter.WriteRenderedFrame(packet, h, jpeg.Span, alpha.Span, _matte, quality);
            }

            Ready(packet, header.CaptureTimestampUs, idle);
            _variants[(step * 2) + 1] = packet;
            made++;
        }

        return made;
    }

    private static void Ready(SharedPacket packet, long captureUs, bool idle)
    {
        packet.CaptureTimestampUs = captureUs;
        packet.Idle = idle;
        packet.ReadyTicks = Stopwatch.GetTimestamp();
    }

    private TrackingFrame? RentFrame()
    {
        lock (_framesLock)
        {
            return _frames.TryPop(out TrackingFrame? f) ? f : null;
        }
    }

    private void ReturnFrame(TrackingFrame frame)
    {
        lock (_framesLock)
        {
            _frames.Push(frame);
        }
    }

    private readonly record struct IngestItem(TrackingFrame Frame, long ReceivedTicks, bool Idle);
}

/// <summary>A session's counters since it was created.</summary>
public readonly record struct LiveSessionStats(long FramesReceived, long FramesRendered, long IngestDrops, long ViewerDrops, long OrderDrops, long Malformed);
