using System.Diagnostics;
using System.Net.WebSockets;
using Capture.Core.Timing;
using Capture.Server.Metrics;

namespace Capture.Server.Live;

/// <summary>
/// One viewer's frames WebSocket: sends what its <see cref="ViewerQueue"/> holds (RenderedFrame and AudioChunk
/// packets), and reads only to notice the viewer's close. A viewer that stops reading blocks only its own send;
/// its queue keeps just the latest frames meanwhile. When the session ends the viewer gets a close frame with
/// the reason; a send still stuck 2 s later is aborted.
/// </summary>
internal static class ViewerConnection
{
    public static async Task RunAsync(WebSocket socket, LiveSession session, ViewerQueue queue, LiveMetrics metrics, CancellationToken requestAborted)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        Task reading = ReadUntilCloseAsync(socket, queue, abort);
        try
        {
            while (await queue.DequeueAsync().ConfigureAwait(false) is SharedPacket packet)
            {
                try
                {
                    await socket.SendAsync(packet.Memory, WebSocketMessageType.Binary, endOfMessage: true, abort.Token).ConfigureAwait(false);
                    if (packet.CaptureTimestampUs != 0)
                    {
                        queue.Adaptation.Sent(packet.Memory.Length);
                        metrics.FramesSent.Add(1);
                        metrics.SendMs.Record(Stopwatch.GetElapsedTime(packet.ReadyTicks).TotalMilliseconds);
                        long latencyUs = UnixClock.NowUs - packet.CaptureTimestampUs;
                        if (!packet.Idle && latencyUs is >= 0 and < 60_000_000)
                        {
                            metrics.LatencyMs.Record(latencyUs / 1000.0);
                        }
                    }
                }
                finally
                {
                    packet.Release();
                }
            }

            // The queue closed: the session ended, or the viewer sent its close.
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                abort.CancelAfter(TimeSpan.FromSeconds(2));
                string? reason = session.EndReason is { } ended ? $"session ended: {ended}" : null;
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, CloseReasons.Fit(reason), abort.Token).ConfigureAwait(false);
            }

            await reading.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // The viewer went away (or never read its close): nothing to tell it.
        }
        finally
        {
            session.RemoveViewer(queue);
            await abort.CancelAsync().ConfigureAwait(false);
            try
            {
                await reading.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
            {
                // Already reported above, or the socket was aborted on purpose.
            }
        }
    }

    // Viewers send nothing but their close; anything else is read and ignored. On close the send loop is told to
    // stop (it answers the close); a send stuck on a viewer that stopped reading is aborted 2 s later.
    private static async Task ReadUntilCloseAsync(WebSocket socket, ViewerQueue queue, CancellationTokenSource abort)
    {
        byte[] discard = new byte[1024];
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult r = await socket.ReceiveAsync(discard.AsMemory(), abort.Token).ConfigureAwait(false);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
            }
        }
        finally
        {
            queue.Close();
            abort.CancelAfter(TimeSpan.FromSeconds(2));
        }
    }
}
