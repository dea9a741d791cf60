namespace Capture.Jobs.Distributed;

/// <summary>
/// The wait between attempts to reach PostgreSQL or RabbitMQ (the store's retries, the LISTEN and
/// consumer loops): 250 ms, doubled after each failed attempt up to 5 s, back to 250 ms once
/// connected (<see cref="Reset"/>). One per loop.
/// </summary>
internal sealed class ReconnectBackoff
{
    private static readonly TimeSpan s_first = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan s_longest = TimeSpan.FromSeconds(5);
    private TimeSpan _next = s_first;

    /// <summary>Connected again: the next failure waits the shortest time.</summary>
    public void Reset() => _next = s_first;

    /// <summary>Waits the current delay and lengthens the next; false when <paramref name="stop"/> ended the wait.</summary>
    public async Task<bool> WaitAsync(CancellationToken stop)
    {
        try
        {
            await Task.Delay(_next, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, s_longest.Ticks));
        return true;
    }
}
