using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Tracking.Overlay;

/// <summary>
/// Draws what the tracker saw onto an RGB24 picture, in place, so a person can check it: face-mesh
/// points (green), the pose skeleton (orange lines, joints by visibility), the hands (MediaPipe's hand
/// skeleton: the performer's left hand cyan, the right magenta, joints white), the face region (blue,
/// when given) and a bar a blendshape along the bottom edge (52 bars, ARKit order, full height = 1).
/// Plain span writes; no allocation.
/// </summary>
public static class TrackingOverlay
{
    /// <summary>BlazePose's skeleton edges (pairs of the 33 point indices).</summary>
    public static ReadOnlySpan<byte> PoseConnections =>
    [
        0, 1, 1, 2, 2, 3, 3, 7, 0, 4, 4, 5, 5, 6, 6, 8, 9, 10,
        11, 12, 11, 13, 13, 15, 15, 17, 15, 19, 15, 21, 17, 19,
        12, 14, 14, 16, 16, 18, 16, 20, 16, 22, 18, 20,
        11, 23, 12, 24, 23, 24, 23, 25, 24, 26, 25, 27, 26, 28,
        27, 29, 28, 30, 29, 31, 30, 32, 27, 31, 28, 32,
    ];

    /// <param name="rgb">The picture, RGB24, rows packed; the caller owns it.</param>
    /// <param name="blendshapeBars">Draw the 52 blendshape bars along the bottom (off for a face crop, which they would cover).</param>
    public static void Draw(Span<byte> rgb, int width, int height, TrackingFrame frame, Geometry.RotatedRect? faceRegion = null, bool blendshapeBars = true)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (faceRegion is { } r)
        {
            DrawRect(rgb, width, height, r, 60, 140, 255);
        }

        if (frame.Body.Present)
        {
            Vector4[] p = frame.Body.Landmarks;
            ReadOnlySpan<byte> edges = PoseConnections;
            for (int i = 0; i < edges.Length; i += 2)
            {
                Vector4 a = p[edges[i]];
                Vector4 b = p[edges[i + 1]];
                if (a.W < 0.5f || b.W < 0.5f)
                {
                    continue;
                }

                DrawLine(rgb, width, height, a.X * width, a.Y * height, b.X * width, b.Y * height, 255, 150, 0);
            }

            foreach (Vector4 q in p)
            {
                byte level = (byte)(Math.Clamp(q.W, 0, 1) * 255);
                DrawDot(rgb, width, height, q.X * width, q.Y * height, 2, 255, level, 0);
            }
        }

        DrawHand(rgb, width, height, frame.LeftHand, 0, 220, 255);
        DrawHand(rgb, width, height, frame.RightHand, 255, 60, 220);

        if (frame.Face.Present)
        {
            foreach (Vector3 q in frame.Face.Landmarks)
            {
                // 2×2 so the mesh reads at 480p without hiding the face.
                FillRect(rgb, width, height, (int)MathF.Floor(q.X * width), (int)MathF.Floor(q.Y * height), 2, 2, 40, 255, 40);
            }

            if (blendshapeBars)
            {
                DrawBlendshapeBars(rgb, width, height, frame.Face.Blendshapes);
            }
        }
    }

    /// <summary>One hand: its 21 connections in the hand's colour and the joints as white dots.</summary>
    public static void DrawHand(Span<byte> rgb, int width, int height, HandObservation hand, byte cr, byte cg, byte cb)
    {
        ArgumentNullException.ThrowIfNull(hand);
        if (!hand.Present)
        {
            return;
        }

        Vector3[] p = hand.Landmarks;
        ReadOnlySpan<int> edges = HandTopology.Connections;
        for (int i = 0; i < edges.Length; i += 2)
        {
            Vector3 a = p[edges[i]];
            Vector3 b = p[edges[i + 1]];
            DrawLine(rgb, width, height, a.X * width, a.Y * height, b.X * width, b.Y * height, cr, cg, cb);
        }

        foreach (Vector3 q in p)
        {
            DrawDot(rgb, width, height, q.X * width, q.Y * height, 1, 255, 255, 255);
        }
    }

    /// <summary>52 bars along the bottom: width ≥ 2 px each, height up to a quarter of the picture; groups coloured eyes/jaw/mouth/brows/cheeks.</summary>
    public static void DrawBlendshapeBars(Span<byte> rgb, int width, int height, ReadOnlySpan<float> blendshapes)
    {
        int count = Math.Min(blendshapes.Length, ArkitBlendshapes.Count);
        int barWidth = Math.Max(2, width / (count + 4));
        int maxHeight = Math.Max(4, height / 4);
        for (int i = 0; i < count; i++)
        {
            int x0 = 2 + (i * barWidth);
            int h = (int)(Math.Clamp(blendshapes[i], 0, 1) * maxHeight);
            (byte cr, byte cg, byte cb) = i switch
            {
                < 14 => ((byte)80, (byte)200, (byte)255),   // eyes
                < 18 => ((byte)255, (byte)80, (byte)80),    // jaw
                < 41 => ((byte)255, (byte)120, (byte)220),  // mouth
                < 46 => ((byte)255, (byte)230, (byte)80),   // brows
                _ => ((byte)160, (byte)255, (byte)160),     // cheeks, nose, tongue
            };
            // A dark baseline so a zero bar is still visible as a slot.
            FillRect(rgb, width, height, x0, height - 3, barWidth - 1, 2, 40, 40, 40);
            FillRect(rgb, width, height, x0, height - 3 - h, barWidth - 1, h, cr, cg, cb);
        }
    }

    public static void DrawRect(Span<byte> rgb, int width, int height, Geometry.RotatedRect r, byte cr, byte cg, byte cb)
    {
        Vector2 a = r.ToImage(0, 0), b = r.ToImage(1, 0), c = r.ToImage(1, 1), d = r.ToImage(0, 1);
        DrawLine(rgb, width, height, a.X, a.Y, b.X, b.Y, cr, cg, cb);
        DrawLine(rgb, width, height, b.X, b.Y, c.X, c.Y, cr, cg, cb);
        DrawLine(rgb, width, height, c.X, c.Y, d.X, d.Y, cr, cg, cb);
        DrawLine(rgb, width, height, d.X, d.Y, a.X, a.Y, cr, cg, cb);
    }

    public static void DrawLine(Span<byte> rgb, int width, int height, float x0, float y0, float x1, float y1, byte cr, byte cg, byte cb)
    {
        if (!float.IsFinite(x0) || !float.IsFinite(y0) || !float.IsFinite(x1) || !float.IsFinite(y1))
        {
            return;
        }

        float length = MathF.Max(MathF.Abs(x1 - x0), MathF.Abs(y1 - y0));
        int steps = (int)MathF.Min(MathF.Ceiling(length), 4 * (width + height));
        for (int s = 0; s <= steps; s++)
        {
            float t = steps == 0 ? 0 : (float)s / steps;
            DrawDot(rgb, width, height, x0 + ((x1 - x0) * t), y0 + ((y1 - y0) * t), 1, cr, cg, cb);
        }
    }

    /// <summary>A filled square of side 2·radius+1 centred on (x, y); clipped to the picture.</summary>
    public static void DrawDot(Span<byte> rgb, int width, int height, float x, float y, int radius, byte cr, byte cg, byte cb)
    {
        if (!float.IsFinite(x) || !float.IsFinite(y))
        {
            return;
        }

        FillRect(rgb, width, height, (int)MathF.Floor(x) - radius, (int)MathF.Floor(y) - radius, (2 * radius) + 1, (2 * radius) + 1, cr, cg, cb);
    }

    public static void FillRect(Span<byte> rgb, int width, int height, int x, int y, int w, int h, byte cr, byte cg, byte cb)
    {
        int xStart = Math.Max(0, x), xEnd = Math.Min(width, x + w);
        int yStart = Math.Max(0, y), yEnd = Math.Min(height, y + h);
        for (int yy = yStart; yy < yEnd; yy++)
        {
            Span<byte> row = rgb.Slice(yy * width * 3, width * 3);
            for (int xx = xStart; xx < xEnd; xx++)
            {
                row[xx * 3] = cr;
                row[(xx * 3) + 1] = cg;
                row[(xx * 3) + 2] = cb;
            }
        }
    }
}
