using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using TcWorker.Workers;

namespace TcWorker.Runtime.Webhooks;

/// <summary>
/// A <see cref="WebhookServer"/> started by the first attach rather than with the worker: Kestrel
/// and the ASP.NET Core assemblies behind it take a good part of the worker's start-up and of its
/// idle memory, and only a task that attaches a hook (a live log, once its sandbox is running) needs
/// them. Concurrent first attaches share one start; a failed start is logged and the next attach
/// tries again. Thread-safe.
/// </summary>
internal sealed partial class LazyWebhookServer : IWebhookServer, IAsyncDisposable
{
    private readonly WebhookServerOptions options;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private readonly Lock gate = new();
    private Task<WebhookServer>? starting;
    private bool disposed;

    /// <summary>Creates the server without starting it.</summary>
    /// <param name="options">The mode and addresses.</param>
    /// <param name="loggerFactory">For the server's own log.</param>
    public LazyWebhookServer(WebhookServerOptions options, ILoggerFactory loggerFactory)
    {
        this.options = options;
        this.loggerFactory = loggerFactory;
        logger = loggerFactory.CreateLogger<LazyWebhookServer>();
    }

    /// <summary>Whether the server has started (by an attach).</summary>
    public bool IsStarted => Volatile.Read(ref starting) is { IsCompletedSuccessfully: true };

    /// <inheritdoc />
    public async Task<WebhookRegistration> AttachAsync(RequestDelegate handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var server = await StartedAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return await server.AttachAsync(handler, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Task<WebhookServer>? started;
        lock (gate)
        {
            disposed = true;
            started = starting;
        }

        if (started is null)
        {
            return;
        }

        // A failed start was logged and reported to its attaches: there is nothing to stop then.
        await ((Task)started).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (started.IsCompletedSuccessfully)
        {
            await started.Result.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Task<WebhookServer> StartedAsync()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (starting is null || starting.IsFaulted || starting.IsCanceled)
            {
                starting = StartAsync();
            }

            return starting;
        }
    }

    private async Task<WebhookServer> StartAsync()
    {
        try
        {
            // On the thread pool, so that the caller does not start Kestrel while holding the gate.
            return await Task.Run(() => WebhookServer.StartAsync(options, loggerFactory)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            StartFailed(logger, e);
            throw;
        }
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Error, Message = "The webhook server did not start; the task attaching a hook (a live log) fails")]
    private static partial void StartFailed(ILogger logger, Exception exception);
}
