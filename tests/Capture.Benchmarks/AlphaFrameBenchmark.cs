using System.Diagnostics;
using System.Globalization;
using Capture.Media;
using Capture.Pipeline;
using Capture.Retargeting.Rigs;
using Capture.Server.Live;
using OpenCvSharp;

namespace Capture.Benchmarks;

/// <summary>
/// How a live frame's alpha should travel to the viewer (issue 21, docs/protocol.md v1.5): on real rendered frames of
/// the shared characters (a sprite with its own alpha, portraits with their figure cut out) at 256² and 512², the bytes
/// and the encode time of the RGB JPEG the viewers get today, of the alpha as a greyscale JPEG (quality 75 and 90), as
/// lossless WebP and PNG, and of the whole frame as WebP with alpha (lossy colour, OpenCV's encoder); the largest and
/// mean alpha error after decoding, and bytes a second at 30 fps with and without alpha. Then the body characters'
/// frames (the stick drawing and the full-body anime picture, its figure cut out by GrabCut; 256 and 512 wide, their own
/// shape): the RGB JPEG and the alpha plane live body sessions send (greyscale JPEG q90).
/// </summary>
public sealed class AlphaFrameBenchmark : IBenchmarkCommand
{
    private const int Runs = 21;

    public string Name => "alpha-frames";

    public string Description => "a rendered frame's alpha for the viewer: greyscale JPEG vs WebP (lossless alpha, RGBA) vs PNG, bytes a frame and encode ms at 256²/512²";

    public int Run(string[] args) => RunAsync().GetAwaiter().GetResult();

    private static async Task<int> RunAsync()
    {
        Console.WriteLine(BenchmarkReport.MachineLine());
        Console.WriteLine($"{"character",-30} {"size",7} {"encoding",-30} {"bytes",8} {"ms",7} {"max err",8} {"mean err",9}");
        foreach (string name in new[] { "char_anime_eileen_renpy.png", "char_painting_mona_lisa_s9.jpg", "char_cartoon3d_boy_s7.jpg" })
        {
            string path = Capture.Testing.SharedMedia.File(name);
            CharacterRig rig = await CharacterLoader.LoadAsync(path, null, 2048, cutOut: true);
            foreach (int size in new[] { 256, 512 })
            {
                using var renderer = new LiveRenderer(rig, size, null, 1);
                byte[] rgb = renderer.Frame.ReadOnlyPixels.ToArray();
                byte[] alpha = renderer.Alpha.ToArray();
                using var encoder = new JpegEncoder();
                JpegRows(name, size, size, rgb, alpha, encoder, [75, 90]);
                using var grey = Mat.FromPixelData(size, size, MatType.CV_8UC1, alpha);
                Row(name, size, size, "alpha WebP lossless", () => Encode(".webp", grey, (int)ImwriteFlags.WebPQuality, 101), null, null);
                Row(name, size, size, "alpha PNG", () => Encode(".png", grey), null, null);
                using var bgra = new Mat(size, size, MatType.CV_8UC4);
                for (int i = 0; i < size * size; i++)
                {
                    bgra.Set(i / size, i % size, new Vec4b(rgb[(i * 3) + 2], rgb[(i * 3) + 1], rgb[i * 3], alpha[i]));
                }

                Row(name, size, size, "whole frame WebP q85 + alpha", () => Encode(".webp", bgra, (int)ImwriteFlags.WebPQuality, 85), null, null);
            }
        }

        // Body sessions (their alpha is the body graph's second output): at rest, as the face characters above.
        foreach (string name in new[] { "drawing_stick_char4", "char_fullbody_anime_musepose_ref.jpg" })
        {
            BodyCharacter body = await CharacterLoader.LoadBodyAsync(Capture.Testing.SharedMedia.File(name));
            foreach (int width in new[] { 256, 512 })
            {
                using var renderer = new LiveRenderer(body, width, null, 1);
                byte[] rgb = renderer.Frame.ReadOnlyPixels.ToArray();
                byte[] alpha = renderer.Alpha.ToArray();
                using var encoder = new JpegEncoder();
                JpegRows(name, width, renderer.Height, rgb, alpha, encoder, [LiveSession.AlphaJpegQuality]);
            }
        }

        Console.WriteLine("bytes a second at 30 fps = bytes a frame x 30 (RGB alone today; RGB + alpha JPEG q90 with alpha).");
        Console.WriteLine("command: dotnet run -c Release --project tests/Capture.Benchmarks -- alpha-frames");
        return 0;
    }

    private static int Encode(string extension, Mat image, params int[] parameters)
    {
        if (!Cv2.ImEncode(extension, image, out byte[] encoded, parameters))
        {
            throw new InvalidOperationException($"OpenCV could not encode {extension}");
        }

        return encoded.Length;
    }

    // The RGB JPEG viewers get and the alpha as greyscale JPEGs at the given qualities.
    private static void JpegRows(string name, int width, int height, byte[] rgb, byte[] alpha, JpegEncoder encoder, int[] qualities)
    {
        Row(name, width, height, "RGB JPEG q85 (today's frame)", () => encoder.Encode(rgb, width, height, width * 3, JpegInputFormat.Rgb24, 85).Length, null, null);
        foreach (int q in qualities)
        {
            Row(name, width, height, $"alpha greyscale JPEG q{q}", () => encoder.Encode(alpha, width, height, width, JpegInputFormat.Grey8, q).Length,
                () => encoder.Encode(alpha, width, height, width, JpegInputFormat.Grey8, q).ToArray(), alpha);
        }
    }

    private static void Row(string name, int width, int height, string encoding, Func<int> encode, Func<byte[]>? encoded, byte[]? truth)
    {
        var times = new List<double>();
        int bytes = 0;
        for (int r = 0; r < Runs; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            bytes = encode();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }

        string error = "";
        if (encoded is not null && truth is not null)
        {
            using Mat decoded = Cv2.ImDecode(encoded(), ImreadModes.Grayscale);
            int max = 0;
            long sum = 0;
            for (int i = 0; i < truth.Length; i++)
            {
                int d = Math.Abs(decoded.At<byte>(i / width, i % width) - truth[i]);
                max = Math.Max(max, d);
                sum += d;
            }

            error = string.Create(CultureInfo.InvariantCulture, $"{max,8} {sum / (double)truth.Length,9:F2}");
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-30} {$"{width}x{height}",7} {encoding,-30} {bytes,8} {BenchmarkReport.Median(times),7:F2} {error}"));
    }
}
