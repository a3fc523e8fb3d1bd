using Microsoft.AspNetCore.Http;

namespace TcWorker.Workers;

/// <summary>
/// Serves HTTP handlers under unguessable URLs (at least 128 random bits in the path), for live
/// logs and interactive sessions. Thread-safe.
/// </summary>
public interface IWebhookServer
{
    /// <summary>
    /// Attaches a handler. Requests to the returned URL and below reach it with the hook's prefix
    /// removed from <see cref="HttpRequest.Path"/> (it is in <see cref="HttpRequest.PathBase"/>). The
    /// handler may accept WebSockets (<see cref="HttpContext.WebSockets"/>), in the localhost and the
    /// public (TLS) mode alike; the returned URL's scheme is <c>http</c> or <c>https</c>, and a client
    /// connects with <c>ws</c> or <c>wss</c> to the same address.
    /// </summary>
    /// <param name="handler">The handler.</param>
    /// <param name="cancellationToken">Cancels attaching.</param>
    /// <returns>
    /// The registration; disposing it detaches the hook, which then answers 404, and aborts the
    /// hook's open WebSockets (close them first for a clean close frame). Plain requests in flight
    /// run to their end.
    /// </returns>
    Task<WebhookRegistration> AttachAsync(RequestDelegate handler, CancellationToken cancellationToken = default);
}

/// <summary>A handler attached to the webhook server. Dispose it to detach.</summary>
public sealed class WebhookRegistration : IAsyncDisposable
{
    private readonly Func<ValueTask> detach;
    private int detached;

    /// <summary>Creates a registration.</summary>
    /// <param name="url">The hook's public URL, ending in <c>/</c>.</param>
    /// <param name="detach">Removes the hook; called once.</param>
    public WebhookRegistration(Uri url, Func<ValueTask> detach)
    {
        Url = url;
        this.detach = detach;
    }

    /// <summary>The hook's public URL, ending in <c>/</c>.</summary>
    public Uri Url { get; }

    /// <summary>Detaches the hook; idempotent.</summary>
    /// <returns>When the hook answers 404 and its open WebSockets are aborted.</returns>
    public ValueTask DisposeAsync() => Interlocked.Exchange(ref detached, 1) == 0 ? detach() : ValueTask.CompletedTask;
}
