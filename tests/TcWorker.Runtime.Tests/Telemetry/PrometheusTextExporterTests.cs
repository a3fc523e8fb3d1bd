using System.Diagnostics.Metrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using TcWorker.Runtime.Telemetry;

namespace TcWorker.Runtime.Tests.Telemetry;

public sealed class PrometheusTextExporterTests
{
    [Fact]
    public void Counters_gauges_and_histograms_render_in_the_text_exposition_format()
    {
        var name = "tcworker.test." + Guid.NewGuid().ToString("N")[..8];
        using var meter = new Meter(name);
        var exporter = new PrometheusTextExporter();
        var reader = new BaseExportingMetricReader(exporter);
        using var provider = Sdk.CreateMeterProviderBuilder().AddMeter(name).AddReader(reader).Build();
        meter.CreateCounter<long>(name + ".claims", "{task}", "Tasks claimed.").Add(3, new KeyValuePair<string, object?>("state", "a \"quoted\" value"));
        meter.CreateHistogram<double>(name + ".duration", "s", "Run time.").Record(0.3);
        meter.CreateUpDownCounter<long>(name + ".used", "{task}").Add(2);
        meter.CreateCounter<long>(name + ".size", "By").Add(1024);

        var text = exporter.Scrape(reader);
        var prefix = name.Replace('.', '_');
        Assert.Contains($"# HELP {prefix}_claims_total Tasks claimed.\n# TYPE {prefix}_claims_total counter\n{prefix}_claims_total{{state=\"a \\\"quoted\\\" value\"}} 3\n", text, StringComparison.Ordinal);
        Assert.Contains($"# TYPE {prefix}_duration_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains($"{prefix}_duration_seconds_bucket{{le=\"5\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"{prefix}_duration_seconds_bucket{{le=\"0\"}} 0\n", text, StringComparison.Ordinal);
        Assert.Contains($"{prefix}_duration_seconds_bucket{{le=\"+Inf\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"{prefix}_duration_seconds_sum 0.3\n{prefix}_duration_seconds_count 1\n", text, StringComparison.Ordinal);
        Assert.Contains($"# TYPE {prefix}_used gauge\n{prefix}_used 2\n", text, StringComparison.Ordinal);
        Assert.Contains($"{prefix}_size_bytes_total 1024\n", text, StringComparison.Ordinal);

        // Cumulative: a second scrape still has the totals.
        Assert.Contains($"{prefix}_size_bytes_total 1024\n", exporter.Scrape(reader), StringComparison.Ordinal);
    }
}
