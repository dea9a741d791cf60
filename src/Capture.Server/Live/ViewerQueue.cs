using System.Threading.Tasks.Sources;

namespace Capture.Server.Live;

/// <summary>
/// One viewer's outgoing queue: rendered frames (latest wins: at most <see cref="FrameCapacity"/>, the oldest
/// dropped and counted) and audio chunks (at most <see cref="AudioCapacity"/>, oldest dropped). The render loop
/// enqueues without ever waiting, so a slow or stuck viewer only loses its own frames. Audio goes out first
/// (small and time-critical). One reader (the viewer's send loop), any number of writers. A waiting reader is
/// handed the next packet directly through a reused <see cref="IValueTaskSource{TResult}"/>, so a frame's trip
/// through the queue allocates nothing.
/// </summary>
public sealed class ViewerQueue : IValueTaskSource<SharedPacket?>
{
    /// <summary>Two frames: one being sent, one waiting; a third means the viewer is behind.</summary>
    public const int FrameCapacity = 2;

    /// <summary>Sixteen chunks: ~320 ms of 20 ms chunks of slack before audio drops.</summary>
    public const int AudioCapacity = 16;

    private readonly Lock _lock = new();
    private readonly SharedPacket?[] _frames = new SharedPacket?[FrameCapacity];
    private readonly SharedPacket?[] _audio = new SharedPacket?[AudioCapacity];
    private ManualResetValueTaskSourceCore<SharedPacket?> _waiter = new() { RunContinuationsAsynchronously = true };
    private bool _waiting;
    private int _frameHead;
    private int _frameCount;
    private int _audioHead;
    private int _audioCount;
    private bool _closed;
    private long _dropped;

    /// <param name="adaptation">How this viewer's frames follow its socket (null: never stepped down).</param>
    public ViewerQueue(ViewerAdaptation? adaptation = null)
    {
        Adaptation = adaptation ?? new ViewerAdaptation(enabled: false, TimeSpan.FromSeconds(1));
    }

    /// <summary>Where this viewer stands on the <see cref="ViewerLadder"/>, and what its socket drains.</summary>
    public ViewerAdaptation Adaptation { get; }

    /// <summary>Frames and chunks dropped because this viewer was behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a frame (taking over one reference of <paramref name="packet"/>); returns false when that dropped an older one (or the queue is closed).</summary>
    public bool EnqueueFrame(SharedPacket packet) => Enqueue(packet, audio: false);

    /// <inheritdoc cref="EnqueueFrame"/>
    public bool EnqueueAudio(SharedPacket packet) => Enqueue(packet, audio: true);

    /// <summary>
    /// The next packet to send (the caller then owns one reference), waiting for one; null once closed. One call
    /// at a time, each awaited before the next. Closing wakes a waiting call.
    /// </summary>
    public ValueTask<SharedPacket?> DequeueAsync()
    {
        lock (_lock)
        {
            if (_closed)
            {
                return new ValueTask<SharedPacket?>((SharedPacket?)null);
            }

            if (TakeNext() is SharedPacket ready)
            {
                return new ValueTask<SharedPacket?>(ready);
            }

            _waiter.Reset();
            _waiting = true;
            return new ValueTask<SharedPacket?>(this, _waiter.Version);
        }
    }

    /// <summary>Stops the queue and releases whatever is still in it.</summary>
    public void Close()
    {
        bool wake;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            while (TakeNext() is SharedPacket p)
            {
                p.Release();
            }

            wake = _waiting;
            _waiting = false;
        }

        if (wake)
        {
            _waiter.SetResult(null);
        }
    }

    private bool Enqueue(SharedPacket packet, bool audio)
    {
        SharedPacket? dropped = null;
        SharedPacket? handOver = null;
        bool closed;
        lock (_lock)
        {
            closed = _closed;
            if (closed)
            {
                dropped = packet;
            }
            else if (_waiting)
            {
                // The reader waits on an empty queue: give it this packet directly.
                _waiting = false;
                handOver = packet;
            }
            else if (audio)
            {
                dropped = Push(_audio, ref _audioHead, ref _audioCount, packet);
            }
            else
            {
                dropped = Push(_frames, ref _frameHead, ref _frameCount, packet);
            }
        }

        if (handOver is not null)
        {
            _waiter.SetResult(handOver);
        }

        if (dropped is not null)
        {
            if (!closed)
            {
                Interlocked.Increment(ref _dropped);
            }

            dropped.Release();
        }

        return dropped is null;
    }

    // Adds to a full-or-not ring; returns the oldest item when it had to make room.
    private static SharedPacket? Push(SharedPacket?[] ring, ref int head, ref int count, SharedPacket packet)
    {
        SharedPacket? oldest = null;
        if (count == ring.Length)
        {
            oldest = Take(ring, ref head, ref count);
        }

        ring[(head + count) % ring.Length] = packet;
        count++;
        return oldest;
    }

    private SharedPacket? TakeNext() =>
        _audioCount > 0 ? Take(_audio, ref _audioHead, ref _audioCount)
        : _frameCount > 0 ? Take(_frames, ref _frameHead, ref _frameCount)
        : null;

    private static SharedPacket? Take(SharedPacket?[] ring, ref int head, ref int count)
    {
        SharedPacket? p = ring[head];
        ring[head] = null;
        head = (head + 1) % ring.Length;
        count--;
        return p;
    }

    SharedPacket? IValueTaskSource<SharedPacket?>.GetResult(short token) => _waiter.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SharedPacket?>.GetStatus(short token) => _waiter.GetStatus(token);

    void IValueTaskSource<SharedPacket?>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _waiter.OnCompleted(continuation, state, token, flags);
}
