using Capture.Inference.Onnx;

namespace Capture.Inference.Tests.Onnx;

public class OnnxTensorReaderTests
{
    private const string TestData = "/usr/share/libonnx-testdata/data/node";

    [Fact]
    public void Read_HandEncodedFloatDataPacked_ReturnsValues()
    {
        // dims: 2, 2 ; data_type 1 ; float_data packed [1, 2, 3, -4] ; name "t"
        byte[] bytes =
        [
            0x08, 0x02, 0x08, 0x02, 0x10, 0x01,
            0x22, 0x10, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0xC0,
            0x42, 0x01, (byte)'t',
        ];

        OnnxTensor t = OnnxTensorReader.Read(bytes);

        Assert.Equal("t", t.Name);
        Assert.Equal(OnnxDataType.Float, t.DataType);
        Assert.Equal([2L, 2L], t.Shape);
        Assert.Equal([1f, 2f, 3f, -4f], (float[])t.Data);
    }

    [Fact]
    public void Read_Truncated_ThrowsInvalidData()
    {
        byte[] bytes = [0x08, 0x02, 0x10, 0x01, 0x4A, 0x10, 0, 0];

        Assert.Throws<InvalidDataException>(() => OnnxTensorReader.Read(bytes));
    }

    [Fact]
    public void Read_RawDataSizeMismatch_ThrowsInvalidData()
    {
        // dims 3, float, raw_data of 8 bytes (needs 12).
        byte[] bytes = [0x08, 0x03, 0x10, 0x01, 0x4A, 0x08, 0, 0, 0, 0, 0, 0, 0, 0];

        var ex = Assert.Throws<InvalidDataException>(() => OnnxTensorReader.Read(bytes));
        Assert.Contains("raw_data", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFile_OnnxTestAdd_OutputIsSumOfInputs()
    {
        string dir = Path.Combine(TestData, "test_add", "test_data_set_0");
        Assert.True(Directory.Exists(dir), $"{dir} missing: scripts/setup.sh installs libonnx-testdata");

        OnnxTensor a = OnnxTensorReader.ReadFile(Path.Combine(dir, "input_0.pb"));
        OnnxTensor b = OnnxTensorReader.ReadFile(Path.Combine(dir, "input_1.pb"));
        OnnxTensor y = OnnxTensorReader.ReadFile(Path.Combine(dir, "output_0.pb"));

        Assert.Equal([3L, 4L, 5L], a.Shape);
        Assert.Equal(a.Shape, y.Shape);
        float[] af = a.ToFloatArray(), bf = b.ToFloatArray(), yf = y.ToFloatArray();
        for (int i = 0; i < yf.Length; i++)
        {
            Assert.Equal(af[i] + bf[i], yf[i], 5);
        }
    }

    [PythonOnnxFact]
    public void Read_NumpyHelperTensorsOfEachType_MatchPython()
    {
        string dir = Directory.CreateTempSubdirectory("capture-tensors").FullName;
        try
        {
            (int code, string output) = PythonOnnx.RunPython(
                """
                import sys, numpy as np
                from onnx import numpy_helper, helper, TensorProto
                d = sys.argv[1]
                def save(n, t): open(f"{d}/{n}.pb", "wb").write(t.SerializeToString())
                save("f", numpy_helper.from_array(np.array([[1.5, -2], [3, 4]], np.float32), "f"))
                save("i64", numpy_helper.from_array(np.array([1, -2, 3 << 40], np.int64), "i64"))
                save("u8", numpy_helper.from_array(np.array([0, 255, 7], np.uint8), "u8"))
                save("h", numpy_helper.from_array(np.array([0.5, -1], np.float16), "h"))
                save("typed", helper.make_tensor("typed", TensorProto.INT32, [3], [5, -6, 7]))
                """, dir);
            Assert.True(code == 0, output);

            Assert.Equal([1.5f, -2f, 3f, 4f], (float[])OnnxTensorReader.ReadFile($"{dir}/f.pb").Data);
            Assert.Equal([1L, -2L, 3L << 40], (long[])OnnxTensorReader.ReadFile($"{dir}/i64.pb").Data);
            Assert.Equal([(byte)0, (byte)255, (byte)7], (byte[])OnnxTensorReader.ReadFile($"{dir}/u8.pb").Data);
            Assert.Equal([0.5f, -1f], OnnxTensorReader.ReadFile($"{dir}/h.pb").ToFloatArray());
            OnnxTensor typed = OnnxTensorReader.ReadFile($"{dir}/typed.pb");
            Assert.Equal(OnnxDataType.Int32, typed.DataType);
            Assert.Equal([5, -6, 7], (int[])typed.Data);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
