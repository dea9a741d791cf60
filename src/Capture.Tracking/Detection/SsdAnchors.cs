using System.Numerics;

namespace Capture.Tracking.Detection;

/// <summary>
/// SSD anchor centres as MediaPipe's SsdAnchorsCalculator makes them for BlazeFace / BlazePose / BlazePalm with
/// <c>fixed_anchor_size: true</c>, <c>aspect_ratios: [1.0]</c>, anchor offset 0.5 and the default
/// interpolated scale aspect ratio 1.0: every layer adds 2 anchors a cell, consecutive layers with
/// the same stride share one grid. Anchor width and height are 1 (fixed size), so only centres are kept.
/// </summary>
public static class SsdAnchors
{
    /// <summary>face_detection_short_range: 128×128, strides 8, 16, 16, 16 → 896 anchors.</summary>
    public static Vector2[] FaceShortRange() => Generate(128, 128, [8, 16, 16, 16]);

    /// <summary>pose_detection: 224×224, strides 8, 16, 32, 32, 32 → 2254 anchors.</summary>
    public static Vector2[] Pose() => Generate(224, 224, [8, 16, 32, 32, 32]);

    /// <summary>palm_detection (full and lite): 192×192, strides 8, 16, 16, 16 → 2016 anchors.</summary>
    public static Vector2[] Palm() => Generate(192, 192, [8, 16, 16, 16]);

    /// <summary>Anchor centres, normalized to the input, in the order the model's outputs use.</summary>
    public static Vector2[] Generate(int inputWidth, int inputHeight, ReadOnlySpan<int> strides)
    {
        const int AnchorsPerLayer = 2;
        var anchors = new List<Vector2>();
        int layer = 0;
        while (layer < strides.Length)
        {
            int stride = strides[layer];
            int sameStride = 0;
            while (layer < strides.Length && strides[layer] == stride)
            {
                sameStride++;
                layer++;
            }

            int rows = (int)MathF.Ceiling((float)inputHeight / stride);
            int cols = (int)MathF.Ceiling((float)inputWidth / stride);
            for (int y = 0; y < rows; y++)
            {
                for (int x = 0; x < cols; x++)
                {
                    var centre = new Vector2((x + 0.5f) / cols, (y + 0.5f) / rows);
                    for (int k = 0; k < sameStride * AnchorsPerLayer; k++)
                    {
                        anchors.Add(centre);
                    }
                }
            }
        }

        return [.. anchors];
    }
}
