using Capture.Core.Frames;

namespace Capture.Media.Figures;

/// <summary>Where a figure's cut-out came from.</summary>
public enum FigureSource
{
    /// <summary>The picture's own alpha channel (a PNG with transparency).</summary>
    PictureAlpha,

    /// <summary>A mask picture the user gave (white = figure), e.g. an Animated Drawings <c>mask.png</c>.</summary>
    UploadedMask,

    /// <summary>MediaPipe's selfie segmentation model (portraits and half-body pictures).</summary>
    SelfieSegmentation,

    /// <summary>OpenCV's GrabCut seeded by the joints and the face (full-body pictures, drawings).</summary>
    GrabCut,
}

/// <summary>
/// A figure cut out of its picture: how much each pixel belongs to the figure, 0..255 (255 = figure), picture-sized.
/// One cut-out serves both the body (the mesh is laid over it, the background is filled behind it) and a transparent
/// output (the figure's alpha, <see cref="CutOut"/>). Owns <see cref="Alpha"/>; treat it as read-only once built.
/// </summary>
public sealed class FigureMask
{
    /// <summary>Coverage at or above this counts as figure (half way).</summary>
    public const byte Inside = 128;

    public FigureMask(int width, int height, byte[] alpha, FigureSource source)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(alpha);
        if (alpha.Length != width * height)
        {
            throw new ArgumentException($"a {width}x{height} mask has {width * height} values, got {alpha.Length}", nameof(alpha));
        }

        Width = width;
        Height = height;
        Alpha = alpha;
        Source = source;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Coverage per pixel, row after row, 0..255.</summary>
    public byte[] Alpha { get; }

    public FigureSource Source { get; }

    /// <summary>The share of the picture that is figure (coverage ≥ <see cref="Inside"/>), 0..1.</summary>
    public float Coverage
    {
        get
        {
            int n = 0;
            foreach (byte a in Alpha)
            {
                n += a >= Inside ? 1 : 0;
            }

            return n / (float)Alpha.Length;
        }
    }

    /// <summary>
    /// The picture's alpha as the figure, or null when the alpha says nothing about a figure: no alpha channel, or
    /// (almost) every pixel opaque or transparent (under 1 % of either).
    /// </summary>
    public static FigureMask? FromPictureAlpha(RgbaImage picture)
    {
        ArgumentNullException.ThrowIfNull(picture);
        if (!picture.HasAlpha)
        {
            return null;
        }

        var alpha = new byte[picture.Width * picture.Height];
        int opaque = 0;
        for (int i = 0; i < alpha.Length; i++)
        {
            alpha[i] = picture.Pixels[(i * 4) + 3];
            opaque += alpha[i] >= Inside ? 1 : 0;
        }

        float share = opaque / (float)alpha.Length;
        return share is < 0.01f or > 0.99f ? null : new FigureMask(picture.Width, picture.Height, alpha, FigureSource.PictureAlpha);
    }

    /// <summary>
    /// A mask picture (white or opaque = figure: its alpha where it has transparency, else its brightness) for a
    /// <paramref name="width"/> × <paramref name="height"/> picture. A mask of another size is scaled when its shape is the
    /// picture's (within 1 %); a different shape, or a mask with no figure in it, is an <see cref="InvalidDataException"/>
    /// whose message starts with <paramref name="name"/>.
    /// </summary>
    public static FigureMask FromMaskPicture(RgbaImage mask, int width, int height, string name)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.Width != width || mask.Height != height)
        {
            float shape = mask.Width / (float)mask.Height;
            float target = width / (float)height;
            if (MathF.Abs(shape - target) > 0.01f * target)
            {
                throw new InvalidDataException(
                    $"{name}: the mask is {mask.Width}x{mask.Height}, the picture {width}x{height}; a mask must have the picture's size or at least its shape");
            }
        }

        bool useAlpha = FromPictureAlpha(mask) is not null;
        var values = new byte[mask.Width * mask.Height];
        for (int i = 0; i < values.Length; i++)
        {
            int o = i * 4;
            values[i] = useAlpha
                ? mask.Pixels[o + 3]
                : (byte)(((mask.Pixels[o] * 299) + (mask.Pixels[o + 1] * 587) + (mask.Pixels[o + 2] * 114) + 500) / 1000);
        }

        byte[] alpha = mask.Width == width && mask.Height == height ? values : OpenCvImages.ResizeGray(values, mask.Width, mask.Height, width, height);
        var result = new FigureMask(width, height, alpha, FigureSource.UploadedMask);
        if (result.Coverage == 0)
        {
            throw new InvalidDataException($"{name}: the mask is empty (no white pixel: white marks the figure, black the background)");
        }

        return result;
    }

    /// <summary>True when a figure pixel (coverage ≥ <see cref="Inside"/>) lies within <paramref name="slack"/> pixels of <paramref name="point"/>.</summary>
    public bool Covers(System.Numerics.Vector2 point, float slack)
    {
        int r = (int)MathF.Ceiling(MathF.Max(0, slack));
        int cx = (int)point.X, cy = (int)point.Y;
        for (int y = Math.Max(0, cy - r); y <= Math.Min(Height - 1, cy + r); y++)
        {
            for (int x = Math.Max(0, cx - r); x <= Math.Min(Width - 1, cx + r); x++)
            {
                if (Alpha[(y * Width) + x] >= Inside && (((x - cx) * (x - cx)) + ((y - cy) * (y - cy))) <= r * r)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// This mask without the small parts that touch none of <paramref name="anchors"/> (within <paramref name="slack"/>
    /// pixels): the specks and neighbours a computed cut-out picks up away from the figure (a firework, a cat at the
    /// figure's feet). A part of at least <paramref name="minShare"/> of the mask's figure area stays wherever it is (a
    /// skirt's glowing hem that GrabCut separated from the legs). A new mask with the same source; this one when every
    /// part is kept.
    /// </summary>
    public FigureMask KeepPartsNear(IEnumerable<System.Numerics.Vector2> anchors, float slack, float minShare = 0.03f)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        using OpenCvSharp.Mat inside = OpenCvImages.FromGray(Alpha, Width, Height);
        OpenCvSharp.Cv2.Threshold(inside, inside, Inside - 1, 255, OpenCvSharp.ThresholdTypes.Binary);
        using var parts = new OpenCvSharp.Mat();
        int count = OpenCvSharp.Cv2.ConnectedComponents(inside, parts, OpenCvSharp.PixelConnectivity.Connectivity8, OpenCvSharp.MatType.CV_32S);
        if (count <= 2)
        {
            return this;
        }

        var keep = new bool[count];
        int r = (int)MathF.Ceiling(MathF.Max(0, slack));
        foreach (System.Numerics.Vector2 a in anchors)
        {
            int cx = (int)a.X, cy = (int)a.Y;
            for (int y = Math.Max(0, cy - r); y <= Math.Min(Height - 1, cy + r); y++)
            {
                for (int x = Math.Max(0, cx - r); x <= Math.Min(Width - 1, cx + r); x++)
                {
                    keep[parts.At<int>(y, x)] = true;
                }
            }
        }

        var area = new int[count];
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                area[parts.At<int>(y, x)]++;
            }
        }

        long figure = area.Skip(1).Sum(a => (long)a);
        for (int i = 1; i < count; i++)
        {
            keep[i] |= area[i] >= minShare * figure;
        }

        keep[0] = false;
        if (keep.Skip(1).All(k => k))
        {
            return this;
        }

        // The kept parts grown by 3 px hold their own soft edge; everything else goes, soft edges of dropped parts too.
        using var kept = new OpenCvSharp.Mat(Height, Width, OpenCvSharp.MatType.CV_8UC1, new OpenCvSharp.Scalar(0));
        for (int y = 0; y < Height; y++)
        {
            for (int x = 0; x < Width; x++)
            {
                if (keep[parts.At<int>(y, x)])
                {
                    kept.Set(y, x, (byte)255);
                }
            }
        }

        using (OpenCvSharp.Mat round = OpenCvSharp.Cv2.GetStructuringElement(OpenCvSharp.MorphShapes.Ellipse, new OpenCvSharp.Size(7, 7)))
        {
            OpenCvSharp.Cv2.Dilate(kept, kept, round);
        }

        byte[] near = OpenCvImages.ToGray(kept);
        var alpha = (byte[])Alpha.Clone();
        bool changed = false;
        for (int i = 0; i < alpha.Length; i++)
        {
            if (near[i] == 0 && alpha[i] != 0)
            {
                alpha[i] = 0;
                changed = true;
            }
        }

        return changed ? new FigureMask(Width, Height, alpha, Source) : this;
    }

    /// <summary>
    /// The picture with this mask as its alpha (a new picture: the figure alone, transparent around it); where the picture
    /// has its own alpha, the smaller of the two.
    /// </summary>
    public RgbaImage CutOut(RgbaImage picture)
    {
        ArgumentNullException.ThrowIfNull(picture);
        if (picture.Width != Width || picture.Height != Height)
        {
            throw new ArgumentException($"the mask is {Width}x{Height}, the picture {picture.Width}x{picture.Height}", nameof(picture));
        }

        var result = new RgbaImage(Width, Height, (byte[])picture.Pixels.Clone(), hasAlpha: true);
        for (int i = 0; i < Alpha.Length; i++)
        {
            int o = (i * 4) + 3;
            result.Pixels[o] = Math.Min(result.Pixels[o], Alpha[i]);
        }

        return result;
    }
}
