using System.Text;

namespace Capture.Inference.Tests.TfLite;

/// <summary>
/// Writes a FlexBuffers map (keys sorted, every value 4 bytes wide) of ints, floats and int vectors:
/// the shape of MediaPipe's custom-operator options, for converter and reader tests.
/// </summary>
internal static class FlexMapWriter
{
    private const byte Width4 = 2; // bit-width code of 4-byte values

    public static byte[] Write(params (string Key, object Value)[] entries)
    {
        (string Key, object Value)[] sorted = [.. entries.OrderBy(e => e.Key, StringComparer.Ordinal)];
        var buf = new List<byte>();
        var keyAt = new int[sorted.Length];
        for (int i = 0; i < sorted.Length; i++)
        {
            keyAt[i] = buf.Count;
            buf.AddRange(Encoding.UTF8.GetBytes(sorted[i].Key));
            buf.Add(0);
        }

        var vectorAt = new int[sorted.Length];
        for (int i = 0; i < sorted.Length; i++)
        {
            if (sorted[i].Value is int[] values)
            {
                Align(buf);
                U32(buf, (uint)values.Length);
                vectorAt[i] = buf.Count;
                foreach (int v in values)
                {
                    buf.AddRange(BitConverter.GetBytes(v));
                }
            }
        }

        Align(buf);
        U32(buf, (uint)sorted.Length);
        int keys = buf.Count;
        for (int i = 0; i < sorted.Length; i++)
        {
            U32(buf, (uint)(buf.Count - keyAt[i]));
        }

        // Map header: keys offset, keys byte width, count; then values and one type byte each.
        U32(buf, (uint)(buf.Count - keys));
        U32(buf, 4);
        U32(buf, (uint)sorted.Length);
        int map = buf.Count;
        var types = new byte[sorted.Length];
        for (int i = 0; i < sorted.Length; i++)
        {
            switch (sorted[i].Value)
            {
                case int v:
                    buf.AddRange(BitConverter.GetBytes(v));
                    types[i] = (1 << 2) | Width4;
                    break;
                case float f:
                    buf.AddRange(BitConverter.GetBytes(f));
                    types[i] = (3 << 2) | Width4;
                    break;
                case int[]:
                    U32(buf, (uint)(buf.Count - vectorAt[i]));
                    types[i] = (11 << 2) | Width4;
                    break;
                default:
                    throw new ArgumentException($"unsupported value {sorted[i].Value.GetType()}");
            }
        }

        buf.AddRange(types);
        Align(buf);
        U32(buf, (uint)(buf.Count - map));
        buf.Add((9 << 2) | Width4);
        buf.Add(4);
        return [.. buf];
    }

    private static void Align(List<byte> buf)
    {
        while (buf.Count % 4 != 0)
        {
            buf.Add(0);
        }
    }

    private static void U32(List<byte> buf, uint v) => buf.AddRange(BitConverter.GetBytes(v));
}
