using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TcWorker.Workers;

namespace TcWorker.Runtime.Webhooks;

/// <summary>
/// Serves handlers under unguessable URLs: <c>&lt;base&gt;/&lt;43 characters, 256 random bits&gt;/</c>.
/// A detached hook answers 404 like one that never existed. Handlers may accept WebSockets, with
/// or without TLS; the server pings open sockets (<see cref="WebhookServerOptions.WebSocketKeepAliveInterval"/>).
/// Detaching a hook aborts its open WebSockets; its plain requests in flight run to their end (a live
/// log being read ends when the log closes). Thread-safe.
/// </summary>
public sealed class WebhookServer : IWebhookServer, IAsyncDisposable
{
    /// <summary>The largest request body a hook may be sent, in bytes; larger ones are answered 413.</summary>
    public const int MaxRequestBodySize = 64 * 1024;

    private readonly ConcurrentDictionary<string, Hook> hooks = new(StringComparer.Ordinal);
    private readonly WebApplication app;

    private WebhookServer(WebApplication app, Uri baseUrl)
    {
        this.app = app;
        BaseUrl = baseUrl;
    }

    /// <summary>The base URL hooks are published under, without a trailing slash.</summary>
    public Uri BaseUrl { get; }

    /// <summary>The number of hooks attached.</summary>
    public int Count => hooks.Count;

    /// <summary>Starts the server. Throws <see cref="ArgumentException"/> for options that do not fit together.</summary>
    /// <param name="options">The mode and addresses.</param>
    /// <param name="loggerFactory">For the server's own log.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop.</returns>
    public static async Task<WebhookServer> StartAsync(WebhookServerOptions options, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (endpoint, advertised) = Resolve(options);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddSingleton(loggerFactory);
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // Hooks serve logs and WebSocket shells: none reads a request body of any size.
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodySize;
            kestrel.Limits.RequestHeadersTimeout = options.RequestHeadersTimeout;
            kestrel.Listen(endpoint, listen =>
            {
                if (options.CertificatePath is { } certificate)
                {
                    listen.UseHttps(X509CertificateLoader.LoadPkcs12FromFile(certificate, options.CertificatePassword));
                }
            });
        });
        var app = builder.Build();
        WebhookServer? server = null;
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = options.WebSocketKeepAliveInterval, KeepAliveTimeout = options.WebSocketKeepAliveTimeout });
        app.Run(context => server!.DispatchAsync(context));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        if (advertised is null)
        {
            var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            advertised = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).TrimEnd('/'));
        }

        server = new WebhookServer(app, advertised);
        return server;
    }

    /// <inheritdoc />
    public Task<WebhookRegistration> AttachAsync(RequestDelegate handler, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var hook = new Hook(handler);
        string id;
        do
        {
            id = NewId();
        }
        while (!hooks.TryAdd(id, hook));

        var url = new Uri($"{BaseUrl.ToString().TrimEnd('/')}/{id}/");
        return Task.FromResult(new WebhookRegistration(url, () =>
        {
            hooks.TryRemove(id, out _);
            hook.Detach();
            return ValueTask.CompletedTask;
        }));
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        hooks.Clear();
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    private async Task DispatchAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? string.Empty;
        var end = path.IndexOf('/', 1);
        var id = end < 0 ? path.TrimStart('/') : path[1..end];
        var webSocket = context.WebSockets.IsWebSocketRequest;
        if (!hooks.TryGetValue(id, out var hook) || (webSocket && !hook.TryTrack(context)))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Request.PathBase = context.Request.PathBase.Add("/" + id);
        context.Request.Path = end < 0 ? "/" : path[end..];
        try
        {
            await hook.Handler(context).ConfigureAwait(false);
        }
        finally
        {
            if (webSocket)
            {
                hook.Untrack(context);
            }
        }
    }

    /// <summary>An attached handler and the WebSocket requests it is serving, so that detaching can abort them.</summary>
    private sealed class Hook(RequestDelegate handler)
    {
        private readonly ConcurrentDictionary<HttpContext, byte> sockets = new();
        private int detached;

        public RequestDelegate Handler => handler;

        /// <summary>Tracks a WebSocket request; false once detached.</summary>
        public bool TryTrack(HttpContext context)
        {
            // Added, then the flag read with a full fence; Detach sets the flag, then aborts what is
            // added: a request either sees the flag or is aborted.
            sockets.TryAdd(context, 0);
            if (Interlocked.CompareExchange(ref detached, 0, 0) == 0)
            {
                return true;
            }

            sockets.TryRemove(context, out _);
            return false;
        }

        public void Untrack(HttpContext context) => sockets.TryRemove(context, out _);

        public void Detach()
        {
            Interlocked.Exchange(ref detached, 1);
            foreach (var context in sockets.Keys)
            {
                context.Abort();
            }
        }
    }

    // 256 random bits, URL-safe base64 without padding.
    private static string NewId() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static (IPEndPoint Endpoint, Uri? Advertised) Resolve(WebhookServerOptions options)
    {
        switch (options.Mode)
        {
            case "localhost":
                return (new IPEndPoint(IPAddress.Loopback, 0), null);
            case "public":
                if (string.IsNullOrEmpty(options.Listen) || !IPEndPoint.TryParse(options.Listen, out var endpoint))
                {
                    throw new ArgumentException($"webhook server: public mode needs 'listen' as address:port, e.g. 0.0.0.0:60023 (got '{options.Listen}')", nameof(options));
                }

                if (!Uri.TryCreate(options.AdvertisedBaseUrl, UriKind.Absolute, out var advertised) || advertised.Scheme is not ("http" or "https"))
                {
                    throw new ArgumentException($"webhook server: public mode needs 'advertisedBaseUrl', the http(s) URL clients reach the server at (got '{options.AdvertisedBaseUrl}')", nameof(options));
                }

                return (endpoint, advertised);
            default:
                throw new ArgumentException($"webhook server: mode '{options.Mode}' is not one of localhost, public", nameof(options));
        }
    }
}
