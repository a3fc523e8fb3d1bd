using System.Globalization;
using static TcWorker.Taskcluster.TaskclusterUrl;

namespace TcWorker.Taskcluster;

/// <summary>
/// The purge-cache service: records requests to purge the caches of one name on the workers of a
/// worker pool, and lists them for those workers. Thread-safe. Every method throws
/// <see cref="TaskclusterException"/> for error responses (403 without the scope, 400 for bad input)
/// and for network errors after the last retry, and <see cref="OperationCanceledException"/> when its
/// token is cancelled.
/// </summary>
public sealed class PurgeCacheClient
{
    private const string Service = "purge-cache";
    private readonly TaskclusterClient client;

    internal PurgeCacheClient(TaskclusterClient client)
    {
        this.client = client;
    }

    /// <summary>A purge-cache client signing with other credentials (null: anonymous), sharing the HTTP client.</summary>
    public PurgeCacheClient WithCredentials(TaskclusterCredentials? credentials) => client.WithCredentials(credentials).PurgeCache;

    /// <summary>
    /// Asks the workers of <paramref name="workerPoolId"/> (<c>&lt;provisionerId&gt;/&lt;workerType&gt;</c>) to purge
    /// their caches named <paramref name="cacheName"/> made before now (scope
    /// <c>purge-cache:&lt;workerPoolId&gt;:&lt;cacheName&gt;</c>). A request that exists already has its time moved to now.
    /// </summary>
    public Task PurgeCacheAsync(string workerPoolId, string cacheName, CancellationToken cancellationToken = default) =>
        client.CallAsync(HttpMethod.Post, Service, $"/purge-cache/{Escape(workerPoolId)}", new PurgeCacheRequest { CacheName = cacheName }, cancellationToken);

    /// <summary>
    /// The purge requests of <paramref name="workerPoolId"/> made at or after <paramref name="since"/> (every one when
    /// null): a worker drops its caches of each name made before the request's <see cref="PurgeRequest.Before"/>
    /// (scope <c>purge-cache:purge-requests::&lt;workerPoolId&gt;</c>).
    /// </summary>
    public Task<PurgeRequestList> PurgeRequestsAsync(string workerPoolId, DateTimeOffset? since = null, CancellationToken cancellationToken = default)
    {
        var query = since is { } s ? "?since=" + Uri.EscapeDataString(s.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)) : string.Empty;
        return client.CallAsync<PurgeRequestList>(HttpMethod.Get, Service, $"/purge-cache/{Escape(workerPoolId)}{query}", null, cancellationToken);
    }

    /// <summary>One page of every open purge request, at most <paramref name="limit"/> (scope <c>purge-cache:all-purge-requests</c>; not meant for workers).</summary>
    public Task<PurgeRequestList> AllPurgeRequestsAsync(string? continuationToken = null, int? limit = null, CancellationToken cancellationToken = default) =>
        client.CallAsync<PurgeRequestList>(HttpMethod.Get, Service, $"/purge-cache/list{QueueClient.Page(continuationToken, limit)}", null, cancellationToken);
}
