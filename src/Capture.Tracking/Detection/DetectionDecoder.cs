using System.Numerics;

namespace Capture.Tracking.Detection;

/// <summary>One decoded detection: a box and keypoints, normalized to the detector's input square.</summary>
public struct RawDetection
{
    public float Score;
    public float XMin;
    public float YMin;
    public float XMax;
    public float YMax;

    /// <summary>Keypoints (up to 6 for faces, 4 for poses), normalized to the detector input.</summary>
    public KeypointBuffer Keypoints;
}

/// <summary>Inline storage for up to 6 keypoints, so a detection is a plain value with no array.</summary>
[System.Runtime.CompilerServices.InlineArray(6)]
public struct KeypointBuffer
{
    private Vector2 _element;
}

/// <summary>
/// MediaPipe's TensorsToDetections (reverse_output_order, sigmoid scores clipped at ±100, box and
/// keypoints scaled by the input size and offset by the anchor centre) followed by weighted
/// non-max suppression, keeping only the best detection: Capture tracks one face and one body.
/// </summary>
public sealed class DetectionDecoder
{
    private readonly Vector2[] _anchors;
    private readonly int _coords;
    private readonly int _keypoints;
    private readonly float _scale;
    private readonly int[] _candidates;

    /// <param name="anchors">Anchor centres (<see cref="SsdAnchors"/>).</param>
    /// <param name="coordsPerBox">Values a box in the regressor tensor (16 face, 12 pose).</param>
    /// <param name="keypoints">Keypoints a box (6 face, 4 pose).</param>
    /// <param name="inputSize">Detector input side (128 face, 224 pose): the x/y/w/h scale.</param>
    public DetectionDecoder(Vector2[] anchors, int coordsPerBox, int keypoints, float inputSize)
    {
        _anchors = anchors;
        _coords = coordsPerBox;
        _keypoints = keypoints;
        _scale = inputSize;
        _candidates = new int[anchors.Length];
    }

    public int AnchorCount => _anchors.Length;

    /// <summary>Minimum sigmoid score to keep a box (MediaPipe: 0.5 face short range, 0.5 pose solution).</summary>
    public float MinScore { get; init; } = 0.5f;

    /// <summary>IoU above which boxes are merged (MediaPipe: 0.3 for both detectors).</summary>
    public float MinSuppressionIou { get; init; } = 0.3f;

    /// <summary>Decodes the raw tensors and returns the best detection after weighted NMS; false when none passes.</summary>
    public bool TryDecodeBest(ReadOnlySpan<float> regressors, ReadOnlySpan<float> scores, out RawDetection best)
    {
        best = default;
        int count = 0;
        int top = -1;
        float topScore = float.MinValue;
        float minLogit = MathF.Log(MinScore / (1 - MinScore));
        for (int i = 0; i < _anchors.Length; i++)
        {
            float logit = Math.Clamp(scores[i], -100f, 100f);
            if (logit < minLogit)
            {
                continue;
            }

            _candidates[count++] = i;
            if (logit > topScore)
            {
                topScore = logit;
                top = i;
            }
        }

        if (top < 0)
        {
            return false;
        }

        // Weighted NMS for the top box only: every candidate overlapping it above the threshold
        // (itself included) contributes to a score-weighted average of box and keypoints.
        RawDetection topBox = Decode(regressors, top, topScore);
        float totalWeight = 0;
        RawDetection sum = default;
        for (int c = 0; c < count; c++)
        {
            int i = _candidates[c];
            float score = Sigmoid(Math.Clamp(scores[i], -100f, 100f));
            RawDetection d = Decode(regressors, i, score);
            if (Iou(topBox, d) <= MinSuppressionIou && i != top)
            {
                continue;
            }

            totalWeight += score;
            sum.XMin += d.XMin * score;
            sum.YMin += d.YMin * score;
            sum.XMax += d.XMax * score;
            sum.YMax += d.YMax * score;
            for (int k = 0; k < _keypoints; k++)
            {
                sum.Keypoints[k] += d.Keypoints[k] * score;
            }
        }

        float inv = 1 / totalWeight;
        best.Score = Sigmoid(topScore);
        best.XMin = sum.XMin * inv;
        best.YMin = sum.YMin * inv;
        best.XMax = sum.XMax * inv;
        best.YMax = sum.YMax * inv;
        for (int k = 0; k < _keypoints; k++)
        {
            best.Keypoints[k] = sum.Keypoints[k] * inv;
        }

        return true;
    }

    private RawDetection Decode(ReadOnlySpan<float> regressors, int index, float score)
    {
        ReadOnlySpan<float> r = regressors.Slice(index * _coords, _coords);
        Vector2 anchor = _anchors[index];
        float cx = (r[0] / _scale) + anchor.X;
        float cy = (r[1] / _scale) + anchor.Y;
        float w = r[2] / _scale;
        float h = r[3] / _scale;
        var d = new RawDetection
        {
            Score = score,
            XMin = cx - (w / 2),
            YMin = cy - (h / 2),
            XMax = cx + (w / 2),
            YMax = cy + (h / 2),
        };
        for (int k = 0; k < _keypoints; k++)
        {
            d.Keypoints[k] = new Vector2((r[4 + (2 * k)] / _scale) + anchor.X, (r[5 + (2 * k)] / _scale) + anchor.Y);
        }

        return d;
    }

    internal static float Iou(in RawDetection a, in RawDetection b)
    {
        float ix = MathF.Min(a.XMax, b.XMax) - MathF.Max(a.XMin, b.XMin);
        float iy = MathF.Min(a.YMax, b.YMax) - MathF.Max(a.YMin, b.YMin);
        if (ix <= 0 || iy <= 0)
        {
            return 0;
        }

        float inter = ix * iy;
        float union = ((a.XMax - a.XMin) * (a.YMax - a.YMin)) + ((b.XMax - b.XMin) * (b.YMax - b.YMin)) - inter;
        return union <= 0 ? 0 : inter / union;
    }

    internal static float Sigmoid(float x) => 1 / (1 + MathF.Exp(-x));
}
