using System.Globalization;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster;

namespace TcWorker.Runtime.Worker;

/// <summary>
/// Forwards the worker's log to worker-runner as <c>log</c> messages (information and above): the body holds
/// <c>textPayload</c> (the message), <c>level</c>, <c>category</c>, <c>eventId</c>, every structured value of
/// the message and of its scopes (<c>TaskId</c>, <c>RunId</c>), and <c>exception</c>. URLs in them are redacted
/// (no query strings, no secret-looking path segments).
/// </summary>
internal sealed class WorkerRunnerLoggerProvider(WorkerRunnerProtocol protocol) : ILoggerProvider, ISupportExternalScope
{
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Dispose()
    {
        // The protocol belongs to the worker host.
    }

    private sealed class Logger(WorkerRunnerLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => provider.scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var body = new JObject
            {
                ["textPayload"] = Redact(formatter(state, exception)),
                ["level"] = logLevel.ToString().ToLowerInvariant(),
                ["category"] = category,
                ["eventId"] = eventId.Id,
            };
            provider.scopes.ForEachScope((scope, fields) => AddFields(fields, scope), body);
            AddFields(body, state);
            if (exception is not null)
            {
                body["exception"] = Redact(exception.GetType().Name + ": " + exception.Message);
            }

            provider.Forward(body);
        }

        private static void AddFields(JObject body, object? values)
        {
            if (values is not IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                return;
            }

            foreach (var (key, value) in pairs)
            {
                if (key == "{OriginalFormat}" || body.ContainsKey(key))
                {
                    continue;
                }

                body[key] = value switch
                {
                    null => JValue.CreateNull(),
                    int or long or double or bool => new JValue(value),
                    _ => Redact(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty),
                };
            }
        }
    }

    private void Forward(JObject body) => protocol.SendLog(body);

    /// <summary>Redacts every URL in a text.</summary>
    internal static string Redact(string text) =>
        !text.Contains("://", StringComparison.Ordinal) ? text : string.Join(' ', text.Split(' ').Select(word => word.Contains("://", StringComparison.Ordinal) ? RedactWord(word) : word));

    private static string RedactWord(string word)
    {
        var start = word.IndexOf("http", StringComparison.OrdinalIgnoreCase);
        if (start < 0)
        {
            return word;
        }

        // Punctuation after a URL (a closing bracket, a comma, a full stop) is the sentence's, not the URL's.
        var end = word.AsSpan(start).TrimEnd(")]},;:.'\"").Length + start;
        return word[..start] + TaskclusterTelemetry.RedactUrl(word[start..end]) + word[end..];
    }
}
