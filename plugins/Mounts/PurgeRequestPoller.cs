using Microsoft.Extensions.Logging;
using TcWorker.Workers;

namespace TcWorker.Plugins.Mounts;

/// <summary>
/// Asks the purge-cache service for the purge requests of the worker's pool before a task attaches
/// caches, at most once per interval, and purges the caches of each name made before the request's
/// time. The call is the worker environment's <see cref="IWorkerEnvironment.PurgeRequests"/>, which asks
/// purgeRequests for the worker's pool with the worker's credentials; without one, or when turned off,
/// it does nothing. A failed poll is logged and tried
/// again before the next task; it never fails a task. Thread-safe: polls never overlap.
/// </summary>
internal sealed class PurgeRequestPoller(IWorkerEnvironment environment, CacheStore caches, TimeSpan? interval, ILogger logger)
{
    /// <summary>How far back each poll reaches before the previous one: the service's clock may differ from the worker's. Purging twice is harmless.</summary>
    private static readonly TimeSpan Overlap = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim gate = new(1, 1);
    private DateTimeOffset? lastPoll;
    private bool warnedUnavailable;

    /// <summary>Polls when the interval has passed since the last successful poll.</summary>
    public async Task PollAsync(CancellationToken cancellationToken)
    {
        if (interval is not { } every)
        {
            return;
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = environment.Time.GetUtcNow();
            if (lastPoll is { } last && now - last < every)
            {
                return;
            }

            if (environment.PurgeRequests is not { } purgeRequests)
            {
                if (!warnedUnavailable)
                {
                    warnedUnavailable = true;
                    MountsLog.PurgeServiceUnavailable(logger);
                }

                return;
            }

            var pool = environment.Identity.WorkerPoolId;
            var since = lastPoll - Overlap;
            IReadOnlyList<CachePurgeRequest> list;
            try
            {
                list = await purgeRequests.ListAsync(since, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                MountsLog.PurgePollFailed(logger, pool, e.Message);
                return;
            }

            foreach (var request in list)
            {
                var purged = await caches.PurgeAsync(request.CacheName, request.Before).ConfigureAwait(false);
                if (purged.Now + purged.Later > 0)
                {
                    MountsLog.CachesPurgedByRequest(logger, request.CacheName, request.Before, purged.Now, purged.Later);
                }
            }

            lastPoll = now;
        }
        finally
        {
            gate.Release();
        }
    }
}
