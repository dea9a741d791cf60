using System.Diagnostics;

namespace Capture.Inference.Tests.TfLite;

/// <summary>Decodes test images with ffmpeg into NHWC float RGB tensors.</summary>
internal static class TestImages
{
    /// <summary>The shared media folder (<see cref="Capture.Testing.SharedMedia"/>).</summary>
    public static readonly string Media = Capture.Testing.SharedMedia.Directory;

    /// <summary>
    /// Crops (x, y, size×size) from <paramref name="path"/>, scales to <paramref name="outSize"/>², and maps
    /// bytes to [lo, hi]. Returns 1×outSize×outSize×3 floats. For a video, <paramref name="frame"/> picks the frame.
    /// </summary>
    public static float[] LoadSquare(string path, int x, int y, int size, int outSize, float lo, float hi, int frame = 0)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[]
        {
            "-v", "error", "-i", path, "-vf", $"select=eq(n\\,{frame}),crop={size}:{size}:{x}:{y},scale={outSize}:{outSize}:flags=bilinear",
            "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-",
        })
        {
            start.ArgumentList.Add(a);
        }

        using Process p = Process.Start(start)!;
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var ms = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(ms);
        p.WaitForExit();
        byte[] rgb = ms.ToArray();
        Assert.True(p.ExitCode == 0 && rgb.Length == outSize * outSize * 3, $"ffmpeg failed on {path}: {stderr.Result}");
        return [.. rgb.Select(b => lo + ((hi - lo) * b / 255f))];
    }

    public static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
