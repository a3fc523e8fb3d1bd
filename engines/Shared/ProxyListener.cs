using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TcWorker.Engines.Shared;

/// <summary>
/// The loopback HTTP listener through which the tasks of a process engine reach their proxies: one per
/// engine, started on the first attach. Any local process can connect to a loopback port, so each proxy
/// is served below a path of 256 random bits (<c>http://127.0.0.1:PORT/SECRET/</c>) and every other path
/// answers 404. A handler gets the request with that prefix in <see cref="HttpRequest.PathBase"/>, and may
/// accept WebSockets. On Linux a proxy attached with an owner also checks who connects: the client socket's
/// owner (<see cref="LoopbackPeers"/>) must be that user, root or the worker's own user, or the request
/// is refused (403), so another task's user that learnt the URL still cannot use it. Thread-safe.
/// </summary>
internal sealed partial class ProxyListener(ILogger logger) : IAsyncDisposable
{
    private static readonly Lazy<int> WorkerUser = new(() => OperatingSystem.IsWindows() ? -1 : Posix.EffectiveUserId());
    private readonly ConcurrentDictionary<string, ProxyRoute> routes = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private Task<(WebApplication App, Uri BaseUrl)>? started;
    private bool disposed;

    /// <summary>Serves <paramref name="handler"/> below a new unguessable URL until the returned route is disposed.</summary>
    /// <param name="name">The proxy's name, for the worker's log.</param>
    /// <param name="handler">The proxy.</param>
    /// <param name="owner">The user id of the task the proxy serves, when it runs as a user of its own; null: any local user that knows the URL.</param>
    /// <param name="cancellationToken">Stops waiting for the listener to start (the start goes on for the next caller).</param>
    /// <returns>The route; dispose it to detach the proxy.</returns>
    public async Task<ProxyRoute> AttachAsync(string name, RequestDelegate handler, int? owner, CancellationToken cancellationToken)
    {
        var (_, baseUrl) = await StartOnceAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        string secret;
        ProxyRoute route;
        do
        {
            secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            route = new ProxyRoute(name, new Uri(baseUrl, secret + "/"), OperatingSystem.IsLinux() ? owner : null, handler, () => routes.TryRemove(secret, out _));
        }
        while (!routes.TryAdd(secret, route));

        LogAttached(logger, name);
        return route;
    }

    public async ValueTask DisposeAsync()
    {
        Task<(WebApplication App, Uri BaseUrl)>? running;
        lock (gate)
        {
            disposed = true;
            running = started;
        }

        foreach (var route in routes.Values)
        {
            await route.DisposeAsync().ConfigureAwait(false);
        }

        WebApplication app;
        try
        {
            if (running is null)
            {
                return;
            }

            (app, _) = await running.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // It never started; the attach that started it reported why.
            return;
        }

        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    private Task<(WebApplication App, Uri BaseUrl)> StartOnceAsync()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (started is null || started.IsFaulted)
            {
                started = StartAsync();
            }

            return started;
        }
    }

    private async Task<(WebApplication App, Uri BaseUrl)> StartAsync()
    {
        // The empty builder reads no configuration files and watches nothing: all it serves is set here.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // A proxy may carry large uploads (artifacts through taskcluster-proxy): its handler decides.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(IPAddress.Loopback, 0);
        });
        var app = builder.Build();
        app.UseWebSockets();
        app.Run(DispatchAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var baseUrl = new Uri(address.TrimEnd('/') + "/");
        LogListening(logger, baseUrl);
        return (app, baseUrl);
    }

    private async Task DispatchAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? string.Empty;
        var end = path.IndexOf('/', 1);
        var secret = end < 0 ? path.TrimStart('/') : path[1..end];
        if (!routes.TryGetValue(secret, out var route))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (route.Owner is { } owner && LoopbackPeers.FindOwner(context) is var peer && peer != owner && peer != 0 && peer != WorkerUser.Value)
        {
            LogRefused(logger, route.Name, peer ?? -1, owner, context.Connection.RemotePort);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        context.Request.PathBase = context.Request.PathBase.Add("/" + secret);
        context.Request.Path = end < 0 ? "/" : path[end..];
        await route.ServeAsync(context).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 32, Level = LogLevel.Warning, Message = "Proxy '{Name}' refused a connection from port {Port}: its socket belongs to user {Peer} (-1: not found), not to the task's user {Owner}")]
    private static partial void LogRefused(ILogger logger, string name, int peer, int owner, int port);

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Task proxies listen on {BaseUrl}")]
    private static partial void LogListening(ILogger logger, Uri baseUrl);

    [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "Proxy '{Name}' attached")]
    private static partial void LogAttached(ILogger logger, string name);
}

/// <summary>One proxy served by a <see cref="ProxyListener"/>. Disposing it detaches the proxy and aborts its open requests (WebSockets included).</summary>
internal sealed class ProxyRoute(string name, Uri url, int? owner, RequestDelegate handler, Action detach) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<HttpContext, byte> open = new();
    private int detached;

    /// <summary>The proxy's name, for the worker's log.</summary>
    public string Name { get; } = name;

    /// <summary>The only user id besides root and the worker's that may use the proxy; null: anyone who knows the URL.</summary>
    public int? Owner { get; } = owner;

    /// <summary>Where the task reaches the proxy, ending in <c>/</c>.</summary>
    public Uri Url { get; } = url;

    /// <summary>Serves one request.</summary>
    public async Task ServeAsync(HttpContext context)
    {
        open.TryAdd(context, 0);
        try
        {
            if (Volatile.Read(ref detached) != 0)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            await handler(context).ConfigureAwait(false);
        }
        finally
        {
            open.TryRemove(context, out _);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref detached, 1) == 0)
        {
            detach();
            foreach (var context in open.Keys)
            {
                context.Abort();
            }
        }

        return ValueTask.CompletedTask;
    }
}
