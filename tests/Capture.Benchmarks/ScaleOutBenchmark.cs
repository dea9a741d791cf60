using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Capture.Jobs.Distributed;
using Capture.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;

namespace Capture.Benchmarks;

/// <summary>
/// Scale-out throughput on this machine: jobs per minute with 1 and 2 `capture worker` processes
/// (each job a 1 s slice of vid_expr_man_d18.mp4 at 256², no motion data), and the queueing overhead
/// per job: from the moment the API node accepts a job (its created_at, before the INSERT and the
/// publish) to the moment an idle worker has started it (started_at, after the delivery and the
/// store's conditional UPDATE), median of 5 jobs sent one at a time. Real PostgreSQL and RabbitMQ from
/// CAPTURE_TEST_PG / CAPTURE_TEST_AMQP (`eval "$(bash scripts/services.sh env)"`), a private schema
/// and queue removed at the end. On 2 cores the renders are CPU-bound: 2 workers share them.
/// </summary>
public sealed class ScaleOutBenchmark : IBenchmarkCommand
{
    private const string Key = "scaleout-benchmark-key-0123456789";

    public string Name => "scaleout";

    public string Description =>
        "scale-out: jobs/min with 1 and 2 `capture worker`s (1 s clip slices at 256²) and accept→start overhead per job; needs CAPTURE_TEST_PG/AMQP (scripts/services.sh); args: [jobs per run, default 6]";

    public int Run(string[] args)
    {
        string? pg = Environment.GetEnvironmentVariable("CAPTURE_TEST_PG");
        string? amqp = Environment.GetEnvironmentVariable("CAPTURE_TEST_AMQP");
        if (string.IsNullOrWhiteSpace(pg) || string.IsNullOrWhiteSpace(amqp))
        {
            Console.WriteLine("scaleout needs PostgreSQL and RabbitMQ: bash scripts/services.sh start && eval \"$(bash scripts/services.sh env)\"");
            return 2;
        }

        int jobs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 6;
        return RunAsync(pg, amqp, jobs).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(string pg, string amqp, int jobs)
    {
        Console.WriteLine(BenchmarkReport.MachineLine());
        string suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        string schema = $"bench_{suffix}";
        string dir = Directory.CreateTempSubdirectory("capture-scaleout-").FullName;
        var options = new DistributedJobsOptions
        {
            Store = $"{pg};Search Path={schema}",
            Queue = amqp,
            QueueName = $"capture.bench.{suffix}",
            DeadLetterQueueName = $"capture.bench.{suffix}.dead",
            NotifyChannel = $"capture_bench_{suffix}",
            Consume = false,
        };
        await ExecAsync(pg, $"CREATE SCHEMA {schema}");
        string clip = Path.Combine(dir, "slice.mp4");
        string media = Environment.GetEnvironmentVariable("CAPTURE_MEDIA") ?? "/work/shared/media";
        await ToolAsync("ffmpeg", "-v", "error", "-y", "-i", Path.Combine(media, "vid_expr_man_d18.mp4"),
            "-t", "1", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", clip);
        string character = Path.Combine(media, "char_painting_mona_lisa_s9.jpg");
        string data = Path.Combine(dir, "data");
        await using WebApplication app = CaptureServer.Build(
            new ServerOptions
            {
                Urls = "http://127.0.0.1:0",
                ApiKey = Key,
                ConfigureServices = s => s.AddDistributedJobs(options, "api"),
                ConfigureJobs = o => o.DataDirectory = data,
            },
            logging => logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(CaptureServer.Addresses(app)[0] + "/"), Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        Console.WriteLine($"input: {jobs} jobs per run, each the first 1 s of vid_expr_man_d18.mp4 (30 frames) → Mona Lisa at 256², no motion data");
        try
        {
            foreach (int workers in new[] { 1, 2 })
            {
                List<Process> started = await StartWorkersAsync(workers, options, data);
                try
                {
                    var ids = new List<string>();
                    for (int i = 0; i < jobs; i++)
                    {
                        ids.Add(await SubmitAsync(client, clip, character));
                    }

                    await WaitAsync(client, ids);
                    (DateTime Created, DateTime Started, DateTime Finished)[] times = await TimesAsync(options.Store, ids);
                    double window = (times.Max(t => t.Finished) - times.Min(t => t.Started)).TotalMinutes;
                    double render = BenchmarkReport.Median([.. times.Select(t => (t.Finished - t.Started).TotalSeconds)]);
                    Console.WriteLine($"  {workers} worker(s): {jobs / window,6:0.0} jobs/min (first start → last finish {window * 60:0.0} s), median render {render:0.00} s/job");
                }
                finally
                {
                    foreach (Process p in started)
                    {
                        p.Kill(entireProcessTree: true);
                        p.WaitForExit(10_000);
                        p.Dispose();
                    }
                }
            }

            List<Process> one = await StartWorkersAsync(1, options, data);
            try
            {
                var overheads = new List<double>();
                for (int i = 0; i < 5; i++)
                {
                    string id = await SubmitAsync(client, clip, character);
                    await WaitAsync(client, [id]);
                    (DateTime created, DateTime start, _) = (await TimesAsync(options.Store, [id]))[0];
                    overheads.Add((start - created).TotalMilliseconds);
                }

                Console.WriteLine($"  accept → start on an idle worker (INSERT, publish with confirm, delivery, conditional UPDATE): median {BenchmarkReport.Median(overheads):0.0} ms " +
                    $"of 5 ({string.Join(", ", overheads.Select(o => o.ToString("0", CultureInfo.InvariantCulture)))} ms)");
            }
            finally
            {
                foreach (Process p in one)
                {
                    p.Kill(entireProcessTree: true);
                    p.WaitForExit(10_000);
                    p.Dispose();
                }
            }
        }
        finally
        {
            await app.StopAsync();
            await ExecAsync(pg, $"DROP SCHEMA IF EXISTS {schema} CASCADE");
            var factory = new ConnectionFactory { Uri = new Uri(amqp) };
            await using (IConnection connection = await factory.CreateConnectionAsync())
            await using (IChannel channel = await connection.CreateChannelAsync())
            {
                await channel.QueueDeleteAsync(options.QueueName, ifUnused: false, ifEmpty: false);
                await channel.QueueDeleteAsync(options.DeadLetterQueueName, ifUnused: false, ifEmpty: false);
                await channel.ExchangeDeleteAsync(options.DeadLetterQueueName, ifUnused: false);
            }

            Directory.Delete(dir, recursive: true);
        }

        return 0;
    }

    private static async Task<List<Process>> StartWorkersAsync(int count, DistributedJobsOptions options, string data)
    {
        var list = new List<Process>();
        var ready = new List<Task>();
        for (int i = 0; i < count; i++)
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in new[] { Path.Combine(AppContext.BaseDirectory, "capture.dll"), "worker", "--store", options.Store, "--queue", options.Queue, "--data", data })
            {
                info.ArgumentList.Add(a);
            }

            info.Environment["CAPTURE_Distributed__QueueName"] = options.QueueName;
            info.Environment["CAPTURE_Distributed__DeadLetterQueueName"] = options.DeadLetterQueueName;
            info.Environment["CAPTURE_Distributed__NotifyChannel"] = options.NotifyChannel;
            var p = new Process { StartInfo = info };
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            p.OutputDataReceived += (_, e) =>
            {
                if (e.Data?.Contains(" ready: jobs from ", StringComparison.Ordinal) == true)
                {
                    tcs.TrySetResult();
                }
            };
            p.ErrorDataReceived += (_, _) => { };
            p.Start();
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            list.Add(p);
            ready.Add(tcs.Task);
        }

        await Task.WhenAll(ready).WaitAsync(TimeSpan.FromSeconds(90));
        return list;
    }

    private static async Task<string> SubmitAsync(HttpClient client, string clip, string character)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StreamContent(File.OpenRead(clip)), "driving", "slice.mp4");
        form.Add(new StreamContent(File.OpenRead(character)), "character", "character.jpg");
        form.Add(new StringContent("256"), "size");
        form.Add(new StringContent("false"), "motionData");
        using HttpResponseMessage r = await client.PostAsync("api/jobs", form);
        string body = await r.Content.ReadAsStringAsync();
        if (!r.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /api/jobs: {(int)r.StatusCode} {body}");
        }

        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task WaitAsync(HttpClient client, IReadOnlyList<string> ids)
    {
        var clock = Stopwatch.StartNew();
        foreach (string id in ids)
        {
            while (true)
            {
                string state = JsonDocument.Parse(await client.GetStringAsync($"api/jobs/{id}")).RootElement.GetProperty("state").GetString()!;
                if (state == "succeeded")
                {
                    break;
                }

                if (state is "failed" or "canceled" || clock.Elapsed > TimeSpan.FromMinutes(15))
                {
                    throw new InvalidOperationException($"job {id} {state}");
                }

                await Task.Delay(100);
            }
        }
    }

    private static async Task<(DateTime, DateTime, DateTime)[]> TimesAsync(string store, IReadOnlyList<string> ids)
    {
        await using var c = new NpgsqlConnection(store);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT id, created_at, started_at, finished_at FROM jobs WHERE id = ANY(@ids)", c);
        cmd.Parameters.AddWithValue("ids", ids.ToArray());
        var byId = new Dictionary<string, (DateTime, DateTime, DateTime)>(StringComparer.Ordinal);
        await using NpgsqlDataReader r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            byId[r.GetString(0)] = (r.GetDateTime(1), r.GetDateTime(2), r.GetDateTime(3));
        }

        return [.. ids.Select(id => byId[id])];
    }

    private static async Task ExecAsync(string connection, string sql)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    private static async Task ToolAsync(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        string err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool}: {err}");
        }
    }
}
