using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;

namespace Capture.Jobs.Distributed;

/// <summary>
/// The work queue on RabbitMQ: one durable queue (<see cref="DistributedJobsOptions.QueueName"/>) of
/// persistent messages whose body is a job id, published with publisher confirms, consumed with manual
/// acks and a prefetch of <see cref="DistributedJobsOptions.Prefetch"/>. A delivery is acked only after
/// the job's final state is in the store (<see cref="IJobLease.CompleteAsync"/>), so a worker that dies
/// mid-job leaves its message to be redelivered (at-least-once; <see cref="PostgresJobStore"/> makes the
/// second start a no-op or a take-over). A job the store gives up on (poison) is rejected without requeue
/// and lands, through the dead-letter exchange, in <see cref="DistributedJobsOptions.DeadLetterQueueName"/>.
/// <para>
/// Broker down: publishing gives up after <see cref="DistributedJobsOptions.PublishTimeout"/> and leaves the
/// job queued-but-unpublished in the store (the API still accepts it; <see cref="JobSweeper"/> publishes it
/// once the broker is back); the consumer reconnects with back-off. Deliveries from a channel that has
/// closed are dropped here, since the broker hands them out again.
/// </para>
/// </summary>
public sealed class RabbitMqJobQueue : IJobQueue, IAsyncDisposable
{
    private readonly DistributedJobsOptions _options;
    private readonly DistributedNode _node;
    private readonly PostgresJobStore _store;
    private readonly ILogger _log;
    private readonly ConnectionFactory _factory;
    private readonly string _where;
    private readonly SemaphoreSlim _connectionGate = new(1, 1);
    private readonly SemaphoreSlim _publishGate = new(1, 1);
    private readonly Channel<Delivery> _deliveries = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _startGate = new();
    private IConnection? _connection;
    private IChannel? _publisher;
    private Task? _consumer;
    private int _publishFailing;
    private int _disposed;

    public RabbitMqJobQueue(DistributedJobsOptions options, DistributedNode node, PostgresJobStore store, ILogger<RabbitMqJobQueue>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(store);
        _options = options;
        _node = node;
        _store = store;
        _log = (ILogger?)log ?? NullLogger.Instance;
        var uri = new Uri(options.Queue);
        _where = $"RabbitMQ at {uri.Host}:{(uri.IsDefaultPort ? 5672 : uri.Port)}";
        _factory = new ConnectionFactory
        {
            Uri = uri,
            ClientProvidedName = "capture " + node.Id,
            // Reconnection is done here, so that a lease knows whether its channel is the one that delivered it.
            AutomaticRecoveryEnabled = false,
            TopologyRecoveryEnabled = false,
            RequestedHeartbeat = TimeSpan.FromSeconds(10),
            RequestedConnectionTimeout = TimeSpan.FromSeconds(5),
        };
    }

    /// <summary>Host and port, for messages (never the password).</summary>
    public string Where => _where;

    public async ValueTask EnqueueAsync(string jobId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        if (await TryPublishAsync(jobId, ct).ConfigureAwait(false))
        {
            try
            {
                await _store.MarkPublishedAsync(jobId, ct).ConfigureAwait(false);
            }
            catch (JobStoreUnavailableException)
            {
                // Unmarked, the sweeper publishes it once more later; a second message for a job is harmless.
            }
        }
    }

    public async ValueTask<IJobLease> DequeueAsync(CancellationToken ct = default)
    {
        if (!_options.Consume)
        {
            // An API node publishes only: its runner waits here until shutdown and never renders.
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
        }

        lock (_startGate)
        {
            _consumer ??= Task.Run(() => ConsumeAsync(_stop.Token), CancellationToken.None);
        }

        while (true)
        {
            Delivery d = await _deliveries.Reader.ReadAsync(ct).ConfigureAwait(false);
            if (d.Channel.IsOpen)
            {
                return new Lease(this, d);
            }

            // Its channel closed before the runner took it: the broker has put it back for someone else.
        }
    }

    /// <summary>Publishes one job id and waits for the broker's confirm. False when the broker could not be reached in time.</summary>
    internal async Task<bool> TryPublishAsync(string jobId, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        timeout.CancelAfter(_options.PublishTimeout);
        try
        {
            await _publishGate.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }

        try
        {
            if (_publisher is not { IsOpen: true })
            {
                await DisposeQuietlyAsync(_publisher).ConfigureAwait(false);
                _publisher = null;
                IConnection connection = await ConnectionAsync(timeout.Token).ConfigureAwait(false);
                IChannel channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), timeout.Token).ConfigureAwait(false);
                await DeclareAsync(channel, timeout.Token).ConfigureAwait(false);
                _publisher = channel;
            }

            var properties = new BasicProperties
            {
                Persistent = true,
                MessageId = jobId,
                ContentType = "text/plain",
                Timestamp = new AmqpTimestamp(DateTimeOffset.UtcNow.ToUnixTimeSeconds()),
            };
            await _publisher.BasicPublishAsync(string.Empty, _options.QueueName, mandatory: true, properties, Encoding.UTF8.GetBytes(jobId), timeout.Token).ConfigureAwait(false);
            if (Interlocked.Exchange(ref _publishFailing, 0) == 1)
            {
                _log.LogInformation("jobs: {Where} takes jobs again", _where);
            }

            return true;
        }
        catch (Exception ex) when (IsBrokerFailure(ex) || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            await DisposeQuietlyAsync(_publisher).ConfigureAwait(false);
            _publisher = null;
            if (Interlocked.Exchange(ref _publishFailing, 1) == 0)
            {
                _log.LogWarning("jobs: cannot publish to {Where} ({Reason}); jobs stay queued in the store and are published when it is back", _where, Reason(ex));
            }

            return false;
        }
        finally
        {
            _publishGate.Release();
        }
    }

    /// <summary>Messages waiting in the work queue and in the dead-letter queue (tests and the benchmark read these).</summary>
    public async Task<(uint Ready, uint Dead)> CountsAsync(CancellationToken ct = default)
    {
        IConnection connection = await ConnectionAsync(ct).ConfigureAwait(false);
        await using IChannel channel = await connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
        await DeclareAsync(channel, ct).ConfigureAwait(false);
        QueueDeclareOk work = await channel.QueueDeclarePassiveAsync(_options.QueueName, ct).ConfigureAwait(false);
        QueueDeclareOk dead = await channel.QueueDeclarePassiveAsync(_options.DeadLetterQueueName, ct).ConfigureAwait(false);
        return (work.MessageCount, dead.MessageCount);
    }

    public async ValueTask DisposeAsync()
    {
        // Registered as itself and as IJobQueue: the container disposes it twice.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_consumer is not null)
        {
            try
            {
                await _consumer.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await DisposeQuietlyAsync(_publisher).ConfigureAwait(false);
        if (_connection is not null)
        {
            try
            {
                await _connection.CloseAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsBrokerFailure(ex))
            {
            }

            _connection.Dispose();
        }

        _stop.Dispose();
        _connectionGate.Dispose();
        _publishGate.Dispose();
    }

    private async Task ConsumeAsync(CancellationToken stop)
    {
        var backoff = new ReconnectBackoff();
        bool lost = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                IConnection connection = await ConnectionAsync(stop).ConfigureAwait(false);
                await using IChannel channel = await connection.CreateChannelAsync(cancellationToken: stop).ConfigureAwait(false);
                await DeclareAsync(channel, stop).ConfigureAwait(false);
                await channel.BasicQosAsync(0, _options.Prefetch, global: false, stop).ConfigureAwait(false);
                var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
                channel.ChannelShutdownAsync += (_, e) =>
                {
                    closed.TrySetResult(e.ReplyText);
                    return Task.CompletedTask;
                };
                var consumer = new AsyncEventingBasicConsumer(channel);
                consumer.ReceivedAsync += (_, e) =>
                {
                    // The body is valid only during this handler: the id is copied out as a string.
                    string id = Encoding.UTF8.GetString(e.Body.Span);
                    _deliveries.Writer.TryWrite(new Delivery(channel, e.DeliveryTag, id));
                    return Task.CompletedTask;
                };
                await channel.BasicConsumeAsync(_options.QueueName, autoAck: false, consumer, stop).ConfigureAwait(false);
                if (lost)
                {
                    _log.LogInformation("jobs: consuming from {Where} again", _where);
                    lost = false;
                }

                backoff.Reset();
                string why = await closed.Task.WaitAsync(stop).ConfigureAwait(false);
                _log.LogWarning("jobs: lost {Where} ({Reason}); reconnecting (unacknowledged jobs are redelivered by the broker)", _where, why);
                lost = true;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (IsBrokerFailure(ex))
            {
                if (!lost)
                {
                    _log.LogWarning("jobs: cannot consume from {Where} ({Reason}); retrying", _where, Reason(ex));
                    lost = true;
                }
            }

            if (!await backoff.WaitAsync(stop).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private async Task<IConnection> ConnectionAsync(CancellationToken ct)
    {
        await _connectionGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_connection is { IsOpen: true })
            {
                return _connection;
            }

            _connection?.Dispose();
            _connection = null;
            _connection = await _factory.CreateConnectionAsync(ct).ConfigureAwait(false);
            return _connection;
        }
        finally
        {
            _connectionGate.Release();
        }
    }

    /// <summary>The work queue (durable, dead-lettering to the exchange of the dead-letter queue's name) and the dead-letter queue.</summary>
    private async Task DeclareAsync(IChannel channel, CancellationToken ct)
    {
        string dead = _options.DeadLetterQueueName;
        await channel.ExchangeDeclareAsync(dead, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct).ConfigureAwait(false);
        await channel.QueueDeclareAsync(dead, durable: true, exclusive: false, autoDelete: false, arguments: null, cancellationToken: ct).ConfigureAwait(false);
        await channel.QueueBindAsync(dead, dead, string.Empty, cancellationToken: ct).ConfigureAwait(false);
        var arguments = new Dictionary<string, object?> { ["x-dead-letter-exchange"] = dead };
        await channel.QueueDeclareAsync(_options.QueueName, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: ct).ConfigureAwait(false);
    }

    private static async Task DisposeQuietlyAsync(IChannel? channel)
    {
        if (channel is null)
        {
            return;
        }

        try
        {
            await channel.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsBrokerFailure(ex))
        {
        }
    }

    internal static bool IsBrokerFailure(Exception ex) =>
        ex is RabbitMQClientException or IOException or SocketException or TimeoutException or ObjectDisposedException;

    private static string Reason(Exception ex) => ex.InnerException is { } inner && ex is BrokerUnreachableException ? inner.Message : ex.Message;

    private sealed record Delivery(IChannel Channel, ulong Tag, string JobId);

    private sealed class Lease(RabbitMqJobQueue owner, Delivery delivery) : IJobLease
    {
        public string JobId => delivery.JobId;

        public async ValueTask CompleteAsync()
        {
            bool poison = owner._node.TakeDeadLetter(delivery.JobId);
            await SettleAsync(c => poison
                ? c.BasicRejectAsync(delivery.Tag, requeue: false)
                : c.BasicAckAsync(delivery.Tag, multiple: false)).ConfigureAwait(false);
        }

        public ValueTask AbandonAsync() => SettleAsync(c => c.BasicNackAsync(delivery.Tag, multiple: false, requeue: true));

        private async ValueTask SettleAsync(Func<IChannel, ValueTask> settle)
        {
            if (!delivery.Channel.IsOpen)
            {
                // Closed since: the broker redelivers the message and the store recognises where the job is.
                return;
            }

            try
            {
                await settle(delivery.Channel).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsBrokerFailure(ex))
            {
                owner._log.LogInformation("jobs: could not settle job {Id} with {Where} ({Reason}); the broker redelivers it", delivery.JobId, owner._where, ex.Message);
            }
        }
    }
}
