using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Retargeting.Tests;

/// <summary>Offsets scaled to the character's own proportions.</summary>
public class RetargeterProportionTests
{
    [Fact]
    public void WriteLateralScale_OneSideOfTheCharacterNarrower_ShrinksOnlyThatSide()
    {
        Vector3[] performer = SyntheticFace.Create();
        Vector3[] character = SyntheticFace.Create();
        float mid = character[168].X;
        for (int i = 0; i < character.Length; i++)
        {
            if (character[i].X > mid)
            {
                character[i].X = mid + ((character[i].X - mid) * 0.5f);
            }
        }

        var frontal = new float[TrackingFrame.FaceLandmarkCount];
        var turned = new float[TrackingFrame.FaceLandmarkCount];
        Retargeter.WriteLateralScale(performer, performer, 1, Quaternion.Identity, frontal);
        Retargeter.WriteLateralScale(performer, character, 1, Quaternion.Identity, turned);

        Assert.All(frontal, s => Assert.InRange(s, 0.999f, 1.001f));
        int narrow = character[FaceTopology.RightFaceSide].X > mid ? FaceTopology.RightFaceSide : FaceTopology.LeftFaceSide;
        int wide = narrow == FaceTopology.RightFaceSide ? FaceTopology.LeftFaceSide : FaceTopology.RightFaceSide;
        Assert.InRange(turned[narrow], 0.45f, 0.55f);
        Assert.InRange(turned[wide], 0.999f, 1.001f);
    }
}
