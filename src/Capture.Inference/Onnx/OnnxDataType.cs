namespace Capture.Inference.Onnx;

/// <summary>ONNX <c>TensorProto.DataType</c> values used by Capture (numbers as in onnx.proto).</summary>
public enum OnnxDataType
{
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
    Float16 = 10,
    Double = 11,
}
