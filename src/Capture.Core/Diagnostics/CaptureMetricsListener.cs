using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Capture.Core.Diagnostics;

/// <summary>
/// Listens to the "Capture" meter while it lives and sums what was recorded: count, total, min and
/// max a series (an instrument with one set of tag values), and for the observable GC counters the
/// change since the listener started. <see cref="Report"/> turns that into lines for <c>--verbose</c>.
/// Thread-safe; aggregating takes a lock, and a series' first measurement allocates its slot.
/// </summary>
public sealed class CaptureMetricsListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<(Instrument Instrument, object? Tag1, object? Tag2), Series> _series = [];
    private readonly List<(Instrument Instrument, object? Tag1, object? Tag2)> _order = [];

    public CaptureMetricsListener()
    {
        // Creates the instruments if nothing has recorded yet, so Start below sees them all.
        _ = CaptureMetrics.Meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == CaptureMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();

        // The GC counters' values now: their first sample, the base the report subtracts.
        _listener.RecordObservableInstruments();
    }

    /// <summary>One series' totals.</summary>
    public readonly record struct Series(long Count, double Sum, double Min, double Max);

    /// <summary>The totals of one series so far; null when nothing was recorded with those tag values (in the order recorded).</summary>
    public Series? Get(string instrument, object? tag1 = null, object? tag2 = null)
    {
        lock (_gate)
        {
            foreach (KeyValuePair<(Instrument Instrument, object? Tag1, object? Tag2), Series> s in _series)
            {
                if (s.Key.Instrument.Name == instrument && Equals(s.Key.Tag1, tag1) && Equals(s.Key.Tag2, tag2))
                {
                    return s.Value;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// One line a series, in the order first recorded: durations as total and mean a measurement,
    /// counters as totals, pool use as mean and max, GC counters as the change since the listener started.
    /// </summary>
    public IReadOnlyList<string> Report()
    {
        _listener.RecordObservableInstruments();
        var lines = new List<string>();
        CultureInfo c = CultureInfo.InvariantCulture;
        lock (_gate)
        {
            foreach ((Instrument Instrument, object? Tag1, object? Tag2) key in _order)
            {
                Series s = _series[key];
                var line = new StringBuilder(key.Instrument.Name);
                foreach (object? tag in new[] { key.Tag1, key.Tag2 })
                {
                    if (tag is not null)
                    {
                        line.Append(' ').Append(tag);
                    }
                }

                line.Append(": ");
                if (key.Instrument.IsObservable)
                {
                    line.Append(c, $"+{s.Max - s.Min:0.###} {key.Instrument.Unit?.Trim('{', '}')} since the command started");
                }
                else if (key.Instrument.Unit == "s")
                {
                    line.Append(c, $"{s.Sum:F3} s over {s.Count} ({s.Sum / Math.Max(1, s.Count) * 1000:F2} ms each, max {s.Max * 1000:F2} ms)");
                }
                else if (key.Instrument is Histogram<int>)
                {
                    line.Append(c, $"mean {s.Sum / Math.Max(1, s.Count):F2}, max {s.Max:0} over {s.Count} samples");
                }
                else
                {
                    line.Append(c, $"{s.Sum:0}");
                }

                lines.Add(line.ToString());
            }
        }

        return lines;
    }

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var key = (instrument, tags.Length > 0 ? tags[0].Value : null, tags.Length > 1 ? tags[1].Value : null);
        lock (_gate)
        {
            if (!_series.TryGetValue(key, out Series s))
            {
                _order.Add(key);
                _series[key] = new Series(1, value, value, value);
                return;
            }

            // Observable counters report running totals: keep the first (as Min) and the latest (as Max), not a sum.
            _series[key] = instrument.IsObservable
                ? new Series(s.Count + 1, value, s.Min, value)
                : new Series(s.Count + 1, s.Sum + value, Math.Min(s.Min, value), Math.Max(s.Max, value));
        }
    }
}
