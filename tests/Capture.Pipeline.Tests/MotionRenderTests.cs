using System.Globalization;
using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Media.Audio;
using Capture.Pipeline.Motion;
using Capture.Pipeline.Rendering;
using Capture.Protocol.MessagePack;
using Capture.Protocol.Recording;
using Capture.Protocol.Schema;
using Capture.Testing;
using Xunit.Abstractions;

namespace Capture.Pipeline.Tests;

/// <summary>Render driven by motion files instead of a video: .mpk, Live Link Face CSV, BVH.</summary>
public sealed class MotionRenderTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-motion-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Clip => SharedMedia.File("vid_expr_man_d18.mp4");

    private static string Character => SharedMedia.File("char_painting_mona_lisa_s9.jpg");

    [Fact]
    public async Task RunAsync_RecordingOfTheVideosRender_SameOutputFrameForFrame()
    {
        // The video render paints the mouth interior, as a motion file's render must (it has no pictures).
        var video = new RenderOptions
        {
            DrivingPath = Clip, CharacterPath = Character, OutputPath = Path.Combine(_dir, "video.mp4"), Size = 256, MaxFrames = 45,
            PaintedMouth = true, Body = false, MotionDataDirectory = Path.Combine(_dir, "motion"),
        };
        RenderResult fromVideo = await RenderPipeline.RunAsync(video);
        RenderResult fromRecording = await RenderPipeline.RunAsync(new RenderOptions
        {
            DrivingPath = Path.Combine(_dir, "motion", "motion.mpk"), CharacterPath = Character, OutputPath = Path.Combine(_dir, "recording.mp4"), Size = 256,
        });

        Assert.Equal(45, fromVideo.Frames);
        Assert.Equal(45, fromRecording.Frames);
        List<byte[]> a = await FramesAsync(video.OutputPath);
        List<byte[]> b = await FramesAsync(fromRecording.OutputPath);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
        {
            Assert.True(a[i].AsSpan().SequenceEqual(b[i]), $"frame {i} differs");
        }

        MediaInfo probe = await MediaProbe.ProbeAsync(fromRecording.OutputPath);
        Assert.Equal(30, probe.Video!.FrameRate, 3);
    }

    [Fact]
    public async Task RunAsync_LiveLinkCsvOfTheVideosRender_MouthOpensAndHeadTurnsAsTheVideoRendersDo()
    {
        var video = new RenderOptions
        {
            DrivingPath = Clip, CharacterPath = Character, OutputPath = Path.Combine(_dir, "video.mp4"), Size = 256,
            PaintedMouth = true, Body = false, MotionDataDirectory = Path.Combine(_dir, "video"),
        };
        await RenderPipeline.RunAsync(video);
        var csv = new RenderOptions
        {
            DrivingPath = Path.Combine(_dir, "video", "livelink.csv"), CharacterPath = Character, OutputPath = Path.Combine(_dir, "csv.mp4"), Size = 256,
            MotionDataDirectory = Path.Combine(_dir, "csv"),
        };
        RenderResult fromCsv = await RenderPipeline.RunAsync(csv);

        List<byte[]> v = await FramesAsync(video.OutputPath);
        List<byte[]> c = await FramesAsync(csv.OutputPath);
        Assert.Equal(v.Count, c.Count);
        Assert.Equal(216, fromCsv.Frames);

        // The mouth region: where the video render's widest-open frame differs from its first (neutral) frame.
        List<Dictionary<string, string>> videoMotion = MotionCsv(Path.Combine(_dir, "video", "motion.csv"));
        List<Dictionary<string, string>> csvMotion = MotionCsv(Path.Combine(_dir, "csv", "motion.csv"));
        int widest = Enumerable.Range(0, videoMotion.Count).MaxBy(i => F(videoMotion[i]["jawOpen"]));
        bool[] region = new bool[256 * 256];
        for (int p = 0; p < region.Length; p++)
        {
            region[p] = Math.Abs(Luma(v[widest], p) - Luma(v[0], p)) > 40;
        }

        Assert.InRange(region.Count(r => r), 200, 256 * 40);
        double[] openVideo = [.. v.Select(f => RegionDifference(f, v[0], region))];
        double[] openCsv = [.. c.Select(f => RegionDifference(f, c[0], region))];
        double threshold = openVideo.Max() / 2;
        int agree = Enumerable.Range(0, v.Count).Count(i => (openVideo[i] > threshold) == (openCsv[i] > threshold));
        int open = openVideo.Count(o => o > threshold);
        double between = Enumerable.Range(0, v.Count).Average(i => RegionDifference(v[i], c[i], region));

        double[] yaw = Differences(videoMotion, csvMotion, "yaw_deg");
        double[] pitch = Differences(videoMotion, csvMotion, "pitch_deg");
        double[] roll = Differences(videoMotion, csvMotion, "roll_deg");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mouth open in {open} of {v.Count} video-render frames; open/closed agree on {agree} ({100.0 * agree / v.Count:F1} %); " +
            $"mouth-region mean |video − csv| {between:F1} grey levels vs {openVideo.Max():F1} for open − neutral; " +
            $"head angles |video − csv| max/mean: yaw {yaw.Max():F2}/{yaw.Average():F2}°, pitch {pitch.Max():F2}/{pitch.Average():F2}°, roll {roll.Max():F2}/{roll.Average():F2}°"));

        Assert.InRange(open, 20, v.Count - 20);
        Assert.True(agree >= v.Count * 0.9, $"open/closed agree on {agree} of {v.Count} frames");
        Assert.True(between < openVideo.Max() / 3, $"the renders differ by {between:F1} in the mouth, an open mouth by {openVideo.Max():F1}");

        // Head rotation through Live Link's angles and the basis: within 1.5° of the video's (measured 0.73° at worst).
        Assert.True(yaw.Max() < 1.5 && pitch.Max() < 1.5 && roll.Max() < 1.5, $"head angles differ by up to {yaw.Max():F2}/{pitch.Max():F2}/{roll.Max():F2}°");
    }

    [Fact]
    public async Task RunAsync_SharedBvh_HeadTurnsFaceStaysNeutralBodyWritten()
    {
        RenderResult result = await RenderPipeline.RunAsync(new RenderOptions
        {
            DrivingPath = SharedMedia.File("bvh/dab.bvh"), CharacterPath = Character, OutputPath = Path.Combine(_dir, "dab.mp4"), Size = 256,
            SideBySide = true, MaxFrames = 150, MotionDataDirectory = Path.Combine(_dir, "dab"),
        });

        Assert.Equal(150, result.Frames);
        Assert.Equal(150, result.FramesWithBody);
        Assert.True(File.Exists(Path.Combine(_dir, "dab", "motion.bvh")));
        List<Dictionary<string, string>> motion = MotionCsv(Path.Combine(_dir, "dab", "motion.csv"));
        double pitch = motion.Max(r => Math.Abs(F(r["pitch_deg"])));
        double jaw = motion.Max(r => F(r["jawOpen"]));
        Assert.True(pitch > 10, $"the dab's head drop turned the character's head by {pitch:F1}° at most");
        Assert.True(jaw < 0.05, $"the face is neutral, but jawOpen reached {jaw:F3}");
    }

    [Fact]
    public async Task RunAsync_RecordingWithoutFaces_OneLineNamingTheFile()
    {
        string path = Path.Combine(_dir, "bodies.mpk");
        using (var file = File.Create(path))
        using (var recording = new RecordingWriter(file, "test"))
        using (var packet = new PooledBufferWriter(8192))
        {
            var frame = new TrackingFrame { ImageWidth = 640, ImageHeight = 480 };
            frame.Body.Present = true;
            for (int i = 0; i < 10; i++)
            {
                frame.Sequence = i;
                frame.CaptureTimestampUs = i * 33_333;
                packet.Reset();
                ProtocolWriter.WriteTrackingFrame(packet, frame, LandmarkEncoding.Int16);
                recording.Write(packet.WrittenSpan);
            }
        }

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => RenderPipeline.RunAsync(new RenderOptions { DrivingPath = path, CharacterPath = Character, OutputPath = Path.Combine(_dir, "x.mp4") }));

        Assert.Equal($"{path}: no face frames: none of its 10 tracking frames has a face, and render drives the character's face", ex.Message);
    }

    [Fact]
    public async Task RecordingDriver_LiveTakeWithGapsAndAudio_SteadyClockNearestFramesAudioAligned()
    {
        // A live take: Unix-epoch stamps, ~30 fps with jitter (the first frame 300 µs early), frames 10–14 lost,
        // audio from 100 ms before the first frame's slot.
        string path = Path.Combine(_dir, "live.mpk");
        long start = 1_760_000_000_000_000;
        var stamps = new List<long>();
        using (var file = File.Create(path))
        using (var recording = new RecordingWriter(file, "capture live"))
        using (var packet = new PooledBufferWriter(8192))
        {
            var frame = new TrackingFrame { ImageWidth = 640, ImageHeight = 480 };
            frame.Face.Present = true;
            short[] pcm = new short[960];
            for (int chunk = 0; chunk < 60; chunk++)
            {
                Array.Fill(pcm, (short)(chunk + 1));
                packet.Reset();
                ProtocolWriter.WriteAudioChunk(packet, new AudioChunkHeader(chunk, start - 100_000 + (chunk * 20_000), 48_000, 1), System.Runtime.InteropServices.MemoryMarshal.AsBytes(pcm.AsSpan()));
                recording.Write(packet.WrittenSpan);
            }

            for (int i = 0; i < 30; i++)
            {
                if (i is >= 10 and < 15)
                {
                    continue;
                }

                frame.Sequence = i;
                frame.CaptureTimestampUs = start + (i * 33_333) + ((((i * 7) % 5) - 2) * 150);
                frame.Face.Landmarks[0] = new Vector3(i, 0, 0);
                stamps.Add(frame.CaptureTimestampUs);
                packet.Reset();
                ProtocolWriter.WriteTrackingFrame(packet, frame, LandmarkEncoding.Float32);
                recording.Write(packet.WrittenSpan);
            }
        }

        await using IMotionDriver driver = await MotionDrivers.OpenAsync(path, new MotionDriverOptions());
        var got = new List<(float Source, long Us)>();
        var tracking = new TrackingFrame();
        while ((await driver.ReadAsync(tracking, default)).HasFrame)
        {
            got.Add((tracking.Face.Landmarks[0].X, tracking.CaptureTimestampUs));
        }

        Assert.Equal(MotionKind.Recording, driver.Info.Kind);
        Assert.InRange(driver.Info.FrameRate, 29.96, 30); // 30 or 29.97: the jitter cannot tell them apart
        Assert.Equal(30, got.Count);
        Assert.Equal([0f, 1, 2, 3, 4, 5, 6, 7, 8, 9], got.Take(10).Select(g => g.Source));
        Assert.All(got.Skip(10).Take(5), g => Assert.True(g.Source is 9 or 15, $"gap filled with frame {g.Source}"));
        Assert.Equal([15f, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], got.Skip(15).Select(g => g.Source));
        Assert.True(got.Zip(got.Skip(1)).All(p => p.Second.Us > p.First.Us), "time goes forward through the gap");

        // Audio: the WAV starts at the first frame (99.7 ms after the first chunk: chunks 0–3 and 946 samples
        // of chunk 4 were before it) and runs to the last chunk.
        Assert.NotNull(driver.Info.AudioPath);
        using var wav = new NAudio.Wave.WaveFileReader(driver.Info.AudioPath);
        Assert.Equal(48_000, wav.WaveFormat.SampleRate);
        Assert.Equal((60 * 960) - 4786, wav.SampleCount);
        var first = new byte[2];
        wav.ReadExactly(first);
        Assert.Equal(5, BitConverter.ToInt16(first));
    }

    [Fact]
    public async Task MotionDrivers_ShippedBasis_CsvFaceIsTheBasisFace()
    {
        string csv = Path.Combine(_dir, "take.csv");
        using (var text = new StreamWriter(csv))
        {
            var w = new Capture.Protocol.Export.LiveLinkFaceCsvWriter(text);
            var f = new TrackingFrame();
            f.Face.Present = true;
            for (int i = 0; i < 61; i++)
            {
                f.CaptureTimestampUs = i * 16_667;
                f.Face.Blendshapes[(int)ArkitBlendshape.JawOpen] = i / 60f;
                w.Write(f);
            }
        }

        await using IMotionDriver driver = await MotionDrivers.OpenAsync(csv, new MotionDriverOptions());
        var tracking = new TrackingFrame();
        var open = new TrackingFrame();
        await driver.ReadAsync(tracking, default);
        while ((await driver.ReadAsync(open, default)).HasFrame)
        {
        }

        Assert.Equal(MotionKind.LiveLinkCsv, driver.Info.Kind);
        Assert.Equal(60, driver.Info.FrameRate);
        Assert.Equal(61, driver.Info.FrameCount);
        Assert.True(tracking.Face.Present && tracking.Face.HasIris);
        float eyes = Capture.Retargeting.FaceMeasures.EyeDistance(tracking.Face.Landmarks);
        Assert.Equal(Capture.Retargeting.BlendshapeBasis.EyeDistanceInImage, eyes, 2);

        // jawOpen 0 → 1 drops the chin (y down) by more than a tenth of the eye distance.
        float drop = open.Face.Landmarks[FaceTopology.Chin].Y - tracking.Face.Landmarks[FaceTopology.Chin].Y;
        Assert.True(drop > eyes * 0.1f, $"the chin moved {drop / eyes:F3} eye distances");
        Assert.Equal(1f, open.Face.Blendshapes[(int)ArkitBlendshape.JawOpen], 3);
    }

    [Fact]
    public async Task RecordingDriver_TakeCutOffMidPacket_KeepsEveryWholeFrameWithOneNote()
    {
        // A live take whose writer died mid-packet: the bundled recording cut at a byte inside a packet.
        string path = Path.Combine(_dir, "cut.mpk");
        byte[] whole = await File.ReadAllBytesAsync(RepoFiles.Path("samples", "performance.mpk"));
        await File.WriteAllBytesAsync(path, whole.AsMemory(0, 200_001));
        var notes = new List<string>();

        await using IMotionDriver driver = await MotionDrivers.OpenAsync(path, new MotionDriverOptions { Log = notes.Add });
        var frame = new TrackingFrame();
        long frames = 0;
        while ((await driver.ReadAsync(frame, default)).HasFrame)
        {
            frames++;
        }

        string note = Assert.Single(notes);
        output.WriteLine(note);
        Assert.StartsWith("cut.mpk: the recording ends inside a value", note, StringComparison.Ordinal);
        Assert.EndsWith("packets before it were read; rendering those", note, StringComparison.Ordinal);
        long kept = long.Parse(note[(note.LastIndexOf("; the ", StringComparison.Ordinal) + 6)..].Split(' ')[0], CultureInfo.InvariantCulture);
        Assert.InRange(frames, 50, 80); // ~3.1 KB a frame: 200 KB holds about 64
        Assert.Equal(kept, frames); // the sample has no audio: every whole packet is a frame
        Assert.Equal(frames, driver.Info.FrameCount);
    }

    [Fact]
    public async Task Drivers_ReadingFrames_AllocateNothingPerFrame()
    {
        // The bundled recording, its Live Link CSV (written here from the same frames) and a shared BVH.
        string recording = RepoFiles.Path("samples", "performance.mpk");
        string csv = Path.Combine(_dir, "take.csv");
        using (var text = new StreamWriter(csv))
        {
            var writer = new Capture.Protocol.Export.LiveLinkFaceCsvWriter(text);
            await using IMotionDriver source = await MotionDrivers.OpenAsync(recording, new MotionDriverOptions());
            var frame = new TrackingFrame();
            while ((await source.ReadAsync(frame, default)).HasFrame)
            {
                writer.Write(frame);
            }
        }

        foreach (string path in new[] { recording, csv, SharedMedia.File("bvh/dab.bvh") })
        {
            await using IMotionDriver driver = await MotionDrivers.OpenAsync(path, new MotionDriverOptions());
            var tracking = new TrackingFrame();
            for (int i = 0; i < 10; i++)
            {
                await driver.ReadAsync(tracking, default); // warm up: first reads fill buffers
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 100; i++)
            {
                Assert.True((await driver.ReadAsync(tracking, default)).HasFrame);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated == 0, $"{Path.GetFileName(path)}: {allocated} bytes over 100 frames");
        }
    }

    [Theory]
    [InlineData(59.94, 59.94)]
    [InlineData(30.2, 30)]
    [InlineData(24.1, 24)]
    [InlineData(119.9, 60)]
    [InlineData(90, 45)]
    [InlineData(12.5, 12.5)]
    public void MotionClock_Rate_SnapsToCommonRatesAndStaysAtMostSixty(double measured, double expected)
    {
        Assert.Equal(expected, MotionClock.Rate(measured), 2);
    }

    [Fact]
    public void MotionClock_FromTimestamps_MedianStepAndWholeDuration()
    {
        MotionClock clock = MotionClock.FromTimestamps([0, 33_333, 66_667, 100_000, 250_000, 283_333]);

        Assert.Equal(30, clock.FrameRate);
        Assert.Equal(9, clock.FrameCount);
        Assert.Equal(266_667, clock.TimeUs(8));
    }

    private static double[] Differences(List<Dictionary<string, string>> a, List<Dictionary<string, string>> b, string column) =>
        [.. a.Zip(b).Select(p => Math.Abs(F(p.First[column]) - F(p.Second[column])))];

    private static double RegionDifference(byte[] a, byte[] b, bool[] region)
    {
        double sum = 0;
        int n = 0;
        for (int p = 0; p < region.Length; p++)
        {
            if (region[p])
            {
                sum += Math.Abs(Luma(a, p) - Luma(b, p));
                n++;
            }
        }

        return sum / Math.Max(n, 1);
    }

    private static double Luma(byte[] rgb, int pixel) => (0.299 * rgb[3 * pixel]) + (0.587 * rgb[(3 * pixel) + 1]) + (0.114 * rgb[(3 * pixel) + 2]);

    private static double F(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static List<Dictionary<string, string>> MotionCsv(string path)
    {
        string[] lines = File.ReadAllLines(path);
        string[] header = lines[0].Split(',');
        return [.. lines.Skip(1).Select(l => header.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second))];
    }

    private static async Task<List<byte[]>> FramesAsync(string path)
    {
        var frames = new List<byte[]>();
        await using IFrameSource source = await FrameSources.OpenFileAsync(path);
        while (await source.ReadAsync() is VideoFrame frame)
        {
            using (frame)
            {
                frames.Add(frame.ReadOnlyPixels.ToArray());
            }
        }

        return frames;
    }
}
