using System.Buffers;
using Capture.Protocol.MessagePack;

namespace Capture.Protocol.Tests;

public class MessagePackBadInputTests
{
    private static MessagePackFormatException SkipThrows(byte[] bytes, MessagePackLimits? limits = null) =>
        Assert.Throws<MessagePackFormatException>(() =>
        {
            var r = new MessagePackReader(bytes, limits);
            r.Skip();
        });

    [Theory]
    [InlineData("cd01")]
    [InlineData("d9ff41")]
    [InlineData("c6000000ff00")]
    [InlineData("dc000301")]
    [InlineData("d7ff0000")]
    [InlineData("")]
    public void Skip_TruncatedInput_ThrowsTruncatedWithOffset(string hex)
    {
        var ex = SkipThrows(Convert.FromHexString(hex));
        Assert.True(ex.IsTruncated);
        Assert.Contains("offset", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Skip_ArrayHeaderLyingAboutCount_FailsFastWithoutAllocating()
    {
        // array32 claiming 4 billion elements followed by 3 bytes.
        var ex = SkipThrows(Convert.FromHexString("ddffffffff010203"), MessagePackLimits.Trusted);
        Assert.Contains("limit", ex.Message, StringComparison.Ordinal);
        var ex2 = SkipThrows(Convert.FromHexString("dd0000ffff010203"));
        Assert.Contains("bytes are left", ex2.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Skip_NestingDeeperThanLimit_ThrowsNamingTheLimit()
    {
        byte[] deep = [.. Enumerable.Repeat((byte)0x91, 10_000), 0xc0];
        var ex = SkipThrows(deep);
        Assert.Contains("Nesting deeper than the limit of 32", ex.Message, StringComparison.Ordinal);
        Assert.Equal(32, ex.Offset);
    }

    [Fact]
    public void ReadObject_NestingAtLimit_Succeeds()
    {
        byte[] ok = [.. Enumerable.Repeat((byte)0x91, 32), 0xc0];
        var r = new MessagePackReader(ok);
        Assert.NotNull(r.ReadObject());
        Assert.True(r.End);
    }

    [Fact]
    public void ReadString_LongerThanLimit_Throws()
    {
        var buffer = new ArrayBufferWriter<byte>();
        new MessagePackWriter(buffer).Write(new string('a', 100));
        var limits = new MessagePackLimits { MaxStringLength = 50 };
        var ex = Assert.Throws<MessagePackFormatException>(() => new MessagePackReader(buffer.WrittenSpan, limits).ReadString());
        Assert.Contains("longer than the limit of 50", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_MessageLargerThanLimit_Throws()
    {
        var ex = Assert.Throws<MessagePackFormatException>(() => new MessagePackReader(new byte[1000], new MessagePackLimits { MaxMessageSize = 999 }));
        Assert.Contains("larger than the limit of 999", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadInt64_OnString_ThrowsNamingExpectedAndFound()
    {
        var ex = Assert.Throws<MessagePackFormatException>(() => new MessagePackReader(Convert.FromHexString("a161")).ReadInt64());
        Assert.Contains("Expected an integer, found String (format byte 0xa1)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, ex.Offset);
    }

    [Fact]
    public void PeekType_NeverUsedByte_Throws()
    {
        Assert.Throws<MessagePackFormatException>(() => new MessagePackReader(new byte[] { 0xc1 }).PeekType());
        SkipThrows([0xc1]);
    }

    [Fact]
    public void ReadString_InvalidUtf8_Throws()
    {
        var ex = Assert.Throws<MessagePackFormatException>(() => new MessagePackReader(Convert.FromHexString("a2c328")).ReadString());
        Assert.Contains("UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("d5ff0000")]
    [InlineData("d7ffffffffff00000000")]
    public void ReadTimestamp_BadLengthOrNanos_Throws(string hex)
    {
        Assert.Throws<MessagePackFormatException>(() => new MessagePackReader(Convert.FromHexString(hex)).ReadTimestamp());
    }
}
