using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;

namespace Capture.Retargeting.Rigs;

/// <summary>
/// A character made from one picture: the picture, the square face-centred crop the generator
/// animates, and the character's neutral face (468 mesh points) inside that crop. Immutable once built.
/// </summary>
/// <remarks>
/// Crop coordinates: u, v in [0, 1] across the crop (u right, v down); z in the same units as u,
/// smaller = nearer the camera, as MediaPipe's landmarks. The generator's output is this crop at
/// 256², 512² or 1024²: the face sits in the middle at the same size whatever the picture's shape,
/// and a crop that runs past the picture's edge is padded (transparent for pictures with alpha,
/// the edge pixels repeated otherwise).
/// </remarks>
public sealed class CharacterRig
{
    internal CharacterRig(string name, RgbaImage picture, float cropLeft, float cropTop, float cropSide, Vector3[] neutral, string landmarkSource, Vector2[]? irisCenters = null, byte[]? figure = null)
    {
        if (neutral.Length != TrackingFrame.FaceLandmarkCount)
        {
            throw new ArgumentException($"a rig needs {TrackingFrame.FaceLandmarkCount} points", nameof(neutral));
        }

        Name = name;
        Picture = picture;
        CropLeft = cropLeft;
        CropTop = cropTop;
        CropSide = cropSide;
        Neutral = neutral;
        LandmarkSource = landmarkSource;
        Figure = figure;
        HasTrackedIris = irisCenters is { Length: 2 };
        IrisCenters = HasTrackedIris ? irisCenters! : [FaceMeasures.EyeContourCenter(neutral, right: true), FaceMeasures.EyeContourCenter(neutral, right: false)];
        (MouthColor, TeethColor, LidColor) = RigColors.Sample(this);
    }

    public string Name { get; }

    /// <summary>The character picture (after any downscale on load). Shared, not copied: do not modify.</summary>
    public RgbaImage Picture { get; }

    public float CropLeft { get; }

    public float CropTop { get; }

    /// <summary>Side of the square crop in picture pixels.</summary>
    public float CropSide { get; }

    /// <summary>The neutral face in crop coordinates (see remarks). Do not modify.</summary>
    public Vector3[] Neutral { get; }

    /// <summary>
    /// Iris centres in crop coordinates, the subject's right eye first: tracked (attention model) when
    /// <see cref="HasTrackedIris"/>, else the centre of each eye's contour. The generator moves them with gaze.
    /// </summary>
    public Vector2[] IrisCenters { get; }

    /// <summary>True when <see cref="IrisCenters"/> came from the tracker.</summary>
    public bool HasTrackedIris { get; }

    /// <summary>Where the points came from: "tracker", "rig file", or "tracker + rig file".</summary>
    public string LandmarkSource { get; }

    /// <summary>
    /// The figure cut out of an opaque picture (<see cref="WithCutOut"/>), one byte a picture pixel (0..255, row by row);
    /// null when there is none. Shared, not copied: do not modify.
    /// </summary>
    public byte[]? Figure { get; }

    /// <summary>Bytes of pixels this character holds: the picture's, and its figure's when it has one.</summary>
    public long PixelBytes => Picture.Pixels.LongLength + (Figure?.LongLength ?? 0);

    /// <summary>
    /// True when the character's alpha is a figure cut out of an opaque picture: its colours are the picture's own
    /// everywhere, background included, so "the original" can still be shown; false when the alpha is the picture's
    /// own (its colours outside the figure mean nothing) or there is none.
    /// </summary>
    public bool AlphaIsCutOut => Figure is not null;

    /// <summary>True when <see cref="SampleCrop"/> gives a real alpha: the picture's own, or its figure cut out.</summary>
    public bool HasAlpha => Picture.HasAlpha || Figure is not null;

    /// <summary>
    /// This character with <paramref name="figure"/> (0..255 a pixel, the picture's size: the one figure cut-out,
    /// docs/figure.md) as its alpha, for output that shows the character on another background (a streamer's
    /// transparent viewer). The picture, its points, crop and colours are kept as they are (a crop past the picture's
    /// edge still continues the picture's colours; only the alpha is 0 there). A picture with its own alpha keeps it
    /// (the cut-out of such a picture is that alpha): returns this rig.
    /// </summary>
    public CharacterRig WithCutOut(ReadOnlySpan<byte> figure)
    {
        if (Picture.HasAlpha)
        {
            return this;
        }

        if (figure.Length != Picture.Width * Picture.Height)
        {
            throw new ArgumentException($"a figure for a {Picture.Width}x{Picture.Height} picture has {Picture.Width * Picture.Height} values, not {figure.Length}", nameof(figure));
        }

        return new CharacterRig(Name, Picture, CropLeft, CropTop, CropSide, Neutral, LandmarkSource, HasTrackedIris ? IrisCenters : null, figure.ToArray());
    }

    /// <summary>Inside of the mouth, RGBA 0..1 (the lips' colour, darkened).</summary>
    public Vector4 MouthColor { get; }

    /// <summary>Teeth, RGBA 0..1 (off-white, tinted and shaded toward the face's colour).</summary>
    public Vector4 TeethColor { get; }

    /// <summary>Eyelid skin, RGBA 0..1 (sampled above the eyes).</summary>
    public Vector4 LidColor { get; }

    /// <summary>Distance between the eye centres, in crop units.</summary>
    public float EyeDistance => FaceMeasures.EyeDistance(Neutral);

    /// <summary>Crop coordinates of a point given in picture pixels.</summary>
    public Vector2 ToCrop(Vector2 picturePixel) => (picturePixel - new Vector2(CropLeft, CropTop)) / CropSide;

    /// <summary>Picture pixels of a point given in crop coordinates.</summary>
    public Vector2 ToPicture(Vector2 crop) => (crop * CropSide) + new Vector2(CropLeft, CropTop);

    /// <summary>The crop at size×size, planar RGBA floats 0..1 (R plane, G, B, A).</summary>
    public void SampleCrop(int size, Span<float> planar)
    {
        Picture.SampleSquare(CropLeft, CropTop, CropSide, size, planar);
        if (Figure is not null)
        {
            // The cut-out's alpha over the picture's own colours; outside the picture the figure is not (transparent).
            // Not per frame: the generator samples once per character.
            var mask = new RgbaImage(Picture.Width, Picture.Height, hasAlpha: true);
            for (int i = 0; i < Figure.Length; i++)
            {
                mask.Pixels[(i * 4) + 3] = Figure[i];
            }

            int plane = size * size;
            var sampled = new float[plane * 4];
            mask.SampleSquare(CropLeft, CropTop, CropSide, size, sampled);
            sampled.AsSpan(3 * plane, plane).CopyTo(planar.Slice(3 * plane, plane));
        }
    }

    /// <summary>
    /// Writes the animation mask at size×size: 1 over the face and a margin around it, falling off
    /// smoothly (a feathered ellipse) to 0 where the picture stays still.
    /// </summary>
    public void WriteAnimationMask(int size, Span<float> mask)
    {
        (Vector2 center, Vector2 radius) = FaceMeasures.OvalEllipse(Neutral);
        float inner = AnimationMaskInner;
        float outer = AnimationMaskOuter;
        for (int y = 0; y < size; y++)
        {
            float v = size == 1 ? 0 : (float)y / (size - 1);
            for (int x = 0; x < size; x++)
            {
                float u = size == 1 ? 0 : (float)x / (size - 1);
                float dx = (u - center.X) / radius.X;
                float dy = (v - center.Y) / radius.Y;
                float r = MathF.Sqrt((dx * dx) + (dy * dy));
                float t = Math.Clamp((outer - r) / (outer - inner), 0, 1);
                mask[(y * size) + x] = t * t * (3 - (2 * t));
            }
        }
    }

    /// <summary>Mask is 1 inside this many face-oval radii.</summary>
    public const float AnimationMaskInner = 1.25f;

    /// <summary>Mask is 0 beyond this many face-oval radii (fixed warp anchors sit at <see cref="AnchorRing"/>, between the two).</summary>
    public const float AnimationMaskOuter = 1.9f;

    /// <summary>Radius, in face-oval radii, of the ring of fixed warp anchors that keeps the background still.</summary>
    public const float AnchorRing = 1.6f;
}
