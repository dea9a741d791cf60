using System.Globalization;
using System.Numerics;
using Capture.Core.Tracking;

namespace Capture.Protocol.Export;

/// <summary>
/// Writes the CSV that Epic's Live Link Face app exports, so animators can import our takes the same way:
/// <c>Timecode,BlendShapeCount,EyeBlinkLeft,…,TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,…,RightEyeRoll</c>
/// in the app's own column order (it differs from ARKit's: JawRight before JawLeft, MouthRight before
/// MouthLeft) and capitalization. Timecode is <c>HH:MM:SS:FF.mmm</c>: frames at <see cref="FramesPerSecond"/>,
/// then the sub-frame fraction in thousandths. Head and eye angles are radians. Eye yaw and pitch come from the
/// eyeLook* blendshapes (<see cref="EyeRotation"/>) and relate to the row's own EyeLook* columns the way they do in
/// the app's CSV files (<see cref="EyeAngles.Mirrored"/>: LeftEyeYaw follows EyeLookOutRight − EyeLookInRight,
/// RightEyeYaw follows EyeLookInLeft − EyeLookOutLeft, pitch is positive looking down); eye roll is always 0, and
/// all six eye columns are 0 when the frame has no iris points (<see cref="FaceObservation.HasIris"/>).
/// Does not own the writer.
/// </summary>
public sealed class LiveLinkFaceCsvWriter
{
    /// <summary>The 52 blendshape columns in Live Link Face's order.</summary>
    public static readonly IReadOnlyList<string> BlendshapeColumns =
    [
        "EyeBlinkLeft", "EyeLookDownLeft", "EyeLookInLeft", "EyeLookOutLeft", "EyeLookUpLeft", "EyeSquintLeft", "EyeWideLeft",
        "EyeBlinkRight", "EyeLookDownRight", "EyeLookInRight", "EyeLookOutRight", "EyeLookUpRight", "EyeSquintRight", "EyeWideRight",
        "JawForward", "JawRight", "JawLeft", "JawOpen",
        "MouthClose", "MouthFunnel", "MouthPucker", "MouthRight", "MouthLeft",
        "MouthSmileLeft", "MouthSmileRight", "MouthFrownLeft", "MouthFrownRight", "MouthDimpleLeft", "MouthDimpleRight",
        "MouthStretchLeft", "MouthStretchRight", "MouthRollLower", "MouthRollUpper", "MouthShrugLower", "MouthShrugUpper",
        "MouthPressLeft", "MouthPressRight", "MouthLowerDownLeft", "MouthLowerDownRight", "MouthUpperUpLeft", "MouthUpperUpRight",
        "BrowDownLeft", "BrowDownRight", "BrowInnerUp", "BrowOuterUpLeft", "BrowOuterUpRight",
        "CheekPuff", "CheekSquintLeft", "CheekSquintRight", "NoseSneerLeft", "NoseSneerRight", "TongueOut",
    ];

    /// <summary>The 9 rotation columns after the blendshapes.</summary>
    public static readonly IReadOnlyList<string> RotationColumns =
        ["HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll", "RightEyeYaw", "RightEyePitch", "RightEyeRoll"];

    private static readonly int[] s_arkitIndex = [.. BlendshapeColumns.Select(ArkitBlendshapes.IndexOf)];
    private readonly TextWriter _writer;
    private bool _headerWritten;

    public LiveLinkFaceCsvWriter(TextWriter writer, int framesPerSecond = 60)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentOutOfRangeException.ThrowIfLessThan(framesPerSecond, 1);
        _writer = writer;
        FramesPerSecond = framesPerSecond;
    }

    /// <summary>Timecode frame rate (the app records at 60 by default).</summary>
    public int FramesPerSecond { get; }

    public static string Header =>
        "Timecode,BlendShapeCount," + string.Join(',', BlendshapeColumns) + "," + string.Join(',', RotationColumns);

    /// <summary>
    /// Formats a time of day (microseconds since midnight, wrapping at 24 h) as <c>HH:MM:SS:FF.mmm</c>.
    /// </summary>
    public string FormatTimecode(long microseconds)
    {
        const long Day = 86_400_000_000;
        long us = ((microseconds % Day) + Day) % Day;
        long seconds = us / 1_000_000;
        double frames = (us % 1_000_000) * FramesPerSecond / 1e6;
        long frame = (long)Math.Floor(frames);
        long sub = (long)Math.Floor((frames - frame) * 1000);
        return string.Create(CultureInfo.InvariantCulture,
            $"{seconds / 3600:00}:{seconds / 60 % 60:00}:{seconds % 60:00}:{frame:00}.{sub:000}");
    }

    /// <summary>Writes one row (the header first, once). A frame without a face writes zeros.</summary>
    public void Write(TrackingFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (!_headerWritten)
        {
            _writer.WriteLine(Header);
            _headerWritten = true;
        }

        _writer.Write(FormatTimecode(frame.CaptureTimestampUs));
        _writer.Write(',');
        _writer.Write((BlendshapeColumns.Count + RotationColumns.Count).ToString(CultureInfo.InvariantCulture));
        bool face = frame.Face.Present;
        foreach (int index in s_arkitIndex)
        {
            WriteValue(face ? frame.Face.Blendshapes[index] : 0f);
        }

        Vector3 euler = face ? frame.Face.HeadPose.EulerDegrees() * (MathF.PI / 180f) : Vector3.Zero;
        WriteValue(euler.X);
        WriteValue(euler.Y);
        WriteValue(euler.Z);
        EyeAngles eyes = EyeRotation.FromFace(frame.Face).Mirrored();
        WriteValue(eyes.LeftYaw);
        WriteValue(eyes.LeftPitch);
        WriteValue(0f);
        WriteValue(eyes.RightYaw);
        WriteValue(eyes.RightPitch);
        WriteValue(0f);

        _writer.WriteLine();
    }

    private void WriteValue(float v)
    {
        if (v == 0)
        {
            v = 0; // −0 (a negated zero yaw) would print as "-0"
        }

        _writer.Write(',');
        _writer.Write(v.ToString("0.########", CultureInfo.InvariantCulture));
    }
}
