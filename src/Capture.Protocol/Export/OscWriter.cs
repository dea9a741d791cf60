using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Capture.Protocol.Export;

/// <summary>
/// Writes OSC 1.0 messages and bundles (big-endian, every field padded to 4 bytes) into an
/// <see cref="IBufferWriter{T}"/>. A message is written as address, type tags, then arguments.
/// </summary>
internal readonly struct OscWriter(IBufferWriter<byte> output)
{
    /// <summary>"#bundle\0" then the "immediately" time tag (0x00000000_00000001).</summary>
    public void BeginBundle()
    {
        WritePadded("#bundle"u8);
        Span<byte> s = output.GetSpan(8);
        BinaryPrimitives.WriteUInt64BigEndian(s, 1);
        output.Advance(8);
    }

    /// <summary>Reserves the 4-byte size of a bundle element (patched by the caller once the element is written).</summary>
    public void ReserveSize()
    {
        output.GetSpan(4).Clear();
        output.Advance(4);
    }

    public void WriteAddressAndTags(ReadOnlySpan<byte> address, ReadOnlySpan<byte> tags)
    {
        WritePadded(address);
        WritePadded(tags);
    }

    public void WriteString(ReadOnlySpan<byte> ascii) => WritePadded(ascii);

    public void WriteString(string value)
    {
        int n = Encoding.UTF8.GetByteCount(value);
        int padded = (n + 4) & ~3;
        Span<byte> s = output.GetSpan(padded);
        Encoding.UTF8.GetBytes(value, s);
        s[n..padded].Clear();
        output.Advance(padded);
    }

    public void WriteFloat(float value)
    {
        Span<byte> s = output.GetSpan(4);
        BinaryPrimitives.WriteSingleBigEndian(s, value);
        output.Advance(4);
    }

    public void WriteInt(int value)
    {
        Span<byte> s = output.GetSpan(4);
        BinaryPrimitives.WriteInt32BigEndian(s, value);
        output.Advance(4);
    }

    /// <summary>An OSC-string: the bytes, a NUL, then NULs up to a multiple of 4.</summary>
    private void WritePadded(ReadOnlySpan<byte> ascii)
    {
        int padded = (ascii.Length + 4) & ~3;
        Span<byte> s = output.GetSpan(padded);
        ascii.CopyTo(s);
        s[ascii.Length..padded].Clear();
        output.Advance(padded);
    }
}
