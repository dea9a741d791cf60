using System.Globalization;
using System.Numerics;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Xunit.Abstractions;

namespace Capture.Tracking.Tests.Hands;

/// <summary>
/// What the pose model's own points of a hand (wrist, pinky, index, thumb) correspond to among the hand model's 21:
/// the facts <see cref="HandTopology.PoseDirectionPoint"/> and body retargeting's use of the hand tracker rest on.
/// </summary>
[Collection(ModelsCollection.Name)]
public sealed class PoseHandPointsTests(ModelsFixture models, ITestOutputHelper output)
{
    /// <summary>
    /// On the gesture clip (body and hands tracked together, smoothing off), over every hand the pose sees and the hand
    /// model has: the pose's wrist is nearest the hand model's wrist (within half a hand size, wrist to middle knuckle,
    /// on average), and the pose's hand direction (its wrist to the midpoint of its index and pinky points) agrees best
    /// with the hand model's wrist → <see cref="HandTopology.PoseDirectionPoint"/> (within 1° of the best hand point, under
    /// 20° on average, closer than the index and little fingers' knuckles' midpoint). The pose's own
    /// index, pinky and thumb points are printed against every hand point: they sit toward the palm's middle, not on the
    /// knuckles BlazePose names them after.
    /// </summary>
    [Fact]
    public void PoseDirectionPoint_GestureClip_AgreesBestWithThePosesHandDirection()
    {
        List<VideoFrame> frames = Ffmpeg.Decode(TestData.Media("vid_body_fullbody_gesture_s13.mp4"));
        using Tracker tracker = models.Create(new TrackerOptions { Face = false, Body = true, Hands = true, Smoothing = false });
        var result = new TrackingFrame();
        int n = TrackingFrame.HandLandmarkCount;
        // [pose point kind 0..3][hand point]: summed distance over the hand's size; [hand point]: summed angle (degrees)
        // between the pose's hand direction and the hand's wrist → that point.
        var distance = new double[4, n];
        var angle = new double[n];
        double knucklesAngle = 0; // the naive reading: wrist → the midpoint of the index and little fingers' knuckles
        int count = 0;
        foreach (VideoFrame frame in frames)
        {
            tracker.Process(frame, result);
            if (!result.Body.Present)
            {
                continue;
            }

            foreach (HandObservation hand in new[] { result.LeftHand, result.RightHand })
            {
                Vector2 Pose(int kind)
                {
                    Vector4 b = result.Body.Landmarks[HandTopology.PoseBodyIndex(hand.Side, kind)];
                    return new Vector2(b.X * frame.Width, b.Y * frame.Height);
                }

                bool seen = true;
                for (int kind = 0; kind < 4; kind++)
                {
                    seen &= result.Body.Landmarks[HandTopology.PoseBodyIndex(hand.Side, kind)].W >= 0.5f;
                }

                if (!hand.Present || !seen)
                {
                    continue;
                }

                count++;
                Vector2 wrist = hand.Pixel(HandTopology.Wrist, frame.Width, frame.Height);
                float size = Vector2.Distance(wrist, hand.Pixel(HandTopology.MiddleMcp, frame.Width, frame.Height));
                Vector2 poseDirection = ((Pose(1) + Pose(2)) / 2) - Pose(0);
                for (int h = 0; h < n; h++)
                {
                    Vector2 point = hand.Pixel(h, frame.Width, frame.Height);
                    for (int kind = 0; kind < 4; kind++)
                    {
                        distance[kind, h] += Vector2.Distance(Pose(kind), point) / size;
                    }

                    angle[h] += h == 0 ? 0 : Degrees(poseDirection, point - wrist);
                }

                Vector2 knuckles = (hand.Pixel(HandTopology.IndexMcp, frame.Width, frame.Height) + hand.Pixel(HandTopology.PinkyMcp, frame.Width, frame.Height)) / 2;
                knucklesAngle += Degrees(poseDirection, knuckles - wrist);
            }
        }

        Assert.True(count >= 50, $"only {count} hands seen by both");
        for (int kind = 0; kind < 4; kind++)
        {
            double[] mean = [.. Enumerable.Range(0, n).Select(h => distance[kind, h] / count)];
            int nearest = Array.IndexOf(mean, mean.Min());
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"pose {HandTopology.PoseNames[kind]}: nearest hand point {nearest} at {mean[nearest]:F2} hand sizes; {Join(mean, "F2")}"));
            if (kind == 0)
            {
                Assert.Equal(HandTopology.Wrist, nearest);
                Assert.True(mean[nearest] < 0.5, $"the pose's wrist is {mean[nearest]:F2} hand sizes from the hand model's");
            }
        }

        double[] meanAngle = [.. Enumerable.Range(0, n).Select(h => h == 0 ? double.MaxValue : angle[h] / count)];
        int best = Array.IndexOf(meanAngle, meanAngle.Min());
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pose hand direction ({count} hands) vs wrist → hand point: best {best} at {meanAngle[best]:F1}° mean; " +
            $"wrist → index/little knuckles' midpoint {knucklesAngle / count:F1}°; {Join(meanAngle, "F1")}"));
        // The middle finger's line agrees best; its knuckle (which does not bend with the finger) within 1° of the best joint on it.
        double named = meanAngle[HandTopology.PoseDirectionPoint];
        Assert.True(named <= meanAngle[best] + 1, $"wrist → {HandTopology.PoseDirectionPoint}: {named:F1}°, best {best}: {meanAngle[best]:F1}°");
        Assert.True(named < 20, $"{named:F1}° mean between the pose's hand direction and the hand model's");
        Assert.True(named < knucklesAngle / count, $"{named:F1}° against the knuckles' midpoint {knucklesAngle / count:F1}°");
    }

    private static string Join(double[] values, string format) =>
        string.Join(' ', values.Select((v, h) => v == double.MaxValue ? "" : $"{h}:{v.ToString(format, CultureInfo.InvariantCulture)}")).Trim();

    private static double Degrees(Vector2 a, Vector2 b)
    {
        double d = Math.Atan2(a.Y, a.X) - Math.Atan2(b.Y, b.X);
        d -= 2 * Math.PI * Math.Round(d / (2 * Math.PI));
        return Math.Abs(d) * 180 / Math.PI;
    }
}
