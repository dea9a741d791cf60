using Capture.Core.Frames;
using Capture.Media;
using Capture.Pipeline;
using Capture.Protocol.Schema;
using Capture.Retargeting.Rigs;
using Capture.Server.Client;
using Capture.Testing;

namespace Capture.Server.Tests;

/// <summary>
/// Rendered frames carry the character's alpha to viewers (protocol v1.5, issue 21): a picture's own alpha, or its
/// figure cut out; and a session keeps the character alive while the performer's face is lost (idle=0 turns it off).
/// </summary>
public sealed class AlphaViewerTests(ServerFixture server, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<ServerFixture>
{
    private readonly List<string> _diagnostics = [];

    /// <summary>A Ren'Py sprite with its own alpha (transparent around the figure).</summary>
    public static string Sprite => SharedMedia.File("char_anime_eileen_renpy.png");

    [Fact]
    public async Task PictureWithAlpha_ViewerGetsThatAlphaPixelForPixelAndTheGreyMatte()
    {
        using var api = new LiveApi(server.BaseAddress, ServerFixture.ApiKey);
        LiveSessionInfo s = await api.CreateSessionAsync(Sprite, 256);
        (byte[] alpha, RenderedMatte? matte, ViewedFrame frame) = await FirstAlphaAsync(s);
        await server.DeleteAsync(s.Id);

        // What the viewer got, decoded, against the picture's own alpha sampled over the same crop (the character at
        // rest: no performer face yet, so the warp moves nothing).
        RgbaImage decoded = ImageFile.Decode("alpha.jpg", alpha, ImageLimits.Default);
        Assert.Equal((256, 256), (decoded.Width, decoded.Height));
        CharacterRig rig = await CharacterLoader.LoadAsync(Sprite, null, 1024);
        var planar = new float[4 * 256 * 256];
        rig.SampleCrop(256, planar);
        int plane = 256 * 256, off = 0, transparent = 0, opaque = 0;
        double sum = 0;
        for (int i = 0; i < plane; i++)
        {
            int expected = (int)MathF.Round(planar[(3 * plane) + i] * 255);
            int d = Math.Abs(decoded.Pixels[i * 4] - expected);
            sum += d;
            off += d > 24 ? 1 : 0;
            transparent += expected == 0 ? 1 : 0;
            opaque += expected == 255 ? 1 : 0;
        }

        Assert.True(transparent > plane / 10 && opaque > plane / 10, $"{transparent} transparent, {opaque} opaque: not a figure on nothing");
        Assert.True(sum / plane < 2, $"mean alpha error {sum / plane:F2} levels");
        Assert.True(off < plane / 100, $"{off} pixels more than 24 levels off");
        Assert.Equal(new RenderedMatte(235, 235, 235), matte);
        Assert.True(frame.AlphaBytes > 0 && frame.AlphaBytes < frame.JpegBytes, $"alpha {frame.AlphaBytes} bytes, RGB {frame.JpegBytes}");
    }

    [Fact]
    public async Task OpaquePortrait_ViewerGetsItsFigureCutOutAndNoMatte()
    {
        using var api = new LiveApi(server.BaseAddress, ServerFixture.ApiKey);
        LiveSessionInfo s = await api.CreateSessionAsync(SharedMedia.File("char_cartoon3d_boy_s7.jpg"), 256);
        (byte[] alpha, RenderedMatte? matte, _) = await FirstAlphaAsync(s);
        await server.DeleteAsync(s.Id);

        RgbaImage decoded = ImageFile.Decode("alpha.jpg", alpha, ImageLimits.Default);
        int figure = 0;
        for (int i = 0; i < 256 * 256; i++)
        {
            figure += decoded.Pixels[i * 4] >= 128 ? 1 : 0;
        }

        // The boy's head on a flat backdrop: the face is figure, the top corners are backdrop, and neither fills the frame.
        Assert.True(figure is > 256 * 256 / 5 and < 256 * 256 * 9 / 10, $"figure covers {figure} of {256 * 256} pixels");
        Assert.True(decoded.Pixels[((128 * 256) + 128) * 4] > 245, "the face centre is not opaque");
        Assert.True(decoded.Pixels[((3 * 256) + 3) * 4] < 10 && decoded.Pixels[((3 * 256) + 252) * 4] < 10, "the top corners are not transparent");
        Assert.Null(matte); // the RGB is the picture's own, backdrop included
    }

    [Fact]
    public async Task FaceLost_FramesKeepChanging_ButNotWithIdleOff()
    {
        double withIdle = await MeanChangeWhileLostAsync(idle: true);
        double withoutIdle = await MeanChangeWhileLostAsync(idle: false);
        _diagnostics.ForEach(output.WriteLine);
        output.WriteLine($"mean change a frame while the face is lost: idle on {withIdle:F3}, off {withoutIdle:F3} levels");
        Assert.True(withIdle > 0.05, $"frames without a face change by {withIdle:F3} levels on average: the character is still; {string.Join("; ", _diagnostics)}");
        Assert.True(withoutIdle < withIdle / 4, $"idle off: frames change by {withoutIdle:F3} levels, idle on {withIdle:F3}");
    }

    // The performer's face calibrates the session, then 2 s of frames without a face at 30 fps; the mean absolute
    // difference between consecutive rendered frames (levels) after the face has faded out.
    private async Task<double> MeanChangeWhileLostAsync(bool idle)
    {
        // Tracked before the session exists: the fixture ends a session whose performer is silent for 3 s.
        Capture.Core.Tracking.TrackingFrame face = await LiveFaceFrames.FaceAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ServerFixture.ApiKey);
        using var form = new MultipartFormDataContent();
        using var picture = new ByteArrayContent(await File.ReadAllBytesAsync(ServerFixture.FaceCharacter));
        form.Add(picture, "character", "face.png");
        form.Add(new StringContent(idle ? "1" : "0"), "idle");
        using HttpResponseMessage created = await http.PostAsync("/api/live", form);
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);
        LiveSessionInfo s = (await System.Net.Http.Json.HttpContentJsonExtensions.ReadFromJsonAsync<LiveSessionInfo>(created.Content, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)))!;

        var frames = new List<(long Seq, byte[] Jpeg)>();
        await using var viewer = new LiveViewer { OnFrame = (h, jpeg, _) => { lock (frames) { frames.Add((h.Sequence, jpeg.ToArray())); } } };
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s);
        long seq = 0;
        for (int i = 0; i < 12; i++)
        {
            // One at a time, each rendered before the next: a loaded machine must not drop the frames that calibrate.
            await performer.SendFrameAsync(seq++, face);
            int expected = i + 1;
            await IngestTests.WaitUntilAsync(() => viewer.Frames.Count >= expected);
        }

        int before = frames.Count;
        for (int i = 0; i < 60; i++)
        {
            await performer.SendFrameAsync(seq++);
            await Task.Delay(33);
        }

        // Frames may be dropped when rendering falls behind (the ingest keeps the newest); most arrive.
        await IngestTests.WaitUntilAsync(() => viewer.Frames.Count >= 45);
        await Task.Delay(500);
        SessionState state = (await server.StateAsync(s.Id))!;
        await server.DeleteAsync(s.Id);
        List<byte[]> lost;
        lock (frames)
        {
            // Skip the first half second without a face: the face fading out.
            lost = [.. frames.Skip(before + 15).Select(f => f.Jpeg)];
        }

        string seen = $"{frames.Count} frames ({before} while the face was sent), {lost.Count} judged, {lost.Select(Convert.ToBase64String).Distinct().Count()} distinct; session {state}";
        _diagnostics.Add($"idle={idle}: {seen}");
        Assert.True(lost.Count >= 20, $"only {lost.Count} frames rendered without a face: {seen}");
        double total = 0;
        RgbaImage previous = ImageFile.Decode("f.jpg", lost[0], ImageLimits.Default);
        for (int k = 1; k < lost.Count; k++)
        {
            RgbaImage next = ImageFile.Decode("f.jpg", lost[k], ImageLimits.Default);
            long d = 0;
            for (int i = 0; i < next.Pixels.Length; i += 4)
            {
                d += Math.Abs(next.Pixels[i] - previous.Pixels[i]) + Math.Abs(next.Pixels[i + 1] - previous.Pixels[i + 1]) + Math.Abs(next.Pixels[i + 2] - previous.Pixels[i + 2]);
            }

            total += d / (3.0 * next.Width * next.Height);
            previous = next;
        }

        return total / (lost.Count - 1);
    }

    private static async Task<(byte[] Alpha, RenderedMatte? Matte, ViewedFrame Frame)> FirstAlphaAsync(LiveSessionInfo s)
    {
        byte[]? alpha = null;
        RenderedMatte? matte = null;
        await using var viewer = new LiveViewer
        {
            OnAlpha = (_, a, m) =>
            {
                if (alpha is null)
                {
                    matte = m;
                    alpha = a.ToArray();
                }
            },
        };
        await viewer.ConnectAsync(new Uri(s.FramesUrl));
        await using TestPerformer performer = await TestPerformer.ConnectAsync(s);
        await performer.SendFrameAsync(0); // no face: the character at rest
        await IngestTests.WaitUntilAsync(() => viewer.Frames.Count >= 1);
        Assert.NotNull(alpha);
        return (alpha, matte, viewer.Frames[0]);
    }
}

/// <summary>A real face for live tests: the first frame of the shared talking clip, tracked once a process.</summary>
internal static class LiveFaceFrames
{
    private static Task<Capture.Core.Tracking.TrackingFrame>? s_face;

    public static Task<Capture.Core.Tracking.TrackingFrame> FaceAsync() => s_face ??= TrackAsync();

    private static async Task<Capture.Core.Tracking.TrackingFrame> TrackAsync()
    {
        using Capture.Tracking.Tracker tracker = await Capture.Tracking.Tracker.CreateAsync(new Capture.Tracking.TrackerOptions { Face = true, StaticImage = true });
        await using IFrameSource source = await FrameSources.OpenAsync(SharedMedia.File("vid_expr_man_d18.mp4"));
        using VideoFrame frame = (await source.ReadAsync())!;
        var tracked = new Capture.Core.Tracking.TrackingFrame();
        tracker.Process(frame, tracked);
        Assert.True(tracked.Face.Present, "no face in the talking clip's first frame");
        return tracked;
    }
}
