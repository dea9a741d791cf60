using System.Text.Json;
using Capture.Testing;

namespace Capture.Cli.Tests;

/// <summary>Output scripts can read (--json, unwrapped tables) and render's motion inputs seen from the command line.</summary>
public sealed class JsonAndMotionInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-cli-json-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Character => SharedMedia.File("char_painting_mona_lisa_s9.jpg");

    [Fact]
    public async Task Render_RecordingWithJson_OneObjectOnStdoutProgressOnStderr()
    {
        string track = Path.Combine(_dir, "d18.mpk");
        ToolProcess.Result tracked = await CliProcess.RunAsync("track", SharedMedia.File("vid_expr_man_d18.mp4"), "-o", track, "--iris", "--json");
        Assert.True(tracked.ExitCode == 0, tracked.All);
        using JsonDocument t = JsonDocument.Parse(tracked.StdOut);
        Assert.Equal("track", t.RootElement.GetProperty("command").GetString());
        Assert.Equal(216, t.RootElement.GetProperty("frames").GetInt64());
        Assert.Equal(216, t.RootElement.GetProperty("framesWithFace").GetInt64());

        string output = Path.Combine(_dir, "out.mp4");
        ToolProcess.Result r = await CliProcess.RunAsync("render", track, "--character", Character, "-o", output, "--size", "256", "--frames", "40", "--json");

        Assert.True(r.ExitCode == 0, r.All);
        using JsonDocument json = JsonDocument.Parse(r.StdOut);
        JsonElement root = json.RootElement;
        Assert.Equal("render", root.GetProperty("command").GetString());
        Assert.Equal("recording", root.GetProperty("drivingKind").GetString());
        Assert.Equal(40, root.GetProperty("frames").GetInt64());
        Assert.Equal(30, root.GetProperty("outputFrameRate").GetDouble());
        Assert.Equal(output, root.GetProperty("output").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("audio").ValueKind);
        Assert.Contains("wrote", r.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InfoAndProbe_Json_ParseWithTheirFields()
    {
        ToolProcess.Result info = await CliProcess.RunAsync("info", "--json");
        ToolProcess.Result probe = await CliProcess.RunAsync("probe", SharedMedia.File("vid_expr_man_d18.mp4"), "--json");

        Assert.True(info.ExitCode == 0, info.All);
        using JsonDocument i = JsonDocument.Parse(info.StdOut);
        Assert.Equal("info", i.RootElement.GetProperty("command").GetString());
        Assert.False(string.IsNullOrEmpty(i.RootElement.GetProperty("executionProvider").GetProperty("name").GetString()));
        Assert.Equal("ready", i.RootElement.GetProperty("models").GetProperty("states").GetProperty("face_landmark").GetString());
        using JsonDocument p = JsonDocument.Parse(probe.StdOut);
        Assert.Equal(480, p.RootElement.GetProperty("video").GetProperty("width").GetInt32());
    }

    [Fact]
    public async Task Probe_MissingFileWithJson_ErrorObjectAndExitOne()
    {
        string path = Path.Combine(_dir, "missing.mp4");
        ToolProcess.Result r = await CliProcess.RunAsync("probe", path, "--json");

        Assert.Equal(1, r.ExitCode);
        using JsonDocument json = JsonDocument.Parse(r.StdOut);
        Assert.Contains(path, json.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("error:", r.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_PipedToAFile_EachRowOnOneLine()
    {
        ToolProcess.Result r = await CliProcess.RunAsync(new Dictionary<string, string> { ["COLUMNS"] = "60" }, "models");

        Assert.True(r.ExitCode == 0, r.All);
        string[] lines = r.StdOut.Split('\n');
        Assert.Contains(lines, l => l.Contains("face_landmark_with_attention", StringComparison.Ordinal) && l.Contains("@mediapipe/face_mesh@", StringComparison.Ordinal) && l.Contains("ready", StringComparison.Ordinal));
        Assert.DoesNotContain("\u001b[", r.StdOut, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cut.csv", "Timecode,BlendShapeCount,EyeBlinkLeft\n00:00:00:00.000,61,0\n", "missing")]
    [InlineData("back.csv", null, "is not after the previous row's")]
    [InlineData("bones.bvh", "HIERARCHY\nROOT Pelvis_Bone\n{\nOFFSET 0 0 0\nCHANNELS 3 Xposition Yposition Zposition\n}\nMOTION\nFrames: 1\nFrame Time: 0.033\n0 0 0\n", "unknown joints")]
    [InlineData("short.bvh", "HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\nCHANNELS 3 Xposition Yposition Zposition\n}\nMOTION\nFrames: 3\nFrame Time: 0.033\n0 0 0\n1 1 1\n", "truncated")]
    public async Task Render_BadMotionFile_OneLineNamingFileAndProblem(string name, string? text, string problem)
    {
        string path = Path.Combine(_dir, name);
        text ??= Capture.Protocol.Export.LiveLinkFaceCsvWriter.Header + "\n" + Row("00:00:01:04.000") + Row("00:00:01:02.000");
        await File.WriteAllTextAsync(path, text);

        ToolProcess.Result r = await CliProcess.RunAsync("render", path, "--character", Character, "-o", Path.Combine(_dir, "x.mp4"));

        AssertOneErrorLine(r, path, problem);
    }

    [Theory]
    [InlineData("noise", "not a Capture recording (its first value is of MessagePack type Integer")]
    [InlineData("header", "no tracking frames in the recording")]
    [InlineData("bodies", "no face frames: none of its 10 tracking frames has a face")]
    public async Task Render_BadRecording_OneLineNamingFileAndProblem(string kind, string problem)
    {
        string path = Path.Combine(_dir, kind + ".mpk");
        using (FileStream file = File.Create(path))
        {
            if (kind == "noise")
            {
                file.Write([0x01, 0x02, 0x03, 0xc0, 0xff, 0x10]); // MessagePack integers, not the header map
            }
            else
            {
                using var recording = new Capture.Protocol.Recording.RecordingWriter(file, "test");
                using var packet = new Capture.Protocol.MessagePack.PooledBufferWriter(8192);
                var frame = new Capture.Core.Tracking.TrackingFrame { ImageWidth = 640, ImageHeight = 480 };
                frame.Body.Present = true; // a body, never a face
                for (int i = 0; kind == "bodies" && i < 10; i++)
                {
                    frame.Sequence = i;
                    frame.CaptureTimestampUs = i * 33_333;
                    packet.Reset();
                    Capture.Protocol.Schema.ProtocolWriter.WriteTrackingFrame(packet, frame);
                    recording.Write(packet.WrittenSpan);
                }
            }
        }

        ToolProcess.Result r = await CliProcess.RunAsync("render", path, "--character", Character, "-o", Path.Combine(_dir, "x.mp4"));

        AssertOneErrorLine(r, path, problem);
        Assert.False(File.Exists(Path.Combine(_dir, "x.mp4")), "no output is left behind");
    }

    // Exit 1, one "error:" line naming the file and the problem, no stack trace.
    private static void AssertOneErrorLine(ToolProcess.Result r, string path, string problem)
    {
        Assert.Equal(1, r.ExitCode);
        string[] errors = [.. r.All.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal))];
        Assert.Single(errors);
        Assert.Contains(path, errors[0], StringComparison.Ordinal);
        Assert.Contains(problem, errors[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.All, StringComparison.Ordinal);
    }

    private static string Row(string timecode) => timecode + ",61" + string.Concat(Enumerable.Repeat(",0", 61)) + "\n";
}
