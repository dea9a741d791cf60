using System.Numerics;
using Capture.Tracking.Detection;

namespace Capture.Tracking.Tests;

public class SsdAnchorsTests
{
    [Fact]
    public void FaceShortRange_MediaPipeOptions_Gives896AnchorsInGridOrder()
    {
        Vector2[] anchors = SsdAnchors.FaceShortRange();

        Assert.Equal(896, anchors.Length);
        // Stride 8: a 16×16 grid, 2 anchors a cell; then stride 16 (three layers): 8×8, 6 a cell.
        Assert.Equal(new Vector2(0.5f / 16, 0.5f / 16), anchors[0]);
        Assert.Equal(anchors[0], anchors[1]);
        Assert.Equal(new Vector2(1.5f / 16, 0.5f / 16), anchors[2]);
        Assert.Equal(new Vector2(0.5f / 8, 0.5f / 8), anchors[512]);
        Assert.Equal(anchors[512], anchors[517]);
        Assert.Equal(new Vector2(1.5f / 8, 0.5f / 8), anchors[518]);
        Assert.Equal(new Vector2(7.5f / 8, 7.5f / 8), anchors[^1]);
    }

    [Fact]
    public void Pose_MediaPipeOptions_Gives2254Anchors()
    {
        Vector2[] anchors = SsdAnchors.Pose();

        Assert.Equal(2254, anchors.Length); // 28²·2 + 14²·2 + 7²·6
        Assert.Equal(new Vector2(0.5f / 28, 0.5f / 28), anchors[0]);
        Assert.Equal(new Vector2(0.5f / 14, 0.5f / 14), anchors[28 * 28 * 2]);
        Assert.Equal(new Vector2(0.5f / 7, 0.5f / 7), anchors[(28 * 28 * 2) + (14 * 14 * 2)]);
    }
}

public class DetectionDecoderTests
{
    private static (float[] Regressors, float[] Scores, DetectionDecoder Decoder) Empty()
    {
        Vector2[] anchors = SsdAnchors.FaceShortRange();
        var scores = new float[anchors.Length];
        Array.Fill(scores, -10f);
        return (new float[anchors.Length * 16], scores, new DetectionDecoder(anchors, 16, 6, 128));
    }

    private static void Put(float[] regressors, float[] scores, int anchor, float logit, float dx, float dy, float w, float h)
    {
        scores[anchor] = logit;
        int o = anchor * 16;
        regressors[o] = dx;
        regressors[o + 1] = dy;
        regressors[o + 2] = w;
        regressors[o + 3] = h;
        for (int k = 0; k < 6; k++)
        {
            regressors[o + 4 + (2 * k)] = dx + k;
            regressors[o + 5 + (2 * k)] = dy - k;
        }
    }

    [Fact]
    public void TryDecodeBest_NoScoreAboveThreshold_ReturnsFalse()
    {
        (float[] r, float[] s, DetectionDecoder d) = Empty();
        s[100] = -0.1f; // sigmoid 0.475 < 0.5

        Assert.False(d.TryDecodeBest(r, s, out _));
    }

    [Fact]
    public void TryDecodeBest_OneBox_DecodesCentreSizeAndKeypointsAgainstItsAnchor()
    {
        (float[] r, float[] s, DetectionDecoder d) = Empty();
        Vector2[] anchors = SsdAnchors.FaceShortRange();
        int i = 600;
        Put(r, s, i, 3f, 12.8f, -6.4f, 32f, 64f);

        Assert.True(d.TryDecodeBest(r, s, out RawDetection det));

        Assert.Equal(1 / (1 + MathF.Exp(-3f)), det.Score, 5);
        Vector2 centre = anchors[i] + new Vector2(0.1f, -0.05f);
        Assert.Equal(centre.X - 0.125f, det.XMin, 5);
        Assert.Equal(centre.X + 0.125f, det.XMax, 5);
        Assert.Equal(centre.Y - 0.25f, det.YMin, 5);
        Assert.Equal(centre.Y + 0.25f, det.YMax, 5);
        Assert.Equal(anchors[i].X + ((12.8f + 2) / 128), det.Keypoints[2].X, 5);
        Assert.Equal(anchors[i].Y + ((-6.4f - 2) / 128), det.Keypoints[2].Y, 5);
    }

    [Fact]
    public void TryDecodeBest_OverlappingBoxes_AreScoreWeightedAndDistantOnesIgnored()
    {
        (float[] r, float[] s, DetectionDecoder d) = Empty();
        Vector2[] anchors = SsdAnchors.FaceShortRange();
        // Two anchors of the same cell (same centre) with equal scores: the result is their mean.
        Put(r, s, 512, 2f, 0f, 0f, 40f, 40f);
        Put(r, s, 513, 2f, 6.4f, 0f, 40f, 40f);
        // A far, weaker box must not pull the result.
        Put(r, s, 895, 1f, 0f, 0f, 40f, 40f);

        Assert.True(d.TryDecodeBest(r, s, out RawDetection det));

        float cx = anchors[512].X + 0.025f;
        Assert.Equal(cx, (det.XMin + det.XMax) / 2, 5);
        Assert.Equal(anchors[512].Y, (det.YMin + det.YMax) / 2, 5);
    }

    [Fact]
    public void DecodeTop_TwoSeparateGroups_OneDetectionEachBestFirstAndNoMoreThanAsked()
    {
        (float[] r, float[] s, DetectionDecoder d) = Empty();
        Vector2[] anchors = SsdAnchors.FaceShortRange();
        // A weaker pair of overlapping boxes far from a stronger single box, and a third, weakest box elsewhere.
        Put(r, s, 512, 1f, 0f, 0f, 20f, 20f);
        Put(r, s, 513, 1f, 3.2f, 0f, 20f, 20f);
        Put(r, s, 895, 3f, 0f, 0f, 20f, 20f);
        Put(r, s, 600, 0.5f, 0f, 0f, 20f, 20f);
        var found = new RawDetection[2];

        int n = d.DecodeTop(r, s, found);

        Assert.Equal(2, n);
        Assert.Equal(1 / (1 + MathF.Exp(-3f)), found[0].Score, 5);
        Assert.Equal(anchors[895].X, (found[0].XMin + found[0].XMax) / 2, 5);
        Assert.Equal(1 / (1 + MathF.Exp(-1f)), found[1].Score, 5);
        Assert.Equal(anchors[512].X + 0.0125f, (found[1].XMin + found[1].XMax) / 2, 5);
        Assert.True(d.TryDecodeBest(r, s, out RawDetection best));
        Assert.Equal(found[0].XMin, best.XMin);
    }

    [Fact]
    public void DecodeTop_SteadyState_AllocatesNothing()
    {
        (float[] r, float[] s, DetectionDecoder d) = Empty();
        Put(r, s, 512, 1f, 0f, 0f, 20f, 20f);
        Put(r, s, 895, 3f, 0f, 0f, 20f, 20f);
        var found = new RawDetection[2];
        d.DecodeTop(r, s, found);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            d.DecodeTop(r, s, found);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
