using System.Collections.Concurrent;

namespace Capture.Jobs;

/// <summary>
/// Job changes for live listeners (the server-sent event streams). The embedded default is
/// <see cref="InProcessJobEvents"/>; in scale-out, workers publish through the store or broker
/// and API nodes subscribe. Listeners must be quick: they run on the publisher's thread.
/// </summary>
public interface IJobEvents
{
    void Publish(JobRecord job);

    /// <summary>Calls <paramref name="onChange"/> for each change of job <paramref name="id"/> until disposed.</summary>
    IDisposable Subscribe(string id, Action<JobRecord> onChange);
}

/// <summary>Subscribers per job id, in memory.</summary>
public sealed class InProcessJobEvents : IJobEvents
{
    private readonly ConcurrentDictionary<string, ImmutableList> _subscribers = new(StringComparer.Ordinal);

    public void Publish(JobRecord job)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (_subscribers.TryGetValue(job.Id, out ImmutableList? list))
        {
            foreach (Action<JobRecord> action in list.Items)
            {
                action(job);
            }
        }
    }

    public IDisposable Subscribe(string id, Action<JobRecord> onChange)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(onChange);
        _subscribers.AddOrUpdate(id, _ => new ImmutableList([onChange]), (_, l) => new ImmutableList([.. l.Items, onChange]));
        return new Subscription(this, id, onChange);
    }

    /// <summary>Number of jobs with listeners (tests check streams let go).</summary>
    public int ListenedJobs => _subscribers.Count;

    private void Unsubscribe(string id, Action<JobRecord> onChange)
    {
        while (_subscribers.TryGetValue(id, out ImmutableList? list))
        {
            Action<JobRecord>[] rest = [.. list.Items.Where(a => a != onChange)];
            bool done = rest.Length == 0
                ? _subscribers.TryRemove(new KeyValuePair<string, ImmutableList>(id, list))
                : _subscribers.TryUpdate(id, new ImmutableList(rest), list);
            if (done)
            {
                return;
            }
        }
    }

    // A reference type so TryUpdate/TryRemove compare by identity (copy on write).
    private sealed class ImmutableList(Action<JobRecord>[] items)
    {
        public Action<JobRecord>[] Items { get; } = items;
    }

    private sealed class Subscription(InProcessJobEvents owner, string id, Action<JobRecord> onChange) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Unsubscribe(id, onChange);
            }
        }
    }
}
