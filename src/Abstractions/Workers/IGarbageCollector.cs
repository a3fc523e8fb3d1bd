namespace TcWorker.Workers;

/// <summary>
/// Tracks resources that outlive a task (caches, images, volumes) and disposes the least recently
/// used ones when disk space or memory falls below the worker's minimums. Thread-safe.
/// </summary>
public interface IGarbageCollector
{
    /// <summary>Starts tracking a resource.</summary>
    /// <param name="resource">The resource.</param>
    void Register(ICollectableResource resource);

    /// <summary>Stops tracking a resource without disposing it.</summary>
    /// <param name="resource">The resource.</param>
    void Unregister(ICollectableResource resource);

    /// <summary>Disposes unused resources, least recently used first, until the minimums are met.</summary>
    /// <param name="cancellationToken">Stops collecting.</param>
    /// <returns>When done.</returns>
    Task CollectAsync(CancellationToken cancellationToken = default);
}

/// <summary>A resource the garbage collector may dispose while it is not in use.</summary>
public interface ICollectableResource
{
    /// <summary>Bytes of disk the resource holds.</summary>
    long DiskSize { get; }

    /// <summary>Bytes of memory the resource holds.</summary>
    long MemorySize { get; }

    /// <summary>When it was last used; the oldest go first.</summary>
    DateTimeOffset LastUsed { get; }

    /// <summary>Disposes the resource if it is not in use.</summary>
    /// <param name="cancellationToken">Cancels the disposal.</param>
    /// <returns><see langword="false"/> when the resource is in use and was kept.</returns>
    Task<bool> TryDisposeAsync(CancellationToken cancellationToken = default);
}
