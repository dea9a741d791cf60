using System.Numerics;
using Capture.Core.Tracking;
using Capture.Pipeline.Motion;
using Capture.Retargeting;
using Capture.Testing;

namespace Capture.Pipeline.Tests;

/// <summary>The blendshape → face basis: the fit recovers a known basis; the shipped one explains a shared clip.</summary>
public sealed class BlendshapeBasisTests
{
    [Fact]
    public void Fit_FacesMadeByAKnownBasisTurnedAnyWay_RecoversItsDisplacements()
    {
        BlendshapeBasis known = BlendshapeBasis.Load(MotionDrivers.DefaultBasisPath());
        int[] moving = [(int)ArkitBlendshape.JawOpen, (int)ArkitBlendshape.MouthSmileLeft, (int)ArkitBlendshape.BrowInnerUp, (int)ArkitBlendshape.EyeBlinkRight, (int)ArkitBlendshape.MouthPucker];
        var random = new Random(7);
        var frames = new List<TrackingFrame>();
        var scratch = new Vector3[BlendshapeBasis.PointCount];
        for (int i = 0; i < 240; i++)
        {
            float[] weights = [.. known.NeutralWeights];
            bool neutral = i < 30;
            if (!neutral)
            {
                foreach (int b in moving)
                {
                    weights[b] += (float)random.NextDouble();
                }
            }

            float angle = neutral ? 0 : 15;
            Quaternion camera = HeadPose.FromEulerDegrees(Jitter(random, angle), Jitter(random, angle), Jitter(random, angle / 2)).Rotation;
            var frame = new TrackingFrame { Sequence = i, CaptureTimestampUs = i * 33_333 };
            known.Synthesize(weights, BlendshapeBasis.ImageRotation(camera), 720, frame, scratch);
            frames.Add(frame);
        }

        BasisClip clip = BlendshapeBasisFit.FromFrames("made", frames, 30);
        BlendshapeBasis fitted = BlendshapeBasisFit.Fit([clip], 1e-6);

        foreach (int b in moving)
        {
            double error = 0, size = 0;
            for (int i = 0; i < TrackingFrame.FaceLandmarkCount; i++)
            {
                error += Vector3.Distance(fitted.Basis[(b * BlendshapeBasis.PointCount) + i], known.Basis[(b * BlendshapeBasis.PointCount) + i]);
                size += known.Basis[(b * BlendshapeBasis.PointCount) + i].Length();
            }

            // Not exact: where a shape moves the rigid points (the brows move the forehead's), aligning on them
            // takes a little of its motion for head pose, as it does for tracked faces.
            Assert.True(error < size * 0.05, $"{ArkitBlendshapes.Names[b]}: recovered within {100 * error / size:F2} % of its displacement");
        }

        Assert.True(BlendshapeBasisFit.ExpressionNme(fitted, clip) < 0.05, "the faces are linear in the weights, so the fit is exact");
    }

    [Fact]
    public async Task ShippedBasis_SharedClipsOwnBlendshapes_ExpressionCloserThanTheNeutralFace()
    {
        BlendshapeBasis shipped = BlendshapeBasis.Load(MotionDrivers.DefaultBasisPath());
        BasisClip d18 = await BlendshapeBasisFit.TrackAsync(SharedMedia.File("vid_expr_man_d18.mp4"));

        double basis = BlendshapeBasisFit.ExpressionNme(shipped, d18);
        double neutral = BlendshapeBasisFit.NeutralNme(d18);

        // Measured when the basis was fitted (d18 was in the fit): 1.21 % against 4.23 % for the neutral face.
        Assert.InRange(basis, 0, neutral * 0.4);
        Assert.InRange(BlendshapeBasisFit.WholeFaceNme(shipped, d18), 0, 3);
    }

    private static float Jitter(Random random, float range) => (float)((random.NextDouble() * 2) - 1) * range;
}
