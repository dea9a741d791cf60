using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Retargeting.Body;
using Capture.Retargeting.Rigs;
using Capture.Testing;
using Capture.Tracking;

namespace Capture.Pipeline.Tests;

/// <summary>
/// Body characters for the render tests, built from the shared media with a stand-in for the
/// character loader's background fill: the Animated Drawings stick figure's own mask and its
/// char_cfg.yaml joints, and a background that is the paper's colour (the median outside the mask)
/// where the figure was; and a real person cut from a studio clip (<see cref="StudioAsync"/>). Also
/// compiled into the benchmarks (the 'body' render benchmark drives the same characters).
/// </summary>
internal static class BodyCharacters
{
    internal static string Folder => Path.Combine(SharedMedia.Directory, "drawing_stick_char4");

    internal static async Task<BodyCharacter> DrawingAsync()
    {
        RgbaImage texture = await ImageFile.LoadRgbaAsync(Path.Combine(Folder, "texture.png"));
        RgbaImage maskPicture = await ImageFile.LoadRgbaAsync(Path.Combine(Folder, "mask.png"));
        int w = texture.Width, h = texture.Height;
        var mask = new byte[w * h];
        for (int i = 0; i < mask.Length; i++)
        {
            mask[i] = maskPicture.Pixels[i * 4];
        }

        (Vector2[] joints, bool[] known) = AnimatedDrawingsConfig.Load(Path.Combine(Folder, AnimatedDrawingsConfig.FileName)).ToPoseJoints();
        BodyRig rig = BodyRig.Create("drawing_stick_char4", joints, known, w, h, AnimatedDrawingsConfig.FileName);

        return BodyCharacter.Create("drawing_stick_char4", texture, mask, Fill(texture, mask), rig, face: null);
    }

    /// <summary>
    /// A full-body character the pose tracker can read back: the performer of the gesture clip at
    /// frame <paramref name="frame"/> (arms hanging away from her sides), cut from its plain light-grey
    /// studio backdrop (stand-in for the loader's cut-out: a pixel is the figure when it has colour or
    /// is dark, the backdrop being bright grey), its joints found by the still pose tracker (known where
    /// visible), the backdrop's median colour filled where she was.
    /// </summary>
    internal static async Task<BodyCharacter> StudioAsync(int frame = 0)
    {
        RgbaImage picture = await FrameAsync(Path.Combine(SharedMedia.Directory, "vid_body_fullbody_gesture_s13.mp4"), frame);
        int w = picture.Width, h = picture.Height;
        byte[] px = picture.Pixels;
        var mask = new byte[w * h];
        for (int i = 0; i < mask.Length; i++)
        {
            int r = px[i * 4], g = px[(i * 4) + 1], b = px[(i * 4) + 2];
            int chroma = Math.Max(r, Math.Max(g, b)) - Math.Min(r, Math.Min(g, b));

            // The backdrop is grey from 200 to 245 with under 12 levels of chroma (measured on the clip's first frame).
            mask[i] = chroma > 24 || r + g + b < 480 ? (byte)255 : (byte)0;
        }

        using Tracker stills = await Tracker.CreateAsync(new TrackerOptions { Face = false, Body = true, StaticImage = true, Threads = 1 });
        var tracked = new TrackingFrame();
        using var rgb = VideoFrame.CreateUnpooled(w, h);
        for (int i = 0; i < w * h; i++)
        {
            rgb.Pixels[i * 3] = px[i * 4];
            rgb.Pixels[(i * 3) + 1] = px[(i * 4) + 1];
            rgb.Pixels[(i * 3) + 2] = px[(i * 4) + 2];
        }

        stills.Process(rgb, tracked);
        if (!tracked.Body.Present)
        {
            throw new InvalidDataException("the still pose tracker finds no body in the gesture clip's first frame");
        }

        var joints = new Vector2[TrackingFrame.BodyLandmarkCount];
        var known = new bool[joints.Length];
        for (int i = 0; i < joints.Length; i++)
        {
            Vector4 l = tracked.Body.Landmarks[i];
            joints[i] = new Vector2(l.X * w, l.Y * h);
            known[i] = l.W >= BodyPose.SeenAbove && joints[i].X >= 0 && joints[i].Y >= 0 && joints[i].X < w && joints[i].Y < h;
        }

        BodyRig rig = BodyRig.Create("studio", joints, known, w, h, "pose tracker");
        return BodyCharacter.Create("studio", picture, mask, Fill(picture, mask), rig, face: null);
    }

    // The median colour outside the figure, filled where the figure was.
    private static RgbaImage Fill(RgbaImage picture, byte[] mask)
    {
        var outside = new List<int>[3] { [], [], [] };
        for (int i = 0; i < mask.Length; i += 7)
        {
            if (mask[i] < 128)
            {
                for (int c = 0; c < 3; c++)
                {
                    outside[c].Add(picture.Pixels[(i * 4) + c]);
                }
            }
        }

        var background = new RgbaImage(picture.Width, picture.Height);
        byte[] fill = [.. outside.Select(p => (byte)p.Order().ElementAt(p.Count / 2))];
        for (int i = 0; i < mask.Length; i++)
        {
            for (int c = 0; c < 3; c++)
            {
                background.Pixels[(i * 4) + c] = mask[i] >= 128 ? fill[c] : picture.Pixels[(i * 4) + c];
            }

            background.Pixels[(i * 4) + 3] = 255;
        }

        return background;
    }

    // Frame n of a clip as an opaque RGBA picture.
    private static async Task<RgbaImage> FrameAsync(string clip, int n)
    {
        await using IFrameSource source = await FrameSources.OpenFileAsync(clip, new FrameSourceOptions { PoolCapacity = 2 });
        for (int i = 0; ; i++)
        {
            using VideoFrame frame = await source.ReadAsync(CancellationToken.None) ?? throw new InvalidDataException($"{clip} has no frame {n}");
            if (i < n)
            {
                continue;
            }

            var picture = new RgbaImage(frame.Width, frame.Height);
            ReadOnlySpan<byte> rgb = frame.ReadOnlyPixels;
            for (int p = 0; p < frame.Width * frame.Height; p++)
            {
                picture.Pixels[p * 4] = rgb[p * 3];
                picture.Pixels[(p * 4) + 1] = rgb[(p * 3) + 1];
                picture.Pixels[(p * 4) + 2] = rgb[(p * 3) + 2];
                picture.Pixels[(p * 4) + 3] = 255;
            }

            return picture;
        }
    }
}
