using Capture.Core.Frames;
using Capture.Retargeting;
using Capture.Retargeting.Rigs;

namespace Capture.Generation;

/// <summary>
/// Draws a character frame from a rig and a <see cref="DrivenFace"/>. The embedded implementation is
/// <see cref="WarpGenerator"/> (an ONNX graph Capture writes itself); a learned generator (e.g. a
/// LivePortrait-style export: appearance and motion extractors, warping, stitching) can sit behind
/// the same interface and read the driven points and blendshapes it needs.
/// </summary>
public interface ICharacterGenerator : IDisposable
{
    /// <summary>Output side in pixels (square).</summary>
    int Size { get; }

    /// <summary>Prepares everything per character (image tensors, masks, colours). Not per frame.</summary>
    void SetCharacter(CharacterRig rig);

    /// <summary>Renders one frame into the generator's own output buffer (see <see cref="CopyTo"/>).</summary>
    void Generate(DrivenFace face);

    /// <summary>
    /// Renders one frame straight into <paramref name="destination"/> (RGB24) at (left, top),
    /// transparent pixels composited over <paramref name="background"/>: the render path, which
    /// lets an implementation write the frame's memory directly instead of copying.
    /// </summary>
    void GenerateInto(DrivenFace face, VideoFrame destination, int left, int top, (byte R, byte G, byte B) background);

    /// <summary>
    /// Copies the last generated frame into <paramref name="destination"/> (RGB24) at (left, top),
    /// transparent pixels composited over <paramref name="background"/> (R, G, B).
    /// </summary>
    void CopyTo(VideoFrame destination, int left, int top, (byte R, byte G, byte B) background);

    /// <summary>Copies the last generated frame as RGBA8 (Size·Size·4 bytes), alpha kept.</summary>
    void CopyRgbaTo(Span<byte> destination);
}
