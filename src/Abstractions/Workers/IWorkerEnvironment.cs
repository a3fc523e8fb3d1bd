using Microsoft.Extensions.Logging;

namespace TcWorker.Workers;

/// <summary>
/// What the worker offers every engine and plugin for their whole life. Thread-safe.
/// </summary>
public interface IWorkerEnvironment
{
    /// <summary>Who this worker is.</summary>
    WorkerIdentity Identity { get; }

    /// <summary>The root URL of the Taskcluster deployment the worker serves.</summary>
    string RootUrl { get; }

    /// <summary>Temporary folders and files, deleted when the worker stops (and found and removed at the next start after a crash).</summary>
    ITemporaryStorage Storage { get; }

    /// <summary>Serves HTTP handlers at unguessable URLs (live logs, interactive shells).</summary>
    IWebhookServer Webhooks { get; }

    /// <summary>Tracks disposable resources (caches, images) and frees them when disk or memory runs low.</summary>
    IGarbageCollector Collector { get; }

    /// <summary>Creates loggers for the worker's own log (not the task log).</summary>
    ILoggerFactory LoggerFactory { get; }

    /// <summary>Stops the worker.</summary>
    IWorkerLifetime Lifetime { get; }

    /// <summary>The clock. Use it instead of <see cref="DateTimeOffset.UtcNow"/> so tests can move time.</summary>
    TimeProvider Time { get; }

    /// <summary>
    /// The purge-cache service's requests for this worker's pool, asked with the worker's own credentials
    /// (which no plugin holds); null when the host offers none (an environment without a deployment to ask).
    /// Added after 1.0: an environment written before it answers null. The service is the environment's;
    /// nothing to dispose.
    /// </summary>
    IPurgeRequestService? PurgeRequests => null;
}

/// <summary>The identity a worker claims tasks with.</summary>
/// <param name="WorkerPoolId">The worker pool (task queue) id, <c>&lt;provisionerId&gt;/&lt;workerType&gt;</c>.</param>
/// <param name="WorkerGroup">The worker group, e.g. a region.</param>
/// <param name="WorkerId">The worker id, unique in its group.</param>
public sealed record WorkerIdentity(string WorkerPoolId, string WorkerGroup, string WorkerId)
{
    /// <summary>The provisioner id: the part of <see cref="WorkerPoolId"/> before the <c>/</c>.</summary>
    public string ProvisionerId => WorkerPoolId.Split('/', 2)[0];

    /// <summary>The worker type: the part of <see cref="WorkerPoolId"/> after the <c>/</c>.</summary>
    public string WorkerType => WorkerPoolId.Split('/', 2) is [_, var type] ? type : string.Empty;
}

/// <summary>Stops the worker from inside an engine or plugin.</summary>
public interface IWorkerLifetime
{
    /// <summary>Stop claiming, let running tasks finish, then exit.</summary>
    void StopGracefully();

    /// <summary>Abort running tasks (resolved <c>exception/worker-shutdown</c>) and exit.</summary>
    void StopNow();

    /// <summary>Fires when the worker begins to stop, gracefully or not.</summary>
    CancellationToken Stopping { get; }
}
