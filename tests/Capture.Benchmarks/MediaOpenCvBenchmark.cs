using System.Diagnostics;
using System.Globalization;
using Capture.Media;
using OpenCvSharp;

namespace Capture.Benchmarks;

/// <summary>
/// Still pictures: OpenCV in-process (<see cref="ImageFile.LoadRgbaAsync(string, CancellationToken)"/>)
/// against what Capture did before (ffprobe for the stream, ffprobe for the pixel format, ffmpeg to RGBA).
/// </summary>
public sealed class StillsBenchmark : IBenchmarkCommand
{
    public string Name => "stills";

    public string Description => "load the shared character pictures: OpenCV in-process vs the former ffprobe×2 + ffmpeg, 5 runs";

    public int Run(string[] args)
    {
        string dir = args.Length > 0 ? args[0] : "/work/shared/media";
        string[] files = Directory.GetFiles(dir, "char_*").Where(f => f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".jpg", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
        Console.WriteLine(BenchmarkReport.MachineLine());
        Console.WriteLine($"{files.Length} pictures from {dir}");
        var cv = new List<double>();
        var ff = new List<double>();
        for (int run = 0; run <= 5; run++)
        {
            var clock = Stopwatch.StartNew();
            foreach (string f in files)
            {
                _ = ImageFile.LoadRgbaAsync(f).GetAwaiter().GetResult();
            }

            double opencv = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            foreach (string f in files)
            {
                Run("ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", f);
                Run("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=pix_fmt", "-of", "csv=p=0", f);
                Run("ffmpeg", "-v", "error", "-i", f, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgba", "pipe:1");
            }

            double ffmpeg = clock.Elapsed.TotalMilliseconds;
            Console.WriteLine($"  {(run == 0 ? "warm-up" : $"run {run}"),-8} OpenCV {opencv / files.Length,7:0.0} ms/picture   ffprobe×2+ffmpeg {ffmpeg / files.Length,7:0.0} ms/picture");
            if (run > 0)
            {
                cv.Add(opencv / files.Length);
                ff.Add(ffmpeg / files.Length);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"median: OpenCV {BenchmarkReport.Median(cv):0.0} ms/picture, ffprobe×2+ffmpeg {BenchmarkReport.Median(ff):0.0} ms/picture"));
        return 0;
    }

    private static void Run(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using Process p = Process.Start(info)!;
        p.StandardOutput.BaseStream.CopyTo(Stream.Null);
        p.WaitForExit();
    }
}

/// <summary>JPEG encoding of rendered frames (the live viewer stream) with <see cref="JpegEncoder"/>: frames/s and bytes allocated.</summary>
public sealed class JpegBenchmark : IBenchmarkCommand
{
    public string Name => "jpeg";

    public string Description => "JpegEncoder on 512², 800×600 and 1280×720 RGB24 frames at quality 85, 5 runs of 200 frames; allocated bytes per frame";

    public int Run(string[] args)
    {
        Console.WriteLine(BenchmarkReport.MachineLine());
        foreach ((int w, int h) in new[] { (512, 512), (800, 600), (1280, 720) })
        {
            byte[] frame = new byte[w * h * 3];
            new Random(1).NextBytes(frame.AsSpan(0, frame.Length / 8)); // some texture, mostly flat like a character on a background
            using var encoder = new JpegEncoder();
            var fps = new List<double>();
            int size = 0;
            long allocated = 0;
            for (int run = 0; run <= 5; run++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < 200; i++)
                {
                    frame[i] ^= 1;
                    size = encoder.Encode(frame, w, h, w * 3, JpegInputFormat.Rgb24, 85).Length;
                }

                double s = clock.Elapsed.TotalSeconds;
                if (run > 0)
                {
                    fps.Add(200 / s);
                    allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {w}x{h}: median {BenchmarkReport.Median(fps):0} frames/s, {size / 1024.0:0.0} KiB a frame, {allocated / 200.0:0} bytes allocated a frame"));
        }

        return 0;
    }
}

/// <summary>
/// The webcam decision, measured on a file (no camera here): ffmpeg child + pipe (Capture's source)
/// against OpenCV's VideoCapture (FFmpeg backend, buffer size 1) reading the same clip to RGB24.
/// </summary>
public sealed class CameraSourceBenchmark : IBenchmarkCommand
{
    public string Name => "camera-source";

    public string Description => "ffmpeg pipe vs OpenCV VideoCapture on a clip: time to first frame and per-frame cost on the caller's thread, 3 runs (docs/media.md)";

    public int Run(string[] args)
    {
        string clip = args.Length > 0 ? args[0] : "/work/shared/media/vid_talk_selfie_man_d13.mp4";
        Console.WriteLine(BenchmarkReport.MachineLine());
        for (int run = 0; run <= 3; run++)
        {
            (double ffFirst, double ffPer, int n) = ReadFfmpeg(clip).GetAwaiter().GetResult();
            (double cvFirst, double cvPer, int m) = ReadOpenCv(clip);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {(run == 0 ? "warm-up" : $"run {run}"),-8} ffmpeg pipe: first {ffFirst,6:0} ms, {ffPer,6:0.00} ms/frame ({n})   OpenCV VideoCapture: first {cvFirst,6:0} ms, {cvPer,6:0.00} ms/frame ({m})"));
        }

        return 0;
    }

    private static async Task<(double First, double PerFrame, int Frames)> ReadFfmpeg(string clip)
    {
        var clock = Stopwatch.StartNew();
        double first = 0;
        int n = 0;
        await using IFrameSource source = await FrameSources.OpenFileAsync(clip);
        while (await source.ReadAsync() is { } frame)
        {
            frame.Dispose();
            if (n++ == 0)
            {
                first = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
            }
        }

        return (first, clock.Elapsed.TotalMilliseconds / Math.Max(1, n - 1), n);
    }

    private static (double First, double PerFrame, int Frames) ReadOpenCv(string clip)
    {
        var clock = Stopwatch.StartNew();
        double first = 0;
        int n = 0;
        using var capture = new VideoCapture(clip, VideoCaptureAPIs.FFMPEG);
        capture.Set(VideoCaptureProperties.BufferSize, 1);
        using var bgr = new Mat();
        using var rgb = new Mat();
        while (capture.Read(bgr) && !bgr.Empty())
        {
            Cv2.CvtColor(bgr, rgb, ColorConversionCodes.BGR2RGB);
            if (n++ == 0)
            {
                first = clock.Elapsed.TotalMilliseconds;
                clock.Restart();
            }
        }

        return (first, clock.Elapsed.TotalMilliseconds / Math.Max(1, n - 1), n);
    }
}
