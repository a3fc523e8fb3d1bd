using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TcWorker.Runtime.Worker;
using TcWorker.Workers;

namespace TcWorker.Runtime.Workers;

/// <summary>
/// Disposes tracked resources, least recently used first, until the free disk space of the
/// temporary folder's drive is back above the minimum. Thread-safe; one collection at a time.
/// </summary>
public sealed class GarbageCollector : IGarbageCollector
{
    private readonly Lock gate = new();
    private readonly SemaphoreSlim collecting = new(1, 1);
    private readonly List<ICollectableResource> resources = [];
    private readonly Func<long> freeDiskSpace;
    private readonly long minimumDiskSpace;
    private readonly ILogger logger;

    /// <summary>Creates the collector.</summary>
    /// <param name="freeDiskSpace">Reads the free bytes where resources live.</param>
    /// <param name="minimumDiskSpace">The free bytes to keep; 0 disables collection by disk space.</param>
    /// <param name="logger">Where evictions and failed disposals are logged; nowhere when null.</param>
    public GarbageCollector(Func<long> freeDiskSpace, long minimumDiskSpace, ILogger? logger = null)
    {
        this.freeDiskSpace = freeDiskSpace;
        this.minimumDiskSpace = minimumDiskSpace;
        this.logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The free bytes to keep; 0 when collection by disk space is disabled.</summary>
    public long MinimumDiskSpace => minimumDiskSpace;

    /// <summary>Free bytes on the drive that holds <paramref name="path"/>.</summary>
    /// <param name="path">A folder.</param>
    /// <returns>The free bytes available to this user.</returns>
    public static long FreeBytes(string path) => new DriveInfo(Path.GetFullPath(path)).AvailableFreeSpace;

    /// <summary>Reads the free bytes where resources live, as the collector sees them.</summary>
    /// <returns>The free bytes.</returns>
    public long FreeDiskSpace() => freeDiskSpace();

    /// <inheritdoc />
    public void Register(ICollectableResource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        lock (gate)
        {
            if (!resources.Contains(resource))
            {
                resources.Add(resource);
            }
        }
    }

    /// <inheritdoc />
    public void Unregister(ICollectableResource resource)
    {
        lock (gate)
        {
            resources.Remove(resource);
        }
    }

    /// <inheritdoc />
    public async Task CollectAsync(CancellationToken cancellationToken = default)
    {
        await collecting.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            List<ICollectableResource> candidates;
            lock (gate)
            {
                candidates = resources.OrderBy(r => r.LastUsed).ToList();
            }

            foreach (var resource in candidates)
            {
                if (minimumDiskSpace <= 0 || freeDiskSpace() >= minimumDiskSpace)
                {
                    return;
                }

                cancellationToken.ThrowIfCancellationRequested();
                await TryEvictAsync(resource, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            collecting.Release();
        }
    }

    private async Task TryEvictAsync(ICollectableResource resource, CancellationToken cancellationToken)
    {
        long? size;
        try
        {
            size = await resource.GetDiskSizeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            size = null;
        }

        try
        {
            if (await resource.TryDisposeAsync(cancellationToken).ConfigureAwait(false))
            {
                Unregister(resource);
                WorkerLog.Evicted(logger, resource.GetType().Name, resource.LastUsed, size ?? -1);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A resource that cannot be disposed would fail the same way at every claim: forget it.
            Unregister(resource);
            WorkerLog.EvictionFailed(logger, resource.GetType().Name, e.Message);
        }
    }
}
