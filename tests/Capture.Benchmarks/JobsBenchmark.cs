using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Capture.Server;
using Capture.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Capture.Benchmarks;

/// <summary>
/// Jobs per minute through the real jobs API (in-process host, real Kestrel, SQLite, the render
/// pipeline) for the shared face clips driving the Mona Lisa, with 1 and 2 jobs at once; and the
/// time from an upload's 202 to its first progress event on an idle server.
/// </summary>
public sealed class JobsBenchmark : IBenchmarkCommand
{
    private const string Key = "bench-jobs-key-0123456789";
    private static readonly string[] s_clips = ["vid_expr_man_d18.mp4", "vid_expr_woman_d3.mp4", "vid_talk_selfie_man_d13.mp4"];

    public string Name => "jobs";

    public string Description => "jobs/minute for the shared clips at 512² (1 and 2 concurrent) and upload → first progress event; args: [--runs N] [--size 256|512|1024] [--no-motion] [--clips a.mp4,b.mp4]";

    public int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        int runs = 1;
        int size = 512;
        bool motion = true;
        string[] clips = s_clips;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs":
                    runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--size":
                    size = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--no-motion":
                    motion = false;
                    break;
                case "--clips":
                    clips = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries);
                    break;
                default:
                    Console.Error.WriteLine($"unknown argument {args[i]}");
                    return 2;
            }
        }

        Console.WriteLine(BenchmarkReport.MachineLine());
        Console.WriteLine($"clips: {string.Join(", ", clips)} driving char_painting_mona_lisa_s9.jpg at {size}², motion data {(motion ? "on (face + body)" : "off")}; {runs} run(s) each");
        foreach (int concurrency in new[] { 1, 2 })
        {
            var perMinute = new List<double>();
            var firstProgress = new List<double>();
            var accept = new List<double>();
            for (int r = 0; r < runs; r++)
            {
                (double jobsPerMinute, double first, double[] accepts) = await OneRunAsync(concurrency, clips, size, motion);
                perMinute.Add(jobsPerMinute);
                firstProgress.Add(first);
                accept.AddRange(accepts);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  run {r + 1}, {concurrency} at once: {jobsPerMinute:F2} jobs/min, 202 → first progress {first:F2} s"));
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{concurrency} concurrent: {BenchmarkReport.Median(perMinute):F2} jobs/min (median of {runs}); 202 → first progress event on an idle server {BenchmarkReport.Median(firstProgress):F2} s; upload sent → 202 (probe + face checks) median {BenchmarkReport.Median(accept):F2} s"));
        }

        return 0;
    }

    private static async Task<(double JobsPerMinute, double FirstProgress, double[] Accepts)> OneRunAsync(int concurrency, string[] clips, int size, bool motion)
    {
        string data = Directory.CreateTempSubdirectory("capture-bench-jobs-").FullName;
        try
        {
            WebApplication app = CaptureServer.Build(
                new ServerOptions
                {
                    Urls = "http://127.0.0.1:0",
                    ApiKey = Key,
                    ConfigureJobs = o =>
                    {
                        o.DataDirectory = data;
                        o.Concurrency = concurrency;
                        o.ProgressInterval = TimeSpan.FromMilliseconds(50);
                    },
                },
                logging => logging.SetMinimumLevel(LogLevel.Warning));
            await app.StartAsync();
            await using (app)
            {
                using var client = new HttpClient { BaseAddress = new Uri(CaptureServer.Addresses(app)[0]), Timeout = TimeSpan.FromMinutes(30) };
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
                var clock = Stopwatch.StartNew();
                var watchers = new List<Task<(double FirstProgress, double Finished, string State)>>();
                var accepts = new List<double>();
                foreach (string clip in clips)
                {
                    double sent = clock.Elapsed.TotalSeconds;
                    string id = await SubmitAsync(client, SharedMedia.File(clip), size, motion);
                    double accepted = clock.Elapsed.TotalSeconds;
                    accepts.Add(accepted - sent);
                    watchers.Add(WatchAsync(client, id, clock, accepted));
                }

                var results = await Task.WhenAll(watchers);
                double wall = clock.Elapsed.TotalSeconds;
                foreach ((_, _, string state) in results.Where(r => r.State != "succeeded"))
                {
                    throw new InvalidOperationException($"a benchmark job ended {state}");
                }

                await app.StopAsync();
                return (clips.Length / (wall / 60), results[0].FirstProgress, [.. accepts]);
            }
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    private static async Task<string> SubmitAsync(HttpClient client, string clip, int size, bool motion)
    {
        using var form = new MultipartFormDataContent
        {
            { new StreamContent(File.OpenRead(clip)), "driving", Path.GetFileName(clip) },
            { new StreamContent(File.OpenRead(SharedMedia.File("char_painting_mona_lisa_s9.jpg"))), "character", "mona.jpg" },
            { new StringContent(size.ToString(CultureInfo.InvariantCulture)), "size" },
            { new StringContent(motion ? "true" : "false"), "motionData" },
        };
        using HttpResponseMessage r = await client.PostAsync("api/jobs", form);
        string body = await r.Content.ReadAsStringAsync();
        if (r.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST /api/jobs: {(int)r.StatusCode} {body}");
        }

        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    // Seconds from the 202 to the first event with frames done, and until the final state.
    private static async Task<(double FirstProgress, double Finished, string State)> WatchAsync(HttpClient client, string id, Stopwatch clock, double accepted)
    {
        using HttpResponseMessage r = await client.GetAsync($"api/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await r.Content.ReadAsStreamAsync());
        double first = double.NaN;
        string state = "?";
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal))
            {
                continue;
            }

            JsonElement job = JsonDocument.Parse(line[6..]).RootElement;
            state = job.GetProperty("state").GetString()!;
            if (double.IsNaN(first) && job.GetProperty("framesDone").GetInt64() > 0)
            {
                first = clock.Elapsed.TotalSeconds - accepted;
            }
        }

        return (first, clock.Elapsed.TotalSeconds - accepted, state);
    }
}
