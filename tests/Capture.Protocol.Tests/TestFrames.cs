using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Protocol.Tests;

/// <summary>Deterministic, realistic-looking frames (the same formulas the node interop scripts use).</summary>
internal static class TestFrames
{
    public static TrackingFrame Make(long sequence, bool face = true, bool body = true, bool world = false)
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

        return f;
    }

    public static Vector3 FaceLandmark(int i, long seq) =>
        new(0.3f + (0.4f * i / 468f), 0.2f + (0.5f * ((i * 37) % 468) / 468f) + (0.001f * (seq % 10)), -0.05f + (0.1f * ((i * 11) % 97) / 97f));

    public static float Blendshape(int i, long seq) => ((i * 7) + seq) % 20 / 20f;

    /// <summary>A world point in metres (v1.3): roughly a standing body's extent about the hips.</summary>
    public static Vector3 WorldLandmark(int i, long seq) =>
        new(-0.3f + (0.6f * ((i * 7) % 33) / 33f), -0.8f + (1.6f * i / 33f), -0.2f + (0.01f * (i % 5)) + (0.001f * seq));

    public static Vector4 BodyLandmark(int i, long seq) =>
        new(0.2f + (0.6f * i / 33f), 0.1f + (0.8f * ((i * 5) % 33) / 33f), -0.3f + (0.02f * i) + (0.0001f * seq), 0.5f + (0.5f * (i % 3) / 2f));
}
