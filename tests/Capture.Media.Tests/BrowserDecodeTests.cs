using Capture.Core.Frames;
using Capture.Testing;

namespace Capture.Media.Tests;

/// <summary>
/// Stills decode to what Chromium gives a canvas (what MediaPipe JS and the capture page see): the same
/// libjpeg-turbo decode, and the embedded colour profile applied as the browser applies it.
/// </summary>
public sealed class BrowserDecodeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("capture-decode-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Script => RepoFiles.Path("tests", "mediapipe-js", "decode.mjs");

    [Fact]
    public async Task LoadRgbaAsync_SharedStills_SamePixelsAsChromium()
    {
        string[] names =
        [
            "char_painting_mona_lisa_s9.jpg", // a Display P3 profile: converted to sRGB
            "face_jianzhuguo_3ddfa.jpg", // no profile
            "char_statue_terracotta_s6.jpg",
            "face_astronaut_eileen_collins.png", // an sRGB profile (HP's): left as it is
        ];
        List<string> args = [Script];
        foreach (string name in names)
        {
            args.AddRange([SharedMedia.File(name), Path.Combine(_dir, name + ".rgba")]);
        }

        ToolProcess.Result r = await ToolProcess.RunAsync("node", args, timeout: TimeSpan.FromMinutes(3));
        Assert.True(r.ExitCode == 0, r.All);
        string[] sizes = r.StdOut.Trim().Split('\n');
        for (int k = 0; k < names.Length; k++)
        {
            RgbaImage ours = await ImageFile.LoadRgbaAsync(SharedMedia.File(names[k]));
            byte[] theirs = await File.ReadAllBytesAsync(Path.Combine(_dir, names[k] + ".rgba"));

            Assert.Equal($"{ours.Width} {ours.Height}", sizes[k].Trim());
            (double mean, int max) = Difference(ours.Pixels, theirs);
            Assert.True(mean <= 0.01 && max <= 1, $"{names[k]}: mean {mean:F4}, max {max} levels from Chromium's decode");
        }

        // Read without its profile (ffmpeg's decode takes the values as sRGB) the Mona Lisa is far from the
        // browser's: the conversion is what makes it match, and this test fails without it.
        string plain = Path.Combine(_dir, "plain.rgba");
        Assert.Equal(0, (await ToolProcess.RunAsync("ffmpeg", ["-v", "error", "-y", "-i", SharedMedia.File(names[0]), "-pix_fmt", "rgba", "-f", "rawvideo", plain])).ExitCode);
        (double plainMean, int plainMax) = Difference(await File.ReadAllBytesAsync(plain), await File.ReadAllBytesAsync(Path.Combine(_dir, names[0] + ".rgba")));
        Assert.True(plainMean > 1 && plainMax > 20, $"the profile changes the picture by a mean {plainMean:F2}, max {plainMax} levels");
    }

    private static (double Mean, int Max) Difference(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        long sum = 0;
        int max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (i % 4 == 3)
            {
                continue; // alpha: opaque in both
            }

            int d = Math.Abs(a[i] - b[i]);
            sum += d;
            max = Math.Max(max, d);
        }

        return (sum / (a.Length * 0.75), max);
    }
}
