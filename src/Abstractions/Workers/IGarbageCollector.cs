namespace TcWorker.Workers;

/// <summary>
/// Tracks resources that outlive a task (caches, images, volumes) and disposes the least recently
/// used ones when the free disk space of the worker's temporary folder's drive falls below
/// <c>worker.minimumDiskSpace</c>. The runtime collects before it claims a task; an engine or plugin
/// may also collect before it writes something large. Thread-safe; collections never overlap.
/// </summary>
public interface IGarbageCollector
{
    /// <summary>Starts tracking a resource.</summary>
    /// <param name="resource">The resource.</param>
    void Register(ICollectableResource resource);

    /// <summary>Stops tracking a resource without disposing it.</summary>
    /// <param name="resource">The resource.</param>
    void Unregister(ICollectableResource resource);

    /// <summary>
    /// Disposes resources that are not in use, least recently used first, until the free disk space is
    /// back at the minimum or nothing more can go. Does nothing when the minimum is 0 or already met.
    /// A resource whose disposal throws is logged and forgotten.
    /// </summary>
    /// <param name="cancellationToken">Stops collecting; resources disposed so far stay disposed.</param>
    /// <returns>When done.</returns>
    Task CollectAsync(CancellationToken cancellationToken = default);
}

/// <summary>A resource the garbage collector may dispose while it is not in use. Its members may be called from any thread.</summary>
public interface ICollectableResource
{
    /// <summary>
    /// Measures the bytes of disk the resource holds, for the worker's log when it is evicted. May be
    /// slow (a cache walks its folder, as <see cref="Engines.IVolume.GetSizeAsync"/> does): the collector
    /// calls it only for a resource it is about to try to dispose. Should not throw; a failure is logged as an unknown size.
    /// </summary>
    /// <param name="cancellationToken">Cancels the measurement.</param>
    /// <returns>The size in bytes.</returns>
    Task<long> GetDiskSizeAsync(CancellationToken cancellationToken = default);

    /// <summary>When it was last used; the oldest go first.</summary>
    DateTimeOffset LastUsed { get; }

    /// <summary>Disposes the resource if it is not in use.</summary>
    /// <param name="cancellationToken">Cancels the disposal.</param>
    /// <returns><see langword="false"/> when the resource is in use and was kept.</returns>
    Task<bool> TryDisposeAsync(CancellationToken cancellationToken = default);
}
