using TcWorker.Errors;

namespace TcWorker.Runtime.Tasks;

/// <summary>How a run ended, in the terms the queue is told.</summary>
public enum TaskRunState
{
    /// <summary>Every plugin reported success: report <c>completed</c>.</summary>
    Completed,

    /// <summary>The task ran and some plugin reported failure: report <c>failed</c>.</summary>
    Failed,

    /// <summary>The run ended in an exception: report <c>exception</c> with <see cref="TaskRunOutcome.Reason"/>, unless it is not reportable (<c>canceled</c>).</summary>
    Exception,
}

/// <summary>The result of <see cref="TaskRun.RunAsync"/>.</summary>
public sealed record TaskRunOutcome
{
    /// <summary>Completed, failed or exception.</summary>
    public required TaskRunState State { get; init; }

    /// <summary>The exception reason when <see cref="State"/> is <see cref="TaskRunState.Exception"/>.</summary>
    public ExceptionReason? Reason { get; init; }

    /// <summary>
    /// Something broke that makes this worker unfit for more tasks (a <see cref="FatalInternalException"/>):
    /// the worker should stop gracefully after resolving this run.
    /// </summary>
    public bool Fatal { get; init; }

    /// <summary>The task's exit code, when the sandbox produced a result.</summary>
    public int? ExitCode { get; init; }

    /// <summary>The first error that decided the outcome, for the worker's own log; <see langword="null"/> when none.</summary>
    public Exception? Error { get; init; }

    /// <summary>Whether the queue must be told: everything but an exception with a non-reportable reason (<c>canceled</c>).</summary>
    public bool ShouldReport => State != TaskRunState.Exception || (Reason is { } reason && reason.IsReportable());

    /// <summary>The resolution as written to the task log: <c>completed</c>, <c>failed</c>, or <c>exception/&lt;reason&gt;</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => State switch
    {
        TaskRunState.Completed => "completed",
        TaskRunState.Failed => "failed",
        _ => "exception/" + (Reason ?? ExceptionReason.InternalError).ToWireString(),
    };
}
