using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;

namespace TcWorker.Taskcluster;

/// <summary>
/// The client's instruments: a client span per Taskcluster call and per upload PUT on the
/// <see cref="SourceName"/> activity source, and on the <see cref="MeterName"/> meter the calls'
/// duration, their retries and the bytes uploaded. URLs on spans are redacted (<see cref="RedactUrl"/>):
/// no query string (presigned signatures, bewits), no user info, no secret-looking path segment.
/// Nothing is recorded unless a listener (OpenTelemetry, dotnet-counters) subscribes.
/// </summary>
public static class TaskclusterTelemetry
{
    /// <summary>The activity source and meter name: <c>TcWorker.Taskcluster</c>.</summary>
    public const string SourceName = "TcWorker.Taskcluster";

    /// <summary>The activity source and meter name (same as <see cref="SourceName"/>).</summary>
    public const string MeterName = SourceName;

    /// <summary>Path segments at least this long, of URL-safe characters only, are taken for secrets (a webhook id has 43).</summary>
    private const int SecretSegmentLength = 32;

    internal static readonly ActivitySource Source = new(SourceName);
    private static readonly Meter Meter = new(MeterName);
    private static readonly Histogram<double> CallDuration = Meter.CreateHistogram<double>(
        "tcworker.taskcluster.call.duration",
        "s",
        "Duration of Taskcluster calls, retries included, by service, operation and outcome.",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
    private static readonly Counter<long> Retries = Meter.CreateCounter<long>("tcworker.taskcluster.call.retries", "{retry}", "Attempts of Taskcluster calls that were retried, by service, operation and reason.");
    private static readonly Counter<long> UploadBytes = Meter.CreateCounter<long>("tcworker.upload.size", "By", "Bytes of artifact content uploaded, by upload method.");

    /// <summary>
    /// A URL as it may appear in telemetry and logs: the query string and fragment dropped (they carry
    /// presigned signatures and bewits), user info dropped, and every path segment of 32 or more
    /// URL-safe characters (webhook ids, tokens) replaced by <c>{redacted}</c>. Text that is not an
    /// absolute URL is redacted as a path.
    /// </summary>
    /// <param name="url">The URL.</param>
    /// <returns>The redacted URL.</returns>
    public static string RedactUrl(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var cut = url.IndexOfAny(['?', '#']);
        var bare = cut < 0 ? url : url[..cut];
        var scheme = bare.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return RedactPath(bare);
        }

        // Kept as written (no Uri round trip, which would escape the marker): scheme, host and port, then the path.
        var authorityStart = scheme + 3;
        var pathStart = bare.IndexOf('/', authorityStart);
        var authority = pathStart < 0 ? bare[authorityStart..] : bare[authorityStart..pathStart];
        var host = authority[(authority.LastIndexOf('@') + 1)..];
        return bare[..authorityStart] + host + (pathStart < 0 ? string.Empty : RedactPath(bare[pathStart..]));
    }

    /// <summary>Replaces secret-looking segments of a path (see <see cref="RedactUrl"/>).</summary>
    /// <param name="path">The path, e.g. <c>/3kD…/log</c>.</param>
    /// <returns>The redacted path.</returns>
    public static string RedactPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var segments = path.Split('/');
        var builder = new StringBuilder(path.Length);
        for (var i = 0; i < segments.Length; i++)
        {
            if (i > 0)
            {
                builder.Append('/');
            }

            builder.Append(LooksSecret(segments[i]) ? "{redacted}" : segments[i]);
        }

        return builder.ToString();
    }

    /// <summary>A low-cardinality name of an API path: every segment but plain lowercase words becomes <c>{}</c> (<c>/task/{}/runs/{}/reclaim</c>).</summary>
    internal static string Operation(string path)
    {
        var segments = path.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.Length > 20 || !segment.All(c => c is (>= 'a' and <= 'z') or '-'))
            {
                segments[i] = "{}";
            }
        }

        return string.Join('/', segments);
    }

    internal static Activity? StartCall(string service, string operation, HttpMethod method, Uri url)
    {
        var activity = Source.StartActivity($"{service} {method.Method} {operation}", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("tc.service", service);
            activity.SetTag("tc.operation", operation);
            activity.SetTag("http.request.method", method.Method);
            activity.SetTag("url.full", RedactUrl(url.OriginalString));
        }

        return activity;
    }

    internal static void Ended(Activity? activity, string service, string operation, long started, int? status, Exception? error)
    {
        var outcome = error is null ? "ok" : status is { } code ? code.ToString(System.Globalization.CultureInfo.InvariantCulture) : "error";
        if (CallDuration.Enabled)
        {
            CallDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new("tc.service", service), new("tc.operation", operation), new("outcome", outcome));
        }

        if (activity is null)
        {
            return;
        }

        if (status is { } statusCode)
        {
            activity.SetTag("http.response.status_code", statusCode);
        }

        if (error is not null)
        {
            activity.SetStatus(ActivityStatusCode.Error, error.GetType().Name);
        }

        activity.Dispose();
    }

    internal static void Retried(string service, string operation, string reason) =>
        Retries.Add(1, new("tc.service", service), new("tc.operation", operation), new("reason", reason));

    internal static void Uploaded(string method, long bytes) => UploadBytes.Add(bytes, new KeyValuePair<string, object?>("method", method));

    private static bool LooksSecret(string segment) =>
        segment.Length >= SecretSegmentLength && segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
