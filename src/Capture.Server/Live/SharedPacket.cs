using System.Buffers;
using System.Collections.Concurrent;
using Capture.Protocol.MessagePack;

namespace Capture.Server.Live;

/// <summary>
/// One encoded protocol message shared by every viewer it is queued to: reference-counted, and back in its
/// <see cref="SharedPacketPool"/> when the last holder releases it, so fanning a frame out to N viewers
/// copies nothing and allocates nothing in steady state. Writable (as an <see cref="IBufferWriter{T}"/>) only
/// by the one that rented it, before it is shared.
/// </summary>
public sealed class SharedPacket : IBufferWriter<byte>
{
    private readonly SharedPacketPool _pool;

    // The bytes: the protocol's own reused writer; this class adds only the sharing (references, pool).
    private readonly PooledBufferWriter _bytes;
    private int _references;

    internal SharedPacket(SharedPacketPool pool, int capacity)
    {
        _pool = pool;
        _bytes = new PooledBufferWriter(capacity);
    }

    /// <summary>The message bytes; valid while the caller holds a reference.</summary>
    public ReadOnlyMemory<byte> Memory => _bytes.WrittenMemory;

    /// <summary>Performer capture time of the frame this packet carries (µs, Unix epoch), for latency; 0 for audio.</summary>
    public long CaptureTimestampUs { get; set; }

    /// <summary>When the packet was ready to send (Stopwatch ticks), for the send-time metric.</summary>
    public long ReadyTicks { get; set; }

    /// <summary>An idle frame (drawn while the performer sent none): its capture time is an estimate, not a latency to measure.</summary>
    public bool Idle { get; set; }

    internal void Reset()
    {
        _bytes.Reset();
        _references = 1;
        CaptureTimestampUs = 0;
        ReadyTicks = 0;
        Idle = false;
    }

    /// <summary>Adds a holder (before handing the packet to a viewer queue).</summary>
    public void AddReference() => Interlocked.Increment(ref _references);

    /// <summary>Drops a holder; the last one returns the packet to its pool.</summary>
    public void Release()
    {
        int left = Interlocked.Decrement(ref _references);
        if (left == 0)
        {
            _pool.Return(this);
        }
        else if (left < 0)
        {
            throw new InvalidOperationException("SharedPacket released more often than referenced");
        }
    }

    public void Advance(int count) => _bytes.Advance(count);

    public Memory<byte> GetMemory(int sizeHint = 0) => _bytes.GetMemory(sizeHint);

    public Span<byte> GetSpan(int sizeHint = 0) => _bytes.GetSpan(sizeHint);

    /// <summary>Copies a whole message in (audio forwarded as it came).</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(GetSpan(bytes.Length));
        Advance(bytes.Length);
    }
}

/// <summary>
/// Packets of one session. Holds at most what is in flight (one being written, one per viewer queue slot and
/// send); a packet whose holders all released it comes back here. Buffers grow to the largest frame and stay.
/// </summary>
public sealed class SharedPacketPool(int initialCapacity)
{
    private readonly ConcurrentBag<SharedPacket> _free = [];

    /// <summary>A packet with one reference (the caller's), empty.</summary>
    public SharedPacket Rent()
    {
        if (!_free.TryTake(out SharedPacket? packet))
        {
            packet = new SharedPacket(this, initialCapacity);
        }

        packet.Reset();
        return packet;
    }

    internal void Return(SharedPacket packet) => _free.Add(packet);
}
