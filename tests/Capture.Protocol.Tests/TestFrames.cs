using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Protocol.Tests;

/// <summary>Deterministic, realistic-looking frames (the same formulas the node interop scripts use).</summary>
internal static class TestFrames
{
    public static TrackingFrame Make(long sequence, bool face = true, bool body = true, bool leftHand = false)
    {
        var f = new TrackingFrame
        {
            Sequence = sequence,
            CaptureTimestampUs = 1_700_000_000_000_000 + (sequence * 33_333),
            ImageWidth = 1280,
            ImageHeight = 720,
        };
        if (face)
        {
            f.Face.Present = true;
            f.Face.Score = 0.97f;
            for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
            {
                f.Face.Landmarks[i] = FaceLandmark(i, sequence);
            }

            for (int i = 0; i < ArkitBlendshapes.Count; i++)
            {
                f.Face.Blendshapes[i] = Blendshape(i, sequence);
            }

            f.Face.HeadPose = new HeadPose(
                Quaternion.Normalize(Quaternion.CreateFromYawPitchRoll(0.1f, -0.05f, 0.02f * (sequence % 5))),
                new Vector3(1.5f, -2f, -45f));
        }

        if (body)
        {
            f.Body.Present = true;
            f.Body.Score = 0.9f;
            for (int i = 0; i < TrackingFrame.BodyLandmarkCount; i++)
            {
                f.Body.Landmarks[i] = BodyLandmark(i, sequence);
            }
        }

        if (leftHand)
        {
            f.LeftHand.Present = true;
            f.LeftHand.Score = 0.95f;
            f.LeftHand.HandednessScore = 0.875f;
            for (int i = 0; i < TrackingFrame.HandLandmarkCount; i++)
            {
                f.LeftHand.Landmarks[i] = HandLandmark(i, sequence);
                f.LeftHand.WorldLandmarks[i] = HandWorldLandmark(i);
            }
        }

        return f;
    }

    /// <summary>A left hand's landmark (normalized; the node scripts use the same formula).</summary>
    public static Vector3 HandLandmark(int i, long seq) =>
        new(0.6f + (0.2f * i / 21f), 0.3f + (0.01f * ((i * 3) % 21)) + (0.001f * (seq % 10)), -0.02f + (0.002f * i));

    /// <summary>A left hand's world landmark, metres.</summary>
    public static Vector3 HandWorldLandmark(int i) => new(0.001f * (i - 10), -0.004f * i, 0.0005f * (i % 4));

    public static Vector3 FaceLandmark(int i, long seq) =>
        new(0.3f + (0.4f * i / 468f), 0.2f + (0.5f * ((i * 37) % 468) / 468f) + (0.001f * (seq % 10)), -0.05f + (0.1f * ((i * 11) % 97) / 97f));

    public static float Blendshape(int i, long seq) => ((i * 7) + seq) % 20 / 20f;

    public static Vector4 BodyLandmark(int i, long seq) =>
        new(0.2f + (0.6f * i / 33f), 0.1f + (0.8f * ((i * 5) % 33) / 33f), -0.3f + (0.02f * i) + (0.0001f * seq), 0.5f + (0.5f * (i % 3) / 2f));
}
