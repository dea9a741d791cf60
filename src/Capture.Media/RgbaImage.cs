namespace Capture.Media;

/// <summary>A still picture as packed RGBA8 (4 bytes a pixel, rows packed). The image owns <see cref="Pixels"/>.</summary>
public sealed class RgbaImage
{
    public RgbaImage(int width, int height, byte[] pixels, bool hasAlpha)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.Length != checked(width * height * 4))
        {
            throw new ArgumentException($"An RGBA image of {width}x{height} needs {width * height * 4} bytes, not {pixels.Length}.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
        HasAlpha = hasAlpha;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>RGBA8, row after row. Alpha is 255 everywhere when <see cref="HasAlpha"/> is false.</summary>
    public byte[] Pixels { get; }

    /// <summary>True when the source file carries an alpha channel (PNG with transparency, RGBA formats).</summary>
    public bool HasAlpha { get; }

    /// <summary>Alpha of one pixel.</summary>
    public byte AlphaAt(int x, int y) => Pixels[(((y * Width) + x) * 4) + 3];
}
