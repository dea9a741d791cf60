using System.Buffers;
using System.Net;
using System.Numerics;
using System.Text.Json;
using Capture.Core.Tracking;
using Capture.Protocol.Schema;
using Capture.Server.Client;
using MessagePack;

namespace Capture.Server.Tests;

/// <summary>Live sessions with hands (protocol v1.4): the session's flag, the frames counted, bad hands refused.</summary>
public sealed class HandsIngestTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static TrackingFrame WithLeftHand(float x = 0.6f)
    {
        var frame = new TrackingFrame { ImageWidth = 640, ImageHeight = 480 };
        frame.LeftHand.Present = true;
        frame.LeftHand.Score = 0.9f;
        frame.LeftHand.HandednessScore = 0.8f;
        for (int i = 0; i < TrackingFrame.HandLandmarkCount; i++)
        {
            frame.LeftHand.Landmarks[i] = new Vector3(x + (0.005f * i), 0.4f, 0);
            frame.LeftHand.WorldLandmarks[i] = new Vector3(0.001f * i, -0.002f * i, 0);
        }

        return frame;
    }

    private async Task<JsonElement> StateJsonAsync(string id)
    {
        using HttpResponseMessage r = await server.Http.GetAsync($"/api/live/{id}");
        using JsonDocument doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task SessionWithHands_CapturePageAsksForThemAndFramesWithHandsAreCounted_BadHandsDroppedAsMalformed()
    {
        using var api = new LiveApi(server.BaseAddress, ServerFixture.ApiKey);
        LiveSessionInfo s = await api.CreateSessionAsync(ServerFixture.FaceCharacter, 256, hands: true);
        Assert.EndsWith("&hands=1", s.CapturePage, StringComparison.Ordinal);
        Assert.True((await StateJsonAsync(s.Id)).GetProperty("hands").GetBoolean());

        await using var viewer = new LiveViewer();
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s, capabilities: ["face", "blendshapes", "headpose", "hands"]);
        await performer.SendFrameAsync(0, WithLeftHand(), LandmarkEncoding.Float32);

        // A hand with 20 points, one with a NaN point and one far outside the picture: each dropped and counted, the link stays.
        await performer.SendRawAsync(HandsFrame(points: 20, x: 0.5f));
        await performer.SendRawAsync(HandsFrame(points: 21, x: float.NaN));
        await performer.SendFrameAsync(1, WithLeftHand(x: 30f), LandmarkEncoding.Float32);
        await performer.SendFrameAsync(2, WithLeftHand(), LandmarkEncoding.Int16);
        await performer.SendFrameAsync(3);
        await IngestTests.WaitUntilAsync(async () => (await StateJsonAsync(s.Id)).GetProperty("framesReceived").GetInt64() >= 3);

        JsonElement state = await StateJsonAsync(s.Id);
        Assert.Equal(3, state.GetProperty("framesReceived").GetInt64());
        Assert.Equal(2, state.GetProperty("framesWithHands").GetInt64());
        Assert.Equal(3, state.GetProperty("drops").GetProperty("malformed").GetInt64());
        Assert.True(state.GetProperty("performerConnected").GetBoolean());
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, performer.Socket.State);
        await server.DeleteAsync(s.Id);
    }

    [Fact]
    public async Task CreateSession_HandsNotABoolean_BadRequestNamingIt()
    {
        using var form = new MultipartFormDataContent();
        using var picture = new ByteArrayContent(await File.ReadAllBytesAsync(ServerFixture.FaceCharacter));
        form.Add(picture, "character", "face.png");
        form.Add(new StringContent("both"), "hands");
        using HttpResponseMessage r = await server.Http.PostAsync("/api/live", form);

        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("hands 'both'", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    /// <summary>A tracking frame whose left hand has <paramref name="points"/> float32 points at (x, 0.4, 0).</summary>
    private static byte[] HandsFrame(int points, float x)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(9);
        w.Write(1);
        w.Write(2);
        w.Write(9);
        w.Write(Core.Timing.UnixClock.NowUs);
        w.Write(640);
        w.Write(480);
        w.WriteNil();
        w.WriteNil();
        w.WriteArrayHeader(2);
        w.WriteArrayHeader(4);
        w.Write(0.9f);
        w.Write(0.8f);
        float[] xyz = [.. Enumerable.Range(0, points).SelectMany(_ => new[] { x, 0.4f, 0f })];
        w.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(xyz.AsSpan()));
        w.Write(new byte[TrackingFrame.HandLandmarkCount * 12]);
        w.WriteNil();
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }
}
