using Microsoft.Extensions.Logging;
using TcWorker.Workers;

namespace TcWorker.Runtime.Workers;

/// <summary>
/// The worker environment handed to engines and plugins. Immutable; its parts are thread-safe. As an
/// <see cref="IServiceProvider"/> it offers what <see cref="Services"/> gives. The worker serves
/// <c>Func&lt;DateTimeOffset?, CancellationToken, Task&lt;JObject&gt;&gt;</c>: the purge-cache service's
/// purgeRequests for its pool since a time (null: all), signed with its current credentials, as JSON
/// (a plugin shares only the BCL, Newtonsoft.Json and the contracts with the host).
/// </summary>
public sealed class WorkerEnvironment : IWorkerEnvironment, IServiceProvider
{
    /// <summary>Creates the environment.</summary>
    /// <param name="identity">Who the worker is.</param>
    /// <param name="rootUrl">The Taskcluster root URL.</param>
    /// <param name="storage">The temporary folder.</param>
    /// <param name="webhooks">The webhook server.</param>
    /// <param name="collector">The garbage collector.</param>
    /// <param name="loggerFactory">The worker's logging.</param>
    /// <param name="lifetime">Stops the worker.</param>
    /// <param name="time">The clock.</param>
    public WorkerEnvironment(WorkerIdentity identity, string rootUrl, ITemporaryStorage storage, IWebhookServer webhooks, IGarbageCollector collector, ILoggerFactory loggerFactory, IWorkerLifetime lifetime, TimeProvider time)
    {
        Identity = identity;
        RootUrl = rootUrl;
        Storage = storage;
        Webhooks = webhooks;
        Collector = collector;
        LoggerFactory = loggerFactory;
        Lifetime = lifetime;
        Time = time;
    }

    /// <inheritdoc />
    public WorkerIdentity Identity { get; }

    /// <inheritdoc />
    public string RootUrl { get; }

    /// <inheritdoc />
    public ITemporaryStorage Storage { get; }

    /// <inheritdoc />
    public IWebhookServer Webhooks { get; }

    /// <inheritdoc />
    public IGarbageCollector Collector { get; }

    /// <inheritdoc />
    public ILoggerFactory LoggerFactory { get; }

    /// <inheritdoc />
    public IWorkerLifetime Lifetime { get; }

    /// <inheritdoc />
    public TimeProvider Time { get; }

    /// <summary>Answers <see cref="GetService"/>: the service of a type, or null when there is none (the default: none).</summary>
    public Func<Type, object?>? Services { get; init; }

    /// <summary>The service of <paramref name="serviceType"/> from <see cref="Services"/>, or null.</summary>
    /// <param name="serviceType">The type asked for.</param>
    /// <returns>The service, or null.</returns>
    public object? GetService(Type serviceType) => Services?.Invoke(serviceType);
}
