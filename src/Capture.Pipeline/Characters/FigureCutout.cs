using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Media.Figures;
using Capture.Tracking.Segmentation;

namespace Capture.Pipeline.Characters;

/// <summary>
/// The one cut-out of a character's figure, chosen in this order: the picture's own alpha; a mask the user gave; else
/// computed, by MediaPipe's selfie segmentation for a portrait or half-body figure and by GrabCut seeded by the joints
/// and the face for a full-body figure (the legs in the picture), as measured on the shared characters (docs/figure.md).
/// A computed selfie mask that leaves a known joint uncovered falls back to GrabCut, with a message. The same mask
/// serves the body's mesh, the background fill and a transparent output.
/// </summary>
public static class FigureCutout
{
    /// <summary>A joint may lie this fraction of the figure's height outside a computed mask (as BodyCharacter allows).</summary>
    private const float JointSlack = 0.03f;

    /// <summary>The figure of <paramref name="picture"/>; <paramref name="name"/> starts messages and errors.</summary>
    public static async Task<FigureMask> ChooseAsync(RgbaImage picture, FigureSeeds seeds, string? maskPath, string name, Action<string>? log, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(picture);
        ArgumentNullException.ThrowIfNull(seeds);
        if (FigureMask.FromPictureAlpha(picture) is { } alpha)
        {
            log?.Invoke($"{name}: figure from the picture's alpha");
            return alpha;
        }

        RgbaImage? maskPicture = maskPath is null ? null : await ImageFile.LoadRgbaAsync(maskPath, ct).ConfigureAwait(false);
        return await ChooseAsync(picture, seeds, maskPicture, maskPath is null ? null : Path.GetFileName(maskPath), name, log, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// As <see cref="ChooseAsync(RgbaImage, FigureSeeds, string?, string, Action{string}?, CancellationToken)"/> with the mask already
    /// decoded (a rig file's mask); <paramref name="maskName"/> names it in messages.
    /// </summary>
    public static async Task<FigureMask> ChooseAsync(RgbaImage picture, FigureSeeds seeds, RgbaImage? maskPicture, string? maskName, string name, Action<string>? log, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(picture);
        ArgumentNullException.ThrowIfNull(seeds);
        if (FigureMask.FromPictureAlpha(picture) is { } alpha)
        {
            log?.Invoke($"{name}: figure from the picture's alpha");
            return alpha;
        }

        if (maskPicture is not null)
        {
            FigureMask given = FigureMask.FromMaskPicture(maskPicture, picture.Width, picture.Height, maskName ?? "mask");
            log?.Invoke($"{name}: figure from {maskName}");
            return given;
        }

        if (seeds.IsEmpty)
        {
            throw new InvalidDataException($"{name}: no joints and no face to cut the figure out from; give a mask (white = figure)");
        }

        if (seeds.FullBody)
        {
            log?.Invoke($"{name}: figure cut out by GrabCut from the joints and the face (a full-body figure)");
            return Tidy(GrabCutFigure.Compute(picture, seeds), seeds);
        }

        FigureMask selfie = Tidy(await SelfieAsync(picture, ct).ConfigureAwait(false), seeds);
        if (Uncovered(selfie, seeds) is { } missed)
        {
            log?.Invoke($"{name}: selfie segmentation misses {missed}; figure cut out by GrabCut from the joints and the face instead");
            return Tidy(GrabCutFigure.Compute(picture, seeds), seeds);
        }

        log?.Invoke($"{name}: figure cut out by selfie segmentation");
        return selfie;
    }

    /// <summary>A computed mask without the parts that touch no joint and no face point.</summary>
    private static FigureMask Tidy(FigureMask mask, FigureSeeds seeds)
    {
        IEnumerable<System.Numerics.Vector2> anchors = seeds.Joints.Where((_, i) => seeds.Known[i]).Concat(seeds.Face ?? []);
        return mask.KeepPartsNear(anchors, MathF.Max(2, 0.01f * MathF.Max(mask.Width, mask.Height)));
    }

    /// <summary>MediaPipe's selfie segmentation of the whole picture (transparent parts over mid grey), as a figure mask.</summary>
    public static async Task<FigureMask> SelfieAsync(RgbaImage picture, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(picture);
        using SelfieSegmenter segmenter = await SelfieSegmenter.CreateAsync(ct: ct).ConfigureAwait(false);
        VideoFrame frame = CharacterLoader.ToFrame(picture, picture.Width, picture.Height);
        var alpha = new byte[picture.Width * picture.Height];
        segmenter.Segment(frame, alpha);
        return new FigureMask(picture.Width, picture.Height, alpha, FigureSource.SelfieSegmentation);
    }

    /// <summary>The first known joint (not a head point) the mask does not cover, by name; null when it covers them all.</summary>
    private static string? Uncovered(FigureMask mask, FigureSeeds seeds)
    {
        if (mask.Coverage == 0)
        {
            return "the whole figure";
        }

        float top = float.MaxValue, bottom = float.MinValue;
        for (int i = 0; i < seeds.Known.Count; i++)
        {
            if (seeds.Known[i])
            {
                top = MathF.Min(top, seeds.Joints[i].Y);
                bottom = MathF.Max(bottom, seeds.Joints[i].Y);
            }
        }

        float slack = MathF.Max(2, JointSlack * MathF.Max(1, bottom - top));
        for (int i = BodyTopology.HeadPointCount; i < seeds.Known.Count; i++)
        {
            if (seeds.Known[i] && !mask.Covers(seeds.Joints[i], slack))
            {
                return BodyTopology.Names[i];
            }
        }

        return null;
    }
}
