using System.Runtime.CompilerServices;

namespace Capture.Core.Frames;

/// <summary>
/// A fixed set of equally sized <see cref="VideoFrame"/>s, all allocated up front, handed out one
/// owner at a time. When every frame is out, <see cref="RentAsync"/> waits for one to come back:
/// that wait is the back-pressure an offline pipeline wants, and a live link drops frames before it
/// gets here. Thread-safe.
/// </summary>
/// <remarks>
/// The free frames sit in a plain array under a lock, never in a <c>ConcurrentBag</c>: a bag keeps
/// its items in per-thread storage (a <c>ThreadLocal</c> slot rooted by every thread that ever added
/// one), and since each frame points back to its pool, that slot kept the pool, the bag and all its
/// frames alive for as long as the thread lived (thread-pool threads: for good). Every job leaked its
/// decoded frames that way. Nothing here is reachable from a thread or a static once the pool's last
/// user lets go; <see cref="LivePools"/> (weak) says which pools are still alive.
/// </remarks>
public sealed class FramePool
{
    // Weak keys: a pool in here stays collectable. For the pool-bytes metric and the leak tests.
    private static readonly ConditionalWeakTable<FramePool, object?> s_live = [];

    private readonly Lock _gate = new();
    private readonly VideoFrame[] _free;
    private readonly SemaphoreSlim _available;
    private int _freeCount;
    private long _rentCount;
    private long _waitCount;

    public FramePool(int width, int height, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Width = width;
        Height = height;
        Capacity = capacity;
        _free = new VideoFrame[capacity];
        for (int i = 0; i < capacity; i++)
        {
            _free[i] = new VideoFrame(this, width, height);
        }

        _freeCount = capacity;
        _available = new SemaphoreSlim(capacity, capacity);
        s_live.Add(this, null);
    }

    public int Width { get; }

    public int Height { get; }

    public int Capacity { get; }

    /// <summary>Bytes of pixels this pool holds (all its frames, rented or not).</summary>
    public long Bytes => (long)Width * Height * 3 * Capacity;

    /// <summary>Frames currently rented out.</summary>
    public int InUse => Capacity - _available.CurrentCount;

    /// <summary>Total rents since the pool was made.</summary>
    public long RentCount => Interlocked.Read(ref _rentCount);

    /// <summary>Rents that had to wait because every frame was out (a slow consumer).</summary>
    public long WaitCount => Interlocked.Read(ref _waitCount);

    /// <summary>
    /// The pools not yet collected (a snapshot; the process's pools are tracked weakly, so this list does
    /// not keep any alive once the caller drops it). A pool that is no longer used disappears after a GC.
    /// </summary>
    public static IReadOnlyList<FramePool> LivePools()
    {
        var pools = new List<FramePool>();
        foreach (KeyValuePair<FramePool, object?> entry in s_live)
        {
            pools.Add(entry.Key);
        }

        return pools;
    }

    /// <summary>Takes a frame without waiting; false when all are out.</summary>
    public bool TryRent(out VideoFrame frame)
    {
        if (_available.Wait(0))
        {
            frame = Take();
            return true;
        }

        frame = null!;
        return false;
    }

    /// <summary>Takes a frame, waiting until one is returned if all are out.</summary>
    public async ValueTask<VideoFrame> RentAsync(CancellationToken cancellationToken = default)
    {
        if (!_available.Wait(0))
        {
            Interlocked.Increment(ref _waitCount);
            await _available.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return Take();
    }

    private VideoFrame Take()
    {
        VideoFrame frame;
        lock (_gate)
        {
            if (_freeCount == 0)
            {
                throw new InvalidOperationException("Frame pool accounting is broken: a permit was free but no frame was.");
            }

            frame = _free[--_freeCount];
            _free[_freeCount] = null!;
        }

        Interlocked.Increment(ref _rentCount);
        frame.MarkRented();
        return frame;
    }

    internal void Return(VideoFrame frame)
    {
        lock (_gate)
        {
            _free[_freeCount++] = frame;
        }

        _available.Release();
    }
}
