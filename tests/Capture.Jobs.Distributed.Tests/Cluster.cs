using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Capture.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;

namespace Capture.Jobs.Distributed.Tests;

/// <summary>
/// One scale-out deployment for one test: the API node in-process (the real host, <see cref="CaptureServer.Build"/>,
/// in publish-only mode exactly as `capture serve --store --queue` runs it) and any number of real
/// `capture worker` processes, all on the same shared data folder. Each cluster has its own PostgreSQL
/// schema (search path), its own queue, dead-letter queue and NOTIFY channel, all removed at the end.
/// Timings are short (heartbeat 0.5 s, stale after 3 s) so take-overs happen within a test's patience.
/// </summary>
internal sealed class Cluster : IAsyncDisposable
{
    public const string Key = "scale-test-key-0123456789abcdef";

    private readonly string _suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    private WebApplication? _app;

    private Cluster()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("capture-scale-").FullName;
        Options = new DistributedJobsOptions
        {
            Store = $"{ScaleOutEnvironment.Pg};Search Path={Schema}",
            Queue = ScaleOutEnvironment.Amqp!,
            QueueName = $"capture.test.{_suffix}",
            DeadLetterQueueName = $"capture.test.{_suffix}.dead",
            NotifyChannel = $"capture_test_{_suffix}",
            HeartbeatInterval = TimeSpan.FromMilliseconds(500),
            StaleAfter = TimeSpan.FromSeconds(3),
            SweepInterval = TimeSpan.FromSeconds(1),
            PublishTimeout = TimeSpan.FromSeconds(3),
            MaxAttempts = 3,
        };
    }

    public string Directory { get; }

    public string Data => Path.Combine(Directory, "data");

    public string Schema => $"t_{_suffix}";

    public DistributedJobsOptions Options { get; }

    public HttpClient Client { get; private set; } = null!;

    public List<WorkerProcess> Workers { get; } = [];

    public RabbitMqJobQueue Queue => _app!.Services.GetRequiredService<RabbitMqJobQueue>();

    public static async Task<Cluster> StartAsync()
    {
        await ScaleOutEnvironment.RequireServersAsync(TimeSpan.FromSeconds(20));
        var cluster = new Cluster();
        await using (var c = new NpgsqlConnection(ScaleOutEnvironment.Pg))
        {
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE SCHEMA {cluster.Schema}", c);
            await cmd.ExecuteNonQueryAsync();
        }

        var api = new DistributedJobsOptions();
        Copy(cluster.Options, api);
        api.Consume = false;
        var options = new ServerOptions
        {
            Urls = "http://127.0.0.1:0",
            ApiKey = Key,
            ConfigureServices = s => s.AddDistributedJobs(api, "api"),
            ConfigureJobs = o =>
            {
                o.DataDirectory = cluster.Data;
                o.ProgressInterval = TimeSpan.FromMilliseconds(200);
            },
        };
        cluster._app = CaptureServer.Build(options, logging => logging.SetMinimumLevel(LogLevel.Warning));
        await cluster._app.StartAsync();
        string url = CaptureServer.Addresses(cluster._app)[0];
        cluster.Client = new HttpClient { BaseAddress = new Uri(url.EndsWith('/') ? url : url + "/"), Timeout = TimeSpan.FromMinutes(2) };
        cluster.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return cluster;
    }

    /// <summary>Starts a `capture worker` on this cluster's store, queue and data folder; returns once it says it is ready.</summary>
    public async Task<WorkerProcess> StartWorkerAsync()
    {
        var env = new Dictionary<string, string>
        {
            ["CAPTURE_Distributed__QueueName"] = Options.QueueName,
            ["CAPTURE_Distributed__DeadLetterQueueName"] = Options.DeadLetterQueueName,
            ["CAPTURE_Distributed__NotifyChannel"] = Options.NotifyChannel,
            ["CAPTURE_Distributed__HeartbeatInterval"] = Options.HeartbeatInterval.ToString("c", CultureInfo.InvariantCulture),
            ["CAPTURE_Distributed__StaleAfter"] = Options.StaleAfter.ToString("c", CultureInfo.InvariantCulture),
            ["CAPTURE_Distributed__SweepInterval"] = Options.SweepInterval.ToString("c", CultureInfo.InvariantCulture),
            ["CAPTURE_Distributed__PublishTimeout"] = Options.PublishTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["CAPTURE_Distributed__MaxAttempts"] = Options.MaxAttempts.ToString(CultureInfo.InvariantCulture),
            ["Jobs__ProgressInterval"] = "00:00:00.2",
        };
        WorkerProcess worker = await WorkerProcess.StartAsync(["--store", Options.Store, "--queue", Options.Queue, "--data", Data], env);
        lock (Workers)
        {
            // Workers start in parallel: the list is shared.
            Workers.Add(worker);
        }

        return worker;
    }

    /// <summary>Uploads a job (driving clip + character at 256², no motion data); asserts 202; returns its id.</summary>
    public async Task<string> SubmitAsync(string driving, string character)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StreamContent(File.OpenRead(driving)), "driving", Path.GetFileName(driving));
        form.Add(new StreamContent(File.OpenRead(character)), "character", Path.GetFileName(character));
        form.Add(new StringContent("256"), "size");
        form.Add(new StringContent("false"), "motionData");
        using HttpResponseMessage response = await Client.PostAsync("api/jobs", form);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"{(int)response.StatusCode}: {body}");
        using JsonDocument doc = JsonDocument.Parse(body);
        return doc.RootElement.GetProperty("id").GetString()!;
    }

    public async Task<JsonElement> GetAsync(string id)
    {
        using HttpResponseMessage r = await Client.GetAsync($"api/jobs/{id}");
        string body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.OK, $"{(int)r.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Polls until every job is finished; returns their final objects, in order. Fails with the workers' logs on timeout.</summary>
    public async Task<JsonElement[]> WaitFinishedAsync(IReadOnlyList<string> ids, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var done = new JsonElement?[ids.Count];
        while (true)
        {
            for (int i = 0; i < ids.Count; i++)
            {
                if (done[i] is null)
                {
                    JsonElement job = await GetAsync(ids[i]);
                    if (job.GetProperty("state").GetString() is "succeeded" or "failed" or "canceled")
                    {
                        done[i] = job;
                    }
                }
            }

            if (done.All(d => d is not null))
            {
                return [.. done.Select(d => d!.Value)];
            }

            Assert.True(clock.Elapsed < timeout,
                $"{done.Count(d => d is null)} of {ids.Count} jobs unfinished after {timeout}\n{string.Join("\n---\n", Workers.Select(w => w.Log))}");
            await Task.Delay(250);
        }
    }

    /// <summary>The store's row for a job, read directly: state, owner (node id), attempts, frames done.</summary>
    public async Task<(string State, string? Owner, int Attempts, long FramesDone)> RowAsync(string id)
    {
        await using var c = new NpgsqlConnection(Options.Store);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand("SELECT state, owner, attempts, frames_done FROM jobs WHERE id = @id", c);
        cmd.Parameters.AddWithValue("id", id);
        await using NpgsqlDataReader r = await cmd.ExecuteReaderAsync();
        Assert.True(await r.ReadAsync(), $"job {id} is not in the store");
        return (r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.GetInt32(2), r.GetInt64(3));
    }

    /// <summary>The worker whose process id is in the owner of a running job, or null.</summary>
    public WorkerProcess? OwnerOf(string? owner)
    {
        lock (Workers)
        {
            return owner is null ? null : Workers.FirstOrDefault(w => owner.Contains($"/worker/{w.Pid}/", StringComparison.Ordinal));
        }
    }

    public async Task<string> DownloadResultAsync(string id)
    {
        string path = Path.Combine(Directory, $"{id}.mp4");
        using HttpResponseMessage r = await Client.GetAsync($"api/jobs/{id}/result");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        await File.WriteAllBytesAsync(path, await r.Content.ReadAsByteArrayAsync());
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (WorkerProcess w in Workers)
        {
            w.Dispose();
        }

        Client?.Dispose();
        try
        {
            if (_app is not null)
            {
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await _app.StopAsync(stop.Token);
                await _app.DisposeAsync();
            }
        }
        finally
        {
            await DropAsync();
        }
    }

    /// <summary>Removes this cluster's queues, schema and folder (each step on its own: one failing does not keep the others).</summary>
    private async Task DropAsync()
    {

        try
        {
            var factory = new ConnectionFactory { Uri = new Uri(Options.Queue) };
            await using IConnection connection = await factory.CreateConnectionAsync();
            await using IChannel channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(Options.QueueName, ifUnused: false, ifEmpty: false);
            await channel.QueueDeleteAsync(Options.DeadLetterQueueName, ifUnused: false, ifEmpty: false);
            await channel.ExchangeDeleteAsync(Options.DeadLetterQueueName, ifUnused: false);
        }
        catch (Exception ex) when (ex is IOException or RabbitMQ.Client.Exceptions.RabbitMQClientException)
        {
            // Left for the next services.sh stop; the names are unique.
        }

        try
        {
            await using var c = new NpgsqlConnection(ScaleOutEnvironment.Pg);
            await c.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {Schema} CASCADE", c);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException)
        {
        }

        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static void Copy(DistributedJobsOptions from, DistributedJobsOptions to)
    {
        to.Store = from.Store;
        to.Queue = from.Queue;
        to.QueueName = from.QueueName;
        to.DeadLetterQueueName = from.DeadLetterQueueName;
        to.NotifyChannel = from.NotifyChannel;
        to.HeartbeatInterval = from.HeartbeatInterval;
        to.StaleAfter = from.StaleAfter;
        to.SweepInterval = from.SweepInterval;
        to.PublishTimeout = from.PublishTimeout;
        to.MaxAttempts = from.MaxAttempts;
        to.Prefetch = from.Prefetch;
    }
}

/// <summary>Reading a job's server-sent events.</summary>
internal static class JobEventsReader
{
    /// <summary>Reads the events of a job until its stream ends (the job finished); returns every event's object.</summary>
    public static async Task<List<JsonElement>> ReadAsync(HttpClient client, string id, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/jobs/{id}/events");
        using HttpResponseMessage response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
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
}
