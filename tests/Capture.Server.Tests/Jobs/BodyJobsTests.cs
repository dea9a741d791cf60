using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Capture.Core.Frames;
using Capture.Media;
using Capture.Pipeline.Tests;
using Capture.Testing;

namespace Capture.Server.Tests.Jobs;

/// <summary>
/// Jobs with a body character (issue 23 item 7): an Animated Drawings character uploaded as a zip moves its body where the
/// performer moves (looked at in pixels), its motion files unchanged; a picture with the rig page's body joints and a mask is
/// accepted; a zip without char_cfg.yaml, a mask that misses the joints, missing or crossed joints, a picture without a body
/// and a clip without a performer's body each get a 4xx naming the problem.
/// </summary>
[Collection(JobsCollection.Name)]
public sealed class BodyJobsTests : IAsyncLifetime
{
    private static readonly string s_stick = Path.Combine(SharedMedia.Directory, "drawing_stick_char4");

    private readonly string _dir = Directory.CreateTempSubdirectory("capture-jobs-body-").FullName;
    private JobServer _server = null!;

    public async Task InitializeAsync() => _server = await JobServer.StartAsync(Path.Combine(_dir, "data"));

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task AnimatedDrawingsZip_RendersItsBodyMovingWithThePerformer_MotionFilesAsBefore()
    {
        string clip = await ShortBodyClipAsync(2.5);
        string zip = Path.Combine(_dir, "char4.zip");
        ZipFile.CreateFromDirectory(s_stick, zip);

        // No body=1: the zip is a drawing, which always moves its body.
        string id = await JobClient.SubmitAsync(_server.Client, JobClient.Form(clip, zip, fields: new() { ["size"] = "256" }));
        JsonElement job = await JobClient.WaitFinishedAsync(_server.Client, id, TimeSpan.FromMinutes(4));
        Assert.True(job.GetProperty("state").GetString() == "succeeded", job.ToString());
        Assert.True(job.GetProperty("body").GetBoolean());

        string video = Path.Combine(_dir, "result.mp4");
        await File.WriteAllBytesAsync(video, await _server.Client.GetByteArrayAsync($"api/jobs/{id}/result"));
        List<VideoFrame> frames = await FramePixels.ReadFramesAsync(video);
        Assert.True(frames.Count >= 50, $"{frames.Count} frames");

        // The drawing's shape, 256 wide (its 216×475 scaled): a body render, not the face render's square.
        float s = 256f / 216;
        Assert.Equal(256, frames[0].Width);
        Assert.InRange(frames[0].Height, (int)(475 * s) - 2, (int)(475 * s) + 2);

        // The drawing holds its arms up, hands at the top corners; the performer's arms hang at the start, so the
        // corners that are pencil in the picture are paper in the render: the arms followed the performer's.
        RgbaImage picture = await ImageFile.LoadRgbaAsync(Path.Combine(s_stick, "texture.png"));
        int pictureCorners = FramePixels.Dark(picture, 0, 20, 50, 110) + FramePixels.Dark(picture, 175, 20, 216, 110);
        int renderCorners = FramePixels.Dark(frames[0], 0, (int)(20 * s), (int)(50 * s), (int)(110 * s)) + FramePixels.Dark(frames[0], (int)(175 * s), (int)(20 * s), 256, (int)(110 * s));
        Assert.True(pictureCorners > 250, $"the drawing's raised hands: {pictureCorners} dark pixels");
        Assert.True(renderCorners < pictureCorners / 4, $"arms down: {renderCorners} dark pixels in the top corners, {pictureCorners} in the picture");

        // The character is there (the torso's pencil, not a black or empty frame) and moves as the performer gestures,
        // while the paper far from the figure's reach (the bottom corners' margin) stays as it was.
        Assert.True(FramePixels.Dark(frames[0], (int)(60 * s), (int)(150 * s), (int)(170 * s), (int)(330 * s)) > 300, "the torso's pencil is there");
        float moved = FramePixels.MeanDifference(frames[10], frames[^5]);
        Assert.True(moved > 1.0f, $"frames 10 and {frames.Count - 5} differ by {moved:F2} levels on average: the figure did not move");

        // The motion files are the job's as before: the performer's, beside the video.
        foreach (string file in new[] { "motion.mpk", "motion.bvh" })
        {
            using HttpResponseMessage r = await _server.Client.GetAsync($"api/jobs/{id}/motion/{file}");
            Assert.True(r.StatusCode == HttpStatusCode.OK, $"{file}: {(int)r.StatusCode}");
            Assert.True((await r.Content.ReadAsByteArrayAsync()).Length > 100, file);
        }
    }

    [Fact]
    public async Task BodyUploads_RigJointsAndMaskAccepted_BadOnesNamed()
    {
        string clip = await ShortBodyClipAsync(1.5);
        string texture = Path.Combine(s_stick, "texture.png");
        string mask = Path.Combine(s_stick, "mask.png");

        // The rig page's output for the drawing as a plain picture: its joints (char_cfg.yaml's, in pose names) and a mask.
        Dictionary<string, (int X, int Y)> joints = new()
        {
            ["nose"] = (124, 68), ["left_shoulder"] = (138, 189), ["right_shoulder"] = (87, 198), ["left_elbow"] = (185, 147),
            ["right_elbow"] = (36, 152), ["left_wrist"] = (198, 54), ["right_wrist"] = (22, 64), ["left_hip"] = (120, 323),
            ["right_hip"] = (64, 328), ["left_knee"] = (124, 388), ["right_knee"] = (45, 393), ["left_ankle"] = (124, 458),
            ["right_ankle"] = (31, 467),
        };
        string good = Rig("good.rig.json", joints);
        Dictionary<string, string> body = new() { ["size"] = "256", ["body"] = "1", ["motionData"] = "false" };
        // body=ON: the yes/no words live sessions take (any case), jobs take too.
        using (MultipartFormDataContent form = WithMask(JobClient.Form(clip, texture, fields: new(body) { ["body"] = "ON" }, rigPath: good), mask))
        {
            string id = await JobClient.SubmitAsync(_server.Client, form);
            Assert.True((await JobClient.GetAsync(_server.Client, id)).GetProperty("body").GetBoolean());
            using HttpResponseMessage deleted = await _server.Client.DeleteAsync($"api/jobs/{id}");
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        // The same rig with its mask inside (as the rig page saves it) and no mask part: accepted too.
        string withMask = Rig("masked.rig.json", joints, maskPng: await File.ReadAllBytesAsync(mask));
        using (MultipartFormDataContent form = JobClient.Form(clip, texture, fields: body, rigPath: withMask))
        {
            string id = await JobClient.SubmitAsync(_server.Client, form);
            using HttpResponseMessage deleted = await _server.Client.DeleteAsync($"api/jobs/{id}");
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        string noConfig = Path.Combine(_dir, "no-config.zip");
        using (ZipArchive z = ZipFile.Open(noConfig, ZipArchiveMode.Create))
        {
            z.CreateEntryFromFile(texture, "texture.png");
            z.CreateEntryFromFile(mask, "mask.png");
        }

        // White only in a corner the figure never reaches: the joints are outside it.
        string corner = Path.Combine(_dir, "corner-mask.png");
        var rgb = new byte[216 * 475 * 3];
        for (int y = 440; y < 475; y++)
        {
            for (int x = 180; x < 216; x++)
            {
                rgb.AsSpan(((y * 216) + x) * 3, 3).Fill(255);
            }
        }

        await ImageFile.SavePngAsync(corner, rgb, 216, 475, hasAlpha: false);
        string blank = Path.Combine(_dir, "blank-mask.png");
        await ImageFile.SavePngAsync(blank, new byte[216 * 475 * 3], 216, 475, hasAlpha: false);
        Dictionary<string, (int X, int Y)> crossed = new(joints) { ["left_hip"] = joints["right_hip"], ["right_hip"] = joints["left_hip"] };
        Dictionary<string, (int X, int Y)> oneShoulder = new() { ["left_shoulder"] = (138, 189) };
        Dictionary<string, (int X, int Y)> orphan = new(joints);
        orphan.Remove("left_elbow");
        string pattern = Path.Combine(_dir, "pattern.mp4");
        await JobClient.RunToolAsync("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=2:size=320x240:rate=15", "-pix_fmt", "yuv420p", pattern);

        (string Name, MultipartFormDataContent Form, int Status, string Reason)[] cases =
        [
            ("zip without char_cfg.yaml", JobClient.Form(clip, noConfig, characterName: "drawing.zip"), 422, "no char_cfg.yaml in the zip"),
            ("mask missing the joints", WithMask(JobClient.Form(clip, texture, fields: body, rigPath: good), corner), 422, "the figure mask does not cover"),
            ("empty mask", WithMask(JobClient.Form(clip, texture, fields: body, rigPath: good), blank), 422, "the mask is empty"),
            ("crossed hips", JobClient.Form(clip, texture, fields: body, rigPath: Rig("crossed.json", crossed)), 422, "the hips are crossed against the shoulders"),
            ("one shoulder", JobClient.Form(clip, texture, fields: body, rigPath: Rig("one.json", oneShoulder)), 422, "a body needs both shoulders"),
            ("a wrist without its elbow", JobClient.Form(clip, texture, fields: body, rigPath: Rig("orphan.json", orphan)), 422, "left_wrist is given but left_elbow"),
            ("unknown joint name", JobClient.Form(clip, texture, fields: body, rigPath: Rig("unknown.json", new(joints) { ["left_tail"] = (10, 10) })), 422, "unknown body joint \"left_tail\""),
            ("a picture without a body", JobClient.Form(clip, JobClient.Media("char_animal_cat_chelsea.png"), fields: body), 422, "no body found in the picture"),
            ("a clip without a performer's body", JobClient.Form(pattern, texture, fields: body, rigPath: good), 422, "no body found in the clip's first 5 seconds"),
            ("body not true or false", JobClient.Form(clip, texture, fields: new() { ["body"] = "arms" }), 400, "body 'arms' is not true or false (1/0, on/off, yes/no)"),
        ];

        foreach ((string name, MultipartFormDataContent form, int status, string reason) in cases)
        {
            using (form)
            {
                (int got, JsonElement problem) = await JobClient.PostExpectingProblemAsync(_server.Client, form);
                string detail = problem.GetProperty("detail").GetString()!;
                Assert.True(got == status && detail.Contains(reason, StringComparison.Ordinal), $"{name}: {got} {detail}");
                Assert.DoesNotContain(_server.DataDirectory, detail, StringComparison.Ordinal);
            }
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(_server.DataDirectory, "uploads")));
    }

    private static MultipartFormDataContent WithMask(MultipartFormDataContent form, string maskPath)
    {
        form.Add(new ByteArrayContent(File.ReadAllBytes(maskPath)), "mask", Path.GetFileName(maskPath));
        return form;
    }

    private string Rig(string name, Dictionary<string, (int X, int Y)> joints, byte[]? maskPng = null)
    {
        var body = new StringBuilder();
        foreach ((string joint, (int x, int y)) in joints)
        {
            body.Append(body.Length == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"\"{joint}\": [{x}, {y}]");
        }

        string mask = maskPng is null ? "" : $", \"mask\": \"data:image/png;base64,{Convert.ToBase64String(maskPng)}\"";
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, $"{{\"format\": \"capture-rig\", \"version\": 1, \"imageSize\": [216, 475], \"points\": {{}}, \"body\": {{{body}}}{mask}}}");
        return path;
    }

    /// <summary>The first seconds of the shared gesture clip (a performer in full view), at 360 px high: short and small.</summary>
    private async Task<string> ShortBodyClipAsync(double seconds)
    {
        string output = Path.Combine(_dir, $"gesture-{seconds.ToString(CultureInfo.InvariantCulture)}.mp4");
        await JobClient.RunToolAsync("ffmpeg", "-v", "error", "-y", "-i", JobClient.Media("vid_body_fullbody_gesture_s13.mp4"), "-t", seconds.ToString(CultureInfo.InvariantCulture),
            "-vf", "scale=-2:360", "-an", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", output);
        return output;
    }
}
