using System.Globalization;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace TcWorker.Runtime.Telemetry;

/// <summary>
/// Renders the metrics of one collection in Prometheus' text exposition format (version 0.0.4): dots in
/// names become underscores, the unit is appended (<c>_seconds</c>, <c>_bytes</c>, <c>_milliseconds</c>),
/// counters end in <c>_total</c>, histograms give <c>_bucket</c>, <c>_sum</c> and <c>_count</c>.
/// </summary>
internal sealed class PrometheusTextExporter : BaseExporter<Metric>
{
    private readonly Lock gate = new();
    private StringBuilder? collecting;

    /// <summary>Collects now and returns the text (one scrape at a time).</summary>
    public string Scrape(MetricReader reader)
    {
        lock (gate)
        {
            collecting = new StringBuilder();
            try
            {
                reader.Collect(5000);
                return collecting.ToString();
            }
            finally
            {
                collecting = null;
            }
        }
    }

    public override ExportResult Export(in Batch<Metric> batch)
    {
        var text = collecting;
        if (text is null)
        {
            return ExportResult.Success;
        }

        foreach (var metric in batch)
        {
            Write(text, metric);
        }

        return ExportResult.Success;
    }

    private static void Write(StringBuilder text, Metric metric)
    {
        var name = Name(metric);
        var (type, suffix) = metric.MetricType switch
        {
            MetricType.LongSum or MetricType.DoubleSum => ("counter", "_total"),
            MetricType.Histogram => ("histogram", string.Empty),
            _ => ("gauge", string.Empty),
        };
        text.Append("# HELP ").Append(name).Append(suffix).Append(' ').Append(metric.Description.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
        text.Append("# TYPE ").Append(name).Append(suffix).Append(' ').Append(type).Append('\n');
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var labels = Labels(point.Tags);
            switch (metric.MetricType)
            {
                case MetricType.Histogram:
                    long cumulative = 0;
                    foreach (var bucket in point.GetHistogramBuckets())
                    {
                        cumulative += bucket.BucketCount;
                        var le = double.IsPositiveInfinity(bucket.ExplicitBound) ? "+Inf" : Number(bucket.ExplicitBound);
                        Sample(text, name + "_bucket", Join(labels, $"le=\"{le}\""), cumulative.ToString(CultureInfo.InvariantCulture));
                    }

                    Sample(text, name + "_sum", labels, Number(point.GetHistogramSum()));
                    Sample(text, name + "_count", labels, point.GetHistogramCount().ToString(CultureInfo.InvariantCulture));
                    break;
                case MetricType.LongSum or MetricType.LongSumNonMonotonic:
                    Sample(text, name + suffix, labels, point.GetSumLong().ToString(CultureInfo.InvariantCulture));
                    break;
                case MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic:
                    Sample(text, name + suffix, labels, Number(point.GetSumDouble()));
                    break;
                case MetricType.LongGauge:
                    Sample(text, name, labels, point.GetGaugeLastValueLong().ToString(CultureInfo.InvariantCulture));
                    break;
                case MetricType.DoubleGauge:
                    Sample(text, name, labels, Number(point.GetGaugeLastValueDouble()));
                    break;
            }
        }
    }

    private static string Name(Metric metric)
    {
        var name = new string(metric.Name.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
        var unit = metric.Unit switch
        {
            "s" => "_seconds",
            "ms" => "_milliseconds",
            "By" => "_bytes",
            _ => string.Empty,
        };
        return name.EndsWith(unit, StringComparison.Ordinal) ? name : name + unit;
    }

    private static string Labels(ReadOnlyTagCollection tags)
    {
        var parts = new List<string>();
        foreach (var tag in tags)
        {
            var key = new string(tag.Key.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
            var value = Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? string.Empty;
            parts.Add($"{key}=\"{value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)}\"");
        }

        return string.Join(',', parts);
    }

    private static string Join(string labels, string more) => labels.Length == 0 ? more : labels + "," + more;

    private static void Sample(StringBuilder text, string name, string labels, string value)
    {
        text.Append(name);
        if (labels.Length > 0)
        {
            text.Append('{').Append(labels).Append('}');
        }

        text.Append(' ').Append(value).Append('\n');
    }

    private static string Number(double value) => double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);
}
