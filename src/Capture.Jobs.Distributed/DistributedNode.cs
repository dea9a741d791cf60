using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Capture.Jobs.Distributed;

/// <summary>
/// This process as the other nodes see it: its id (written as a running job's owner) and the jobs it
/// holds now. Shared by the store (which takes and releases jobs), the sweeper (which heartbeats them)
/// and the queue (which dead-letters a delivery the store gave up on).
/// </summary>
public sealed class DistributedNode
{
    private readonly ConcurrentDictionary<string, int> _held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _deadLetter = new(StringComparer.Ordinal);

    public DistributedNode(string? role = null)
    {
        // Host, process and 32 random bits: unique per process even when two workers share a machine.
        Id = $"{Environment.MachineName}/{role ?? "node"}/{Environment.ProcessId}/{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";
    }

    public string Id { get; }

    /// <summary>Called when this process cancels a job it holds because the store says it is no longer its own (canceled, deleted, taken over).</summary>
    public Func<string, Task>? OnLost { get; set; }

    internal void Hold(string jobId, int attempt) => _held[jobId] = attempt;

    internal void Release(string jobId) => _held.TryRemove(jobId, out _);

    internal bool TryGetAttempt(string jobId, out int attempt) => _held.TryGetValue(jobId, out attempt);

    internal string[] HeldJobs() => [.. _held.Keys];

    /// <summary>The store gave up on this job (poison): its delivery is rejected to the dead-letter queue, not acked.</summary>
    internal void MarkDeadLetter(string jobId) => _deadLetter[jobId] = 0;

    internal bool TakeDeadLetter(string jobId) => _deadLetter.TryRemove(jobId, out _);
}
