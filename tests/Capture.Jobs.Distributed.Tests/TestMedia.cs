using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Capture.Server;
using Capture.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Capture.Jobs.Distributed.Tests;

/// <summary>The inputs (a ~1 s slice of a shared clip, the Mona Lisa) and the single-node reference result, made once per test run.</summary>
internal static class TestMedia
{
    private static readonly string s_dir = Directory.CreateTempSubdirectory("capture-scale-media-").FullName;
    private static readonly Lazy<Task<string>> s_slice = new(() => SliceAsync(1.0, "slice-1s.mp4"));
    private static readonly Lazy<Task<string[]>> s_reference = new(ReferenceFramesAsync);

    public static string Character => SharedMedia.File("char_painting_mona_lisa_s9.jpg");

    /// <summary>The first second of vid_expr_man_d18.mp4 (30 frames, with its audio).</summary>
    public static Task<string> OneSecondAsync() => s_slice.Value;

    /// <summary>The same job rendered in single-node mode (the embedded SQLite host): one md5 per decoded video frame.</summary>
    public static Task<string[]> SingleNodeFramesAsync() => s_reference.Value;

    /// <summary>One md5 per decoded video frame (ffmpeg's framemd5), so two videos compare frame by frame.</summary>
    public static async Task<string[]> FrameHashesAsync(string mp4)
    {
        string output = await RunAsync("ffmpeg", "-v", "error", "-i", mp4, "-map", "0:v", "-f", "framemd5", "-");
        return [.. output.Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split(',')[^1].Trim())];
    }

    public static async Task<string> SliceAsync(double seconds, string name)
    {
        string path = Path.Combine(s_dir, name);
        await RunAsync("ffmpeg", "-v", "error", "-y", "-i", SharedMedia.File("vid_expr_man_d18.mp4"), "-t", seconds.ToString(CultureInfo.InvariantCulture),
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", path);
        return path;
    }

    private static async Task<string[]> ReferenceFramesAsync()
    {
        string data = Path.Combine(s_dir, "single-node");
        var options = new ServerOptions
        {
            Urls = "http://127.0.0.1:0",
            ApiKey = Cluster.Key,
            ConfigureJobs = o => o.DataDirectory = data,
        };
        await using WebApplication app = CaptureServer.Build(options, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(CaptureServer.Addresses(app)[0] + "/"), Timeout = TimeSpan.FromMinutes(2) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Cluster.Key);
            string clip = await OneSecondAsync();
            using var form = new MultipartFormDataContent();
            form.Add(new StreamContent(File.OpenRead(clip)), "driving", "slice.mp4");
            form.Add(new StreamContent(File.OpenRead(Character)), "character", "mona.jpg");
            form.Add(new StringContent("256"), "size");
            form.Add(new StringContent("false"), "motionData");
            using HttpResponseMessage posted = await client.PostAsync("api/jobs", form);
            Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
            string id = JsonDocument.Parse(await posted.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            var clock = Stopwatch.StartNew();
            while (true)
            {
                string state = JsonDocument.Parse(await client.GetStringAsync($"api/jobs/{id}")).RootElement.GetProperty("state").GetString()!;
                if (state == "succeeded")
                {
                    break;
                }

                Assert.True(state is "queued" or "running" && clock.Elapsed < TimeSpan.FromMinutes(2), $"single-node reference job: {state}");
                await Task.Delay(250);
            }

            string mp4 = Path.Combine(s_dir, "single-node.mp4");
            await File.WriteAllBytesAsync(mp4, await client.GetByteArrayAsync($"api/jobs/{id}/result"));
            return await FrameHashesAsync(mp4);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static async Task<string> RunAsync(string tool, params string[] args)
    {
        ToolProcess.Result r = await ToolProcess.RunAsync(tool, args);
        Assert.True(r.ExitCode == 0, $"{tool} {string.Join(' ', args)}: {r.StdErr}");
        return r.StdOut;
    }
}
