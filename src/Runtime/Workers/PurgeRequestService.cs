using TcWorker.Taskcluster;
using TcWorker.Workers;

namespace TcWorker.Runtime.Workers;

/// <summary>
/// <see cref="IPurgeRequestService"/> over the purge-cache service: purgeRequests of one worker pool, with
/// the client (and so the worker's credentials) of the moment. Thread-safe.
/// </summary>
internal sealed class PurgeRequestService(Func<PurgeCacheClient> client, string workerPoolId) : IPurgeRequestService
{
    public async Task<IReadOnlyList<CachePurgeRequest>> ListAsync(DateTimeOffset? since, CancellationToken cancellationToken = default)
    {
        PurgeRequestList list;
        try
        {
            list = await client().PurgeRequestsAsync(workerPoolId, since, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"purgeRequests for {workerPoolId} failed: {e.Message}", e);
        }

        return [.. list.Requests.Select(r => new CachePurgeRequest { CacheName = r.CacheName, Before = r.Before })];
    }
}
