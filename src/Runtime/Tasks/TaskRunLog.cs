using Microsoft.Extensions.Logging;

namespace TcWorker.Runtime.Tasks;

/// <summary>The worker-log messages of task runs (the task log is separate).</summary>
internal static partial class TaskRunLog
{
    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Task {TaskId} run {RunId} started on engine {Engine}")]
    public static partial void Started(ILogger logger, string taskId, int runId, string engine);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Task {TaskId} run {RunId} resolved as {Resolution}")]
    public static partial void Resolved(ILogger logger, string taskId, int runId, string resolution);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Task {TaskId} run {RunId} aborted: {Reason}")]
    public static partial void Aborted(ILogger logger, string taskId, int runId, string reason);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Error, Message = "Task {TaskId} run {RunId}: {Component} failed in stage {Stage}")]
    public static partial void ComponentFailed(ILogger logger, string taskId, int runId, string component, string stage, Exception error);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "Disposing {What} after its call ended late failed")]
    public static partial void LateDisposeFailed(ILogger logger, string what, Exception error);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Critical, Message = "Task {TaskId} run {RunId}: fatal error from {Component} in stage {Stage}; the worker should stop")]
    public static partial void FatalError(ILogger logger, string taskId, int runId, string component, string stage, Exception error);
}
