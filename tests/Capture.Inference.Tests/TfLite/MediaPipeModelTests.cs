using Capture.Inference.Models;
using Capture.Inference.TfLite;
using Microsoft.ML.OnnxRuntime;
using static Capture.Inference.Tests.TfLite.TestImages;

namespace Capture.Inference.Tests.TfLite;

/// <summary>Builds every manifest model once (into a temporary directory) for the model-level tests.</summary>
public sealed class BuiltModelsFixture : IDisposable
{
    public BuiltModelsFixture()
    {
        BuildDirectory = Directory.CreateTempSubdirectory("capture-models").FullName;
        ModelStore repo = ModelStore.FromRepository();
        Store = new ModelStore(repo.ManifestPath, repo.NpmCacheDirectory, BuildDirectory);
    }

    public string BuildDirectory { get; }

    public ModelStore Store { get; }

    public void Dispose() => Directory.Delete(BuildDirectory, recursive: true);
}

public class MediaPipeModelTests(BuiltModelsFixture models) : IClassFixture<BuiltModelsFixture>
{
    private static readonly string s_face = Media + "/face_sergey_mediapipe.png";

    [Theory]
    [InlineData("face_detection_short_range")]
    [InlineData("face_landmark")]
    [InlineData("face_landmark_with_attention")]
    [InlineData("pose_detection")]
    [InlineData("pose_landmark_lite")]
    [InlineData("pose_landmark_full")]
    [InlineData("pose_landmark_heavy")]
    [InlineData("hand_landmark_full")]
    [InlineData("palm_detection_full")]
    [InlineData("palm_detection_lite")]
    [InlineData("hand_recrop")]
    [InlineData("selfie_segmentation")]
    public async Task Converted_RealModel_HasTfLiteInputsAndOutputsAndRunsFinite(string name)
    {
        ModelEntry entry = models.Store.Manifest.Get(name);
        TfLiteSubgraph g = TfLiteModel.Read(models.Store.ReadSource(entry)).Subgraphs[0];
        string path = await models.Store.GetModelPathAsync(name);

        using SessionOptions options = InferenceEnvironment.CreateSessionOptions();
        using var session = new InferenceSession(path, options);
        TfLiteTensor input = g.Tensors[g.Inputs[0]];
        Assert.Equal([input.Name], session.InputNames);
        Assert.Equal(g.Outputs.Select(o => g.Tensors[o].Name), session.OutputNames);
        var x = new float[input.Shape.Aggregate(1, (a, b) => a * b)];
        Array.Fill(x, 0.5f);

        (float[] Data, long[] Shape)[] outputs = Onnx.OrtTestRunner.RunSession(session, (input.Name, x, [.. input.Shape.Select(d => (long)d)]));

        for (int i = 0; i < outputs.Length; i++)
        {
            Assert.Equal(g.Tensors[g.Outputs[i]].Shape.Select(d => (long)d), outputs[i].Shape);
            Assert.All(outputs[i].Data, v => Assert.True(float.IsFinite(v)));
        }
    }

    [Onnx.PythonOnnxFact]
    public async Task Converted_FaceLandmarkAndPoseDetection_PassOnnxCheckerWithShapeInference()
    {
        foreach (string name in new[] { "face_landmark", "pose_detection" })
        {
            (int code, string text) = Onnx.PythonOnnx.CheckModel(await File.ReadAllBytesAsync(await models.Store.GetModelPathAsync(name)));

            Assert.True(code == 0, $"{name}: {text}");
        }
    }

    [Fact]
    public async Task FaceLandmark_FaceCrop_PresenceHighAndLandmarksInsideCrop()
    {
        // MediaPipe face mesh input: 192×192 RGB in [0, 1].
        float[] face = LoadSquare(s_face, 60, 80, 480, 192, 0f, 1f);
        float[] gray = [.. Enumerable.Repeat(0.5f, face.Length)];
        using InferenceSession session = await OpenAsync("face_landmark");

        (float[] Data, long[] Shape)[] onFace = Onnx.OrtTestRunner.RunSession(session, ("input_1", face, [1, 192, 192, 3]));
        (float[] Data, long[] Shape)[] onGray = Onnx.OrtTestRunner.RunSession(session, ("input_1", gray, [1, 192, 192, 3]));

        Assert.True(Sigmoid(onFace[1].Data[0]) > 0.5f, $"face presence {Sigmoid(onFace[1].Data[0])}");
        Assert.True(Sigmoid(onGray[1].Data[0]) < 0.5f, $"gray presence {Sigmoid(onGray[1].Data[0])}");
        float[] mesh = onFace[0].Data; // 468 × (x, y, z) in crop pixels
        Assert.Equal(1404, mesh.Length);
        for (int i = 0; i < 468; i++)
        {
            Assert.InRange(mesh[i * 3], 0f, 192f);
            Assert.InRange(mesh[(i * 3) + 1], 0f, 192f);
        }
    }

    [Fact]
    public async Task FaceDetection_FacePhoto_SomeAnchorScoresAboveHalf()
    {
        // Short-range face detector input: 128×128 RGB in [-1, 1]; 896 anchors, 16 regressors each.
        float[] image = LoadSquare(s_face, 0, 0, 600, 128, -1f, 1f);
        float[] gray = new float[image.Length];
        using InferenceSession session = await OpenAsync("face_detection_short_range");

        (float[] Data, long[] Shape)[] onFace = Onnx.OrtTestRunner.RunSession(session, ("input", image, [1, 128, 128, 3]));
        (float[] Data, long[] Shape)[] onGray = Onnx.OrtTestRunner.RunSession(session, ("input", gray, [1, 128, 128, 3]));

        Assert.Equal([1L, 896, 16], onFace[0].Shape);
        Assert.Equal([1L, 896, 1], onFace[1].Shape);
        Assert.True(onFace[1].Data.Max(Sigmoid) > 0.5f, $"best face score {onFace[1].Data.Max(Sigmoid)}");
        Assert.True(onGray[1].Data.Max(Sigmoid) < 0.5f, $"best gray score {onGray[1].Data.Max(Sigmoid)}");
    }

    private async Task<InferenceSession> OpenAsync(string name)
    {
        string path = await models.Store.GetModelPathAsync(name);
        using SessionOptions options = InferenceEnvironment.CreateSessionOptions();
        return new InferenceSession(path, options);
    }
}
