using System.Globalization;
using Capture.Media;
using Capture.Pipeline;
using Capture.Retargeting.Rigs;
using Capture.Server.Client;
using Capture.Server.Live;
using Capture.Testing;

namespace Capture.Benchmarks;

/// <summary>
/// What a live viewer's connection carries (issue 21, "across a network"): through the real server and a WebSocket
/// viewer, bytes a second at 256² and 512², 30 fps, with the alpha plane and without it (<c>alpha=0</c>), a performer
/// replaying the tracked talking clip (so the character moves); then, for each step of <see cref="ViewerLadder"/>, the
/// bytes of the character's frame at rest at that step (the same halving and encoders the session uses).
/// </summary>
public sealed class LiveBytesBenchmark : IBenchmarkCommand
{
    public string Name => "live-bytes";

    public string Description => "bytes a second a live viewer receives at 256²/512², 30 fps, with and without alpha (real server + WebSocket viewers), and a frame's bytes at each step down; args: [seconds]";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        Console.WriteLine(BenchmarkReport.MachineLine());
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 6;
        string character = SharedMedia.File("face_woman_happy_sadtalker.png");
        List<byte[]> frames = LiveSessionsBenchmark.LoadFrames(await LiveSessionsBenchmark.RecordAsync(SharedMedia.File("vid_expr_man_d18.mp4")));
        Console.WriteLine($"character {Path.GetFileName(character)} (figure cut out: frames carry alpha); performer: the talking clip's {frames.Count} tracked frames, {seconds:0.#} s at 30 fps");
        await using BenchServer server = await BenchServer.StartAsync();
        using var api = new LiveApi(server.Address, BenchServer.Key);
        Console.WriteLine($"{"size",5} {"viewer",-22} {"frames",7} {"fps",6} {"bytes/frame",12} {"kB/s",8} {"Mbit/s",7}");
        foreach (int size in new[] { 256, 512 })
        {
            LiveSessionInfo s = await api.CreateSessionAsync(character, size);
            // Two viewers of the same frames: one takes the alpha plane, one does not (alpha=0, what bg=original asks).
            await using var withAlpha = new LiveViewer();
            await withAlpha.ConnectAsync(new Uri(s.FramesUrl));
            await using var plain = new LiveViewer();
            await plain.ConnectAsync(new Uri(s.FramesUrl + "&alpha=0"));
            // One second to calibrate the neutral and warm up, not counted.
            await LiveSessionsBenchmark.ReplayAsync(s, frames, 30);
            int skipWith = withAlpha.Frames.Count, skipPlain = plain.Frames.Count;
            await LiveSessionsBenchmark.ReplayAsync(s, frames, (int)(seconds * 30));
            await Task.Delay(300);
            Row(size, "with alpha (default)", withAlpha.Frames.Skip(skipWith).ToList());
            Row(size, "without (alpha=0)", plain.Frames.Skip(skipPlain).ToList());
            await api.DeleteSessionAsync(s.Id);
        }

        Console.WriteLine();
        Console.WriteLine("a frame at each step down (the character at rest, RGB + alpha JPEG bytes):");
        CharacterRig rig = await CharacterLoader.LoadAsync(character, null, 2048, cutOut: true);
        using var rgbEncoder = new JpegEncoder();
        using var alphaEncoder = new JpegEncoder();
        foreach (int size in new[] { 256, 512 })
        {
            using var renderer = new LiveRenderer(rig, size, null, 1);
            byte[] rgb = renderer.Frame.ReadOnlyPixels.ToArray();
            byte[] alpha = renderer.Alpha.ToArray();
            for (int step = 0; step < ViewerLadder.Steps.Length; step++)
            {
                ViewerLadder.Step st = ViewerLadder.Steps[step];
                int side = size / st.Divisor;
                byte[] r = rgb, a = alpha;
                for (int d = size; d > side; d /= 2)
                {
                    byte[] hr = new byte[d / 2 * (d / 2) * 3], ha = new byte[d / 2 * (d / 2)];
                    FrameScaling.Halve(r, d, d, d * 3, 3, hr);
                    FrameScaling.Halve(a, d, d, d, 1, ha);
                    (r, a) = (hr, ha);
                }

                int quality = st.Quality == 0 ? new Capture.Server.ServerOptions().JpegQuality : st.Quality;
                int rgbBytes = rgbEncoder.Encode(r, side, side, side * 3, JpegInputFormat.Rgb24, quality).Length;
                int alphaBytes = alphaEncoder.Encode(a, side, side, side, JpegInputFormat.Grey8, LiveSession.AlphaJpegQuality).Length;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {size}² step {step}: {side,3}² q{quality,-3} RGB {rgbBytes,6} B + alpha {alphaBytes,6} B; at 30 fps {rgbBytes * 30 / 1000.0,6:F0} kB/s without alpha, {(rgbBytes + alphaBytes) * 30 / 1000.0,6:F0} kB/s with"));
            }
        }

        return 0;
    }

    private static void Row(int size, string viewer, List<ViewedFrame> got)
    {
        if (got.Count < 2)
        {
            Console.WriteLine($"{size,4}² {viewer,-22} too few frames ({got.Count})");
            return;
        }

        double span = (got[^1].ArrivedUs - got[0].ArrivedUs) / 1e6;
        double fps = (got.Count - 1) / span;
        double perFrame = got.Average(f => f.MessageBytes);
        double kBps = got.Skip(1).Sum(f => (double)f.MessageBytes) / span / 1000;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{size,4}² {viewer,-22} {got.Count,7} {fps,6:F1} {perFrame,12:F0} {kBps,8:F0} {kBps * 8 / 1000,7:F2}"));
    }
}
