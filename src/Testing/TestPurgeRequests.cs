using TcWorker.Workers;

namespace TcWorker.Testing;

/// <summary>
/// The purge-cache service of an <see cref="EngineTestEnvironment"/>: the test adds purge requests and the
/// plugin under test lists them through <see cref="IWorkerEnvironment.PurgeRequests"/>, as it would the
/// worker's pool's. <see cref="Fail"/> makes the next calls fail as an unreachable service does. Thread-safe.
/// </summary>
public sealed class TestPurgeRequests : IPurgeRequestService
{
    private readonly Lock gate = new();
    private readonly List<CachePurgeRequest> requests = [];
    private string? failure;
    private int calls;

    /// <summary>How many times <see cref="ListAsync"/> was called (failed calls included).</summary>
    public int Calls => Volatile.Read(ref calls);

    /// <summary>Adds a request: the caches named <paramref name="cacheName"/> made before <paramref name="before"/> are to go.</summary>
    /// <param name="cacheName">The cache name.</param>
    /// <param name="before">The time before which caches of the name are purged.</param>
    public void Add(string cacheName, DateTimeOffset before)
    {
        ArgumentException.ThrowIfNullOrEmpty(cacheName);
        lock (gate)
        {
            requests.Add(new CachePurgeRequest { CacheName = cacheName, Before = before });
        }
    }

    /// <summary>Makes every later call throw <see cref="InvalidOperationException"/> with <paramref name="reason"/>; null makes them succeed again.</summary>
    /// <param name="reason">The failure's message, or null.</param>
    public void Fail(string? reason)
    {
        lock (gate)
        {
            failure = reason;
        }
    }

    /// <summary>The requests added so far whose time is at or after <paramref name="since"/> (all with null).</summary>
    /// <param name="since">The earliest request time to list, or null.</param>
    /// <param name="cancellationToken">Throws <see cref="OperationCanceledException"/> when already cancelled.</param>
    /// <returns>The requests, in the order they were added.</returns>
    /// <exception cref="InvalidOperationException">After <see cref="Fail"/> with a reason.</exception>
    public Task<IReadOnlyList<CachePurgeRequest>> ListAsync(DateTimeOffset? since, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref calls);
        lock (gate)
        {
            if (failure is not null)
            {
                throw new InvalidOperationException(failure);
            }

            return Task.FromResult<IReadOnlyList<CachePurgeRequest>>([.. requests.Where(r => since is null || r.Before >= since)]);
        }
    }
}
