namespace Capture.Tracking.Pose;

/// <summary>
/// MediaPipe's RefineLandmarksFromHeatmapCalculator as its pose graph runs it (kernel 7, refine when the
/// kernel's highest confidence is at least 0.5; presence and visibility untouched): each point moves to the
/// confidence-weighted mean cell of a 7×7 window of its own heatmap channel around it. The pose model's
/// regressed points are a few pixels off where its heatmap peaks; without this step Capture's points were
/// 3.8 % of the torso from MediaPipe JS's on s13 (docs/tracking.md).
/// </summary>
internal static class PoseHeatmap
{
    /// <summary>Window side, cells (MediaPipe's pose graph: kernel_size 7).</summary>
    public const int KernelSize = 7;

    /// <summary>Sigmoid confidence the window's best cell needs for the point to move (the calculator's default).</summary>
    public const float MinConfidence = 0.5f;

    /// <summary>
    /// Refines <paramref name="points"/> in place: <c>count</c> pairs (x, y) in the crop's unit square.
    /// <paramref name="heatmap"/> is the model's raw (pre-sigmoid) output, <paramref name="side"/>² cells
    /// × <paramref name="count"/> channels, channels last.
    /// </summary>
    public static void Refine(Span<float> points, ReadOnlySpan<float> heatmap, int side, int count)
    {
        const int Offset = (KernelSize - 1) / 2;
        int rowSize = side * count;
        for (int i = 0; i < count; i++)
        {
            // C++'s float → int conversion truncates toward zero, so a point just left of or above the crop
            // (−1/64 < x < 0) still lands in cell 0, as in MediaPipe.
            int col = (int)(points[2 * i] * side);
            int row = (int)(points[(2 * i) + 1] * side);

            // MediaPipe's bounds test compares the column twice and never the row with the height: a row
            // past the bottom is not skipped but its window is clipped (empty from 3 rows past the edge).
            if (col < 0 || col >= side || row < 0)
            {
                continue;
            }

            int beginCol = Math.Max(0, col - Offset);
            int endCol = Math.Min(side, col + Offset + 1);
            int beginRow = Math.Max(0, row - Offset);
            int endRow = Math.Min(side, row + Offset + 1);
            float sum = 0;
            float weightedCol = 0;
            float weightedRow = 0;
            float max = 0;
            for (int r = beginRow; r < endRow; r++)
            {
                for (int c = beginCol; c < endCol; c++)
                {
                    float confidence = Detection.DetectionDecoder.Sigmoid(heatmap[(r * rowSize) + (c * count) + i]);
                    sum += confidence;
                    max = MathF.Max(max, confidence);
                    weightedCol += c * confidence;
                    weightedRow += r * confidence;
                }
            }

            if (max >= MinConfidence && sum > 0)
            {
                points[2 * i] = weightedCol / side / sum;
                points[(2 * i) + 1] = weightedRow / side / sum;
            }
        }
    }
}
