using System.Buffers;
using MessagePack;

namespace Capture.Protocol.Tests;

/// <summary>Writes with MessagePack-CSharp's low-level writer (a ref struct, so a delegate with a ref parameter).</summary>
internal delegate void Writes(ref MessagePackWriter writer);

internal static class Wire
{
    public static byte[] Encode(Writes write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        write(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static string Hex(Writes write) => Convert.ToHexStringLower(Encode(write));
}
