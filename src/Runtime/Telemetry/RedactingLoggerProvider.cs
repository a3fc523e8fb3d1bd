using System.Collections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using TcWorker.Runtime.Worker;

namespace TcWorker.Runtime.Telemetry;

/// <summary>
/// Wraps a logger provider (the console's, text or JSON) so that every URL in what it writes loses its
/// query string, user info and secret-looking path segments, as the worker-runner log and the exported
/// telemetry do: the message, each structured value of the message, and the exception's text. Scopes
/// (task and run ids) pass unchanged.
/// </summary>
internal sealed class RedactingLoggerProvider(ILoggerProvider inner) : ILoggerProvider, ISupportExternalScope
{
    /// <summary>
    /// Puts the console provider that <paramref name="logging"/> already has (text or JSON) behind the
    /// redaction: what reaches the console passes through the same URL redaction as the worker-runner log
    /// and the exported telemetry.
    /// </summary>
    public static ILoggingBuilder RedactConsole(ILoggingBuilder logging)
    {
        var console = logging.Services.Single(service => service.ServiceType == typeof(ILoggerProvider) && service.ImplementationType == typeof(ConsoleLoggerProvider));
        logging.Services.Remove(console);
        logging.Services.AddSingleton<ILoggerProvider>(services => new RedactingLoggerProvider(new ConsoleLoggerProvider(services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>(), services.GetServices<ConsoleFormatter>())));
        return logging;
    }

    /// <summary>The wrapped provider.</summary>
    public ILoggerProvider Inner => inner;

    public ILogger CreateLogger(string categoryName) => new Logger(inner.CreateLogger(categoryName));

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => (inner as ISupportExternalScope)?.SetScopeProvider(scopeProvider);

    public void Dispose() => inner.Dispose();

    private sealed class Logger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            var message = WorkerRunnerLoggerProvider.Redact(formatter(state, exception));
            var fields = state is IReadOnlyList<KeyValuePair<string, object?>> pairs ? new Fields(pairs, message) : new Fields([], message);
            inner.Log(logLevel, eventId, fields, Redacted(exception), static (fields, _) => fields.Message);
        }

        private static Exception? Redacted(Exception? exception)
        {
            if (exception is null)
            {
                return null;
            }

            var text = exception.ToString();
            return text.Contains("://", StringComparison.Ordinal) ? new RedactedException(WorkerRunnerLoggerProvider.Redact(text), exception) : exception;
        }
    }

    /// <summary>The message's structured values with string values redacted; the message template stays as written.</summary>
    private sealed class Fields(IReadOnlyList<KeyValuePair<string, object?>> pairs, string message) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message => message;

        public int Count => pairs.Count;

        public KeyValuePair<string, object?> this[int index]
        {
            get
            {
                var (key, value) = pairs[index];
                return key != "{OriginalFormat}" && value is string or Uri ? new(key, WorkerRunnerLoggerProvider.Redact(value.ToString() ?? string.Empty)) : pairs[index];
            }
        }

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (var i = 0; i < pairs.Count; i++)
            {
                yield return this[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => message;
    }

    /// <summary>Stands for an exception whose text held a URL: the console writes <see cref="ToString"/>, redacted.</summary>
    private sealed class RedactedException(string text, Exception original) : Exception(original.Message.Contains("://", StringComparison.Ordinal) ? WorkerRunnerLoggerProvider.Redact(original.Message) : original.Message)
    {
        public override string ToString() => text;
    }
}
