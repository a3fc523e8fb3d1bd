using Microsoft.Extensions.Logging;
using TcWorker.Workers;

namespace TcWorker.Runtime.Workers;

/// <summary>
/// The worker environment handed to engines and plugins. Immutable; its parts are thread-safe.
/// </summary>
public sealed class WorkerEnvironment : IWorkerEnvironment
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

    /// <inheritdoc />
    public IPurgeRequestService? PurgeRequests { get; init; }
}
