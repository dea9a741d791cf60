using System.Buffers;
using MessagePack;

namespace Capture.Protocol.Tests;

/// <summary>
/// The formats the schema relies on, byte for byte, as MessagePack-CSharp writes them: the table is the one the
/// project's own codec was tested against before it was replaced, so a wire change would show here first
/// (smallest integer format with non-negative values in the unsigned formats, float 32 for floats, str 8, bin 8/16/32,
/// timestamp −1 in its smallest form).
/// </summary>
public class WireFormatTests
{
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
        byte[] bytes = Wire.Encode((ref MessagePackWriter w) => w.Write(value));
        Assert.Equal(hex, Convert.ToHexStringLower(bytes));
        var r = new MessagePackReader(bytes);
        Assert.Equal(value, r.ReadInt64());
        Assert.True(r.End);
        if (value is >= int.MinValue and <= int.MaxValue)
        {
            // int (sequence numbers, sizes, the envelope) takes the same formats as long.
            Assert.Equal(hex, Wire.Hex((ref MessagePackWriter w) => w.Write((int)value)));
        }
    }

    [Fact]
    public void FixedWidthWriters_EveryIntFormat_ReadBack()
    {
        byte[] bytes = Wire.Encode((ref MessagePackWriter w) =>
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
    public void Scalars_NilBoolFloats_SpecBytes_Float32StaysFloat32()
    {
        byte[] bytes = Wire.Encode((ref MessagePackWriter w) =>
        {
            w.WriteNil();
            w.Write(true);
            w.Write(false);
            w.Write(1.5f);
            w.Write(-2.25);
            w.Write(1f);
            w.Write(0f);
        });

        // A whole-number float (1f, 0f) stays float 32: the schema's float fields never shrink to integers.
        Assert.Equal("c0c3c2ca3fc00000cbc002000000000000ca3f800000ca00000000", Convert.ToHexStringLower(bytes));
        var r = new MessagePackReader(bytes);
        r.ReadNil();
        Assert.True(r.ReadBoolean());
        Assert.False(r.ReadBoolean());
        Assert.Equal(1.5f, r.ReadSingle());
        Assert.Equal(-2.25, r.ReadDouble());
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
        byte[] bytes = Wire.Encode((ref MessagePackWriter w) => w.Write(s));
        Assert.StartsWith(headerHex, Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, 5))), StringComparison.Ordinal);
        Assert.Equal(length + (headerHex.Length / 2), bytes.Length);
        var r = new MessagePackReader(bytes);
        Assert.Equal(s, r.ReadString());
    }

    [Fact]
    public void WriteString_NonAscii_CountsUtf8Bytes()
    {
        byte[] bytes = Wire.Encode((ref MessagePackWriter w) => w.Write("héllo ✓"));
        Assert.Equal(0xa0 | 10, bytes[0]);
        Assert.Equal("héllo ✓", new MessagePackReader(bytes).ReadString());
    }

    [Theory]
    [InlineData(0, "c400")]
    [InlineData(255, "c4ff")]
    [InlineData(256, "c50100")]
    [InlineData(70000, "c600011170")]
    public void WriteBinary_EachLength_UsesBinFormatAndRoundTrips(int length, string headerHex)
    {
        byte[] data = [.. Enumerable.Range(0, length).Select(i => (byte)i)];
        byte[] bytes = Wire.Encode((ref MessagePackWriter w) => w.Write(data.AsSpan()));
        Assert.StartsWith(headerHex, Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, 5))), StringComparison.Ordinal);
        Assert.Equal(headerHex, Wire.Hex((ref MessagePackWriter w) => w.WriteBinHeader(length)));
        var r = new MessagePackReader(bytes);
        Assert.Equal(data, r.ReadBytes()!.Value.ToArray());
    }

    [Theory]
    [InlineData(15, "9f", "8f")]
    [InlineData(16, "dc0010", "de0010")]
    [InlineData(70000, "dd00011170", "df00011170")]
    public void ArrayAndMapHeaders_EachSize_UseSpecFormat(int count, string arrayHex, string mapHex)
    {
        Assert.Equal(arrayHex, Wire.Hex((ref MessagePackWriter w) => w.WriteArrayHeader(count)));
        Assert.Equal(mapHex, Wire.Hex((ref MessagePackWriter w) => w.WriteMapHeader(count)));
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
        byte[] bytes = Wire.Encode((ref MessagePackWriter w) => w.WriteExtensionFormat(new ExtensionResult(42, data)));
        Assert.StartsWith(headerHex + "2a", Convert.ToHexStringLower(bytes.AsSpan(0, Math.Min(bytes.Length, 6))), StringComparison.Ordinal);
        var r = new MessagePackReader(bytes);
        ExtensionResult ext = r.ReadExtensionFormat();
        Assert.Equal(42, ext.TypeCode);
        Assert.Equal(data, ext.Data.ToArray());
    }

    [Theory]
    [InlineData(0L, 0L, "d6ff00000000")]
    [InlineData(4294967295L, 0L, "d6ffffffffff")]
    [InlineData(1L, 100L, "d7ff0000019000000001")]
    [InlineData(17179869183L, 999_999_900L, "d7ffee6b2673ffffffff")]
    [InlineData(17179869184L, 0L, "c70cff000000000000000400000000")]
    [InlineData(-1L, 500L, "c70cff000001f4ffffffffffffffff")]
    public void WriteDateTime_EachTimestampForm_MatchesSpecAndRoundTrips(long seconds, long nanos, string hex)
    {
        DateTime t = DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(nanos / 100);
        byte[] bytes = Wire.Encode((ref MessagePackWriter w) => w.Write(t));
        Assert.Equal(hex, Convert.ToHexStringLower(bytes));
        Assert.Equal(t, new MessagePackReader(bytes).ReadDateTime());
    }
}
