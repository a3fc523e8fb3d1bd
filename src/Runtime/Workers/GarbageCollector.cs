using TcWorker.Workers;

namespace TcWorker.Runtime.Workers;

/// <summary>
/// Disposes tracked resources, least recently used first, until the free disk space of the
/// temporary folder's drive is back above the minimum. Thread-safe.
/// </summary>
public sealed class GarbageCollector : IGarbageCollector
{
    private readonly Lock gate = new();
    private readonly List<ICollectableResource> resources = [];
    private readonly Func<long> freeDiskSpace;
    private readonly long minimumDiskSpace;

    /// <summary>Creates the collector.</summary>
    /// <param name="freeDiskSpace">Reads the free bytes where resources live.</param>
    /// <param name="minimumDiskSpace">The free bytes to keep; 0 disables collection by disk space.</param>
    public GarbageCollector(Func<long> freeDiskSpace, long minimumDiskSpace)
    {
        this.freeDiskSpace = freeDiskSpace;
        this.minimumDiskSpace = minimumDiskSpace;
    }

    /// <summary>Free bytes on the drive that holds <paramref name="path"/>.</summary>
    /// <param name="path">A folder.</param>
    /// <returns>The free bytes available to this user.</returns>
    public static long FreeBytes(string path) => new DriveInfo(Path.GetFullPath(path)).AvailableFreeSpace;

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
            if (await resource.TryDisposeAsync(cancellationToken).ConfigureAwait(false))
            {
                Unregister(resource);
            }
        }
    }
}
