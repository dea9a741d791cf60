using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using MessagePack;

namespace Capture.Protocol.Tests;

/// <summary>Round trips of the value kinds the schema writes, through MessagePack-CSharp's writer and reader.</summary>
public class PropertyTests
{
    [Fact]
    public void Integers_AnyValue_RoundTrip()
    {
        Prop.ForAll<long>(v => new MessagePackReader(Wire.Encode((ref MessagePackWriter w) => w.Write(v))).ReadInt64() == v).QuickCheckThrowOnFailure();
        Prop.ForAll<int>(v => new MessagePackReader(Wire.Encode((ref MessagePackWriter w) => w.Write(v))).ReadInt32() == v).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void FloatsStringsBinaries_AnyValue_RoundTrip()
    {
        Prop.ForAll<double>(v => new MessagePackReader(Wire.Encode((ref MessagePackWriter w) => w.Write(v))).ReadDouble().Equals(v)).QuickCheckThrowOnFailure();
        Prop.ForAll<float>(v => new MessagePackReader(Wire.Encode((ref MessagePackWriter w) => w.Write(v))).ReadSingle().Equals(v)).QuickCheckThrowOnFailure();
        Prop.ForAll<NonNull<string>>(s =>
        {
            // Lone surrogates are not encodable as UTF-8; the writer replaces them, so compare on valid strings only.
            string v = s.Get;
            if (v.Any(char.IsSurrogate))
            {
                return true;
            }

            return new MessagePackReader(Wire.Encode((ref MessagePackWriter w) => w.Write(v))).ReadString() == v;
        }).QuickCheckThrowOnFailure();
        Prop.ForAll<byte[]>(b => b is null || new MessagePackReader(Wire.Encode((ref MessagePackWriter w) => w.Write(b.AsSpan()))).ReadBytes()!.Value.ToArray().SequenceEqual(b))
            .QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Timestamps_AnyUtcTick_RoundTrip()
    {
        Prop.ForAll<long>(ticks =>
        {
            var t = new DateTime(Math.Abs(ticks % DateTime.MaxValue.Ticks), DateTimeKind.Utc);
            return new MessagePackReader(Wire.Encode((ref MessagePackWriter w) => w.Write(t))).ReadDateTime() == t;
        }).QuickCheckThrowOnFailure();
    }
}
