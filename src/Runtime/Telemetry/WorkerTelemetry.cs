using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using TcWorker.Runtime.Worker;
using TcWorker.Taskcluster;
using TcWorker.Workers;

namespace TcWorker.Runtime.Telemetry;

/// <summary>
/// Sends the worker's metrics (<see cref="WorkerMetrics.MeterName"/>, <see cref="TaskclusterTelemetry.MeterName"/>)
/// and spans (<see cref="WorkerTracing.SourceName"/>, <see cref="TaskclusterTelemetry.SourceName"/>) where the
/// <c>telemetry</c> config section says: an OTLP collector, a Prometheus scrape endpoint, or both.
/// Exports run on their own threads: a collector that is down or does not answer never holds up task work.
/// Spans wait in a bounded queue (<see cref="OtlpOptions.MaxQueueSize"/>) and are dropped past it; the first
/// failed export is logged once. Every span's URLs are redacted before export.
/// </summary>
public sealed class WorkerTelemetry : IDisposable
{
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(2);

    // Typed as IDisposable so that a worker without telemetry never loads OpenTelemetry's assemblies
    // (about 2 MiB of its idle memory): only Exporters, built when the config asks for one, names their types.
    private readonly IDisposable? exporters;

    private WorkerTelemetry(IDisposable? exporters, Uri? prometheusUrl)
    {
        this.exporters = exporters;
        PrometheusUrl = prometheusUrl;
    }

    /// <summary>The Prometheus endpoint's URL (<c>http://127.0.0.1:PORT/metrics</c>), when one is configured.</summary>
    public Uri? PrometheusUrl { get; }

    /// <summary>
    /// Starts what the options ask for; nothing at all when they ask for nothing. Throws
    /// <see cref="System.Net.HttpListenerException"/> when the Prometheus address cannot be listened on.
    /// </summary>
    /// <param name="options">The <c>telemetry</c> section.</param>
    /// <param name="identity">The worker, for the resource attributes.</param>
    /// <param name="loggerFactory">For the one-time export failure message.</param>
    /// <returns>The running exporters; dispose to flush (within a short bound) and stop them.</returns>
    public static WorkerTelemetry Start(TelemetryOptions options, WorkerIdentity identity, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        return options.Enabled ? Exporters.Start(options, identity, loggerFactory) : new WorkerTelemetry(null, null);
    }

    /// <summary>Flushes what is buffered, waiting at most a couple of seconds, and stops.</summary>
    public void Dispose() => exporters?.Dispose();

    private static int Milliseconds(TimeSpan span) => (int)Math.Clamp(span.TotalMilliseconds, 1, int.MaxValue);

    /// <summary>The running OpenTelemetry providers and the Prometheus endpoint.</summary>
    private sealed class Exporters(TracerProvider? tracing, MeterProvider? metering, PrometheusEndpoint? prometheus) : IDisposable
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        public static WorkerTelemetry Start(TelemetryOptions options, WorkerIdentity identity, ILoggerFactory loggerFactory)
        {
            var logger = loggerFactory.CreateLogger<WorkerTelemetry>();
            var resource = ResourceBuilder.CreateEmpty()
                .AddService(options.ServiceName, serviceInstanceId: identity.WorkerId)
                .AddAttributes([new("tc.worker_pool.id", identity.WorkerPoolId), new("tc.worker_group", identity.WorkerGroup), new("tc.worker.id", identity.WorkerId)]);
            PrometheusEndpoint? prometheus = null;
            var meters = Sdk.CreateMeterProviderBuilder().SetResourceBuilder(resource).AddMeter(WorkerMetrics.MeterName, TaskclusterTelemetry.MeterName);
            TracerProvider? tracing = null;
            if (options.Otlp is { } otlp)
            {
                var failures = new ExportFailureLog(logger, otlp.Endpoint);
                meters.AddOtlpExporter((exporter, reader) =>
                {
                    Configure(exporter, otlp, "/v1/metrics", failures);
                    reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = Milliseconds(otlp.Interval);
                    reader.PeriodicExportingMetricReaderOptions.ExportTimeoutMilliseconds = Milliseconds(otlp.Timeout);
                    reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
                });
                tracing = Sdk.CreateTracerProviderBuilder()
                    .SetResourceBuilder(resource)
                    .AddSource(WorkerTracing.SourceName, TaskclusterTelemetry.SourceName)
                    .AddProcessor(new RedactingProcessor())
                    .AddOtlpExporter(exporter =>
                    {
                        Configure(exporter, otlp, "/v1/traces", failures);
                        exporter.ExportProcessorType = ExportProcessorType.Batch;
                        exporter.BatchExportProcessorOptions = new BatchExportActivityProcessorOptions
                        {
                            MaxQueueSize = otlp.MaxQueueSize,
                            MaxExportBatchSize = Math.Min(512, otlp.MaxQueueSize),
                            ScheduledDelayMilliseconds = Math.Min(Milliseconds(otlp.Interval), 5000),
                            ExporterTimeoutMilliseconds = Milliseconds(otlp.Timeout),
                        };
                    })
                    .Build();
            }

            if (options.PrometheusListen is { } listen)
            {
                var exporter = new PrometheusTextExporter();
                var reader = new BaseExportingMetricReader(exporter) { TemporalityPreference = MetricReaderTemporalityPreference.Cumulative };
                meters.AddReader(reader);
                prometheus = PrometheusEndpoint.Start(listen, () => exporter.Scrape(reader), logger);
            }

            var metering = meters.Build();
            TelemetryLog.Started(logger, options.Otlp?.Endpoint.GetLeftPart(UriPartial.Path) ?? "none", prometheus?.Url.ToString() ?? "none");
            return new WorkerTelemetry(new Exporters(tracing, metering, prometheus), prometheus?.Url);
        }

        public void Dispose()
        {
            prometheus?.Dispose();
            var timeout = Milliseconds(ShutdownTimeout);
            tracing?.Shutdown(timeout);
            metering?.Shutdown(timeout);
            tracing?.Dispose();
            metering?.Dispose();
        }

        private static void Configure(OtlpExporterOptions exporter, OtlpOptions otlp, string signalPath, ExportFailureLog failures)
        {
            var grpc = otlp.Protocol == OtlpOptions.Grpc;
            exporter.Protocol = grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
            exporter.Endpoint = grpc ? otlp.Endpoint : new Uri(otlp.Endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/') + signalPath);
            exporter.TimeoutMilliseconds = Milliseconds(otlp.Timeout);
            exporter.HttpClientFactory = () =>
            {
                var client = new HttpClient(new ExportFailureHandler(failures) { InnerHandler = new SocketsHttpHandler() }) { Timeout = otlp.Timeout };
                foreach (var (name, value) in otlp.Headers)
                {
                    client.DefaultRequestHeaders.TryAddWithoutValidation(name, value);
                }

                return client;
            };
        }
    }
}
