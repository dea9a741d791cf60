using System.Net.WebSockets;
using Capture.Core.Timing;
using Capture.Protocol.Schema;

namespace Capture.Server.Client;

/// <summary>
/// A viewer of a live session in code (`capture live` uses it to measure glass-to-glass; tests check frames
/// with it): connects to the frames WebSocket and records, for every RenderedFrame, its header and the time it
/// arrived (Unix µs). <see cref="OnFrame"/> may look at the JPEG during the call.
/// </summary>
public sealed class LiveViewer : IAsyncDisposable
{
    /// <summary>Frames remembered at most: an hour at 30 fps (~6 MB).</summary>
    public const int MaxKept = 108_000;

    private readonly ClientWebSocket _socket = new();
    private readonly ProtocolReader _reader = new();
    private readonly List<ViewedFrame> _frames = [];
    private readonly Lock _lock = new();
    private Task _loop = Task.CompletedTask;
    private readonly CancellationTokenSource _stop = new();

    /// <summary>Called on the receive loop for each frame: header, JPEG (valid during the call), arrival time (Unix µs).</summary>
    public Action<RenderedFrameHeader, ReadOnlyMemory<byte>, long>? OnFrame { get; init; }

    /// <summary>
    /// Called on the receive loop for each frame that carries its alpha (v1.5), after <see cref="OnFrame"/>: header, the
    /// alpha's greyscale JPEG (valid during the call) and the matte the RGB was composited over (null: none).
    /// </summary>
    public Action<RenderedFrameHeader, ReadOnlyMemory<byte>, RenderedMatte?>? OnAlpha { get; init; }

    /// <summary>Audio chunks received.</summary>
    public long AudioChunks { get; private set; }

    /// <summary>The close status and reason the server sent, once closed.</summary>
    public (WebSocketCloseStatus? Status, string? Reason) Close => (_socket.CloseStatus, _socket.CloseStatusDescription);

    /// <summary>A copy of what has arrived so far (the last <see cref="MaxKept"/> at most).</summary>
    public IReadOnlyList<ViewedFrame> Frames
    {
        get
        {
            lock (_lock)
            {
                return [.. _frames];
            }
        }
    }

    /// <summary>Completes when the server closes the stream (or <see cref="DisposeAsync"/>).</summary>
    public Task Completion => _loop;

    public async Task ConnectAsync(Uri framesUrl, CancellationToken ct = default)
    {
        await _socket.ConnectAsync(framesUrl, ct).ConfigureAwait(false);
        _loop = Task.Run(ReceiveLoopAsync, CancellationToken.None);
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[4 * 1024 * 1024];
        try
        {
            while (true)
            {
                int total = 0;
                ValueWebSocketReceiveResult r;
                do
                {
                    r = await _socket.ReceiveAsync(buffer.AsMemory(total), _stop.Token).ConfigureAwait(false);
                    total += r.Count;
                }
                while (!r.EndOfMessage && r.MessageType != WebSocketMessageType.Close && total < buffer.Length);

                if (r.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                long arrived = UnixClock.NowUs;
                MessageKind kind = _reader.Read(buffer.AsSpan(0, total));
                if (kind == MessageKind.RenderedFrame)
                {
                    RenderedFrameHeader h = _reader.Rendered;
                    lock (_lock)
                    {
                        if (_frames.Count == MaxKept)
                        {
                            // A long run keeps its recent hour (latency figures then describe that hour).
                            _frames.RemoveRange(0, MaxKept / 2);
                        }

                        _frames.Add(new ViewedFrame(h, arrived, _reader.RenderedJpeg.Length, _reader.RenderedAlpha.Length, _reader.RenderedQuality, total));
                    }

                    OnFrame?.Invoke(h, _reader.RenderedJpeg, arrived);
                    if (!_reader.RenderedAlpha.IsEmpty)
                    {
                        OnAlpha?.Invoke(h, _reader.RenderedAlpha, _reader.RenderedMatte);
                    }
                }
                else if (kind == MessageKind.AudioChunk)
                {
                    AudioChunks++;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // Stopped, or the server went away.
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "viewer done", timeout.Token).ConfigureAwait(false);
                await _loop.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or TimeoutException)
        {
            // Closing anyway.
        }
        finally
        {
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }

            _socket.Dispose();
            _stop.Dispose();
        }
    }
}

/// <summary>
/// One frame as a viewer got it: its header, when it arrived (Unix µs), the JPEG's size and its alpha's (0: none), the JPEG
/// quality of a frame the server stepped down for this viewer (v1.6; 0: the session's own) and the whole message's bytes.
/// </summary>
public readonly record struct ViewedFrame(RenderedFrameHeader Header, long ArrivedUs, int JpegBytes, int AlphaBytes = 0, int Quality = 0, int MessageBytes = 0)
{
    /// <summary>Glass-to-glass: performer capture → arrival at the viewer, ms.</summary>
    public double LatencyMs => (ArrivedUs - Header.CaptureTimestampUs) / 1000.0;
}
