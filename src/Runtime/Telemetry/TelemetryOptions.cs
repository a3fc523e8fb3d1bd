using System.Net;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Configuration;

namespace TcWorker.Runtime.Telemetry;

/// <summary>
/// The config's <c>telemetry</c> section: an OTLP exporter for metrics and traces, a Prometheus scrape
/// endpoint on a loopback address, and the format of the worker's own log. All off by default.
/// </summary>
public sealed record TelemetryOptions
{
    /// <summary>Where OTLP data goes (metrics and traces); null for nowhere.</summary>
    public OtlpOptions? Otlp { get; init; }

    /// <summary>The loopback address and port of the Prometheus scrape endpoint (<c>/metrics</c>); null for none.</summary>
    public IPEndPoint? PrometheusListen { get; init; }

    /// <summary>The worker's log on standard error as JSON lines rather than text (<c>logFormat: json</c>).</summary>
    public bool JsonLogs { get; init; }

    /// <summary>The <c>service.name</c> resource attribute (default <c>tc-worker</c>).</summary>
    public string ServiceName { get; init; } = "tc-worker";

    /// <summary>Whether anything leaves the process.</summary>
    public bool Enabled => Otlp is not null || PrometheusListen is not null;

    /// <summary>Reads the section of a loaded config (validated beforehand against the config schema).</summary>
    /// <param name="config">The config.</param>
    /// <returns>The options; everything off when the section is missing.</returns>
    /// <exception cref="ConfigException">The Prometheus address is not a loopback address and port.</exception>
    public static TelemetryOptions FromConfig(WorkerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var section = config.Document["telemetry"] as JObject ?? [];
        var otlp = section["otlp"] as JObject;
        var listen = section["prometheus"]?.Value<string>("listen");
        return new TelemetryOptions
        {
            Otlp = otlp is null ? null : new OtlpOptions
            {
                Endpoint = new Uri(otlp.Value<string>("endpoint")!),
                Protocol = otlp.Value<string>("protocol") ?? OtlpOptions.HttpProtobuf,
                Headers = (otlp["headers"] as JObject)?.Properties().ToDictionary(p => p.Name, p => (string?)p.Value ?? string.Empty) ?? [],
                Interval = TimeSpan.FromSeconds(otlp.Value<double?>("interval") ?? 60),
                Timeout = TimeSpan.FromSeconds(otlp.Value<double?>("timeout") ?? 10),
                MaxQueueSize = otlp.Value<int?>("maxQueueSize") ?? 2048,
            },
            PrometheusListen = listen is null ? null : Loopback(listen, config.Source),
            JsonLogs = section.Value<string>("logFormat") == "json",
            ServiceName = section.Value<string>("serviceName") ?? "tc-worker",
        };
    }

    /// <summary>Whether a config asks for JSON logs; readable before the config is validated (the log starts first).</summary>
    /// <param name="config">The loaded config.</param>
    /// <returns>True for <c>telemetry.logFormat: json</c>.</returns>
    public static bool JsonLogsIn(WorkerConfig config) => config is not null && config.Document["telemetry"]?["logFormat"] is JValue { Type: JTokenType.String } format && (string?)format == "json";

    private static IPEndPoint Loopback(string listen, string source)
    {
        var text = listen.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" + listen["localhost".Length..] : listen;
        if (!IPEndPoint.TryParse(text, out var endPoint) || !IPAddress.IsLoopback(endPoint.Address) || endPoint.Port == 0)
        {
            throw new ConfigException(source, [$"$.telemetry.prometheus.listen: '{listen}' is not a loopback address with a port, e.g. 127.0.0.1:9464 (the endpoint is for a local scraper or agent only)"]);
        }

        return endPoint;
    }
}

/// <summary>The OTLP exporter's settings (<c>telemetry.otlp</c>).</summary>
public sealed record OtlpOptions
{
    /// <summary>The <c>http/protobuf</c> protocol (the default).</summary>
    public const string HttpProtobuf = "http/protobuf";

    /// <summary>The <c>grpc</c> protocol.</summary>
    public const string Grpc = "grpc";

    /// <summary>The collector's base URL, e.g. <c>http://127.0.0.1:4318</c>; with http/protobuf, <c>/v1/traces</c> and <c>/v1/metrics</c> are appended.</summary>
    public required Uri Endpoint { get; init; }

    /// <summary><see cref="HttpProtobuf"/> or <see cref="Grpc"/>.</summary>
    public string Protocol { get; init; } = HttpProtobuf;

    /// <summary>Headers sent with every export (e.g. an API key); never logged.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>How often metrics are exported and queued spans are sent (default 60 s).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long one export may take before it is given up (default 10 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Spans waiting for export at most; more are dropped (default 2048).</summary>
    public int MaxQueueSize { get; init; } = 2048;
}
