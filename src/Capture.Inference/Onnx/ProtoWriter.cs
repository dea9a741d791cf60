using System.Buffers.Binary;
using System.Text;

namespace Capture.Inference.Onnx;

/// <summary>
/// Minimal protocol-buffers wire-format writer (varint, 32-bit, length-delimited), enough for the ONNX
/// messages. Nested messages are written into their own writer and copied in as bytes, so the output is
/// a plain function of the calls made: deterministic.
/// </summary>
internal sealed class ProtoWriter
{
    private byte[] _buffer;
    private int _length;

    public ProtoWriter(int capacity = 256)
    {
        _buffer = new byte[Math.Max(16, capacity)];
    }

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public byte[] ToArray() => WrittenSpan.ToArray();

    public void WriteVarintField(int field, long value)
    {
        WriteTag(field, 0);
        WriteVarint(unchecked((ulong)value));
    }

    public void WriteFloatField(int field, float value)
    {
        WriteTag(field, 5);
        Span<byte> span = Reserve(4);
        BinaryPrimitives.WriteSingleLittleEndian(span, value);
    }

    public void WriteStringField(int field, string value)
    {
        int count = Encoding.UTF8.GetByteCount(value);
        WriteTag(field, 2);
        WriteVarint((ulong)count);
        Encoding.UTF8.GetBytes(value, Reserve(count));
    }

    public void WriteBytesField(int field, ReadOnlySpan<byte> value)
    {
        WriteTag(field, 2);
        WriteVarint((ulong)value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    public void WriteMessageField(int field, ProtoWriter message) => WriteBytesField(field, message.WrittenSpan);

    private void WriteTag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            Reserve(1)[0] = (byte)(value | 0x80);
            value >>= 7;
        }

        Reserve(1)[0] = (byte)value;
    }

    private Span<byte> Reserve(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }

        Span<byte> span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}
