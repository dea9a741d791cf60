namespace Capture.Core.Tracking;

/// <summary>
/// The 52 ARKit face blendshapes, named and ordered as Apple's <c>ARFaceAnchor.BlendShapeLocation</c>
/// documentation lists them. Every blendshape array in Capture uses this order; formats that order
/// them otherwise (Live Link Face CSV) map by name.
/// </summary>
public static class ArkitBlendshapes
{
    public const int Count = 52;

    private static readonly string[] s_names =
    [
        "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft", "eyeSquintLeft", "eyeWideLeft",
        "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight", "eyeSquintRight", "eyeWideRight",
        "jawForward", "jawLeft", "jawRight", "jawOpen",
        "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight",
        "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight",
        "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
        "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
        "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight",
        "mouthUpperUpLeft", "mouthUpperUpRight",
        "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
        "cheekPuff", "cheekSquintLeft", "cheekSquintRight",
        "noseSneerLeft", "noseSneerRight",
        "tongueOut",
    ];

    /// <summary>The names in ARKit order (camelCase, as Apple spells them).</summary>
    public static IReadOnlyList<string> Names => s_names;

    /// <summary>Index of a name in ARKit order, or -1. Case-insensitive, so "EyeBlinkLeft" (Live Link) also maps.</summary>
    public static int IndexOf(string name)
    {
        for (int i = 0; i < s_names.Length; i++)
        {
            if (string.Equals(s_names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>Indices into an ARKit-ordered blendshape array, for code that reads or writes a named shape.</summary>
public enum ArkitBlendshape
{
    EyeBlinkLeft, EyeLookDownLeft, EyeLookInLeft, EyeLookOutLeft, EyeLookUpLeft, EyeSquintLeft, EyeWideLeft,
    EyeBlinkRight, EyeLookDownRight, EyeLookInRight, EyeLookOutRight, EyeLookUpRight, EyeSquintRight, EyeWideRight,
    JawForward, JawLeft, JawRight, JawOpen,
    MouthClose, MouthFunnel, MouthPucker, MouthLeft, MouthRight,
    MouthSmileLeft, MouthSmileRight, MouthFrownLeft, MouthFrownRight,
    MouthDimpleLeft, MouthDimpleRight, MouthStretchLeft, MouthStretchRight,
    MouthRollLower, MouthRollUpper, MouthShrugLower, MouthShrugUpper,
    MouthPressLeft, MouthPressRight, MouthLowerDownLeft, MouthLowerDownRight,
    MouthUpperUpLeft, MouthUpperUpRight,
    BrowDownLeft, BrowDownRight, BrowInnerUp, BrowOuterUpLeft, BrowOuterUpRight,
    CheekPuff, CheekSquintLeft, CheekSquintRight,
    NoseSneerLeft, NoseSneerRight,
    TongueOut,
}
