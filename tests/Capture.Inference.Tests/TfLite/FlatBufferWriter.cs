using System.Buffers.Binary;
using System.Text;

namespace Capture.Inference.Tests.TfLite;

/// <summary>A FlatBuffers value for the test writer: a table, a string, or a vector of scalars or tables.</summary>
internal abstract record FbNode;

internal sealed record FbTable(params (int Field, object Value)[] Fields) : FbNode;

internal sealed record FbString(string Value) : FbNode;

internal sealed record FbBytes(byte[] Data, int ElementSize) : FbNode
{
    public static FbBytes Ints(params int[] values) => new([.. values.SelectMany(BitConverter.GetBytes)], 4);

    public static FbBytes Floats(params float[] values) => new([.. values.SelectMany(BitConverter.GetBytes)], 4);
}

internal sealed record FbTables(params FbTable[] Items) : FbNode;

/// <summary>
/// Writes FlatBuffers front to back (each child after its parent, so every uoffset is positive): enough
/// to build small TFLite models for converter tests. Scalars: byte, bool, int, uint, long, float.
/// </summary>
internal static class FlatBufferWriter
{
    public static byte[] Write(FbTable root, string fileIdentifier)
    {
        var buf = new List<byte>(new byte[8]);
        for (int i = 0; i < 4; i++)
        {
            buf[4 + i] = (byte)fileIdentifier[i];
        }

        var pending = new Queue<(int Patch, FbNode Node)>();
        pending.Enqueue((0, root));
        while (pending.Count > 0)
        {
            (int patch, FbNode node) = pending.Dequeue();
            Align(buf, 4);
            int at = node is FbTable t ? WriteTable(buf, t, pending) : WriteOther(buf, node, pending);
            PatchU32(buf, patch, (uint)(at - patch));
        }

        return [.. buf];
    }

    private static int WriteTable(List<byte> buf, FbTable table, Queue<(int, FbNode)> pending)
    {
        int maxField = table.Fields.Length == 0 ? -1 : table.Fields.Max(f => f.Field);
        int vtableSize = 4 + (2 * (maxField + 1));
        var layout = new List<(int Field, int Offset, byte[] Bytes, FbNode? Ref)>();
        int offset = 4;
        foreach ((int field, object value) in table.Fields.OrderBy(f => f.Field))
        {
            (byte[] bytes, FbNode? reference) = value switch
            {
                byte b => (new[] { b }, (FbNode?)null),
                bool b => (new[] { b ? (byte)1 : (byte)0 }, null),
                int i => (BitConverter.GetBytes(i), null),
                uint u => (BitConverter.GetBytes(u), null),
                long l => (BitConverter.GetBytes(l), null),
                float f => (BitConverter.GetBytes(f), null),
                FbNode n => (new byte[4], n),
                _ => throw new ArgumentException($"unsupported field value {value.GetType()}"),
            };
            layout.Add((field, offset, bytes, reference));
            offset += bytes.Length;
        }

        int vtable = buf.Count;
        AddU16(buf, (ushort)vtableSize);
        AddU16(buf, (ushort)offset);
        for (int f = 0; f <= maxField; f++)
        {
            int index = layout.FindIndex(l => l.Field == f);
            AddU16(buf, (ushort)(index < 0 ? 0 : layout[index].Offset));
        }

        Align(buf, 4);
        int tablePos = buf.Count;
        buf.AddRange(BitConverter.GetBytes(tablePos - vtable));
        foreach ((_, int fieldOffset, byte[] bytes, FbNode? reference) in layout)
        {
            buf.AddRange(bytes);
            if (reference is not null)
            {
                pending.Enqueue((tablePos + fieldOffset, reference));
            }
        }

        return tablePos;
    }

    private static int WriteOther(List<byte> buf, FbNode node, Queue<(int, FbNode)> pending)
    {
        int at = buf.Count;
        switch (node)
        {
            case FbString s:
                byte[] utf8 = Encoding.UTF8.GetBytes(s.Value);
                buf.AddRange(BitConverter.GetBytes(utf8.Length));
                buf.AddRange(utf8);
                buf.Add(0);
                break;
            case FbBytes v:
                buf.AddRange(BitConverter.GetBytes(v.Data.Length / v.ElementSize));
                buf.AddRange(v.Data);
                break;
            case FbTables ts:
                buf.AddRange(BitConverter.GetBytes(ts.Items.Length));
                foreach (FbTable item in ts.Items)
                {
                    pending.Enqueue((buf.Count, item));
                    buf.AddRange(new byte[4]);
                }

                break;
            default:
                throw new ArgumentException($"unsupported node {node}");
        }

        return at;
    }

    private static void Align(List<byte> buf, int alignment)
    {
        while (buf.Count % alignment != 0)
        {
            buf.Add(0);
        }
    }

    private static void AddU16(List<byte> buf, ushort value) => buf.AddRange(BitConverter.GetBytes(value));

    private static void PatchU32(List<byte> buf, int at, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        for (int i = 0; i < 4; i++)
        {
            buf[at + i] = bytes[i];
        }
    }
}
