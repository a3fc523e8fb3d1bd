using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Telemetry;

namespace TcWorker.Runtime.Tests.Telemetry;

/// <summary>The worker's own log on the console, text or JSON, redacts URLs as its other logs do.</summary>
public sealed partial class ConsoleLogTests
{
    private const string Signed = "https://bucket.s3.example.com/3f2a9c0e7b1d4a6f8e5c2b0a9d7f6e4c?X-Amz-Signature=abcdef&X-Amz-Credential=AKIA";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_console_provider_is_wrapped_by_the_redaction(bool json)
    {
        using var services = new ServiceCollection().AddLogging(logging => RedactingLoggerProvider.RedactConsole(json ? logging.AddJsonConsole() : logging.AddSimpleConsole())).BuildServiceProvider();
        var provider = Assert.Single(services.GetServices<ILoggerProvider>());
        Assert.IsType<ConsoleLoggerProvider>(Assert.IsType<RedactingLoggerProvider>(provider).Inner);
    }

    [Theory]
    [InlineData(ConsoleFormatterNames.Json)]
    [InlineData(ConsoleFormatterNames.Simple)]
    public void Messages_values_and_exceptions_lose_signatures_in_the_console_formats(string format)
    {
        using var services = new ServiceCollection().AddLogging(logging => RedactingLoggerProvider.RedactConsole(logging.AddJsonConsole().AddSimpleConsole())).BuildServiceProvider();
        var formatter = services.GetServices<ConsoleFormatter>().Single(f => f.Name == format);
        using var written = new StringWriter();
        using var provider = new RedactingLoggerProvider(new FormattingProvider(formatter, written));
        var logger = provider.CreateLogger("TcWorker.Test");

        UploadFailed(logger, new Uri(Signed), Signed, new HttpRequestException($"PUT {Signed} answered 403"));

        var text = written.ToString();
        Assert.DoesNotContain("X-Amz-Signature", text, StringComparison.Ordinal);
        Assert.DoesNotContain("3f2a9c0e7b1d4a6f8e5c2b0a9d7f6e4c", text, StringComparison.Ordinal);
        Assert.Contains("https://bucket.s3.example.com/{redacted}", text, StringComparison.Ordinal);
        Assert.Contains("HttpRequestException", text, StringComparison.Ordinal);
        if (format == ConsoleFormatterNames.Json)
        {
            var line = JObject.Parse(text.Trim());
            Assert.Equal("Upload to https://bucket.s3.example.com/{redacted} failed (https://bucket.s3.example.com/{redacted})", (string?)line["Message"]);
            Assert.Equal("https://bucket.s3.example.com/{redacted}", (string?)line["State"]!["Url"]);
            Assert.Equal("Upload to {Url} failed ({Text})", (string?)line["State"]!["{OriginalFormat}"]);
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Upload to {Url} failed ({Text})")]
    private static partial void UploadFailed(ILogger logger, Uri url, string text, Exception exception);

    /// <summary>Writes through a real console formatter into a text writer, as the console provider does.</summary>
    private sealed class FormattingProvider(ConsoleFormatter formatter, TextWriter output) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(formatter, output, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(ConsoleFormatter formatter, TextWriter output, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> format) =>
                formatter.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, format), new LoggerExternalScopeProvider(), output);
        }
    }
}
