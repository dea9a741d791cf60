using Capture.Core.Tracking;
using Capture.Generation;
using Capture.Media;
using Capture.Pipeline.Rendering;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Retargeting;
using Capture.Retargeting.Rigs;
using Capture.Testing;

namespace Capture.Pipeline.Tests;

/// <summary>The real thing: ffmpeg, the converted MediaPipe models, the shared media.</summary>
public class PipelineTests
{
    private static string MediaDir => SharedMedia.Directory;

    private static string Media(string name) => Path.Combine(MediaDir, name);

    private static string RepoRoot
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Capture.sln")))
            {
                dir = Path.GetDirectoryName(dir);
            }

            return dir ?? throw new InvalidOperationException("Capture.sln not found above the test binaries");
        }
    }

    [Fact]
    public async Task LoadAsync_PictureWithoutFace_SaysHowToAddARig()
    {
        string path = Path.Combine(Path.GetTempPath(), $"noface-{Guid.NewGuid():N}.png");
        var pixels = new byte[160 * 120 * 3];
        for (int i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(i % 251);
        }

        await ImageFile.SavePngAsync(path, pixels, 160, 120, hasAlpha: false);
        try
        {
            InvalidDataException ex = await Assert.ThrowsAsync<InvalidDataException>(() => CharacterLoader.LoadAsync(path, null));

            Assert.Contains(path, ex.Message, StringComparison.Ordinal);
            Assert.Contains("no face found", ex.Message, StringComparison.Ordinal);
            Assert.Contains("--rig", ex.Message, StringComparison.Ordinal);
            Assert.Contains("capture-rig", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task LoadAsync_AnimeSpriteWithRig_KeepsAlphaThroughTheGenerator()
    {
        string rigPath = Path.Combine(RepoRoot, "calibration", "rigs", "char_anime_eileen_renpy.json");
        var messages = new List<string>();

        CharacterRig rig = await CharacterLoader.LoadAsync(Media("char_anime_eileen_renpy.png"), rigPath, messages.Add);
        using var generator = new WarpGenerator(128, 1, gridSize: 32);
        generator.SetCharacter(rig);
        var face = new DrivenFace();
        face.SetNeutral(rig.Neutral);
        generator.Generate(face);
        var rgba = new byte[128 * 128 * 4];
        generator.CopyRgbaTo(rgba);

        Assert.True(rig.Picture.HasAlpha);
        Assert.Contains("rig file", rig.LandmarkSource, StringComparison.Ordinal);
        Assert.Contains(messages, m => m.Contains("rig file", StringComparison.Ordinal));
        int transparent = 0;
        for (int i = 3; i < rgba.Length; i += 4)
        {
            transparent += rgba[i] < 8 ? 1 : 0;
        }

        // The sprite stands on a transparent background: some of the crop is see-through, the face is not.
        Assert.True(transparent > 128 * 4, $"{transparent} transparent pixels");
        System.Numerics.Vector2 nose = face.Points[FaceTopology.NoseTip] * 127;
        Assert.Equal(255, rgba[((((int)nose.Y * 128) + (int)nose.X) * 4) + 3]);
    }

    [Fact]
    public async Task RunAsync_MeshByDefaultAndSplineOnRequest_BothWriteTheirFrames()
    {
        string spline = Path.Combine(Path.GetTempPath(), $"render-spline-{Guid.NewGuid():N}.mp4");
        string mesh = Path.Combine(Path.GetTempPath(), $"render-mesh-{Guid.NewGuid():N}.mp4");
        try
        {
            var options = new RenderOptions
            {
                DrivingPath = Media("vid_expr_man_d18.mp4"),
                CharacterPath = Media("char_painting_mona_lisa_s9.jpg"),
                OutputPath = mesh,
                Size = 256,
                MaxFrames = 10,
                CalibrationSeconds = 0.3,
            };
            Assert.Equal(Generation.WarpKind.Mesh, options.Warp);
            RenderResult byMesh = await RenderPipeline.RunAsync(options);
            RenderResult bySpline = await RenderPipeline.RunAsync(options with { OutputPath = spline, Warp = Generation.WarpKind.Spline });

            Assert.Equal(10, byMesh.Frames);
            Assert.Equal(10, bySpline.Frames);
            MediaInfo info = await MediaProbe.ProbeAsync(mesh);
            Assert.Equal(256, info.Video!.Width);

            // Another warp, another picture: the two files are not the same bytes.
            Assert.NotEqual(await File.ReadAllBytesAsync(spline), await File.ReadAllBytesAsync(mesh));
        }
        finally
        {
            File.Delete(spline);
            File.Delete(mesh);
        }
    }

    [Fact]
    public async Task RunAsync_FifteenFramesAt256_WritesAnMp4WithAudioAndTheMotionData()
    {
        string output = Path.Combine(Path.GetTempPath(), $"render-{Guid.NewGuid():N}.mp4");
        string motion = Path.Combine(Path.GetTempPath(), $"render-motion-{Guid.NewGuid():N}");
        try
        {
            RenderResult result = await RenderPipeline.RunAsync(new RenderOptions
            {
                DrivingPath = Media("vid_expr_man_d18.mp4"),
                CharacterPath = Media("char_statue_terracotta_s6.jpg"),
                OutputPath = output,
                Size = 256,
                SideBySide = true,
                MaxFrames = 15,
                CalibrationSeconds = 0.3,
                MotionDataDirectory = motion,
            });

            MediaInfo info = await MediaProbe.ProbeAsync(output);
            Assert.Equal(15, result.Frames);
            Assert.Equal("tracker", result.CharacterLandmarkSource);
            Assert.NotNull(info.Video);
            Assert.Equal(512, info.Video!.Width);
            Assert.Equal(256, info.Video.Height);
            Assert.Equal("h264", info.Video.Codec);
            Assert.NotNull(info.Audio);
            Assert.InRange(info.DurationSeconds ?? 0, 0.3, 1.0);

            // The captured motion, readable by the protocol's own recording reader and as Live Link Face CSV.
            using (RecordingReader recording = RecordingReader.Open(Path.Combine(motion, "motion.mpk")))
            {
                var frame = new TrackingFrame();
                int packets = 0, faces = 0;
                while (recording.TryReadNext(out ReadOnlyMemory<byte> packet))
                {
                    ProtocolReader.ReadTrackingFrame(packet.Span, frame);
                    packets++;
                    faces += frame.Face.Present ? 1 : 0;
                }

                Assert.Equal(15, packets);
                Assert.Equal(15, faces);
            }

            string[] liveLink = await File.ReadAllLinesAsync(Path.Combine(motion, "livelink.csv"));
            Assert.StartsWith("Timecode,BlendShapeCount,EyeBlinkLeft,", liveLink[0], StringComparison.Ordinal);
            Assert.Equal(16, liveLink.Length);
            Assert.Equal(16, (await File.ReadAllLinesAsync(Path.Combine(motion, "motion.csv"))).Length);
        }
        finally
        {
            File.Delete(output);
            if (Directory.Exists(motion))
            {
                Directory.Delete(motion, recursive: true);
            }
        }
    }
}
