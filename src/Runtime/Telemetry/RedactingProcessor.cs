using System.Diagnostics;
using OpenTelemetry;
using TcWorker.Taskcluster;

namespace TcWorker.Runtime.Telemetry;

/// <summary>
/// Runs before the exporters on every span: URL-like attribute values (<c>url.full</c>, <c>url.path</c>,
/// anything that starts with <c>http://</c>, <c>https://</c> or <c>/</c>) lose their query strings and
/// secret-looking path segments (webhook ids, presigned signatures), and so does the span's name.
/// </summary>
internal sealed class RedactingProcessor : BaseProcessor<Activity>
{
    public override void OnEnd(Activity data)
    {
        foreach (var (key, value) in data.TagObjects.ToList())
        {
            if (value is string text && LooksLikeUrl(key, text))
            {
                data.SetTag(key, TaskclusterTelemetry.RedactUrl(text));
            }
        }

        if (data.DisplayName.Contains('/', StringComparison.Ordinal) || data.DisplayName.Contains('?', StringComparison.Ordinal))
        {
            data.DisplayName = string.Join(' ', data.DisplayName.Split(' ').Select(word => word.Contains('/', StringComparison.Ordinal) || word.Contains('?', StringComparison.Ordinal) ? TaskclusterTelemetry.RedactUrl(word) : word));
        }
    }

    private static bool LooksLikeUrl(string key, string value) =>
        key.StartsWith("url.", StringComparison.Ordinal) || key is "http.url" or "http.target" ||
        value.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || value.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || value.StartsWith('/');
}
