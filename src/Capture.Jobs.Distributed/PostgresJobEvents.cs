using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Capture.Jobs.Distributed;

/// <summary>
/// Job changes between nodes through PostgreSQL <c>LISTEN</c>/<c>NOTIFY</c>: a change published on a
/// worker (start, progress, end) reaches the server-sent event streams of every API node, and a cancel
/// on an API node reaches the worker rendering the job at once (besides the heartbeat, which notices it
/// within <see cref="DistributedJobsOptions.HeartbeatInterval"/>). Local listeners are called on the
/// publisher's thread as in <see cref="InProcessJobEvents"/>; sending is queued (latest 1024 kept), so a
/// slow or absent database never stalls a render. While PostgreSQL is down changes are not carried;
/// the streams resume with the next change after it is back.
/// </summary>
public sealed class PostgresJobEvents : BackgroundService, IJobEvents
{
    /// <summary>NOTIFY payloads must stay under 8000 bytes; a bigger record goes as its id and is read from the store.</summary>
    private const int MaxPayloadChars = 7000;

    private readonly InProcessJobEvents _local = new();
    private readonly Channel<JobRecord> _outgoing = Channel.CreateBounded<JobRecord>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private readonly PostgresJobStore _store;
    private readonly DistributedNode _node;
    private readonly DistributedJobsOptions _options;
    private readonly ILogger<PostgresJobEvents> _log;

    public PostgresJobEvents(PostgresJobStore store, DistributedNode node, DistributedJobsOptions options, ILogger<PostgresJobEvents> log)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _node = node;
        _options = options;
        _log = log;
        if (!System.Text.RegularExpressions.Regex.IsMatch(options.NotifyChannel, "^[a-z_][a-z0-9_]{0,62}$"))
        {
            throw new InvalidDataException($"Distributed:NotifyChannel '{options.NotifyChannel}' must be a lower-case SQL identifier");
        }

        store.GaveUp = Publish;
    }

    public void Publish(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        _local.Publish(job);
        _outgoing.Writer.TryWrite(job);
    }

    public IDisposable Subscribe(string id, Action<JobRecord> onChange) => _local.Subscribe(id, onChange);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(SendAsync(stoppingToken), ListenAsync(stoppingToken));

    private async Task SendAsync(CancellationToken stop)
    {
        bool failing = false;
        try
        {
            while (true)
            {
                JobRecord job = await _outgoing.Reader.ReadAsync(stop).ConfigureAwait(false);
                string payload = JsonSerializer.Serialize(new Wire(_node.Id, job, null));
                if (payload.Length > MaxPayloadChars)
                {
                    payload = JsonSerializer.Serialize(new Wire(_node.Id, null, job.Id));
                }

                try
                {
                    await using NpgsqlConnection c = await _store.DataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
                    await using var cmd = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", c);
                    cmd.Parameters.AddWithValue("channel", _options.NotifyChannel);
                    cmd.Parameters.AddWithValue("payload", payload);
                    await cmd.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                    failing = false;
                }
                catch (Exception ex) when (PostgresJobStore.IsTransient(ex) && !stop.IsCancellationRequested)
                {
                    if (!failing)
                    {
                        _log.LogWarning("jobs: job changes are not reaching other nodes ({Reason}); they resume when {Where} is back", ex.Message, _store.Where);
                        failing = true;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ListenAsync(CancellationToken stop)
    {
        var backoff = new ReconnectBackoff();
        bool lost = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using NpgsqlConnection c = await _store.DataSource.OpenConnectionAsync(stop).ConfigureAwait(false);
                c.Notification += (_, e) => OnNotification(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {_options.NotifyChannel}", c))
                {
                    await listen.ExecuteNonQueryAsync(stop).ConfigureAwait(false);
                }

                if (lost)
                {
                    _log.LogInformation("jobs: listening for job changes on {Where} again", _store.Where);
                    lost = false;
                }

                backoff.Reset();
                while (true)
                {
                    await c.WaitAsync(stop).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (PostgresJobStore.IsTransient(ex))
            {
                if (!lost)
                {
                    _log.LogWarning("jobs: not listening for job changes ({Reason}); reconnecting", ex.Message);
                    lost = true;
                }
            }

            if (!await backoff.WaitAsync(stop).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private void OnNotification(string payload)
    {
        Wire? wire;
        try
        {
            wire = JsonSerializer.Deserialize<Wire>(payload);
        }
        catch (JsonException ex)
        {
            _log.LogWarning("jobs: ignored a malformed job change on channel {Channel}: {Reason}", _options.NotifyChannel, ex.Message);
            return;
        }

        if (wire is null || wire.Node == _node.Id)
        {
            return; // Our own change: local listeners had it already.
        }

        if (wire.Job is JobRecord job)
        {
            Deliver(job);
        }
        else if (wire.Id is string id && DataFolder.IsJobId(id))
        {
            _ = FetchAndDeliverAsync(id);
        }
    }

    private async Task FetchAndDeliverAsync(string id)
    {
        try
        {
            if (await _store.GetAsync(id).ConfigureAwait(false) is JobRecord job)
            {
                Deliver(job);
            }
        }
        catch (JobStoreUnavailableException)
        {
            // The next change brings it.
        }
    }

    private void Deliver(JobRecord job)
    {
        _local.Publish(job);
        if (job.State == JobState.Canceled && _node.TryGetAttempt(job.Id, out _) && _node.OnLost is { } onLost)
        {
            _ = onLost(job.Id);
        }
    }

    /// <summary>One NOTIFY payload: the sending node and the job (or only its id when the record is too big).</summary>
    private sealed record Wire(string Node, JobRecord? Job, string? Id);
}
