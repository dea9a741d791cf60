namespace Capture.Core.Frames;

/// <summary>
/// One RGB24 picture (3 bytes a pixel, rows packed, no padding) with the time it was captured.
/// A frame belongs to the <see cref="FramePool"/> that rented it out; whoever holds it returns it
/// with <see cref="Dispose"/> exactly once, after which its pixels must not be touched.
/// </summary>
public sealed class VideoFrame : IDisposable
{
    private readonly FramePool? _owner;
    private readonly byte[] _buffer;
    private int _rented;

    internal VideoFrame(FramePool? owner, int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        _owner = owner;
        Width = width;
        Height = height;
        _buffer = new byte[checked(width * height * 3)];
    }

    /// <summary>Creates a frame that belongs to no pool (tests, stills); <see cref="Dispose"/> does nothing.</summary>
    public static VideoFrame CreateUnpooled(int width, int height) => new(null, width, height);

    public int Width { get; }

    public int Height { get; }

    /// <summary>The pool this frame returns to on <see cref="Dispose"/>; null for unpooled frames. For pool-use metrics.</summary>
    public FramePool? Pool => _owner;

    /// <summary>Bytes from one row to the next: <c>Width * 3</c>.</summary>
    public int Stride => Width * 3;

    /// <summary>Zero-based position of the frame in its source.</summary>
    public long Sequence { get; set; }

    /// <summary>Capture time in microseconds on the source's clock (presentation time for files).</summary>
    public long TimestampUs { get; set; }

    /// <summary>The RGB24 pixels. Valid while the frame is rented; the pool reuses the memory afterwards.</summary>
    public Span<byte> Pixels => _buffer;

    /// <summary>
    /// The same pixels as memory, for native writers that pin them (an ONNX Runtime output bound to
    /// the frame). Valid while the frame is rented, like <see cref="Pixels"/>.
    /// </summary>
    public Memory<byte> Memory => _buffer;

    /// <summary>The same pixels as a read-only span.</summary>
    public ReadOnlySpan<byte> ReadOnlyPixels => _buffer;

    /// <summary>One row of pixels.</summary>
    public Span<byte> Row(int y) => _buffer.AsSpan(y * Stride, Stride);

    internal void MarkRented() => Volatile.Write(ref _rented, 1);

    /// <summary>Returns the frame to its pool. A second call is an error, because it would hand one buffer to two owners.</summary>
    public void Dispose()
    {
        if (_owner is null)
        {
            return;
        }

        if (Interlocked.Exchange(ref _rented, 0) == 0)
        {
            throw new InvalidOperationException("This frame was already returned to its pool.");
        }

        _owner.Return(this);
    }
}
