using Microsoft.Extensions.Logging;

namespace TcWorker.Plugins.Mounts;

/// <summary>The mounts plugin's messages in the worker's log; event ids 5100-5199.</summary>
internal static partial class MountsLog
{
    [LoggerMessage(EventId = 5100, Level = LogLevel.Information, Message = "The caches named {Name} used by task {TaskId} are purged: {Reason}")]
    public static partial void CachePurged(ILogger logger, string name, string taskId, string reason);
}
