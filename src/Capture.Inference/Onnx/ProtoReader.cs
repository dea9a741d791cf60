using System.Buffers.Binary;
using System.Text;

namespace Capture.Inference.Onnx;

/// <summary>
/// Minimal protocol-buffers wire-format reader over a byte span. Throws <see cref="InvalidDataException"/>
/// on truncated or malformed input; unknown fields are skipped by the caller with <see cref="Skip"/>.
/// Used for ONNX tensors and for MediaPipe's own <c>.binarypb</c> assets (the canonical face geometry).
/// </summary>
public ref struct ProtoReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public ProtoReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly bool End => _position >= _data.Length;

    /// <summary>Reads the next tag: field number and wire type.</summary>
    public (int Field, int WireType) ReadTag()
    {
        ulong tag = ReadVarint();
        int field = (int)(tag >> 3);
        if (field <= 0)
        {
            throw new InvalidDataException($"protobuf: invalid field number at byte {_position}");
        }

        return (field, (int)(tag & 7));
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _data.Length)
            {
                throw new InvalidDataException("protobuf: truncated varint");
            }

            byte b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return result;
            }
        }

        throw new InvalidDataException("protobuf: varint longer than 10 bytes");
    }

    public long ReadInt64() => unchecked((long)ReadVarint());

    public float ReadFixed32Float() => BinaryPrimitives.ReadSingleLittleEndian(Take(4));

    public double ReadFixed64Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8));

    public ReadOnlySpan<byte> ReadBytes()
    {
        ulong length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw new InvalidDataException($"protobuf: length {length} runs past the end ({_data.Length - _position} bytes left)");
        }

        return Take((int)length);
    }

    public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

    public void Skip(int wireType)
    {
        switch (wireType)
        {
            case 0: ReadVarint(); break;
            case 1: Take(8); break;
            case 2: ReadBytes(); break;
            case 5: Take(4); break;
            default: throw new InvalidDataException($"protobuf: unsupported wire type {wireType}");
        }
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _data.Length - _position)
        {
            throw new InvalidDataException("protobuf: truncated field");
        }

        ReadOnlySpan<byte> span = _data.Slice(_position, count);
        _position += count;
        return span;
    }
}
