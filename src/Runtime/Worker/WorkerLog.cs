using Microsoft.Extensions.Logging;

namespace TcWorker.Runtime.Worker;

/// <summary>The worker loop's log messages, with stable event ids.</summary>
internal static partial class WorkerLog
{
    /// <summary>Scopes every log line of a run by its task and run ids.</summary>
    public static readonly Func<ILogger, string, int, IDisposable?> RunScope = LoggerMessage.DefineScope<string, int>("task {TaskId} run {RunId}");

    [LoggerMessage(1000, LogLevel.Information, "Worker {WorkerGroup}/{WorkerId} claiming from {WorkerPoolId} at {RootUrl} with capacity {Capacity}")]
    public static partial void Started(ILogger logger, string workerGroup, string workerId, string workerPoolId, string rootUrl, int capacity);

    [LoggerMessage(1001, LogLevel.Information, "Claimed task {TaskId} run {RunId}")]
    public static partial void Claimed(ILogger logger, string taskId, int runId);

    [LoggerMessage(1002, LogLevel.Warning, "claimWork failed; retrying in {Delay}: {Message}")]
    public static partial void ClaimFailed(ILogger logger, TimeSpan delay, string message);

    [LoggerMessage(1003, LogLevel.Information, "Reclaimed task {TaskId} run {RunId} until {TakenUntil:O}")]
    public static partial void Reclaimed(ILogger logger, string taskId, int runId, DateTimeOffset takenUntil);

    [LoggerMessage(1004, LogLevel.Warning, "Reclaiming task {TaskId} run {RunId} failed; retrying: {Message}")]
    public static partial void ReclaimFailed(ILogger logger, string taskId, int runId, string message);

    [LoggerMessage(1005, LogLevel.Warning, "Task {TaskId} run {RunId} is no longer ours (reclaim answered 409: cancelled, resolved or past its deadline); aborting it without resolving")]
    public static partial void ClaimLost(ILogger logger, string taskId, int runId);

    [LoggerMessage(1006, LogLevel.Information, "Task {TaskId} run {RunId} resolved {Resolution}")]
    public static partial void Resolved(ILogger logger, string taskId, int runId, string resolution);

    [LoggerMessage(1007, LogLevel.Error, "Task {TaskId} run {RunId}: {What} failed: {Message}")]
    public static partial void CallFailed(ILogger logger, string taskId, int runId, string what, string message);

    [LoggerMessage(1009, LogLevel.Information, "Stopping: {Why}")]
    public static partial void Stopping(ILogger logger, string why);

    [LoggerMessage(1010, LogLevel.Warning, "Not claiming: {FreeBytes} bytes free in {Folder} after collecting garbage, below worker.minimumDiskSpace ({MinimumBytes} bytes)")]
    public static partial void LowDisk(ILogger logger, long freeBytes, string folder, long minimumBytes);

    [LoggerMessage(1011, LogLevel.Error, "Task {TaskId} run {RunId} ended with a fatal error: {Message}")]
    public static partial void Fatal(ILogger logger, string taskId, int runId, string message);

    [LoggerMessage(1012, LogLevel.Warning, "Aborting {Count} running task(s) as worker-shutdown")]
    public static partial void AbortingRunning(ILogger logger, int count);

    [LoggerMessage(1013, LogLevel.Error, "Task {TaskId} run {RunId}: the worker failed around the run: {Message}")]
    public static partial void RunCrashed(ILogger logger, string taskId, int runId, string message);

    [LoggerMessage(1014, LogLevel.Warning, "worker-runner protocol: {Problem}")]
    public static partial void ProtocolProblem(ILogger logger, string problem);

    [LoggerMessage(1015, LogLevel.Information, "Using new worker credentials for {ClientId}")]
    public static partial void NewCredentials(ILogger logger, string clientId);

    [LoggerMessage(1016, LogLevel.Information, "Engine '{Engine}' started")]
    public static partial void EngineStarted(ILogger logger, string engine);

    [LoggerMessage(1017, LogLevel.Warning, "Engine '{Engine}' is waiting for a dependency: {Message}; retrying in {DelaySeconds:0.###} s (gives up at {GiveUpAt:u}, worker.startTimeout)")]
    public static partial void EngineWaiting(ILogger logger, string engine, string message, double delaySeconds, DateTimeOffset giveUpAt);

    [LoggerMessage(1019, LogLevel.Warning, "Not claiming: {Reasons}")]
    public static partial void Unhealthy(ILogger logger, string reasons);

    [LoggerMessage(1020, LogLevel.Information, "The engines are healthy again after {Seconds:0.###} s; claiming resumes")]
    public static partial void HealthyAgain(ILogger logger, double seconds);

    [LoggerMessage(1021, LogLevel.Error, "Unhealthy for {Seconds:0.###} s, worker.unhealthyTimeout: {Reasons}")]
    public static partial void UnhealthyTooLong(ILogger logger, double seconds, string reasons);

    [LoggerMessage(1022, LogLevel.Warning, "Plugin '{Plugin}' threw from {Member}: {Message}")]
    public static partial void PluginReportFailed(ILogger logger, string plugin, string member, string message);

    [LoggerMessage(1023, LogLevel.Information, "{FreeBytes} bytes free in {Folder}, below worker.minimumDiskSpace ({MinimumBytes} bytes): collecting garbage")]
    public static partial void CollectingGarbage(ILogger logger, long freeBytes, string folder, long minimumBytes);

    [LoggerMessage(1024, LogLevel.Information, "{FreeBytes} bytes free in {Folder} again; claiming resumes")]
    public static partial void DiskSpaceBack(ILogger logger, long freeBytes, string folder);

    [LoggerMessage(1025, LogLevel.Information, "Evicted a {Resource} last used at {LastUsed:O} that held {Bytes} bytes (-1: unknown)")]
    public static partial void Evicted(ILogger logger, string resource, DateTimeOffset lastUsed, long bytes);

    [LoggerMessage(1026, LogLevel.Warning, "Disposing a {Resource} failed; the garbage collector forgets it: {Message}")]
    public static partial void EvictionFailed(ILogger logger, string resource, string message);

    [LoggerMessage(1027, LogLevel.Warning, "Collecting garbage failed: {Message}")]
    public static partial void CollectionFailed(ILogger logger, string message);

    [LoggerMessage(1028, LogLevel.Warning, "The record of open claims ({Path}) could not be written; a crash now leaves task {TaskId} run {RunId} to expire instead: {Message}")]
    public static partial void ClaimRecordFailed(ILogger logger, string path, string taskId, int runId, string message);

    [LoggerMessage(1029, LogLevel.Warning, "An earlier run of this worker left {Count} open claim(s); {Resolved} resolved as exception/worker-shutdown so the queue reruns them now, {Gone} already resolved or expired")]
    public static partial void LeftoverClaims(ILogger logger, int count, int resolved, int gone);

    [LoggerMessage(1030, LogLevel.Warning, "Task {TaskId} run {RunId}, claimed by an earlier run of this worker, could not be resolved as worker-shutdown; the queue resolves it when its claim expires: {Message}")]
    public static partial void LeftoverClaimFailed(ILogger logger, string taskId, int runId, string message);

    [LoggerMessage(1031, LogLevel.Warning, "The record of open claims an earlier run of this worker left ({Path}) cannot be read, so its claims expire instead of being handed back: {Problem}")]
    public static partial void ClaimRecordUnreadable(ILogger logger, string path, string problem);

    [LoggerMessage(1032, LogLevel.Information, "Removed {Count} files and folders an earlier run of this worker left in its temporary folder {Folder} (task logs, task directories, volumes)")]
    public static partial void LeftoverFiles(ILogger logger, int count, string folder);
}
