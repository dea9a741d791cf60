using System.Numerics;
using System.Text.Json;
using Capture.Core.Tracking;
using Capture.Protocol.Schema;
using Microsoft.Playwright;

namespace Capture.Server.Tests.Pages;

/// <summary>
/// The capture page's body (protocol v1.3: image points with visibility, world points) as live-protocol.js writes it,
/// run in Chromium and read by Capture.Protocol's ProtocolReader; a malformed body is left out, never sent for the
/// server to refuse.
/// </summary>
[Collection(LivePagesCollection.Name)]
[Trait("Category", "Browser")]
public sealed class LiveProtocolJsBodyTests(LivePagesFixture fixture)
{
    [Fact]
    public async Task PacketWriter_Body_ReadByProtocolReaderExactly_MalformedBodiesLeftOut()
    {
        await using IBrowserContext context = await fixture.Browser.NewContextAsync();
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(fixture.PageUri("/healthz").ToString());
        // Point i = (0.25 + i / 64, 0.75 − i / 128, −i / 256, visibility i / 32), world (i / 64, −i / 32, 0.125): exact in float32.
        JsonElement packets = await page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const p = await import('/live-protocol.js');
              const w = new p.PacketWriter();
              const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
              const landmarks = Array.from({ length: 33 }, (_, i) => ({ x: 0.25 + (i / 64), y: 0.75 - (i / 128), z: -i / 256, visibility: i / 32 }));
              const world = Array.from({ length: 33 }, (_, i) => ({ x: i / 64, y: -i / 32, z: 0.125 }));
              const body = { score: 1, landmarks, world };
              return {
                withWorld: hex(w.trackingFrame(1, 1000000, 640, 480, null, null, body)),
                noWorld: hex(w.trackingFrame(2, 1033333, 640, 480, null, null, { score: 0.5, landmarks, world: null })),
                none: hex(w.trackingFrame(3, 1066666, 640, 480, null, null, null)),
                short: hex(w.trackingFrame(4, 1100000, 640, 480, null, null, { ...body, landmarks: landmarks.slice(0, 32) })),
                nanPoint: hex(w.trackingFrame(5, 1133333, 640, 480, null, null, { ...body, landmarks: landmarks.map((q, i) => (i === 7 ? { ...q, y: NaN } : q)) })),
                nanWorld: hex(w.trackingFrame(6, 1166666, 640, 480, null, null, { ...body, world: world.map((q, i) => (i === 9 ? { ...q, z: Infinity } : q)) })),
                nanScore: hex(w.trackingFrame(7, 1200000, 640, 480, null, null, { ...body, score: NaN })),
              };
            }
            """);

        var reader = new ProtocolReader();
        Assert.Equal(MessageKind.TrackingFrame, reader.Read(Hex(packets, "withWorld")));
        BodyObservation b = reader.Frame.Body;
        Assert.True(b.Present && b.HasWorld);
        Assert.Equal(1f, b.Score);
        for (int i = 0; i < TrackingFrame.BodyLandmarkCount; i++)
        {
            Assert.Equal(new Vector4(0.25f + (i / 64f), 0.75f - (i / 128f), -i / 256f, i / 32f), b.Landmarks[i]);
            Assert.Equal(new Vector3(i / 64f, -i / 32f, 0.125f), b.WorldLandmarks[i]);
        }

        Assert.Equal(MessageKind.TrackingFrame, reader.Read(Hex(packets, "noWorld")));
        Assert.True(reader.Frame.Body.Present);
        Assert.False(reader.Frame.Body.HasWorld);
        Assert.Equal(0.5f, reader.Frame.Body.Score);
        Assert.Equal(new Vector4(0.25f, 0.75f, 0, 0), reader.Frame.Body.Landmarks[0]);

        // No body, or a malformed one: the body field is nil and the rest of the frame goes.
        foreach (string name in new[] { "none", "short", "nanPoint", "nanWorld", "nanScore" })
        {
            Assert.Equal(MessageKind.TrackingFrame, reader.Read(Hex(packets, name)));
            Assert.False(reader.Frame.Body.Present, name);
        }
    }

    private static byte[] Hex(JsonElement packets, string name) => Convert.FromHexString(packets.GetProperty(name).GetString()!);
}
