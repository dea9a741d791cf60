using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Protocol.Tests;

/// <summary>Deterministic, realistic-looking frames (the same formulas the node interop scripts use).</summary>
internal static class TestFrames
{
    public static TrackingFrame Make(long sequence, bool face = true, bool body = true, bool world = false, bool leftHand = false)
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

            f.Body.HasWorld = world;
            if (world)
            {
                for (int i = 0; i < TrackingFrame.BodyLandmarkCount; i++)
                {
                    f.Body.WorldLandmarks[i] = WorldLandmark(i, sequence);
                }
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

    /// <summary>
    /// World landmarks (metres, camera axes) of a hand held up facing the camera, fingers straight up, the index bent
    /// 90° toward the palm at its middle joint: on the avatar only the index's intermediate bone turns, by 90°.
    /// </summary>
    public static Vector3[] IndexBentHand(Handedness side)
    {
        float s = side == Handedness.Right ? 1 : -1;
        var p = new Vector3[TrackingFrame.HandLandmarkCount];
        for (int k = 0; k < 4; k++)
        {
            p[HandTopology.ThumbCmc + k] = new Vector3(s * 0.02f * (k + 1), -0.02f * (k + 1), 0);
        }

        for (int finger = 1; finger < 5; finger++)
        {
            ReadOnlySpan<int> chain = HandTopology.Finger(finger);
            float x = s * (0.04f - (0.02f * finger));
            float[] ys = [-0.09f, -0.13f, -0.16f, -0.18f];
            for (int k = 0; k < 4; k++)
            {
                p[chain[k]] = new Vector3(x, ys[k], 0);
            }
        }

        p[HandTopology.IndexDip] = p[HandTopology.IndexPip] + new Vector3(0, 0, -0.03f);
        p[HandTopology.IndexTip] = p[HandTopology.IndexPip] + new Vector3(0, 0, -0.05f);
        return p;
    }

    /// <summary>A left hand's landmark (normalized; the node scripts use the same formula).</summary>
    public static Vector3 HandLandmark(int i, long seq) =>
        new(0.6f + (0.2f * i / 21f), 0.3f + (0.01f * ((i * 3) % 21)) + (0.001f * (seq % 10)), -0.02f + (0.002f * i));

    /// <summary>A left hand's world landmark, metres.</summary>
    public static Vector3 HandWorldLandmark(int i) => new(0.001f * (i - 10), -0.004f * i, 0.0005f * (i % 4));

    public static Vector3 FaceLandmark(int i, long seq) =>
        new(0.3f + (0.4f * i / 468f), 0.2f + (0.5f * ((i * 37) % 468) / 468f) + (0.001f * (seq % 10)), -0.05f + (0.1f * ((i * 11) % 97) / 97f));

    public static float Blendshape(int i, long seq) => ((i * 7) + seq) % 20 / 20f;

    /// <summary>A world point in metres (v1.3): roughly a standing body's extent about the hips.</summary>
    public static Vector3 WorldLandmark(int i, long seq) =>
        new(-0.3f + (0.6f * ((i * 7) % 33) / 33f), -0.8f + (1.6f * i / 33f), -0.2f + (0.01f * (i % 5)) + (0.001f * seq));

    public static Vector4 BodyLandmark(int i, long seq) =>
        new(0.2f + (0.6f * i / 33f), 0.1f + (0.8f * ((i * 5) % 33) / 33f), -0.3f + (0.02f * i) + (0.0001f * seq), 0.5f + (0.5f * (i % 3) / 2f));
}
