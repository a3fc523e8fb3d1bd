using Microsoft.Extensions.Logging;

namespace TcWorker.Runtime.Telemetry;

/// <summary>The telemetry's log messages (event ids 700-719).</summary>
internal static partial class TelemetryLog
{
    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Telemetry: OTLP to {Otlp}, Prometheus endpoint {Prometheus}")]
    public static partial void Started(ILogger logger, string otlp, string prometheus);

    [LoggerMessage(EventId = 701, Level = LogLevel.Warning, Message = "Telemetry export to {Endpoint} failed ({Reason}); task work goes on, and telemetry beyond the export buffer is dropped while the collector cannot be reached. This is logged once.")]
    public static partial void ExportFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "Prometheus endpoint: a scrape failed ({Reason})")]
    public static partial void ScrapeFailed(ILogger logger, string reason);
}
