using Microsoft.Extensions.Logging;
using TcWorker.Runtime.Worker;

namespace TcWorker.Runtime.Workers;

/// <summary>
/// Before a claim: when the temporary folder's drive has less free space than
/// <c>worker.minimumDiskSpace</c>, collects garbage (unused caches and images, least recently used
/// first), and answers whether there is enough space now. A change between enough and too little is
/// logged once, not at every claim. Not thread-safe: the claim loop's own.
/// </summary>
internal sealed class DiskSpaceGuard(GarbageCollector collector, string folder, ILogger logger)
{
    private bool low;

    /// <summary>Collects garbage if needed; then tells whether the worker may claim.</summary>
    /// <param name="cancellationToken">The worker stops.</param>
    /// <returns>Whether the free space is at the minimum (always true when the minimum is 0).</returns>
    public async Task<bool> HasSpaceAsync(CancellationToken cancellationToken)
    {
        var minimum = collector.MinimumDiskSpace;
        if (minimum <= 0)
        {
            return true;
        }

        var free = collector.FreeDiskSpace();
        if (free < minimum)
        {
            if (!low)
            {
                WorkerLog.CollectingGarbage(logger, free, folder, minimum);
            }

            try
            {
                await collector.CollectAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                WorkerLog.CollectionFailed(logger, e.Message);
            }

            free = collector.FreeDiskSpace();
        }

        if (free >= minimum)
        {
            if (low)
            {
                low = false;
                WorkerLog.DiskSpaceBack(logger, free, folder);
            }

            return true;
        }

        if (!low)
        {
            low = true;
            WorkerLog.LowDisk(logger, free, folder, minimum);
        }

        return false;
    }
}
