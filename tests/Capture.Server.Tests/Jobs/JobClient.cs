using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Capture.Testing;

namespace Capture.Server.Tests.Jobs;

/// <summary>What a client of the jobs API does: upload, poll, read the event stream, download. Plus ffmpeg/ffprobe helpers.</summary>
internal static class JobClient
{
    public static string Media(string name) => SharedMedia.File(name);

    public static MultipartFormDataContent Form(string drivingPath, string characterPath, string? drivingName = null, string? characterName = null, Dictionary<string, string>? fields = null, string? rigPath = null)
    {
        var form = new MultipartFormDataContent();
        form.Add(FileContent(drivingPath), "driving", drivingName ?? Path.GetFileName(drivingPath));
        form.Add(FileContent(characterPath), "character", characterName ?? Path.GetFileName(characterPath));
        if (rigPath is not null)
        {
            form.Add(FileContent(rigPath), "rig", Path.GetFileName(rigPath));
        }

        foreach ((string k, string v) in fields ?? new Dictionary<string, string> { ["size"] = "256" })
        {
            form.Add(new StringContent(v), k);
        }

        return form;
    }

    private static StreamContent FileContent(string path)
    {
        var content = new StreamContent(File.OpenRead(path));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    /// <summary>POSTs a job; asserts 202 with a Location naming the id; returns the id.</summary>
    public static async Task<string> SubmitAsync(HttpClient client, HttpContent form)
    {
        using HttpResponseMessage response = await client.PostAsync("api/jobs", form);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {body}");
        using JsonDocument doc = JsonDocument.Parse(body);
        string id = doc.RootElement.GetProperty("id").GetString()!;
        Assert.Equal($"/api/jobs/{id}", response.Headers.Location?.OriginalString);
        return id;
    }

    public static async Task<JsonElement> GetAsync(HttpClient client, string id)
    {
        using HttpResponseMessage r = await client.GetAsync($"api/jobs/{id}");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        return (await r.Content.ReadFromJsonAsync<JsonElement>())!;
    }

    /// <summary>Polls until the job is finished (or the timeout); returns the last state.</summary>
    public static async Task<JsonElement> WaitFinishedAsync(HttpClient client, string id, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            JsonElement job = await GetAsync(client, id);
            string state = job.GetProperty("state").GetString()!;
            if (state is "succeeded" or "failed" or "canceled")
            {
                return job;
            }

            Assert.True(clock.Elapsed < timeout, $"job {id} still {state} after {timeout}: {job}");
            await Task.Delay(200);
        }
    }

    /// <summary>Reads the server-sent events of a job until it finishes; returns every event's object.</summary>
    public static async Task<List<JsonElement>> ReadEventsAsync(HttpClient client, string id, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/jobs/{id}/events");
        using HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var events = new List<JsonElement>();
        string? line;
        while ((line = await reader.ReadLineAsync(cts.Token)) is not null)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                events.Add(JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone());
            }
        }

        return events;
    }

    public static async Task<(int Status, JsonElement Problem)> PostExpectingProblemAsync(HttpClient client, HttpContent content)
    {
        using HttpResponseMessage response = await client.PostAsync("api/jobs", content);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{(int)response.StatusCode} {response.Content.Headers.ContentType}: {body}");
        return ((int)response.StatusCode, JsonDocument.Parse(body).RootElement.Clone());
    }

    /// <summary>Runs ffmpeg or ffprobe; returns stdout, asserts success.</summary>
    public static async Task<string> RunToolAsync(string tool, params string[] args)
    {
        ToolProcess.Result r = await ToolProcess.RunAsync(tool, args);
        Assert.True(r.ExitCode == 0, $"{tool} {string.Join(' ', args)}: {r.StdErr}");
        return r.StdOut;
    }

    /// <summary>The first <paramref name="seconds"/> of a clip, re-encoded (keeps its audio); <paramref name="loop"/>: the clip over and over until that length.</summary>
    public static async Task<string> TrimAsync(string source, double seconds, string output, bool loop = false)
    {
        string[] input = loop ? ["-stream_loop", "-1", "-i", source] : ["-i", source];
        await RunToolAsync("ffmpeg", ["-v", "error", "-y", .. input, "-t", seconds.ToString(CultureInfo.InvariantCulture),
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", output]);
        return output;
    }

    /// <summary>(duration of the container, has an audio stream, video width, video height) per ffprobe.</summary>
    public static async Task<(double Duration, bool Audio, int Width, int Height)> ProbeAsync(string path)
    {
        string json = await RunToolAsync("ffprobe", "-v", "error", "-of", "json", "-show_format", "-show_streams", path);
        using JsonDocument doc = JsonDocument.Parse(json);
        double duration = double.Parse(doc.RootElement.GetProperty("format").GetProperty("duration").GetString()!, CultureInfo.InvariantCulture);
        bool audio = false;
        int w = 0, h = 0;
        foreach (JsonElement s in doc.RootElement.GetProperty("streams").EnumerateArray())
        {
            string type = s.GetProperty("codec_type").GetString()!;
            audio |= type == "audio";
            if (type == "video")
            {
                w = s.GetProperty("width").GetInt32();
                h = s.GetProperty("height").GetInt32();
            }
        }

        return (duration, audio, w, h);
    }
}
