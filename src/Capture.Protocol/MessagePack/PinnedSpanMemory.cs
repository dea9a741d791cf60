using System.Buffers;

namespace Capture.Protocol.MessagePack;

/// <summary>
/// Lends a span the caller has pinned (<c>fixed</c>) to MessagePack-CSharp's <c>MessagePackReader</c>, which reads
/// only <see cref="ReadOnlyMemory{T}"/>/<see cref="ReadOnlySequence{T}"/>: no copy, no allocation per packet. The
/// owner (one <see cref="Schema.ProtocolReader"/>) points it at the pinned bytes for the length of one read and
/// clears it after; nothing read through it may be kept past that (the reader copies what it keeps). Not thread-safe.
/// </summary>
internal sealed unsafe class PinnedSpanMemory : MemoryManager<byte>
{
    private byte* _pointer;
    private int _length;

    /// <summary>Points at <paramref name="pointer"/>; the caller keeps those bytes pinned until <see cref="Clear"/>.</summary>
    public void Set(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
    }

    public void Clear()
    {
        _pointer = null;
        _length = 0;
    }

    public override Span<byte> GetSpan() => new(_pointer, _length);

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(elementIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(elementIndex, _length);
        return new MemoryHandle(_pointer + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing) => Clear();
}
