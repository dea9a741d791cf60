using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Text;
using Capture.Core.Tracking;
using Capture.Protocol.MessagePack;

namespace Capture.Protocol.Export;

/// <summary>
/// Sends tracking frames as VMC protocol (OSC over UDP) so VSeeFace, VMC-aware Unity/Unreal tools and
/// Warudo can listen: one OSC bundle a frame with <c>/VMC/Ext/OK</c>, <c>/VMC/Ext/T</c>, <c>/VMC/Ext/Root/Pos</c>,
/// <c>/VMC/Ext/Bone/Pos "Head"</c>, then <c>"LeftEye"</c> and <c>"RightEye"</c> when the frame has iris points
/// (<see cref="FaceObservation.HasIris"/>; without them no eye bones are sent, so a receiver keeps its own eye
/// animation), one <c>/VMC/Ext/Blend/Val</c> per ARKit blendshape (Apple's camelCase names)
/// and <c>/VMC/Ext/Blend/Apply</c>. The head rotation is converted to Unity's left-handed axes by mirroring Z
/// (q → (−x, −y, z, w)); eye rotations see <see cref="EyeBoneRotation"/>. Once a hand has been tracked, the 15
/// finger bones of that hand follow the head (<c>LeftThumbProximal</c> … <c>LeftLittleDistal</c>, then the right's:
/// Unity's humanoid names, local rotations from <see cref="FingerRotations"/>); when the hand is lost they relax to
/// rest over 0.3 s (<see cref="HandFade"/>) and come back the same way. Frames go in time order (the fade needs it).
/// Reuses one buffer: sending allocates nothing per frame. Owns its socket.
/// </summary>
public sealed class VmcSender : IDisposable
{
    /// <summary>The port VMC "Marionette" receivers listen on by default.</summary>
    public const int DefaultPort = 39539;

    private static readonly byte[][] s_blendNames = [.. ArkitBlendshapes.Names.Select(n => Encoding.ASCII.GetBytes(n))];

    /// <summary>[side][bone]: "LeftThumbProximal" … "RightLittleDistal", in <see cref="FingerRotations"/>' order.</summary>
    private static readonly byte[][][] s_fingerBones =
    [
        .. new[] { "Left", "Right" }.Select(side =>
            HandTopology.FingerNames.SelectMany(finger => HandTopology.SegmentNames.Select(segment => Encoding.ASCII.GetBytes(side + finger + segment))).ToArray()),
    ];

    private readonly Socket _socket;
    private readonly PooledBufferWriter _buffer = new(8192);
    private readonly HandFade[] _fades = [new(), new()];
    private readonly Quaternion[][] _fingers = [new Quaternion[FingerRotations.BoneCount], new Quaternion[FingerRotations.BoneCount]];

    public VmcSender(IPEndPoint? destination = null)
    {
        destination ??= new IPEndPoint(IPAddress.Loopback, DefaultPort);
        _socket = new Socket(destination.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Connect(destination);
    }

    /// <summary>Bytes of the last bundle sent.</summary>
    public int LastBundleSize => _buffer.WrittenCount;

    /// <summary>Encodes and sends one frame; <paramref name="timeSeconds"/> goes into <c>/VMC/Ext/T</c>.</summary>
    public void Send(TrackingFrame frame, float timeSeconds)
    {
        Encode(frame, timeSeconds);
        _socket.Send(_buffer.WrittenSpan);
    }

    /// <summary>The bundle for one frame, valid until the next call.</summary>
    public ReadOnlySpan<byte> Encode(TrackingFrame frame, float timeSeconds)
    {
        ArgumentNullException.ThrowIfNull(frame);
        _buffer.Reset();
        var osc = new OscWriter(_buffer);
        osc.BeginBundle();

        // /VMC/Ext/OK (loaded, calibration state 3 = done, calibration mode 0 = normal, tracking status)
        int start = Begin(osc);
        osc.WriteAddressAndTags("/VMC/Ext/OK"u8, ",iiii"u8);
        osc.WriteInt(1);
        osc.WriteInt(3);
        osc.WriteInt(0);
        osc.WriteInt(frame.Face.Present ? 1 : 0);
        End(start);

        start = Begin(osc);
        osc.WriteAddressAndTags("/VMC/Ext/T"u8, ",f"u8);
        osc.WriteFloat(timeSeconds);
        End(start);

        start = Begin(osc);
        osc.WriteAddressAndTags("/VMC/Ext/Root/Pos"u8, ",sfffffff"u8);
        osc.WriteString("root"u8);
        WritePose(osc, Vector3.Zero, Quaternion.Identity);
        End(start);

        HeadPose head = frame.Face.HeadPose;
        start = Begin(osc);
        osc.WriteAddressAndTags("/VMC/Ext/Bone/Pos"u8, ",sfffffff"u8);
        osc.WriteString("Head"u8);
        Quaternion q = head.Rotation;
        WritePose(osc, Vector3.Zero, new Quaternion(-q.X, -q.Y, q.Z, q.W));
        End(start);

        if (frame.Face.Present && frame.Face.HasIris)
        {
            EyeAngles eyes = EyeRotation.FromFace(frame.Face);
            start = Begin(osc);
            osc.WriteAddressAndTags("/VMC/Ext/Bone/Pos"u8, ",sfffffff"u8);
            osc.WriteString("LeftEye"u8);
            WritePose(osc, Vector3.Zero, EyeBoneRotation(eyes.LeftYaw, eyes.LeftPitch));
            End(start);

            start = Begin(osc);
            osc.WriteAddressAndTags("/VMC/Ext/Bone/Pos"u8, ",sfffffff"u8);
            osc.WriteString("RightEye"u8);
            WritePose(osc, Vector3.Zero, EyeBoneRotation(eyes.RightYaw, eyes.RightPitch));
            End(start);
        }

        for (int s = 0; s < 2; s++)
        {
            HandObservation hand = frame.Hand((Handedness)s);
            float weight = _fades[s].Update(hand.Present, frame.CaptureTimestampUs);
            if (!_fades[s].EverSeen)
            {
                continue;
            }

            Quaternion[] bones = _fingers[s];
            if (hand.Present)
            {
                FingerRotations.Solve(hand.WorldLandmarks, hand.Side, bones);
            }

            for (int b = 0; b < bones.Length; b++)
            {
                start = Begin(osc);
                osc.WriteAddressAndTags("/VMC/Ext/Bone/Pos"u8, ",sfffffff"u8);
                osc.WriteString(s_fingerBones[s][b]);
                WritePose(osc, Vector3.Zero, Quaternion.Slerp(Quaternion.Identity, bones[b], weight));
                End(start);
            }
        }

        ReadOnlySpan<float> shapes = frame.Face.Blendshapes;
        for (int i = 0; i < s_blendNames.Length; i++)
        {
            start = Begin(osc);
            osc.WriteAddressAndTags("/VMC/Ext/Blend/Val"u8, ",sf"u8);
            osc.WriteString(s_blendNames[i]);
            osc.WriteFloat(shapes[i]);
            End(start);
        }

        start = Begin(osc);
        osc.WriteAddressAndTags("/VMC/Ext/Blend/Apply"u8, ","u8);
        End(start);
        return _buffer.WrittenSpan;
    }

    /// <summary>
    /// The local rotation of a Unity humanoid eye bone (<c>LeftEye</c>/<c>RightEye</c>) for an ARKit-convention
    /// yaw and pitch (<see cref="EyeAngles"/>, radians), for a normalized rig (VRM style: the avatar faces +Z,
    /// bones at rest have identity rotation). Unity's Y-then-X Euler turn (x = pitch, positive looks down;
    /// y = −yaw, since the avatar's left is −X and a positive Unity yaw turns toward +X): q = qY(−yaw) · qX(pitch).
    /// </summary>
    public static Quaternion EyeBoneRotation(float yaw, float pitch)
    {
        (float sy, float cy) = MathF.SinCos(-yaw / 2);
        (float sp, float cp) = MathF.SinCos(pitch / 2);
        return new Quaternion(cy * sp, sy * cp, -sy * sp, cy * cp);
    }

    public void Dispose()
    {
        _socket.Dispose();
        _buffer.Dispose();
    }

    private static void WritePose(OscWriter osc, Vector3 p, Quaternion q)
    {
        osc.WriteFloat(p.X);
        osc.WriteFloat(p.Y);
        osc.WriteFloat(p.Z);
        osc.WriteFloat(q.X);
        osc.WriteFloat(q.Y);
        osc.WriteFloat(q.Z);
        osc.WriteFloat(q.W);
    }

    /// <summary>Reserves an element's size field; returns where the element's content starts.</summary>
    private int Begin(OscWriter osc)
    {
        osc.ReserveSize();
        return _buffer.WrittenCount;
    }

    /// <summary>Patches the size field before <paramref name="start"/> (by offset: the buffer may have grown since).</summary>
    private void End(int start) =>
        BinaryPrimitives.WriteInt32BigEndian(_buffer.WrittenMutable.Slice(start - 4, 4), _buffer.WrittenCount - start);
}
