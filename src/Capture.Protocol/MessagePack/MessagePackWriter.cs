using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Capture.Protocol.MessagePack;

/// <summary>
/// Writes MessagePack values into an <see cref="IBufferWriter{T}"/>. Integers use the smallest
/// format that holds them unless a fixed-width method (<see cref="WriteUInt16"/> …) is called.
/// Holds only the output reference, so copies of this struct write to the same output.
/// </summary>
public readonly struct MessagePackWriter
{
    private readonly IBufferWriter<byte> _output;

    public MessagePackWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    public void WriteNil() => WriteByte(MessagePackCode.Nil);

    public void Write(bool value) => WriteByte(value ? MessagePackCode.True : MessagePackCode.False);

    /// <summary>Smallest encoding of a signed value (positive values use the unsigned forms, as the spec suggests).</summary>
    public void Write(long value)
    {
        if (value >= 0)
        {
            Write((ulong)value);
        }
        else if (value >= -32)
        {
            WriteByte(unchecked((byte)value));
        }
        else if (value >= sbyte.MinValue)
        {
            WriteInt8((sbyte)value);
        }
        else if (value >= short.MinValue)
        {
            WriteInt16((short)value);
        }
        else if (value >= int.MinValue)
        {
            WriteInt32((int)value);
        }
        else
        {
            WriteInt64(value);
        }
    }

    public void Write(int value) => Write((long)value);

    /// <summary>Smallest encoding of an unsigned value.</summary>
    public void Write(ulong value)
    {
        if (value <= MessagePackCode.MaxPositiveFixInt)
        {
            WriteByte((byte)value);
        }
        else if (value <= byte.MaxValue)
        {
            WriteUInt8((byte)value);
        }
        else if (value <= ushort.MaxValue)
        {
            WriteUInt16((ushort)value);
        }
        else if (value <= uint.MaxValue)
        {
            WriteUInt32((uint)value);
        }
        else
        {
            WriteUInt64(value);
        }
    }

    public void WriteUInt8(byte value)
    {
        Span<byte> s = _output.GetSpan(2);
        s[0] = MessagePackCode.UInt8;
        s[1] = value;
        _output.Advance(2);
    }

    public void WriteUInt16(ushort value)
    {
        Span<byte> s = _output.GetSpan(3);
        s[0] = MessagePackCode.UInt16;
        BinaryPrimitives.WriteUInt16BigEndian(s[1..], value);
        _output.Advance(3);
    }

    public void WriteUInt32(uint value)
    {
        Span<byte> s = _output.GetSpan(5);
        s[0] = MessagePackCode.UInt32;
        BinaryPrimitives.WriteUInt32BigEndian(s[1..], value);
        _output.Advance(5);
    }

    public void WriteUInt64(ulong value)
    {
        Span<byte> s = _output.GetSpan(9);
        s[0] = MessagePackCode.UInt64;
        BinaryPrimitives.WriteUInt64BigEndian(s[1..], value);
        _output.Advance(9);
    }

    public void WriteInt8(sbyte value)
    {
        Span<byte> s = _output.GetSpan(2);
        s[0] = MessagePackCode.Int8;
        s[1] = unchecked((byte)value);
        _output.Advance(2);
    }

    public void WriteInt16(short value)
    {
        Span<byte> s = _output.GetSpan(3);
        s[0] = MessagePackCode.Int16;
        BinaryPrimitives.WriteInt16BigEndian(s[1..], value);
        _output.Advance(3);
    }

    public void WriteInt32(int value)
    {
        Span<byte> s = _output.GetSpan(5);
        s[0] = MessagePackCode.Int32;
        BinaryPrimitives.WriteInt32BigEndian(s[1..], value);
        _output.Advance(5);
    }

    public void WriteInt64(long value)
    {
        Span<byte> s = _output.GetSpan(9);
        s[0] = MessagePackCode.Int64;
        BinaryPrimitives.WriteInt64BigEndian(s[1..], value);
        _output.Advance(9);
    }

    /// <summary>float 32.</summary>
    public void Write(float value)
    {
        Span<byte> s = _output.GetSpan(5);
        s[0] = MessagePackCode.Float32;
        BinaryPrimitives.WriteSingleBigEndian(s[1..], value);
        _output.Advance(5);
    }

    /// <summary>float 64.</summary>
    public void Write(double value)
    {
        Span<byte> s = _output.GetSpan(9);
        s[0] = MessagePackCode.Float64;
        BinaryPrimitives.WriteDoubleBigEndian(s[1..], value);
        _output.Advance(9);
    }

    /// <summary>A str value, UTF-8 encoded straight into the output (no intermediate array).</summary>
    public void Write(ReadOnlySpan<char> value)
    {
        int length = Encoding.UTF8.GetByteCount(value);
        WriteStringHeader(length);
        Span<byte> s = _output.GetSpan(length);
        int written = Encoding.UTF8.GetBytes(value, s);
        _output.Advance(written);
    }

    /// <summary>A str value, or nil when <paramref name="value"/> is null.</summary>
    public void Write(string? value)
    {
        if (value is null)
        {
            WriteNil();
        }
        else
        {
            Write(value.AsSpan());
        }
    }

    /// <summary>A str value from bytes that are already UTF-8.</summary>
    public void WriteStringUtf8(ReadOnlySpan<byte> utf8)
    {
        WriteStringHeader(utf8.Length);
        WriteRaw(utf8);
    }

    /// <summary>fixstr / str8 / str16 / str32 header; the caller writes exactly <paramref name="byteLength"/> bytes next.</summary>
    public void WriteStringHeader(int byteLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(byteLength);
        if (byteLength <= 31)
        {
            WriteByte((byte)(MessagePackCode.MinFixStr | byteLength));
        }
        else if (byteLength <= byte.MaxValue)
        {
            Span<byte> s = _output.GetSpan(2);
            s[0] = MessagePackCode.Str8;
            s[1] = (byte)byteLength;
            _output.Advance(2);
        }
        else
        {
            WriteLengthHeader(byteLength, MessagePackCode.Str16, MessagePackCode.Str32);
        }
    }

    /// <summary>A bin value.</summary>
    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        WriteBinaryHeader(value.Length);
        WriteRaw(value);
    }

    /// <summary>bin8 / bin16 / bin32 header; the caller writes exactly <paramref name="length"/> bytes next (e.g. via <see cref="GetSpan"/>).</summary>
    public void WriteBinaryHeader(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length <= byte.MaxValue)
        {
            Span<byte> s = _output.GetSpan(2);
            s[0] = MessagePackCode.Bin8;
            s[1] = (byte)length;
            _output.Advance(2);
        }
        else
        {
            WriteLengthHeader(length, MessagePackCode.Bin16, MessagePackCode.Bin32);
        }
    }

    public void WriteArrayHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15)
        {
            WriteByte((byte)(MessagePackCode.MinFixArray | count));
        }
        else
        {
            WriteLengthHeader(count, MessagePackCode.Array16, MessagePackCode.Array32);
        }
    }

    public void WriteMapHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 15)
        {
            WriteByte((byte)(MessagePackCode.MinFixMap | count));
        }
        else
        {
            WriteLengthHeader(count, MessagePackCode.Map16, MessagePackCode.Map32);
        }
    }

    /// <summary>fixext 1/2/4/8/16 when the length fits one, else ext8/16/32. The caller writes the data next.</summary>
    public void WriteExtensionHeader(sbyte type, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        byte fix = length switch
        {
            1 => MessagePackCode.FixExt1,
            2 => MessagePackCode.FixExt2,
            4 => MessagePackCode.FixExt4,
            8 => MessagePackCode.FixExt8,
            16 => MessagePackCode.FixExt16,
            _ => 0,
        };
        if (fix != 0)
        {
            Span<byte> f = _output.GetSpan(2);
            f[0] = fix;
            f[1] = unchecked((byte)type);
            _output.Advance(2);
            return;
        }

        Span<byte> s = _output.GetSpan(6);
        int used;
        if (length <= byte.MaxValue)
        {
            s[0] = MessagePackCode.Ext8;
            s[1] = (byte)length;
            used = 2;
        }
        else if (length <= ushort.MaxValue)
        {
            s[0] = MessagePackCode.Ext16;
            BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)length);
            used = 3;
        }
        else
        {
            s[0] = MessagePackCode.Ext32;
            BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)length);
            used = 5;
        }

        s[used] = unchecked((byte)type);
        _output.Advance(used + 1);
    }

    public void WriteExtension(sbyte type, ReadOnlySpan<byte> data)
    {
        WriteExtensionHeader(type, data.Length);
        WriteRaw(data);
    }

    /// <summary>
    /// Timestamp extension (type −1) in the smallest of its three forms: 32-bit (whole seconds 0..2^32−1),
    /// 64-bit (30-bit nanoseconds + 34-bit seconds) or 96-bit (32-bit nanoseconds + signed 64-bit seconds).
    /// </summary>
    public void WriteTimestamp(long seconds, uint nanoseconds)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(nanoseconds, 1_000_000_000u);
        if ((seconds >> 34) == 0)
        {
            if (nanoseconds == 0 && (seconds >> 32) == 0)
            {
                WriteExtensionHeader(MessagePackCode.TimestampExtension, 4);
                Span<byte> s4 = _output.GetSpan(4);
                BinaryPrimitives.WriteUInt32BigEndian(s4, (uint)seconds);
                _output.Advance(4);
            }
            else
            {
                WriteExtensionHeader(MessagePackCode.TimestampExtension, 8);
                Span<byte> s8 = _output.GetSpan(8);
                BinaryPrimitives.WriteUInt64BigEndian(s8, ((ulong)nanoseconds << 34) | (ulong)seconds);
                _output.Advance(8);
            }

            return;
        }

        WriteExtensionHeader(MessagePackCode.TimestampExtension, 12);
        Span<byte> s = _output.GetSpan(12);
        BinaryPrimitives.WriteUInt32BigEndian(s, nanoseconds);
        BinaryPrimitives.WriteInt64BigEndian(s[4..], seconds);
        _output.Advance(12);
    }

    /// <summary>A UTC timestamp with 100 ns resolution (the resolution of <see cref="DateTime"/>).</summary>
    public void WriteTimestamp(DateTime value)
    {
        long ticks = value.ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks;
        long seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out long rem);
        if (rem < 0)
        {
            seconds--;
            rem += TimeSpan.TicksPerSecond;
        }

        WriteTimestamp(seconds, (uint)(rem * 100));
    }

    /// <summary>Bytes written as they are: an already-encoded value, or the payload after a header.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        Span<byte> s = _output.GetSpan(bytes.Length);
        bytes.CopyTo(s);
        _output.Advance(bytes.Length);
    }

    /// <summary>A span of at least <paramref name="sizeHint"/> bytes to fill, then <see cref="Advance"/>; valid until the next write.</summary>
    public Span<byte> GetSpan(int sizeHint) => _output.GetSpan(sizeHint);

    public void Advance(int count) => _output.Advance(count);

    private void WriteByte(byte value)
    {
        _output.GetSpan(1)[0] = value;
        _output.Advance(1);
    }

    private void WriteLengthHeader(int length, byte code16, byte code32)
    {
        if (length <= ushort.MaxValue)
        {
            Span<byte> s = _output.GetSpan(3);
            s[0] = code16;
            BinaryPrimitives.WriteUInt16BigEndian(s[1..], (ushort)length);
            _output.Advance(3);
        }
        else
        {
            Span<byte> s = _output.GetSpan(5);
            s[0] = code32;
            BinaryPrimitives.WriteUInt32BigEndian(s[1..], (uint)length);
            _output.Advance(5);
        }
    }
}
