using System.Net;
using System.Numerics;
using System.Text.Json;
using Capture.Core.Frames;
using Capture.Core.Tracking;
using Capture.Media;
using Capture.Protocol.Schema;
using Capture.Server.Client;
using Capture.Testing;
using Capture.Tracking;

namespace Capture.Server.Tests;

/// <summary>
/// Live sessions whose character's body follows the performer's pose (issue 23 item 7): the Animated Drawings stick
/// figure driven by the shared gesture clip, tracked with the real pose model, through the real server and WebSockets,
/// looked at in the viewer's pixels, its alpha plane (the figure on nothing) included.
/// </summary>
public sealed class BodyLiveTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static string Drawing => SharedMedia.File("drawing_stick_char4");

    private const int Frames = 24;

    [Fact]
    public async Task DrawingSession_GestureClipDrivesTheBody_TheViewersArmsComeDownAsThePerformersHang()
    {
        // The performer: the clip's first frames tracked with the real pose model, before the session starts (its
        // performer timeout is the fixture's 3 s).
        List<TrackingFrame> tracked = await TrackAsync(SharedMedia.File("vid_body_fullbody_gesture_s13.mp4"), Frames);

        // The CLI's way: a folder goes up as a zip, which makes a body session.
        using var api = new LiveApi(server.BaseAddress, ServerFixture.ApiKey);
        LiveSessionInfo s = await api.CreateSessionAsync(Drawing, 256);
        Assert.EndsWith("&body=1", s.CapturePage, StringComparison.Ordinal);
        JsonElement state = await StateJsonAsync(s.Id);
        Assert.True(state.GetProperty("body").GetBoolean());
        Assert.Equal(256, state.GetProperty("size").GetInt32());
        int height = state.GetProperty("height").GetInt32();
        Assert.InRange(height, 540, 580); // the drawing's 720×1584 shape at 256 wide

        var frames = new List<byte[]>();
        var alphas = new List<(byte[] Jpeg, RenderedMatte? Matte)>();
        await using var viewer = new LiveViewer
        {
            OnFrame = (h, jpeg, _) => { lock (frames) { frames.Add(jpeg.ToArray()); } },
            OnAlpha = (h, alpha, matte) => { lock (alphas) { alphas.Add((alpha.ToArray(), matte)); } },
        };
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s, capabilities: ["face", "blendshapes", "headpose", "body"]);

        // First a frame with no body: the drawing at rest, its arms raised (its hands in the top corners).
        await performer.SendFrameAsync(0);
        await IngestTests.WaitUntilAsync(() => viewer.Frames.Count >= 1);

        // Then the performer, whose arms hang at the clip's start, one frame at a time, each rendered before the next (a
        // loaded machine must not drop any).
        TrackingFrame first = tracked[0];
        Assert.True(first.Body.Present && first.Body.HasWorld, "the pose tracker finds the performer, with world points");
        Vector4[] p = first.Body.Landmarks;
        Assert.True(p[BodyTopology.LeftWrist].Y > p[BodyTopology.LeftShoulder].Y && p[BodyTopology.RightWrist].Y > p[BodyTopology.RightShoulder].Y, "the performer's wrists hang below the shoulders");
        for (int i = 0; i < tracked.Count; i++)
        {
            await performer.SendFrameAsync(i + 1, tracked[i], LandmarkEncoding.Int16);
            int expected = i + 2;
            for (int wait = 0; wait < 300 && viewer.Frames.Count < expected; wait++)
            {
                await Task.Delay(100);
            }

            Assert.True(viewer.Frames.Count >= expected, $"frame {i + 1} not rendered within 30 s: {await StateJsonAsync(s.Id)}");
        }

        // A body with a point far outside the picture is refused and counted; the link stays.
        TrackingFrame bad = tracked[^1];
        bad.Body.Landmarks[BodyTopology.LeftWrist] = new Vector4(40, 0.5f, 0, 1);
        await performer.SendFrameAsync(Frames + 1, bad, LandmarkEncoding.Float32);
        await IngestTests.WaitUntilAsync(async () => (await StateJsonAsync(s.Id)).GetProperty("drops").GetProperty("malformed").GetInt64() >= 1);
        state = await StateJsonAsync(s.Id);
        Assert.Equal(Frames, state.GetProperty("framesWithBody").GetInt64());
        Assert.Equal(1, state.GetProperty("drops").GetProperty("malformed").GetInt64());
        Assert.Equal(System.Net.WebSockets.WebSocketState.Open, performer.Socket.State);
        await server.DeleteAsync(s.Id);

        RgbaImage rest = ImageFile.Decode("rest.jpg", frames[0], ImageLimits.Default);
        RgbaImage early = ImageFile.Decode("early.jpg", frames[3], ImageLimits.Default);
        RgbaImage driven = ImageFile.Decode("driven.jpg", frames[^1], ImageLimits.Default);
        Assert.Equal((256, height), (driven.Width, driven.Height));

        // The top corners (where the drawing's raised hands are) hold pencil at rest and paper once the arms come down.
        int handsAtRest = Dark(rest, 0, 24, 60, 130) + Dark(rest, 196, 24, 256, 130);
        int handsDriven = Dark(driven, 0, 24, 60, 130) + Dark(driven, 196, 24, 256, 130);
        Assert.True(handsAtRest > 200, $"the drawing's raised hands at rest: {handsAtRest} dark pixels");
        Assert.True(handsDriven < handsAtRest / 4, $"after the arms came down: {handsDriven} dark pixels up there, {handsAtRest} at rest");

        // The figure is there (the torso's pencil) and the frames keep changing as the performer moves.
        Assert.True(Dark(driven, 70, 180, 200, 390) > 250, "the torso's pencil is there");
        float moved = MeanDifference(early, driven);
        Assert.True(moved > 0.3f, $"frames 3 and {frames.Count - 1} differ by {moved:F2} levels on average");

        // Every frame carries the figure's alpha (the frame's shape, no matte: the RGB is the drawing over its own
        // paper), and it moves with the figure: opaque up in the raised hands at rest, transparent there once they came down.
        Assert.Equal(frames.Count, alphas.Count);
        Assert.All(alphas, a => Assert.Null(a.Matte));
        RgbaImage restAlpha = ImageFile.Decode("rest-alpha.jpg", alphas[0].Jpeg, ImageLimits.Default);
        RgbaImage drivenAlpha = ImageFile.Decode("driven-alpha.jpg", alphas[^1].Jpeg, ImageLimits.Default);
        Assert.Equal((256, height), (drivenAlpha.Width, drivenAlpha.Height));
        int raisedOpaque = Opaque(restAlpha, 0, 24, 60, 130) + Opaque(restAlpha, 196, 24, 256, 130);
        int loweredOpaque = Opaque(drivenAlpha, 0, 24, 60, 130) + Opaque(drivenAlpha, 196, 24, 256, 130);
        Assert.True(raisedOpaque > 200, $"the raised hands' alpha at rest: {raisedOpaque} opaque pixels");
        Assert.True(loweredOpaque < raisedOpaque / 4, $"after the arms came down: {loweredOpaque} opaque pixels up there, {raisedOpaque} at rest");
        Assert.True(Opaque(drivenAlpha, 110, 320, 150, 380) > 40 * 60 * 9 / 10, "the torso below the arms is opaque");
        int clear = (256 * height) - Opaque(drivenAlpha, 0, 0, 256, height, 10);
        Assert.True(clear > 256 * height / 2, $"only {clear} of {256 * height} pixels are transparent: the paper is not cut away");
    }

    [Fact]
    public async Task CreateSession_BodyNotABoolean_OrAPictureWithoutABody_SaysWhich()
    {
        using var form = new MultipartFormDataContent();
        using var picture = new ByteArrayContent(await File.ReadAllBytesAsync(ServerFixture.FaceCharacter));
        form.Add(picture, "character", "face.png");
        form.Add(new StringContent("legs"), "body");
        using HttpResponseMessage r = await server.Http.PostAsync("/api/live", form);
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.Contains("body 'legs'", await r.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A chessboard has no body: 422 naming the upload, not a server path.
        using var api = new LiveApi(server.BaseAddress, ServerFixture.ApiKey);
        LiveApiException refused = await Assert.ThrowsAsync<LiveApiException>(() => api.CreateSessionAsync(ServerFixture.FacelessPicture, 256, body: true));
        Assert.Contains("no body", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Path.GetTempPath(), refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateSession_ZipToldByContentAsJobsTellIt_ZipNamedBinIsADrawing_PictureNamedZipAPicture()
    {
        // A zip of the drawing's folder uploaded as character.bin, no body field: a body session, as a job makes it.
        string dir = Directory.CreateTempSubdirectory("capture-live-zip-").FullName;
        try
        {
            string zip = Path.Combine(dir, "character.bin");
            System.IO.Compression.ZipFile.CreateFromDirectory(Drawing, zip);
            string id = await CreateAsync(zip, "character.bin");
            Assert.True((await StateJsonAsync(id)).GetProperty("body").GetBoolean());
            await server.DeleteAsync(id);

            // The face picture uploaded as face.zip: a picture (a face session), not "not a readable zip".
            id = await CreateAsync(ServerFixture.FaceCharacter, "face.zip");
            Assert.False((await StateJsonAsync(id)).GetProperty("body").GetBoolean());
            await server.DeleteAsync(id);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }

        async Task<string> CreateAsync(string path, string name)
        {
            using var form = new MultipartFormDataContent();
            using var file = new ByteArrayContent(await File.ReadAllBytesAsync(path));
            form.Add(file, "character", name);
            form.Add(new StringContent("256"), "size");
            using HttpResponseMessage r = await server.Http.PostAsync("/api/live", form);
            string text = await r.Content.ReadAsStringAsync();
            Assert.True(r.StatusCode == HttpStatusCode.Created, $"{name}: {(int)r.StatusCode} {text}");
            using JsonDocument doc = JsonDocument.Parse(text);
            return doc.RootElement.GetProperty("id").GetString()!;
        }
    }

    private async Task<JsonElement> StateJsonAsync(string id)
    {
        using HttpResponseMessage r = await server.Http.GetAsync($"/api/live/{id}");
        using JsonDocument doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    private static async Task<List<TrackingFrame>> TrackAsync(string clip, int count)
    {
        using Tracker tracker = await Tracker.CreateAsync(new TrackerOptions { Face = true, Body = true, Threads = 2 });
        await using IFrameSource source = await FrameSources.OpenFileAsync(clip, new FrameSourceOptions { PoolCapacity = 2 });
        var tracked = new List<TrackingFrame>();
        while (tracked.Count < count && await source.ReadAsync(CancellationToken.None) is { } frame)
        {
            using (frame)
            {
                var result = new TrackingFrame();
                tracker.Process(frame, result);
                tracked.Add(result);
            }
        }

        return tracked;
    }

    // Pencil: the mean of RGB under 110.
    private static int Dark(RgbaImage picture, int x0, int y0, int x1, int y1)
    {
        int n = 0;
        for (int y = y0; y < Math.Min(y1, picture.Height); y++)
        {
            for (int x = x0; x < Math.Min(x1, picture.Width); x++)
            {
                int o = ((y * picture.Width) + x) * 4;
                n += picture.Pixels[o] + picture.Pixels[o + 1] + picture.Pixels[o + 2] < 330 ? 1 : 0;
            }
        }

        return n;
    }

    // Alpha pixels (a decoded greyscale JPEG) at or above `level`.
    private static int Opaque(RgbaImage alpha, int x0, int y0, int x1, int y1, int level = 245)
    {
        int n = 0;
        for (int y = y0; y < Math.Min(y1, alpha.Height); y++)
        {
            for (int x = x0; x < Math.Min(x1, alpha.Width); x++)
            {
                n += alpha.Pixels[((y * alpha.Width) + x) * 4] >= level ? 1 : 0;
            }
        }

        return n;
    }

    private static float MeanDifference(RgbaImage a, RgbaImage b)
    {
        long sum = 0;
        for (int i = 0; i < a.Pixels.Length; i++)
        {
            sum += Math.Abs(a.Pixels[i] - b.Pixels[i]);
        }

        return sum / (float)a.Pixels.Length;
    }
}
