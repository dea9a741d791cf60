using System.Buffers;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Schema;
using MessagePack;

namespace Capture.Protocol.Tests;

/// <summary>
/// Bad input through the two doors network bytes come in by: <see cref="ProtocolReader.Read"/> and the bounded skipper
/// it (and the recording reader) uses for unknown fields. Each case must end in a <see cref="MessagePackFormatException"/>
/// that says what is wrong, never another exception type, a hang or an allocation the limits do not allow.
/// </summary>
public class UntrustedInputTests
{
    private static MessagePackFormatException SkipThrows(byte[] bytes, MessagePackLimits? limits = null)
    {
        limits ??= MessagePackLimits.Untrusted;
        var r = new MessagePackReader(bytes);
        try
        {
            UntrustedReads.Skip(ref r, limits);
        }
        catch (Exception ex) when ((ex as MessagePackFormatException ?? UntrustedReads.Translate(ex, r.Consumed)) is { } bad)
        {
            return bad;
        }

        throw new Xunit.Sdk.XunitException("Skip accepted the input");
    }

    /// <summary>An envelope [1, 99, value]: an unknown type, so the reader skips the value (within the limits).</summary>
    private static byte[] UnknownMessageAround(byte[] value) => [0x93, 0x01, 0x63, .. value];

    [Theory]
    [InlineData("cd01")]
    [InlineData("d9ff41")]
    [InlineData("c6000000ff00")]
    [InlineData("dc000301")]
    [InlineData("d7ff0000")]
    [InlineData("")]
    public void Skip_TruncatedInput_ThrowsTruncated(string hex)
    {
        var ex = SkipThrows(Convert.FromHexString(hex));
        Assert.True(ex.IsTruncated, ex.Message);
        Assert.Contains("offset", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Skip_ArrayHeaderLyingAboutCount_FailsFast()
    {
        // array 32 claiming 4 billion elements, then 3 bytes: over the element limit even for trusted files.
        // 4 billion does not fit the int count MessagePack-CSharp returns: refused at the header.
        var ex = SkipThrows(Convert.FromHexString("ddffffffff010203"), MessagePackLimits.Trusted);
        Assert.Contains("out of range", ex.Message, StringComparison.Ordinal);

        // 65,535 elements in 3 bytes: MessagePack-CSharp refuses the header (count over the bytes left) before any element is read.
        var ex2 = SkipThrows(Convert.FromHexString("dd0000ffff010203"));
        Assert.True(ex2.IsTruncated, ex2.Message);
    }

    [Fact]
    public void Skip_MoreElementsThanTheLimit_ThrowsNamingTheLimit()
    {
        byte[] bytes = Wire.Encode((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(100);
            for (int i = 0; i < 100; i++)
            {
                w.WriteNil();
            }
        });
        var ex = SkipThrows(bytes, new MessagePackLimits { MaxElementCount = 99 });
        Assert.Contains("larger than the limit of 99", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NestingDeeperThanLimit_ThrowsNamingDepth()
    {
        byte[] deep = UnknownMessageAround([.. Enumerable.Repeat((byte)0x91, 100_000), 0xc0]);
        var ex = Assert.Throws<MessagePackFormatException>(() => new ProtocolReader().Read(deep));
        Assert.Contains("Nesting too deep", ex.Message, StringComparison.Ordinal);
        Assert.Contains("32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NestingAtLimit_Succeeds()
    {
        // The envelope's value sits at depth 0 of the skipper: 32 nested arrays are allowed, 33 are not.
        byte[] ok = UnknownMessageAround([.. Enumerable.Repeat((byte)0x91, 32), 0xc0]);
        Assert.Equal(MessageKind.Unknown, new ProtocolReader().Read(ok));
        byte[] over = UnknownMessageAround([.. Enumerable.Repeat((byte)0x91, 33), 0xc0]);
        Assert.Throws<MessagePackFormatException>(() => new ProtocolReader().Read(over));
    }

    [Fact]
    public void Read_StringLongerThanLimit_Throws()
    {
        byte[] bye = Wire.Encode((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(3);
            w.Write(1);
            w.Write(6);
            w.Write(new string('a', 100));
        });
        var ex = Assert.Throws<MessagePackFormatException>(() => new ProtocolReader(new MessagePackLimits { MaxStringLength = 50 }).Read(bye));
        Assert.Contains("longer than the limit of 50", ex.Message, StringComparison.Ordinal);
        Assert.Equal(MessageKind.Bye, new ProtocolReader().Read(bye));
    }

    [Fact]
    public void Read_BinaryLongerThanLimit_Throws()
    {
        var buffer = new ArrayBufferWriter<byte>();
        ProtocolWriter.WriteAudioChunk(buffer, new AudioChunkHeader(1, 2, 48000, 1), new byte[2000]);
        var ex = Assert.Throws<MessagePackFormatException>(() => new ProtocolReader(new MessagePackLimits { MaxBinaryLength = 1000 }).Read(buffer.WrittenSpan));
        Assert.Contains("Binary of 2000 bytes is longer than the limit of 1000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_MessageLargerThanLimit_Throws()
    {
        var ex = Assert.Throws<MessagePackFormatException>(() => new ProtocolReader(new MessagePackLimits { MaxMessageSize = 999 }).Read(new byte[1000]));
        Assert.Contains("larger than the limit of 999", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_StringWhereIntegerExpected_ThrowsNamingTheCode()
    {
        // [1, "a"]: the type must be an integer.
        var ex = Assert.Throws<MessagePackFormatException>(() => new ProtocolReader().Read(Convert.FromHexString("9201a161")));
        Assert.Contains("code 161 (fixstr)", ex.Message, StringComparison.Ordinal);
        Assert.InRange(ex.Offset, 2, 3);
    }

    [Fact]
    public void Read_UInt64BeyondLong_ThrowsOutOfRange()
    {
        // Ack [1, 5, 2, 2^64-1]: the sequence does not fit a long.
        var ex = Assert.Throws<MessagePackFormatException>(() => new ProtocolReader().Read(Convert.FromHexString("94010502cfffffffffffffffff")));
        Assert.Contains("out of range", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NeverUsedByte_Throws()
    {
        SkipThrows([0xc1]);
        Assert.Throws<MessagePackFormatException>(() => new ProtocolReader().Read(UnknownMessageAround([0xc1])));
    }

    [Fact]
    public void Read_InvalidUtf8InHello_Throws()
    {
        // Hello [1, 1, 0, [], "\xc3(", nil]: a performer id that is not UTF-8.
        var ex = Assert.Throws<MessagePackFormatException>(() => new ProtocolReader().Read(Convert.FromHexString("9601010090a2c328c0")));
        Assert.Contains("UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(257, 1, 0, "Performer id of 257 bytes is longer than the limit of 256")]
    [InlineData(8, 65, 0, "Hello lists 65 capabilities, more than the limit of 64")]
    [InlineData(8, 1, 257, "Capability of 257 bytes is longer than the limit of 256")]
    public void Read_HelloOverTheSchemasLimits_RefusedNamingTheField(int performerBytes, int capabilities, int capabilityBytes, string expected)
    {
        byte[] bytes = Wire.Encode((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(6);
            w.Write(1);
            w.Write((int)MessageKind.Hello);
            w.Write(0);
            w.WriteArrayHeader(capabilities);
            for (int i = 0; i < capabilities; i++)
            {
                w.Write(capabilityBytes > 0 ? new string('c', capabilityBytes) : "face");
            }

            w.Write(new string('p', performerBytes));
            w.WriteNil();
        });
        var ex = Assert.Throws<MessagePackFormatException>(() => new ProtocolReader().Read(bytes));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_HelloAtTheSchemasLimits_Accepted()
    {
        var caps = Enumerable.Range(0, 64).Select(i => $"cap{i}").ToArray();
        using var packet = new PooledBufferWriter();
        ProtocolWriter.WriteHello(packet, new HelloMessage(0, caps, new string('p', 256), new string('t', 256)));
        var reader = new ProtocolReader();
        Assert.Equal(MessageKind.Hello, reader.Read(packet.WrittenSpan));
        Assert.Equal(256, reader.Hello!.PerformerId.Length);
        Assert.Equal(64, reader.Hello.Capabilities.Count);
    }

    [Fact]
    public void Read_ByeReasonOverItsLimit_Refused()
    {
        using var packet = new PooledBufferWriter();
        ProtocolWriter.WriteBye(packet, new ByeMessage(new string('r', 1025)));
        var ex = Assert.Throws<MessagePackFormatException>(() => new ProtocolReader().Read(packet.WrittenSpan));
        Assert.Contains("Bye reason of 1025 bytes is longer than the limit of 1024", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_BinWhereStrSent_RefusedNotReinterpreted()
    {
        // MessagePack-CSharp's ReadBytes also takes str (old spec); the schema does not: the landmarks must be a bin.
        byte[] bytes = Wire.Encode((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(9);
            w.Write(1);
            w.Write(2);
            w.Write(0);
            w.Write(0);
            w.Write(640);
            w.Write(480);
            w.WriteArrayHeader(4);
            w.Write(1f);
            w.Write(new string('x', 2808));
        });
        var ex = Assert.Throws<MessagePackFormatException>(() => new ProtocolReader().Read(bytes));
        Assert.Contains("Expected binary", ex.Message, StringComparison.Ordinal);
    }
}
