namespace TcWorker.Workers;

/// <summary>
/// The purge-cache service's requests for the worker's own pool (its <c>purgeRequests</c> endpoint), asked
/// with the worker's current credentials. A plugin that keeps caches polls it and drops every cache of a
/// requested name made before the request's <see cref="CachePurgeRequest.Before"/>. Offered through
/// <see cref="IWorkerEnvironment.PurgeRequests"/>. Thread-safe.
/// </summary>
public interface IPurgeRequestService
{
    /// <summary>Lists the purge requests of the worker's pool.</summary>
    /// <param name="since">Only requests made at or after this time (the service's clock), or null for all it keeps.</param>
    /// <param name="cancellationToken">Gives up the call; the task throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The requests, in the service's order; empty when there are none.</returns>
    /// <exception cref="InvalidOperationException">The service could not be asked, or refused (network failure, a 4xx or 5xx answer after retries); the message says which. Nothing is purged: ask again later.</exception>
    Task<IReadOnlyList<CachePurgeRequest>> ListAsync(DateTimeOffset? since, CancellationToken cancellationToken = default);
}

/// <summary>One purge request: the caches of <see cref="CacheName"/> made before <see cref="Before"/> must go.</summary>
public sealed class CachePurgeRequest
{
    /// <summary>The name of the caches to purge (a <c>cacheName</c> of a task's payload).</summary>
    public required string CacheName { get; init; }

    /// <summary>Caches of the name made before this time are purged; later ones are kept.</summary>
    public required DateTimeOffset Before { get; init; }
}
