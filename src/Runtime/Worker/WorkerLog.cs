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

    [LoggerMessage(1010, LogLevel.Warning, "Not claiming: {FreeBytes} bytes free in {Folder}, below the minimum of {MinimumBytes}")]
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
}
