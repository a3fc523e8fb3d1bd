using Microsoft.Extensions.Logging;

namespace TcWorker.Plugins.Mounts;

/// <summary>The mounts plugin's messages in the worker's log; event ids 5100-5199.</summary>
internal static partial class MountsLog
{
    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "The caches named {Name} used by task {TaskId} are purged: {Reason}")]
    public static partial void CachePurged(ILogger logger, string name, string taskId, string reason);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "A purge request for the caches named {Name} made before {Before:O}: {Now} dropped now, {Later} when their tasks end")]
    public static partial void CachesPurgedByRequest(ILogger logger, string name, DateTimeOffset before, int now, int later);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "The purge requests of worker pool {WorkerPoolId} could not be read; trying again before the next task: {Reason}")]
    public static partial void PurgePollFailed(ILogger logger, string workerPoolId, string reason);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Warning, Message = "The worker offers no purge-cache client, so purge requests are not polled")]
    public static partial void PurgeServiceUnavailable(ILogger logger);
}
