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
    private static readonly string s_gesture = Media + "/vid_body_fullbody_gesture_s13.mp4";

    [Theory]
    [InlineData("face_detection_short_range")]
    [InlineData("face_landmark")]
    [InlineData("face_landmark_with_attention")]
    [InlineData("pose_detection")]
    [InlineData("pose_landmark_lite")]
    [InlineData("pose_landmark_full")]
    [InlineData("pose_landmark_heavy")]
    [InlineData("hand_landmark_full")]
    [InlineData("hand_landmark_lite")]
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

    [Theory]
    [InlineData("palm_detection_full")]
    [InlineData("palm_detection_lite")]
    public async Task PalmDetection_RaisedHands_SomeAnchorScoresAboveHalf(string name)
    {
        // Palm detector input: 192×192 RGB in [0, 1] (MediaPipe's palm_detection graph); 2016 anchors, 18 regressors each.
        float[] image = LoadSquare(s_gesture, 100, 0, 520, 192, 0f, 1f, frame: 48);
        float[] gray = [.. Enumerable.Repeat(0.5f, image.Length)];
        using InferenceSession session = await OpenAsync(name);

        (float[] Data, long[] Shape)[] onHands = Onnx.OrtTestRunner.RunSession(session, ("input_1", image, [1, 192, 192, 3]));
        (float[] Data, long[] Shape)[] onGray = Onnx.OrtTestRunner.RunSession(session, ("input_1", gray, [1, 192, 192, 3]));

        Assert.Equal([1L, 2016, 18], onHands[0].Shape);
        Assert.Equal([1L, 2016, 1], onHands[1].Shape);
        Assert.True(onHands[1].Data.Max(Sigmoid) > 0.5f, $"best palm score {onHands[1].Data.Max(Sigmoid)}");
        Assert.True(onGray[1].Data.Max(Sigmoid) < 0.5f, $"best gray score {onGray[1].Data.Max(Sigmoid)}");
    }

    [Theory]
    [InlineData("hand_landmark_full")]
    [InlineData("hand_landmark_lite")]
    public async Task HandLandmark_HandCrop_PresenceHighAndLandmarksInsideCrop(string name)
    {
        // Hand landmark input: 224×224 RGB in [0, 1]; outputs 21 × (x, y, z) in crop pixels, the hand flag and the
        // handedness (both already probabilities: the model ends in a sigmoid), 21 world points in metres.
        float[] hand = LoadSquare(s_gesture, 110, 40, 160, 224, 0f, 1f, frame: 48);
        float[] gray = [.. Enumerable.Repeat(0.5f, hand.Length)];
        using InferenceSession session = await OpenAsync(name);

        (float[] Data, long[] Shape)[] onHand = Onnx.OrtTestRunner.RunSession(session, ("input_1", hand, [1, 224, 224, 3]));
        (float[] Data, long[] Shape)[] onGray = Onnx.OrtTestRunner.RunSession(session, ("input_1", gray, [1, 224, 224, 3]));

        Assert.True(onHand[1].Data[0] > 0.5f, $"hand flag {onHand[1].Data[0]}");
        Assert.True(onGray[1].Data[0] < 0.5f, $"gray hand flag {onGray[1].Data[0]}");
        Assert.InRange(onHand[2].Data[0], 0f, 1f);
        for (int i = 0; i < 21; i++)
        {
            Assert.InRange(onHand[0].Data[i * 3], 0f, 224f);
            Assert.InRange(onHand[0].Data[(i * 3) + 1], 0f, 224f);
            Assert.InRange(onHand[3].Data[i * 3], -0.2f, 0.2f);
        }
    }

    private async Task<InferenceSession> OpenAsync(string name)
    {
        string path = await models.Store.GetModelPathAsync(name);
        using SessionOptions options = InferenceEnvironment.CreateSessionOptions();
        return new InferenceSession(path, options);
    }
}
