using System.Buffers;
using System.Text.Json;
using Capture.Protocol.Schema;
using Microsoft.Playwright;

namespace Capture.Server.Tests.Pages;

/// <summary>
/// The pages' own protocol module (wwwroot/live-protocol.js over the served @msgpack/msgpack), run in
/// Chromium, against Capture.Protocol: what the capture page writes, ProtocolReader reads exactly; what
/// ProtocolWriter writes for viewers, the page reads exactly.
/// </summary>
[Collection(LivePagesCollection.Name)]
[Trait("Category", "Browser")]
public sealed class LiveProtocolJsTests(LivePagesFixture fixture)
{
    private const float Quantum = 1f / 16384;

    [Fact]
    public async Task PacketWriter_HelloAndTrackingFrames_ReadByProtocolReader()
    {
        await using IBrowserContext context = await fixture.Browser.NewContextAsync();
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(fixture.PageUri("/healthz").ToString());
        // Landmark i = (i / 468, 1 − i / 468, −0.05 + i / 4680); a few special values on purpose:
        // 7 saturates high (2.5 → 32767/16384), 8 saturates low (−3 → −2), 9 has a NaN (→ 0).
        JsonElement packets = await page.EvaluateAsync<JsonElement>(
            """
            async () => {
              const p = await import('/live-protocol.js');
              const w = new p.PacketWriter();
              const lm = [];
              for (let i = 0; i < 468; i++) { lm.push({ x: i / 468, y: 1 - (i / 468), z: -0.05 + (i / 4680) }); }
              lm[7] = { x: 2.5, y: 0.5, z: 0 };
              lm[8] = { x: -3, y: 0.5, z: 0 };
              lm[9] = { x: NaN, y: 0.5, z: 0 };
              const hex = (u8) => Array.from(u8, (b) => b.toString(16).padStart(2, '0')).join('');
              const now = p.epochUs();
              // Read beside it, before the packing (which can take a loaded machine hundreds of milliseconds).
              const dateNowUs = Date.now() * 1000;
              return {
                hello: hex(w.hello(['face'], 'browser', 'tok3n')),
                face: hex(w.trackingFrame(41, now, 640, 480, lm)),
                none: hex(w.trackingFrame(42, now + 33333, 640, 480, null)),
                bye: hex(w.bye('done')),
                now,
                dateNowUs,
              };
            }
            """);

        var reader = new ProtocolReader();
        Assert.Equal(MessageKind.Hello, reader.Read(Hex(packets, "hello")));
        Assert.Equal(new[] { "face" }, reader.Hello!.Capabilities);
        Assert.Equal("browser", reader.Hello.PerformerId);
        Assert.Equal("tok3n", reader.Hello.AuthToken);

        long now = (long)packets.GetProperty("now").GetDouble();
        // Unix-epoch microseconds, on the same clock as Date.now() (within the page's few milliseconds).
        Assert.InRange(now - (long)packets.GetProperty("dateNowUs").GetDouble(), -50_000, 50_000);
        Assert.InRange(now - (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000), -60_000_000, 1_000_000);

        Assert.Equal(MessageKind.TrackingFrame, reader.Read(Hex(packets, "face")));
        Assert.Equal(41, reader.Frame.Sequence);
        Assert.Equal(now, reader.Frame.CaptureTimestampUs);
        Assert.Equal((640, 480), (reader.Frame.ImageWidth, reader.Frame.ImageHeight));
        Assert.True(reader.Frame.Face.Present);
        Assert.False(reader.Frame.Body.Present);
        for (int i = 0; i < 468; i++)
        {
            if (i is 7 or 8 or 9)
            {
                continue;
            }

            System.Numerics.Vector3 p = reader.Frame.Face.Landmarks[i];
            Assert.Equal(i / 468f, p.X, Quantum);
            Assert.Equal(1 - (i / 468f), p.Y, Quantum);
            Assert.Equal(-0.05f + (i / 4680f), p.Z, Quantum);
        }

        Assert.Equal(32767f / 16384, reader.Frame.Face.Landmarks[7].X);
        Assert.Equal(-2f, reader.Frame.Face.Landmarks[8].X);
        Assert.Equal(0f, reader.Frame.Face.Landmarks[9].X);
        Assert.All(reader.Frame.Face.Blendshapes, b => Assert.Equal(0f, b));
        Assert.Equal(System.Numerics.Quaternion.Identity, reader.Frame.Face.HeadPose.Rotation);

        Assert.Equal(MessageKind.TrackingFrame, reader.Read(Hex(packets, "none")));
        Assert.Equal(42, reader.Frame.Sequence);
        Assert.Equal(now + 33333, reader.Frame.CaptureTimestampUs);
        Assert.False(reader.Frame.Face.Present);

        Assert.Equal(MessageKind.Bye, reader.Read(Hex(packets, "bye")));
        Assert.Equal("done", reader.Bye!.Reason);
    }

    [Fact]
    public async Task PacketReader_ServerMessages_ReadExactly_AndBadOnesNamed()
    {
        var output = new ArrayBufferWriter<byte>();
        byte[] jpeg = [0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9];
        // Timestamps above 2^32, as live ones are (Unix µs): the page must get them exactly.
        ProtocolWriter.WriteRenderedFrame(output, new RenderedFrameHeader(77, 1_796_058_826_226_200, 1_796_058_826_259_900, 256, 256), jpeg);
        string rendered = Convert.ToHexString(output.WrittenSpan);
        output.Clear();
        ProtocolWriter.WriteAudioChunk(output, new AudioChunkHeader(3, 1_000_000, 48000, 1), [0x00, 0x00, 0xff, 0x7f]);
        string audio = Convert.ToHexString(output.WrittenSpan);
        output.Clear();
        ProtocolWriter.WriteBye(output, new ByeMessage("session ended"));
        string bye = Convert.ToHexString(output.WrittenSpan);

        await using IBrowserContext context = await fixture.Browser.NewContextAsync();
        IPage page = await context.NewPageAsync();
        await page.GotoAsync(fixture.PageUri("/healthz").ToString());
        JsonElement read = await page.EvaluateAsync<JsonElement>(
            """
            async (h) => {
              const p = await import('/live-protocol.js');
              const r = new p.PacketReader();
              const bytes = (hex) => new Uint8Array(hex.match(/../g).map((b) => parseInt(b, 16))).buffer;
              const f = r.read(bytes(h.rendered));
              const a = r.read(bytes(h.audio));
              return {
                rendered: { kind: f.kind, seq: f.seq, captureUs: String(f.captureUs), renderedUs: String(f.renderedUs), width: f.width, height: f.height, jpeg: Array.from(f.jpeg) },
                audio: { kind: a.kind, seq: a.seq, rate: a.rate, channels: a.channels, pcm: Array.from(a.pcm) },
                bye: r.read(bytes(h.bye)),
                major2: r.read(bytes('93020600')).error,
                notArray: r.read(bytes('a3616263')).error,
                truncated: r.read(bytes(h.rendered.slice(0, 20))).error,
                oddAudio: r.read(bytes('970103030a cdbb80 01 c403000000'.replace(/ /g, ''))).error,
              };
            }
            """,
            new { rendered, audio, bye });

        JsonElement f = read.GetProperty("rendered");
        Assert.Equal(7, f.GetProperty("kind").GetInt32());
        Assert.Equal(77, f.GetProperty("seq").GetInt32());
        Assert.Equal("1796058826226200", f.GetProperty("captureUs").GetString());
        Assert.Equal("1796058826259900", f.GetProperty("renderedUs").GetString());
        Assert.Equal(256, f.GetProperty("width").GetInt32());
        Assert.Equal(jpeg, f.GetProperty("jpeg").EnumerateArray().Select(b => (byte)b.GetInt32()).ToArray());

        JsonElement a = read.GetProperty("audio");
        Assert.Equal((3, 3, 48000, 1), (a.GetProperty("kind").GetInt32(), a.GetProperty("seq").GetInt32(), a.GetProperty("rate").GetInt32(), a.GetProperty("channels").GetInt32()));
        Assert.Equal(new[] { 0, 0, 255, 127 }, a.GetProperty("pcm").EnumerateArray().Select(b => b.GetInt32()).ToArray());

        Assert.Equal("session ended", read.GetProperty("bye").GetProperty("reason").GetString());
        Assert.Contains("protocol major 2", read.GetProperty("major2").GetString(), StringComparison.Ordinal);
        Assert.Contains("not a protocol envelope", read.GetProperty("notArray").GetString(), StringComparison.Ordinal);
        Assert.Contains("not MessagePack", read.GetProperty("truncated").GetString(), StringComparison.Ordinal);
        Assert.Contains("AudioChunk with 48000 Hz, 1 channels, 3 bytes", read.GetProperty("oddAudio").GetString(), StringComparison.Ordinal);
    }

    private static byte[] Hex(JsonElement packets, string name) => Convert.FromHexString(packets.GetProperty(name).GetString()!);
}
