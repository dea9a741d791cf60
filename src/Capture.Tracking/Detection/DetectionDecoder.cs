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

    /// <summary>Keypoints (6 for faces, 4 for poses, 7 for palms), normalized to the detector input.</summary>
    public KeypointBuffer Keypoints;
}

/// <summary>Inline storage for up to 7 keypoints (a palm's), so a detection is a plain value with no array.</summary>
[System.Runtime.CompilerServices.InlineArray(7)]
public struct KeypointBuffer
{
    private Vector2 _element;
}

/// <summary>
/// MediaPipe's TensorsToDetections (reverse_output_order, sigmoid scores clipped at ±100, box and
/// keypoints scaled by the input size and offset by the anchor centre) followed by weighted
/// non-max suppression, keeping the best detection (one face, one body) or the best few (two palms).
/// </summary>
public sealed class DetectionDecoder
{
    private readonly Vector2[] _anchors;
    private readonly int _coords;
    private readonly int _keypoints;
    private readonly float _scale;
    private readonly int[] _candidates;
    private readonly float[] _order;

    /// <param name="anchors">Anchor centres (<see cref="SsdAnchors"/>).</param>
    /// <param name="coordsPerBox">Values a box in the regressor tensor (16 face, 12 pose, 18 palm).</param>
    /// <param name="keypoints">Keypoints a box (6 face, 4 pose, 7 palm).</param>
    /// <param name="inputSize">Detector input side (128 face, 224 pose, 192 palm): the x/y/w/h scale.</param>
    public DetectionDecoder(Vector2[] anchors, int coordsPerBox, int keypoints, float inputSize)
    {
        _anchors = anchors;
        _coords = coordsPerBox;
        _keypoints = keypoints;
        _scale = inputSize;
        _candidates = new int[anchors.Length];
        _order = new float[anchors.Length];
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
        return DecodeTop(regressors, scores, new Span<RawDetection>(ref best)) == 1;
    }

    /// <summary>
    /// MediaPipe's weighted non-max suppression, kept to the <paramref name="best"/>.Length highest-scoring
    /// results: the top remaining box and every remaining box overlapping it above <see cref="MinSuppressionIou"/>
    /// (itself included) become one score-weighted average of box and keypoints with the top box's score; those
    /// boxes are removed and the next top box is taken. Returns how many detections were written, best first.
    /// </summary>
    public int DecodeTop(ReadOnlySpan<float> regressors, ReadOnlySpan<float> scores, Span<RawDetection> best)
    {
        int count = 0;
        float minLogit = MathF.Log(MinScore / (1 - MinScore));
        for (int i = 0; i < _anchors.Length; i++)
        {
            float logit = Math.Clamp(scores[i], -100f, 100f);
            if (logit < minLogit)
            {
                continue;
            }

            _candidates[count] = i;
            _order[count++] = -logit;
        }

        // Highest score first (ascending negated logits); primitive keys sort in place without allocating.
        Array.Sort(_order, _candidates, 0, count);
        int written = 0;
        int remaining = count;
        while (remaining > 0 && written < best.Length)
        {
            int top = _candidates[0];
            RawDetection topBox = Decode(regressors, top, Sigmoid(-_order[0]));
            float totalWeight = 0;
            RawDetection sum = default;
            int kept = 0;
            for (int c = 0; c < remaining; c++)
            {
                int i = _candidates[c];
                float score = Sigmoid(-_order[c]);
                RawDetection d = Decode(regressors, i, score);
                if (c > 0 && Iou(topBox, d) <= MinSuppressionIou)
                {
                    // Not merged into this one: stays for the next round, in score order.
                    _candidates[kept] = i;
                    _order[kept++] = _order[c];
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
            ref RawDetection result = ref best[written++];
            result = default;
            result.Score = topBox.Score;
            result.XMin = sum.XMin * inv;
            result.YMin = sum.YMin * inv;
            result.XMax = sum.XMax * inv;
            result.YMax = sum.YMax * inv;
            for (int k = 0; k < _keypoints; k++)
            {
                result.Keypoints[k] = sum.Keypoints[k] * inv;
            }

            remaining = kept;
        }

        return written;
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
