using System.Buffers;
using Capture.Protocol.MessagePack;
using FsCheck;
using FsCheck.Fluent;

namespace Capture.Protocol.Tests;

public class PropertyTests
{
    private static byte[] Encode(Action<MessagePackWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new MessagePackWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    [Fact]
    public void Integers_AnyValue_RoundTrip()
    {
        Prop.ForAll<long>(v => new MessagePackReader(Encode(w => w.Write(v))).ReadInt64() == v).QuickCheckThrowOnFailure();
        Prop.ForAll<ulong>(v => new MessagePackReader(Encode(w => w.Write(v))).ReadUInt64() == v).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void FloatsStringsBinaries_AnyValue_RoundTrip()
    {
        Prop.ForAll<double>(v => new MessagePackReader(Encode(w => w.Write(v))).ReadDouble().Equals(v)).QuickCheckThrowOnFailure();
        Prop.ForAll<float>(v => new MessagePackReader(Encode(w => w.Write(v))).ReadSingle().Equals(v)).QuickCheckThrowOnFailure();
        Prop.ForAll<NonNull<string>>(s =>
        {
            // Lone surrogates are not encodable as UTF-8; the writer replaces them, so compare on valid strings only.
            string v = s.Get;
            if (!System.Text.Unicode.Utf8.IsValid(System.Text.Encoding.UTF8.GetBytes(v)) || v.Any(char.IsSurrogate))
            {
                return true;
            }

            return new MessagePackReader(Encode(w => w.Write(v))).ReadString() == v;
        }).QuickCheckThrowOnFailure();
        Prop.ForAll<byte[]>(b => b is null || new MessagePackReader(Encode(w => w.WriteBinary(b))).ReadBinary().SequenceEqual(b)).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Timestamps_AnySecondsAndNanos_RoundTrip()
    {
        Prop.ForAll<long, uint>((s, n) =>
        {
            uint nanos = n % 1_000_000_000;
            return new MessagePackReader(Encode(w => w.WriteTimestamp(s, nanos))).ReadTimestamp() == (s, nanos);
        }).QuickCheckThrowOnFailure();
    }
}
