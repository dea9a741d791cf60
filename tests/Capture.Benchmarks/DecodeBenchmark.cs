using System.Diagnostics;
using System.Globalization;
using Capture.Media;

namespace Capture.Benchmarks;

/// <summary>
/// Decodes a whole clip to pooled RGB24 frames at native size, as a tracker would read it:
/// probe, start ffmpeg, read every frame, return it. Wall time includes the probe and the ffmpeg start.
/// </summary>
public sealed class DecodeBenchmark : IBenchmarkCommand
{
    public string Name => "decode";

    public string Description =>
        "decode a clip to RGB24 frames (default vid_talk_selfie_man_d13.mp4 720x1280, 352 frames), 5 runs; goal: faster than real time";

    public int Run(string[] args)
    {
        string path = args.Length > 0 ? args[0] : "/work/shared/media/vid_talk_selfie_man_d13.mp4";
        int runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 5;
        Console.WriteLine(BenchmarkReport.MachineLine());
        MediaInfo info = MediaProbe.ProbeAsync(path).GetAwaiter().GetResult();
        double duration = info.DurationSeconds ?? double.NaN;
        Console.WriteLine($"input: {path} {info.Video!.Width}x{info.Video.Height} @{info.Video.FrameRate:0.##} fps, {duration:0.00} s, {info.Video.FrameCount} frames");

        var walls = new List<double>();
        long frames = 0;
        for (int run = 0; run <= runs; run++)
        {
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            frames = DecodeAll(path).GetAwaiter().GetResult();
            double wall = clock.Elapsed.TotalSeconds;
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            // Our side only (probe start, pipe reads, pool): ffmpeg's decoding runs in the child.
            double ourCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds;
            string label = run == 0 ? "warm-up" : $"run {run}";
            Console.WriteLine($"  {label,-8} {wall * 1000,8:0.0} ms  {frames / wall,7:0.0} fps  {duration / wall,5:0.00}x real time  {allocated / 1024.0,8:0.0} KiB allocated (pool included)  {ourCpu,6:0} ms CPU in this process");
            if (run > 0)
            {
                walls.Add(wall);
            }
        }

        double median = BenchmarkReport.Median(walls);
        Console.WriteLine($"median of {runs}: {median * 1000:0.0} ms wall, {frames / median:0.0} fps, {duration / median:0.00}x real time ({frames} frames)");
        return 0;
    }

    private static async Task<long> DecodeAll(string path)
    {
        await using IFrameSource source = await FrameSources.OpenFileAsync(path);
        long count = 0;
        while (await source.ReadAsync() is { } frame)
        {
            count++;
            frame.Dispose();
        }

        return count;
    }
}
