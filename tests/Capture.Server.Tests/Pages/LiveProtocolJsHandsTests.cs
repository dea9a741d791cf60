using System.Numerics;
using System.Text.Json;
using Capture.Core.Tracking;
using Capture.Protocol.Schema;
using Microsoft.Playwright;

namespace Capture.Server.Tests.Pages;

/// <summary>
/// The capture page's hands (protocol v1.4) as live-protocol.js writes them, run in Chromium and read by
/// Capture.Protocol's ProtocolReader; a malformed hand is left out, never sent for the server to refuse.
/// </summary>
[Collection(LivePagesCollection.Name)]
[Trait("Category", "Browser")]
public sealed class LiveProtocolJsHandsTests(LivePagesFixture fixture)
{
    private const float Quantum = 1f / 16384;

    [Fact]
    public async Task PacketWriter_Hands_ReadByProtocolReader_MalformedHandsLeftOut()
    {
        await using IBrowserContext context = await fixture.Browser.NewContextAsync();
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(fixture.PageUri("/healthz").ToString());
        // Left hand point i = (0.6 + i / 100, 0.5 − i / 200, −i / 1000), world (i / 1000, −i / 500, 0.01); the right
        // hand is the left one shifted 0.4 to the left, without world points (the page then sends zeros).
        JsonElement packets = await page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const p = await import('/live-protocol.js');
              const w = new p.PacketWriter();
              const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
              const pts = (dx) => Array.from({ length: 21 }, (_, i) => ({ x: 0.6 + (i / 100) + dx, y: 0.5 - (i / 200), z: -i / 1000 }));
              const world = Array.from({ length: 21 }, (_, i) => ({ x: i / 1000, y: -i / 500, z: 0.01 }));
              const left = { score: 0.875, handedness: 0.75, landmarks: pts(0), world };
              const right = { score: 0.5, handedness: 0.625, landmarks: pts(-0.4), world: null };
              const short = { ...left, landmarks: pts(0).slice(0, 20) };
              const nan = { ...left, landmarks: pts(0).map((q, i) => (i === 3 ? { x: NaN, y: 0, z: 0 } : q)) };
              const nanWorld = { ...left, world: world.map((q, i) => (i === 5 ? { x: 0, y: Infinity, z: 0 } : q)) };
              const nanScore = { ...left, score: NaN };
              return {
                hello: hex(w.hello(['face', 'hands'], 'browser', 't')),
                both: hex(w.trackingFrame(1, 1000000, 640, 480, null, { left, right })),
                leftOnly: hex(w.trackingFrame(2, 1033333, 640, 480, null, { left, right: null })),
                none: hex(w.trackingFrame(3, 1066666, 640, 480, null, null)),
                shortHand: hex(w.trackingFrame(4, 1100000, 640, 480, null, { left: short, right })),
                nanHand: hex(w.trackingFrame(5, 1133333, 640, 480, null, { left: nan, right: null })),
                nanWorld: hex(w.trackingFrame(6, 1166666, 640, 480, null, { left: nanWorld, right: null })),
                nanScore: hex(w.trackingFrame(7, 1200000, 640, 480, null, { left: nanScore, right: null })),
              };
            }
            """);

        var reader = new ProtocolReader();
        Assert.Equal(MessageKind.Hello, reader.Read(Hex(packets, "hello")));
        // The page speaks the schema's current minor (hands need v1.4 or later).
        Assert.Equal(ProtocolVersion.Minor, reader.Hello!.Minor);
        Assert.Equal(new[] { "face", "hands" }, reader.Hello.Capabilities);

        Assert.Equal(MessageKind.TrackingFrame, reader.Read(Hex(packets, "both")));
        TrackingFrame f = reader.Frame;
        Assert.False(f.Face.Present);
        Assert.True(f.LeftHand.Present && f.RightHand.Present);
        Assert.Equal(0.875f, f.LeftHand.Score);
        Assert.Equal(0.75f, f.LeftHand.HandednessScore);
        Assert.Equal(0.5f, f.RightHand.Score);
        Assert.Equal(0.625f, f.RightHand.HandednessScore);
        for (int i = 0; i < TrackingFrame.HandLandmarkCount; i++)
        {
            Vector3 l = f.LeftHand.Landmarks[i], r = f.RightHand.Landmarks[i];
            Assert.Equal(0.6f + (i / 100f), l.X, Quantum);
            Assert.Equal(0.5f - (i / 200f), l.Y, Quantum);
            Assert.Equal(-i / 1000f, l.Z, Quantum);
            Assert.Equal(0.2f + (i / 100f), r.X, Quantum);
            Assert.Equal(new Vector3(i / 1000f, -i / 500f, 0.01f), f.LeftHand.WorldLandmarks[i]);
            Assert.Equal(Vector3.Zero, f.RightHand.WorldLandmarks[i]);
        }

        Assert.Equal(MessageKind.TrackingFrame, reader.Read(Hex(packets, "leftOnly")));
        Assert.True(reader.Frame.LeftHand.Present);
        Assert.False(reader.Frame.RightHand.Present);

        // No hands: the v1.0 nil, byte for byte the frame an older page sent (18 bytes with no face).
        byte[] none = Hex(packets, "none");
        Assert.Equal(MessageKind.TrackingFrame, reader.Read(none));
        Assert.False(reader.Frame.LeftHand.Present || reader.Frame.RightHand.Present);
        Assert.Equal(0xc0, none[^1]);

        // A hand of 20 points or with a NaN is left out; the other hand still goes.
        Assert.Equal(MessageKind.TrackingFrame, reader.Read(Hex(packets, "shortHand")));
        Assert.False(reader.Frame.LeftHand.Present);
        Assert.True(reader.Frame.RightHand.Present);
        foreach (string name in new[] { "nanHand", "nanWorld", "nanScore" })
        {
            byte[] packet = Hex(packets, name);
            Assert.Equal(MessageKind.TrackingFrame, reader.Read(packet));
            Assert.False(reader.Frame.LeftHand.Present, name);
            Assert.Equal(0xc0, packet[^1]);
        }
    }

    private static byte[] Hex(JsonElement packets, string name) => Convert.FromHexString(packets.GetProperty(name).GetString()!);
}
