using System.Buffers;
using Capture.Protocol.MessagePack;

namespace Capture.Protocol.Tests;

public class MessagePackCodecTests
{
    private static byte[] Encode(Action<MessagePackWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new MessagePackWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    [Theory]
    [InlineData(0L, "00")]
    [InlineData(127L, "7f")]
    [InlineData(128L, "cc80")]
    [InlineData(255L, "ccff")]
    [InlineData(256L, "cd0100")]
    [InlineData(65535L, "cdffff")]
    [InlineData(65536L, "ce00010000")]
    [InlineData(4294967296L, "cf0000000100000000")]
    [InlineData(-1L, "ff")]
    [InlineData(-32L, "e0")]
    [InlineData(-33L, "d0df")]
    [InlineData(-128L, "d080")]
    [InlineData(-129L, "d1ff7f")]
    [InlineData(-32769L, "d2ffff7fff")]
    [InlineData(-2147483649L, "d3ffffffff7fffffff")]
    public void WriteInt64_EachWidth_UsesSmallestSpecFormatAndRoundTrips(long value, string hex)
    {
        byte[] bytes = Encode(w => w.Write(value));
        Assert.Equal(hex, Convert.ToHexStringLower(bytes));
        var r = new MessagePackReader(bytes);
        Assert.Equal(value, r.ReadInt64());
        Assert.True(r.End);
    }

    [Fact]
    public void WriteUInt64_MaxValue_RoundTripsAsUInt64()
    {
        byte[] bytes = Encode(w => w.Write(ulong.MaxValue));
        Assert.Equal("cfffffffffffffffff", Convert.ToHexStringLower(bytes));
        var r = new MessagePackReader(bytes);
        Assert.Equal(ulong.MaxValue, r.ReadUInt64());
        var ex = Assert.Throws<MessagePackFormatException>(() => new MessagePackReader(bytes).ReadInt64());
        Assert.Contains("does not fit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FixedWidthWriters_EveryIntFormat_ReadBack()
    {
        byte[] bytes = Encode(w =>
        {
            w.WriteUInt8(1);
            w.WriteUInt16(2);
            w.WriteUInt32(3);
            w.WriteUInt64(4);
            w.WriteInt8(-5);
            w.WriteInt16(-6);
            w.WriteInt32(-7);
            w.WriteInt64(-8);
        });
        Assert.Equal("cc01cd0002ce00000003cf0000000000000004d0fbd1fffad2fffffff9d3fffffffffffffff8", Convert.ToHexStringLower(bytes));
        var r = new MessagePackReader(bytes);
        long[] expected = [1, 2, 3, 4, -5, -6, -7, -8];
        foreach (long e in expected)
        {
            Assert.Equal(e, r.ReadInt64());
        }
    }

    [Fact]
    public void Scalars_NilBoolFloats_RoundTripWithSpecBytes()
    {
        byte[] bytes = Encode(w =>
        {
            w.WriteNil();
            w.Write(true);
            w.Write(false);
            w.Write(1.5f);
            w.Write(-2.25);
        });
        Assert.Equal("c0c3c2ca3fc00000cbc002000000000000", Convert.ToHexStringLower(bytes));
        var r = new MessagePackReader(bytes);
        r.ReadNil();
        Assert.True(r.ReadBoolean());
        Assert.False(r.ReadBoolean());
        Assert.Equal(1.5f, r.ReadSingle());
        Assert.Equal(-2.25, r.ReadDouble());
        Assert.True(r.End);
    }

    [Theory]
    [InlineData(0, "a0")]
    [InlineData(31, "bf")]
    [InlineData(32, "d920")]
    [InlineData(255, "d9ff")]
    [InlineData(256, "da0100")]
    [InlineData(65536, "db00010000")]
    public void WriteString_EachLength_UsesStrFormatAndRoundTrips(int length, string headerHex)
    {
        string s = new('x', length);
        byte[] bytes = Encode(w => w.Write(s));
        Assert.StartsWith(headerHex, Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, 5))), StringComparison.Ordinal);
        var r = new MessagePackReader(bytes, MessagePackLimits.Trusted);
        Assert.Equal(s, r.ReadString());
    }

    [Fact]
    public void WriteString_NonAscii_CountsUtf8Bytes()
    {
        byte[] bytes = Encode(w => w.Write("héllo ✓"));
        var r = new MessagePackReader(bytes);
        Assert.Equal("héllo ✓", r.ReadString());
        Assert.Equal(0xa0 | 10, bytes[0]);
    }

    [Theory]
    [InlineData(0, "c400")]
    [InlineData(255, "c4ff")]
    [InlineData(256, "c50100")]
    [InlineData(70000, "c600011170")]
    public void WriteBinary_EachLength_UsesBinFormatAndRoundTrips(int length, string headerHex)
    {
        byte[] data = [.. Enumerable.Range(0, length).Select(i => (byte)i)];
        byte[] bytes = Encode(w => w.WriteBinary(data));
        Assert.StartsWith(headerHex, Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, 5))), StringComparison.Ordinal);
        var r = new MessagePackReader(bytes);
        Assert.Equal(data, r.ReadBinary().ToArray());
    }

    [Theory]
    [InlineData(15, "9f", "8f")]
    [InlineData(16, "dc0010", "de0010")]
    [InlineData(70000, "dd00011170", "df00011170")]
    public void ArrayAndMapHeaders_EachSize_UseSpecFormat(int count, string arrayHex, string mapHex)
    {
        byte[] a = Encode(w => w.WriteArrayHeader(count));
        byte[] m = Encode(w => w.WriteMapHeader(count));
        Assert.Equal(arrayHex, Convert.ToHexStringLower(a));
        Assert.Equal(mapHex, Convert.ToHexStringLower(m));

        byte[] full = Encode(w =>
        {
            w.WriteArrayHeader(count);
            for (int i = 0; i < count; i++)
            {
                w.Write(i % 100);
            }
        });
        var r = new MessagePackReader(full, MessagePackLimits.Trusted);
        Assert.Equal(count, r.ReadArrayHeader());
    }

    [Theory]
    [InlineData(1, "d4")]
    [InlineData(2, "d5")]
    [InlineData(4, "d6")]
    [InlineData(8, "d7")]
    [InlineData(16, "d8")]
    [InlineData(3, "c703")]
    [InlineData(300, "c8012c")]
    [InlineData(70000, "c900011170")]
    public void WriteExtension_EachLength_UsesFixextOrExtFormat(int length, string headerHex)
    {
        byte[] data = [.. Enumerable.Range(0, length).Select(i => (byte)(i * 3))];
        byte[] bytes = Encode(w => w.WriteExtension(42, data));
        Assert.StartsWith(headerHex + "2a", Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, 6))), StringComparison.Ordinal);
        var r = new MessagePackReader(bytes);
        Assert.Equal(data, r.ReadExtension(out sbyte type).ToArray());
        Assert.Equal(42, type);
    }

    [Theory]
    [InlineData(0L, 0u, "d6ff00000000")]
    [InlineData(4294967295L, 0u, "d6ffffffffff")]
    [InlineData(1L, 1u, "d7ff0000000400000001")]
    [InlineData(17179869183L, 999999999u, "d7ffee6b27ffffffffff")]
    [InlineData(17179869184L, 0u, "c70cff000000000000000400000000")]
    [InlineData(-1L, 500u, "c70cff000001f4ffffffffffffffff")]
    public void WriteTimestamp_EachForm_MatchesSpecAndRoundTrips(long seconds, uint nanos, string hex)
    {
        byte[] bytes = Encode(w => w.WriteTimestamp(seconds, nanos));
        Assert.Equal(hex, Convert.ToHexStringLower(bytes));
        var r = new MessagePackReader(bytes);
        Assert.Equal((seconds, nanos), r.ReadTimestamp());
    }

    [Fact]
    public void WriteTimestamp_DateTime_RoundTripsToTick()
    {
        var t = new DateTime(2026, 11, 21, 12, 0, 0, DateTimeKind.Utc).AddTicks(1234567);
        byte[] bytes = Encode(w => w.WriteTimestamp(t));
        var r = new MessagePackReader(bytes);
        Assert.Equal(t, r.ReadDateTime());
    }

    [Fact]
    public void ReadObject_NestedMixedValues_ReturnsPlainObjects()
    {
        byte[] bytes = Encode(w =>
        {
            w.WriteMapHeader(2);
            w.Write("a");
            w.WriteArrayHeader(3);
            w.Write(1);
            w.WriteNil();
            w.Write("x");
            w.Write("b");
            w.WriteBinary([1, 2]);
        });
        var r = new MessagePackReader(bytes);
        var map = Assert.IsType<List<KeyValuePair<object?, object?>>>(r.ReadObject());
        Assert.Equal("a", map[0].Key);
        Assert.Equal(new object?[] { 1L, null, "x" }, (object?[])map[0].Value!);
        Assert.Equal(new byte[] { 1, 2 }, (byte[])map[1].Value!);
    }

    [Fact]
    public void Reader_MultiSegmentSequence_ReadsAcrossSegments()
    {
        byte[] bytes = Encode(w =>
        {
            w.WriteArrayHeader(2);
            w.Write("hello world, this crosses segments");
            w.Write(123456);
        });
        var first = new Segment(bytes.AsMemory(0, 7));
        Segment last = first.Append(bytes.AsMemory(7));
        var seq = new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        var r = new MessagePackReader(seq);
        Assert.Equal(2, r.ReadArrayHeader());
        Assert.Equal("hello world, this crosses segments", r.ReadString());
        Assert.Equal(123456, r.ReadInt32());
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
