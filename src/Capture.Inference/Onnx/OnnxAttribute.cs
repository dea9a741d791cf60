namespace Capture.Inference.Onnx;

/// <summary>One ONNX node attribute (<c>AttributeProto</c>); create with the static factories.</summary>
public readonly record struct OnnxAttribute
{
    private OnnxAttribute(string name, OnnxAttributeKind kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Kind = kind;
    }

    public string Name { get; }

    internal OnnxAttributeKind Kind { get; }

    internal long IntValue { get; private init; }

    internal float FloatValue { get; private init; }

    internal long[]? IntValues { get; private init; }

    internal float[]? FloatValues { get; private init; }

    internal string? StringValue { get; private init; }

    public static OnnxAttribute Int(string name, long value) => new(name, OnnxAttributeKind.Int) { IntValue = value };

    public static OnnxAttribute Float(string name, float value) => new(name, OnnxAttributeKind.Float) { FloatValue = value };

    /// <summary>An INTS attribute; the array is copied.</summary>
    public static OnnxAttribute Ints(string name, params long[] values) =>
        new(name, OnnxAttributeKind.Ints) { IntValues = [.. values] };

    /// <summary>A FLOATS attribute; the array is copied.</summary>
    public static OnnxAttribute Floats(string name, params float[] values) =>
        new(name, OnnxAttributeKind.Floats) { FloatValues = [.. values] };

    public static OnnxAttribute String(string name, string value) =>
        new(name, OnnxAttributeKind.String) { StringValue = value ?? throw new ArgumentNullException(nameof(value)) };

    internal void WriteTo(ProtoWriter w)
    {
        // AttributeProto: name=1, f=2, i=3, s=4, floats=7, ints=8, type=20 (FLOAT=1, INT=2, STRING=3, FLOATS=6, INTS=7).
        w.WriteStringField(1, Name);
        switch (Kind)
        {
            case OnnxAttributeKind.Float:
                w.WriteFloatField(2, FloatValue);
                w.WriteVarintField(20, 1);
                break;
            case OnnxAttributeKind.Int:
                w.WriteVarintField(3, IntValue);
                w.WriteVarintField(20, 2);
                break;
            case OnnxAttributeKind.String:
                w.WriteBytesField(4, System.Text.Encoding.UTF8.GetBytes(StringValue!));
                w.WriteVarintField(20, 3);
                break;
            case OnnxAttributeKind.Floats:
                foreach (float f in FloatValues!)
                {
                    w.WriteFloatField(7, f);
                }

                w.WriteVarintField(20, 6);
                break;
            case OnnxAttributeKind.Ints:
                foreach (long i in IntValues!)
                {
                    w.WriteVarintField(8, i);
                }

                w.WriteVarintField(20, 7);
                break;
            default:
                throw new InvalidOperationException($"attribute {Name}: unknown kind {Kind}");
        }
    }
}

internal enum OnnxAttributeKind
{
    Float,
    Int,
    String,
    Floats,
    Ints,
}
