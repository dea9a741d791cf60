using System.Buffers;
using System.Numerics;
using System.Net.WebSockets;
using System.Text;
using Capture.Core.Timing;
using Capture.Core.Tracking;
using Capture.Jobs;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Schema;
using Capture.Server.Metrics;
using Capture.Server.Security;
using Microsoft.Extensions.Logging;

namespace Capture.Server.Live;

/// <summary>
/// One performer's ingest WebSocket (docs/live.md, "Ingest"): the first packet must be a schema-v1 Hello with
/// the session's performer token; then TrackingFrames go to the session's render queue, AudioChunks to the
/// viewers, and a Bye ends the session. A malformed packet is dropped, counted and logged (the connection
/// stays, until <see cref="ServerOptions.MaxConsecutiveBadPackets"/> in a row); a wrong major, a bad token or an
/// oversize packet closes the connection with a close reason naming the problem.
/// </summary>
internal sealed class IngestConnection
{
    private readonly WebSocket _socket;
    private readonly LiveSession _session;
    private readonly LiveSessionManager _manager;
    private readonly ServerOptions _options;
    private readonly LiveMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ProtocolReader _reader = new(MessagePackLimits.Untrusted);
    private long _malformedSeen;

    public IngestConnection(WebSocket socket, LiveSession session, LiveSessionManager manager, ServerOptions options, LiveMetrics metrics, ILogger logger)
    {
        _socket = socket;
        _session = session;
        _manager = manager;
        _options = options;
        _metrics = metrics;
        _logger = logger;
    }

    public async Task RunAsync(CancellationToken requestAborted)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(_options.MaxIngestPacketBytes);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        bool attached = false;
        // When the session ends under a connected performer: say so politely, then give the peer 2 s to answer.
        using CancellationTokenRegistration onEnd = _session.Ending.Register(() =>
        {
            _ = CloseQuietlyAsync(WebSocketCloseStatus.NormalClosure, $"session ended: {_session.EndReason}", drain: false);
            abort.CancelAfter(TimeSpan.FromSeconds(2));
        });
        try
        {
            abort.CancelAfter(_options.HelloTimeout);
            (Received kind, int length) = await ReceiveAsync(buffer, abort.Token).ConfigureAwait(false);
            if (kind != Received.Packet)
            {
                await RefuseAsync(kind, length, first: true).ConfigureAwait(false);
                return;
            }

            string? refusal = CheckHello(buffer.AsSpan(0, length), out WebSocketCloseStatus status, out PerformerCapabilities capabilities);
            if (refusal is not null)
            {
                _logger.LogWarning("live session {Id}: ingest refused: {Reason}", _session.Id, refusal);
                await CloseQuietlyAsync(status, refusal).ConfigureAwait(false);
                return;
            }

            if (!_session.TryAttachPerformer(capabilities))
            {
                await CloseQuietlyAsync(WebSocketCloseStatus.PolicyViolation, "this session already has a performer connected").ConfigureAwait(false);
                return;
            }

            attached = true;
            abort.CancelAfter(Timeout.InfiniteTimeSpan);
            // The performer's own words: escaped and bounded (the schema limits them too), so they cannot forge log lines.
            _logger.LogInformation("live session {Id}: performer {Performer} connected ({Capabilities})", _session.Id,
                ClientText.Printable(_reader.Hello!.PerformerId, 64), ClientText.Printable(string.Join(",", _reader.Hello.Capabilities), 256));
            await PumpAsync(buffer, abort.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
            // The performer vanished, the Hello never came, or the session ended: the session's timeout takes it from here.
        }
        finally
        {
            if (attached)
            {
                _session.DetachPerformer();
            }

            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task PumpAsync(byte[] buffer, CancellationToken ct)
    {
        int badInARow = 0;
        while (true)
        {
            (Received kind, int length) = await ReceiveAsync(buffer, ct).ConfigureAwait(false);
            if (kind is Received.Closed or Received.TooBig)
            {
                await RefuseAsync(kind, length, first: false).ConfigureAwait(false);
                return;
            }

            string? problem = kind == Received.Text ? $"a text message of {length} bytes (packets are binary messages)" : null;
            if (problem is null)
            {
                ReadOnlySpan<byte> packet = buffer.AsSpan(0, length);
                try
                {
                    switch (_reader.Read(packet))
                    {
                        case MessageKind.TrackingFrame when Implausible(_reader.Frame) is string implausible:
                            problem = implausible;
                            break;
                        case MessageKind.TrackingFrame:
                            long latencyUs = UnixClock.NowUs - _reader.Frame.CaptureTimestampUs;
                            if (latencyUs is >= 0 and < 60_000_000)
                            {
                                _metrics.IngestLatencyMs.Record(latencyUs / 1000.0);
                            }

                            _session.SubmitFrame(_reader.Frame);
                            _session.RecordPacket(packet);
                            break;
                        case MessageKind.AudioChunk:
                            _session.ForwardAudio(packet);
                            _session.RecordPacket(packet);
                            break;
                        case MessageKind.Bye:
                            string reason = string.IsNullOrWhiteSpace(_reader.Bye?.Reason) ? "the performer said bye" : $"the performer said bye ({ClientText.Printable(_reader.Bye!.Reason, 64)})";
                            // Ending the session sends our close (see RunAsync); keep reading until the performer's close comes back.
                            _manager.EndFromSession(_session, reason);
                            break;
                        default:
                            // Hello again, Stats, Ack, or a type from a newer minor: nothing to do, but the performer is alive.
                            _session.Touch();
                            break;
                    }

                    if (problem is null)
                    {
                        badInARow = 0;
                        continue;
                    }
                }
                catch (ProtocolVersionException ex)
                {
                    await CloseQuietlyAsync(WebSocketCloseStatus.ProtocolError, ex.Message).ConfigureAwait(false);
                    return;
                }
                catch (MessagePackFormatException ex)
                {
                    problem = ex.Message;
                }
            }

            _session.CountMalformed();
            badInARow++;
            // Logged for the first few and then every 100th, so a broken client cannot flood the log.
            if (++_malformedSeen <= 5 || _malformedSeen % 100 == 0)
            {
                _logger.LogWarning("live session {Id}: malformed packet dropped ({Total} so far, {InARow} in a row): {Problem}", _session.Id, _malformedSeen, badInARow, problem);
            }
            if (badInARow >= _options.MaxConsecutiveBadPackets)
            {
                await CloseQuietlyAsync(WebSocketCloseStatus.InvalidPayloadData, $"{badInARow} malformed packets in a row; last: {problem}").ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>
    /// Why a frame that decoded cannot drive the character, or null: a float32 sender can put NaN or absurd
    /// values in, and one such frame in the performer's calibration would spoil every frame after it.
    /// </summary>
    internal static string? Implausible(TrackingFrame frame)
    {
        // The reader already refused non-finite hands; a point far outside the picture is no hand either.
        static bool Absurd(HandObservation hand)
        {
            foreach (Vector3 p in hand.Landmarks)
            {
                if (!(MathF.Abs(p.X) <= 4 && MathF.Abs(p.Y) <= 4 && MathF.Abs(p.Z) <= 4))
                {
                    return true;
                }
            }

            return false;
        }

        if ((frame.LeftHand.Present && Absurd(frame.LeftHand)) || (frame.RightHand.Present && Absurd(frame.RightHand)))
        {
            return $"frame {frame.Sequence} has a hand landmark far outside the normalized image (beyond ±4)";
        }

        if (frame.Body.Present && ImplausibleBody(frame) is string body)
        {
            return body;
        }

        FaceObservation face = frame.Face;
        if (!face.Present)
        {
            return null;
        }

        if (frame.ImageWidth is <= 0 or > 16384 || frame.ImageHeight is <= 0 or > 16384)
        {
            return $"frame {frame.Sequence} has a face but an image size of {frame.ImageWidth}x{frame.ImageHeight}";
        }

        // Normalized coordinates: a face at the border reaches a little outside 0..1; ±4 is far beyond any real one.
        foreach (Vector3 p in face.Landmarks)
        {
            if (!(MathF.Abs(p.X) <= 4 && MathF.Abs(p.Y) <= 4 && MathF.Abs(p.Z) <= 4))
            {
                return $"frame {frame.Sequence} has a face landmark at ({p.X}, {p.Y}, {p.Z}): not finite, or far outside the normalized image";
            }
        }

        foreach (float b in face.Blendshapes)
        {
            if (!float.IsFinite(b))
            {
                return $"frame {frame.Sequence} has a blendshape that is not a finite number";
            }
        }

        return null;
    }

    // A body drives the character's limbs (body sessions) and is recorded: a point that is not finite or is far outside
    // the picture (normalized ±4, as the face), or a world point beyond 10 m of the hips, is no body.
    private static string? ImplausibleBody(TrackingFrame frame)
    {
        if (frame.ImageWidth is <= 0 or > 16384 || frame.ImageHeight is <= 0 or > 16384)
        {
            return $"frame {frame.Sequence} has a body but an image size of {frame.ImageWidth}x{frame.ImageHeight}";
        }

        BodyObservation body = frame.Body;
        if (!float.IsFinite(body.Score))
        {
            return $"frame {frame.Sequence} has a body score that is not a finite number";
        }

        foreach (Vector4 p in body.Landmarks)
        {
            if (!(MathF.Abs(p.X) <= 4 && MathF.Abs(p.Y) <= 4 && MathF.Abs(p.Z) <= 4 && float.IsFinite(p.W)))
            {
                return $"frame {frame.Sequence} has a body landmark at ({p.X}, {p.Y}, {p.Z}): not finite, or far outside the normalized image";
            }
        }

        if (body.HasWorld)
        {
            foreach (Vector3 p in body.WorldLandmarks)
            {
                if (!(MathF.Abs(p.X) <= 10 && MathF.Abs(p.Y) <= 10 && MathF.Abs(p.Z) <= 10))
                {
                    return $"frame {frame.Sequence} has a body world landmark at ({p.X}, {p.Y}, {p.Z}) m: not finite, or over 10 m from the hips";
                }
            }
        }

        return null;
    }

    private string? CheckHello(ReadOnlySpan<byte> packet, out WebSocketCloseStatus status, out PerformerCapabilities capabilities)
    {
        capabilities = default;
        status = WebSocketCloseStatus.PolicyViolation;
        MessageKind kind;
        try
        {
            kind = _reader.Read(packet);
        }
        catch (ProtocolVersionException ex)
        {
            status = WebSocketCloseStatus.ProtocolError;
            return ex.Message;
        }
        catch (MessagePackFormatException ex)
        {
            status = WebSocketCloseStatus.InvalidPayloadData;
            return $"the first packet is not a valid Hello: {ex.Message}";
        }

        if (kind != MessageKind.Hello)
        {
            return $"the first packet must be a Hello (type 1), got type {_reader.LastTypeNumber}";
        }

        HelloMessage hello = _reader.Hello!;
        if (hello.AuthToken is null || !Secrets.Matches(hello.AuthToken, _session.PerformerToken))
        {
            return "the Hello's token is not this session's performer token";
        }

        capabilities = PerformerCapabilities.From(hello.Capabilities);
        return null;
    }

    private async Task RefuseAsync(Received kind, int length, bool first)
    {
        if (kind == Received.TooBig)
        {
            _session.CountMalformed();
            _logger.LogWarning("live session {Id}: ingest packet over {Limit} bytes; closing", _session.Id, _options.MaxIngestPacketBytes);
            await CloseQuietlyAsync(WebSocketCloseStatus.MessageTooBig, $"message too big: over {_options.MaxIngestPacketBytes} bytes").ConfigureAwait(false);
        }
        else if (kind == Received.Text && first)
        {
            await CloseQuietlyAsync(WebSocketCloseStatus.InvalidPayloadData, $"the first packet must be a binary Hello, got a text message of {length} bytes").ConfigureAwait(false);
        }
        else if (kind == Received.Closed)
        {
            await CloseQuietlyAsync(WebSocketCloseStatus.NormalClosure, null).ConfigureAwait(false);
        }
    }

    /// <summary>One whole message into <paramref name="buffer"/>; stops reading at the size limit (the rest is never read: the connection is closed).</summary>
    private async Task<(Received Kind, int Length)> ReceiveAsync(byte[] buffer, CancellationToken ct)
    {
        int limit = _options.MaxIngestPacketBytes;
        int total = 0;
        while (true)
        {
            if (total == limit)
            {
                // Full: one more byte makes it too big. Peek with a 1-byte read.
                ValueWebSocketReceiveResult more = await _socket.ReceiveAsync(buffer.AsMemory(0, 1), ct).ConfigureAwait(false);
                if (more.MessageType == WebSocketMessageType.Close)
                {
                    return (Received.Closed, 0);
                }

                if (more.Count == 0 && more.EndOfMessage)
                {
                    return (Received.Packet, total);
                }

                return (Received.TooBig, total + more.Count);
            }

            ValueWebSocketReceiveResult result = await _socket.ReceiveAsync(buffer.AsMemory(total, limit - total), ct).ConfigureAwait(false);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (Received.Closed, 0);
            }

            total += result.Count;
            if (result.EndOfMessage)
            {
                return (result.MessageType == WebSocketMessageType.Text ? Received.Text : Received.Packet, total);
            }
        }
    }

    /// <summary>
    /// Sends our close frame and, when nothing else is reading, reads (and discards) what the peer still sends
    /// until its close frame comes back or 2 s pass, so the peer sees the reason instead of a reset connection.
    /// </summary>
    private async Task CloseQuietlyAsync(WebSocketCloseStatus status, string? reason, bool drain = true)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(status, CloseReasons.Fit(reason), timeout.Token).ConfigureAwait(false);
            }

            if (drain)
            {
                byte[] discard = ArrayPool<byte>.Shared.Rent(16 * 1024);
                try
                {
                    while (_socket.State == WebSocketState.CloseSent)
                    {
                        ValueWebSocketReceiveResult r = await _socket.ReceiveAsync(discard.AsMemory(), timeout.Token).ConfigureAwait(false);
                        if (r.MessageType == WebSocketMessageType.Close)
                        {
                            break;
                        }
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(discard);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The peer is gone already, or the session's end is closing the socket at the same moment.
        }
    }

    private enum Received
    {
        Packet,
        Text,
        TooBig,
        Closed,
    }
}

/// <summary>WebSocket close reasons are at most 123 bytes of UTF-8 (RFC 6455 §5.5): longer ones are cut at a character boundary.</summary>
internal static class CloseReasons
{
    public const int MaxBytes = 123;

    public static string? Fit(string? reason)
    {
        if (reason is null || Encoding.UTF8.GetByteCount(reason) <= MaxBytes)
        {
            return reason;
        }

        int length = reason.Length;
        while (length > 0 && Encoding.UTF8.GetByteCount(reason.AsSpan(0, length)) > MaxBytes - 3)
        {
            length--;
        }

        return string.Concat(reason.AsSpan(0, length), "...");
    }
}
