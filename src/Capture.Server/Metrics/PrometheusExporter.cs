using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Capture.Server.Metrics;

/// <summary>
/// Prometheus text format (version 0.0.4) for one <see cref="Meter"/>, from a <see cref="MeterListener"/>:
/// counters are summed, gauges observed at scrape time, histograms kept as cumulative buckets plus sum and
/// count. Series are keyed by the instrument and its first tag's value (the only tag Capture uses), so a
/// measurement allocates nothing once its series exists.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>Bucket upper bounds in ms: a 30 fps frame is 33 ms; the goals are p50 ≤ 40, p99 ≤ 80.</summary>
    private static readonly double[] s_bounds = [1, 2, 5, 10, 20, 40, 80, 160, 320, 1000];

    private readonly Meter _meter;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(Instrument Instrument, string? Tag), Series> _series = new();

    public PrometheusExporter(Meter meter)
    {
        ArgumentNullException.ThrowIfNull(meter);
        _meter = meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _meter))
            {
                listener.EnableMeasurementEvents(instrument);
                // Every series shows from the first scrape, at zero, so a dashboard sees "no drops" rather than nothing.
                if (instrument.Name == "capture_live_drops")
                {
                    foreach (string link in (string[])[DropLink.Ingest, DropLink.Viewer, DropLink.Order, DropLink.Malformed])
                    {
                        _series.TryAdd((instrument, link), new Series());
                    }
                }
                else
                {
                    _series.TryAdd((instrument, null), new Series());
                }
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Get(i, tags).Add(v));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Get(i, tags).Add(v));
        _listener.Start();
    }

    /// <summary>Writes every series of the meter in Prometheus text format.</summary>
    public string Scrape()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder(4096);
        CultureInfo c = CultureInfo.InvariantCulture;
        foreach (IGrouping<Instrument, KeyValuePair<(Instrument Instrument, string? Tag), Series>> group in _series
            .GroupBy(s => s.Key.Instrument).OrderBy(g => g.Key.Name, StringComparer.Ordinal))
        {
            Instrument instrument = group.Key;
            bool histogram = instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal);
            bool gauge = instrument.GetType().Name.StartsWith("ObservableGauge", StringComparison.Ordinal);
            string name = instrument.Name + (histogram || gauge ? "" : "_total");
            text.Append(c, $"# HELP {name} {instrument.Description}\n");
            text.Append(c, $"# TYPE {name} {(histogram ? "histogram" : gauge ? "gauge" : "counter")}\n");
            foreach (KeyValuePair<(Instrument Instrument, string? Tag), Series> entry in group.OrderBy(e => e.Key.Tag, StringComparer.Ordinal))
            {
                string label = entry.Key.Tag is null ? "" : $"{LiveMetrics.LinkTag}=\"{entry.Key.Tag}\"";
                entry.Value.Write(text, name, label, histogram, c);
            }
        }

        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private Series Get(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? tag = tags.Length > 0 ? tags[0].Value as string : null;
        return _series.TryGetValue((instrument, tag), out Series? s) ? s : _series.GetOrAdd((instrument, tag), _ => new Series());
    }

    private sealed class Series
    {
        private readonly long[] _buckets = new long[s_bounds.Length];
        private readonly Lock _lock = new();
        private double _sum;
        private long _count;
        private double _last;

        public void Add(double value)
        {
            lock (_lock)
            {
                _sum += value;
                _count++;
                _last = value;
                for (int i = 0; i < s_bounds.Length; i++)
                {
                    if (value <= s_bounds[i])
                    {
                        _buckets[i]++;
                        break;
                    }
                }
            }
        }

        public void Write(StringBuilder text, string name, string label, bool histogram, CultureInfo c)
        {
            lock (_lock)
            {
                if (!histogram)
                {
                    // Counters report the running sum; observable gauges report their last observation.
                    double value = name.EndsWith("_total", StringComparison.Ordinal) ? _sum : _last;
                    text.Append(c, $"{name}{(label.Length > 0 ? "{" + label + "}" : "")} {value}\n");
                    return;
                }

                string sep = label.Length > 0 ? label + "," : "";
                long cumulative = 0;
                for (int i = 0; i < s_bounds.Length; i++)
                {
                    cumulative += _buckets[i];
                    text.Append(c, $"{name}_bucket{{{sep}le=\"{s_bounds[i]}\"}} {cumulative}\n");
                }

                text.Append(c, $"{name}_bucket{{{sep}le=\"+Inf\"}} {_count}\n");
                string braces = label.Length > 0 ? "{" + label + "}" : "";
                text.Append(c, $"{name}_sum{braces} {_sum}\n");
                text.Append(c, $"{name}_count{braces} {_count}\n");
            }
        }
    }
}
