using System.Collections.Concurrent;

namespace Capture.Core.Frames;

/// <summary>
/// A fixed set of equally sized <see cref="VideoFrame"/>s, all allocated up front, handed out one
/// owner at a time. When every frame is out, <see cref="RentAsync"/> waits for one to come back:
/// that wait is the back-pressure an offline pipeline wants, and a live link drops frames before it
/// gets here. Thread-safe.
/// </summary>
public sealed class FramePool
{
    private readonly ConcurrentBag<VideoFrame> _free = [];
    private readonly SemaphoreSlim _available;
    private long _rentCount;
    private long _waitCount;

    public FramePool(int width, int height, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Width = width;
        Height = height;
        Capacity = capacity;
        for (int i = 0; i < capacity; i++)
        {
            _free.Add(new VideoFrame(this, width, height));
        }

        _available = new SemaphoreSlim(capacity, capacity);
    }

    public int Width { get; }

    public int Height { get; }

    public int Capacity { get; }

    /// <summary>Frames currently rented out.</summary>
    public int InUse => Capacity - _available.CurrentCount;

    /// <summary>Total rents since the pool was made.</summary>
    public long RentCount => Interlocked.Read(ref _rentCount);

    /// <summary>Rents that had to wait because every frame was out (a slow consumer).</summary>
    public long WaitCount => Interlocked.Read(ref _waitCount);

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
        if (!_free.TryTake(out VideoFrame? frame))
        {
            throw new InvalidOperationException("Frame pool accounting is broken: a permit was free but no frame was.");
        }

        Interlocked.Increment(ref _rentCount);
        frame.MarkRented();
        return frame;
    }

    internal void Return(VideoFrame frame)
    {
        _free.Add(frame);
        _available.Release();
    }
}
