using System.Buffers.Binary;

namespace Capture.Inference.TfLite;

/// <summary>A constant tensor resolved at conversion time (float values, or int32 for shapes and paddings).</summary>
internal sealed record ConstTensor(int[] Shape, float[]? Floats, int[]? Ints)
{
    public int Count => Floats?.Length ?? Ints!.Length;

    public float[] AsFloats() => Floats ?? Array.ConvertAll(Ints!, x => (float)x);

    public int[] AsInts() => Ints ?? Array.ConvertAll(Floats!, x => (int)x);
}

/// <summary>Decodes constant buffers: float32, float16 (to float32), int32, int8/uint8 (dequantized), sparse (densified).</summary>
internal static class TfLiteConstants
{
    /// <summary>The constant value of <paramref name="tensor"/>, or null when its buffer is empty (an activation).</summary>
    public static ConstTensor? Read(TfLiteModel model, TfLiteTensor tensor)
    {
        ReadOnlySpan<byte> bytes = model.Buffer(tensor.Buffer).Span;
        if (bytes.IsEmpty)
        {
            return null;
        }

        int count = tensor.Sparsity is null ? ElementCount(tensor.Shape) : -1;
        switch (tensor.Type)
        {
            case TfLiteTensorType.Float32:
                return new(tensor.Shape, ReadFloats(bytes, 4, count, tensor), null);
            case TfLiteTensorType.Float16:
                return new(tensor.Shape, ReadFloats(bytes, 2, count, tensor), null);
            case TfLiteTensorType.Int32:
                CheckSize(bytes.Length, count * 4, tensor);
                var ints = new int[count];
                for (int i = 0; i < count; i++)
                {
                    ints[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]);
                }

                return new(tensor.Shape, null, ints);
            case TfLiteTensorType.Int64:
                CheckSize(bytes.Length, count * 8, tensor);
                var longs = new int[count];
                for (int i = 0; i < count; i++)
                {
                    longs[i] = checked((int)BinaryPrimitives.ReadInt64LittleEndian(bytes[(8 * i)..]));
                }

                return new(tensor.Shape, null, longs);
            case TfLiteTensorType.Int8 or TfLiteTensorType.UInt8 when tensor.QuantScale is { Length: > 0 }:
                return ReadQuantized(model, tensor);
            default:
                throw new NotSupportedException($"tflite: constant tensor '{tensor.Name}' of type {tensor.Type} is not supported");
        }
    }

    /// <summary>Dequantizes an int8/uint8 constant with its per-tensor or per-axis scale and zero point.</summary>
    public static ConstTensor ReadQuantized(TfLiteModel model, TfLiteTensor tensor)
    {
        ReadOnlySpan<byte> bytes = model.Buffer(tensor.Buffer).Span;
        int count = ElementCount(tensor.Shape);
        CheckSize(bytes.Length, count, tensor);
        float[] scale = tensor.QuantScale ?? throw new InvalidDataException($"tflite: quantized tensor '{tensor.Name}' has no scale");
        long[] zero = tensor.QuantZeroPoint ?? [0];
        if (scale.Length != 1)
        {
            throw new NotSupportedException($"tflite: per-axis quantized constant '{tensor.Name}' is not supported");
        }

        var result = new float[count];
        for (int i = 0; i < count; i++)
        {
            int q = tensor.Type == TfLiteTensorType.Int8 ? (sbyte)bytes[i] : bytes[i];
            result[i] = (q - zero[0]) * scale[0];
        }

        return new(tensor.Shape, result, null);
    }

    public static int ElementCount(int[] shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0)
            {
                throw new InvalidDataException($"tflite: dynamic dimension in constant shape [{string.Join(",", shape)}]");
            }

            n *= d;
        }

        return checked((int)n);
    }

    private static float[] ReadFloats(ReadOnlySpan<byte> bytes, int size, int count, TfLiteTensor tensor)
    {
        if (count < 0)
        {
            count = bytes.Length / size;
        }

        CheckSize(bytes.Length, count * size, tensor);
        var result = new float[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = size == 4
                ? BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..])
                : (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]);
        }

        if (tensor.Sparsity is not null)
        {
            result = Densify(result, tensor.Shape, tensor.Sparsity, tensor.Name);
        }

        return result;
    }

    /// <summary>
    /// Expands a sparse constant (TFLite <c>SparsityParameters</c>: dimensions in traversal order, each dense
    /// or CSR, plus optional block dimensions) into a dense row-major array of <paramref name="shape"/>.
    /// </summary>
    public static float[] Densify(float[] values, int[] shape, TfLiteSparsity sparsity, string name)
    {
        int rank = shape.Length;
        int expanded = sparsity.TraversalOrder.Length;
        if (expanded != rank + sparsity.BlockMap.Length || sparsity.DimMetadata.Length != expanded)
        {
            throw new InvalidDataException($"tflite: sparse tensor '{name}': traversal order, block map and metadata disagree");
        }

        // Block size of each original dimension (1 when not blocked) and which expanded dim holds it.
        int[] blockSize = [.. Enumerable.Repeat(1, rank)];
        int[] blockDim = [.. Enumerable.Repeat(-1, rank)];
        for (int j = 0; j < sparsity.BlockMap.Length; j++)
        {
            int expandedDim = rank + j;
            int level = Array.IndexOf(sparsity.TraversalOrder, expandedDim);
            blockDim[sparsity.BlockMap[j]] = expandedDim;
            blockSize[sparsity.BlockMap[j]] = sparsity.DimMetadata[level].DenseSize;
        }

        int[] strides = new int[rank];
        int stride = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d];
        }

        var dense = new float[ElementCount(shape)];
        int[] coords = new int[expanded];
        Visit(0, 0);
        return dense;

        void Visit(int level, int parent)
        {
            if (level == expanded)
            {
                if ((uint)parent >= (uint)values.Length)
                {
                    throw new InvalidDataException($"tflite: sparse tensor '{name}': value index {parent} out of range");
                }

                int offset = 0;
                for (int d = 0; d < rank; d++)
                {
                    int c = (coords[d] * blockSize[d]) + (blockDim[d] >= 0 ? coords[blockDim[d]] : 0);
                    if ((uint)c >= (uint)shape[d])
                    {
                        throw new InvalidDataException($"tflite: sparse tensor '{name}': coordinate {c} outside dimension {d} of size {shape[d]}");
                    }

                    offset += c * strides[d];
                }

                dense[offset] = values[parent];
                return;
            }

            TfLiteDimensionMetadata meta = sparsity.DimMetadata[level];
            int dim = sparsity.TraversalOrder[level];
            if (!meta.IsSparse)
            {
                for (int j = 0; j < meta.DenseSize; j++)
                {
                    coords[dim] = j;
                    Visit(level + 1, (parent * meta.DenseSize) + j);
                }

                return;
            }

            if (parent + 1 >= meta.Segments.Length)
            {
                throw new InvalidDataException($"tflite: sparse tensor '{name}': segment {parent} out of range");
            }

            for (int k = meta.Segments[parent]; k < meta.Segments[parent + 1]; k++)
            {
                if ((uint)k >= (uint)meta.Indices.Length)
                {
                    throw new InvalidDataException($"tflite: sparse tensor '{name}': index {k} out of range");
                }

                coords[dim] = meta.Indices[k];
                Visit(level + 1, k);
            }
        }
    }

    private static void CheckSize(int actual, long expected, TfLiteTensor tensor)
    {
        if (actual != expected)
        {
            throw new InvalidDataException($"tflite: tensor '{tensor.Name}' buffer has {actual} bytes, its shape [{string.Join(",", tensor.Shape)}] needs {expected}");
        }
    }
}
