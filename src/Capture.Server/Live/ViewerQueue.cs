namespace Capture.Server.Live;

/// <summary>
/// One viewer's outgoing queue: rendered frames (latest wins: at most <see cref="FrameCapacity"/>, the oldest
/// dropped and counted) and audio chunks (at most <see cref="AudioCapacity"/>, oldest dropped). The render loop
/// enqueues without ever waiting, so a slow or stuck viewer only loses its own frames. Audio goes out first
/// (small and time-critical). One reader (the viewer's send loop), any number of writers.
/// </summary>
public sealed class ViewerQueue
{
    /// <summary>Two frames: one being sent, one waiting; a third means the viewer is behind.</summary>
    public const int FrameCapacity = 2;

    /// <summary>Sixteen chunks: ~320 ms of 20 ms chunks of slack before audio drops.</summary>
    public const int AudioCapacity = 16;

    private readonly Lock _lock = new();
    private readonly SharedPacket?[] _frames = new SharedPacket?[FrameCapacity];
    private readonly SharedPacket?[] _audio = new SharedPacket?[AudioCapacity];
    private readonly SemaphoreSlim _signal = new(0);
    private int _frameHead;
    private int _frameCount;
    private int _audioHead;
    private int _audioCount;
    private bool _closed;
    private long _dropped;

    /// <summary>Frames and chunks dropped because this viewer was behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a frame (taking over one reference of <paramref name="packet"/>); returns false when that dropped an older one.</summary>
    public bool EnqueueFrame(SharedPacket packet) => Enqueue(packet, _frames, ref _frameHead, ref _frameCount);

    /// <inheritdoc cref="EnqueueFrame"/>
    public bool EnqueueAudio(SharedPacket packet) => Enqueue(packet, _audio, ref _audioHead, ref _audioCount);

    /// <summary>The next packet to send (the caller then owns one reference), waiting for one; null once closed.</summary>
    public async ValueTask<SharedPacket?> DequeueAsync(CancellationToken ct)
    {
        while (true)
        {
            lock (_lock)
            {
                if (_closed)
                {
                    return null;
                }

                if (_audioCount > 0)
                {
                    return Take(_audio, ref _audioHead, ref _audioCount);
                }

                if (_frameCount > 0)
                {
                    return Take(_frames, ref _frameHead, ref _frameCount);
                }
            }

            await _signal.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>Stops the queue and releases whatever is still in it.</summary>
    public void Close()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            while (_frameCount > 0)
            {
                Take(_frames, ref _frameHead, ref _frameCount)!.Release();
            }

            while (_audioCount > 0)
            {
                Take(_audio, ref _audioHead, ref _audioCount)!.Release();
            }
        }

        _signal.Release();
    }

    private bool Enqueue(SharedPacket packet, SharedPacket?[] ring, ref int head, ref int count)
    {
        SharedPacket? dropped = null;
        lock (_lock)
        {
            if (_closed)
            {
                dropped = packet;
            }
            else
            {
                if (count == ring.Length)
                {
                    dropped = Take(ring, ref head, ref count);
                    Interlocked.Increment(ref _dropped);
                }

                ring[(head + count) % ring.Length] = packet;
                count++;
            }
        }

        dropped?.Release();
        if (_signal.CurrentCount == 0)
        {
            _signal.Release();
        }

        return dropped is null;
    }

    private static SharedPacket? Take(SharedPacket?[] ring, ref int head, ref int count)
    {
        SharedPacket? p = ring[head];
        ring[head] = null;
        head = (head + 1) % ring.Length;
        count--;
        return p;
    }
}
