namespace TcWorker.Errors;

/// <summary>
/// Why a run ended in <c>exception</c>, as Taskcluster knows it. The worker reports the reasons a
/// worker may report (<see cref="ExceptionReasons.IsReportable"/>); the others are set by the queue
/// and appear here so that plugins can be told about them.
/// </summary>
public enum ExceptionReason
{
    /// <summary>The task was cancelled, or the claim was lost. Never reported back to the queue.</summary>
    Canceled,

    /// <summary>The worker is stopping; the queue retries the task while retries remain.</summary>
    WorkerShutdown,

    /// <summary>The payload is invalid; the task log says why.</summary>
    MalformedPayload,

    /// <summary>A resource the task needs could not be obtained.</summary>
    ResourceUnavailable,

    /// <summary>The worker, an engine or a plugin failed.</summary>
    InternalError,

    /// <summary>A newer task superseded this one.</summary>
    Superseded,

    /// <summary>The task failed in a way it declared as intermittent; the queue retries it.</summary>
    IntermittentTask,

    /// <summary>The task's deadline passed (set by the queue).</summary>
    DeadlineExceeded,

    /// <summary>The claim expired without a reclaim (set by the queue).</summary>
    ClaimExpired,
}

/// <summary>Conversions between <see cref="ExceptionReason"/> and Taskcluster's wire strings.</summary>
public static class ExceptionReasons
{
    /// <summary>Returns the Taskcluster wire string for a reason, e.g. <c>worker-shutdown</c>.</summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The kebab-case string the queue uses.</returns>
    public static string ToWireString(this ExceptionReason reason) => reason switch
    {
        ExceptionReason.Canceled => "canceled",
        ExceptionReason.WorkerShutdown => "worker-shutdown",
        ExceptionReason.MalformedPayload => "malformed-payload",
        ExceptionReason.ResourceUnavailable => "resource-unavailable",
        ExceptionReason.InternalError => "internal-error",
        ExceptionReason.Superseded => "superseded",
        ExceptionReason.IntermittentTask => "intermittent-task",
        ExceptionReason.DeadlineExceeded => "deadline-exceeded",
        ExceptionReason.ClaimExpired => "claim-expired",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Unknown exception reason."),
    };

    /// <summary>Parses a Taskcluster wire string such as <c>internal-error</c>.</summary>
    /// <param name="value">The wire string.</param>
    /// <param name="reason">The parsed reason.</param>
    /// <returns><see langword="true"/> when the string names a known reason.</returns>
    public static bool TryParse(string? value, out ExceptionReason reason)
    {
        foreach (var candidate in Enum.GetValues<ExceptionReason>())
        {
            if (string.Equals(candidate.ToWireString(), value, StringComparison.Ordinal))
            {
                reason = candidate;
                return true;
            }
        }

        reason = default;
        return false;
    }

    /// <summary>
    /// Tells whether a worker may report this reason through <c>reportException</c>
    /// (worker-shutdown, malformed-payload, resource-unavailable, internal-error, intermittent-task, superseded).
    /// </summary>
    /// <param name="reason">The reason.</param>
    /// <returns><see langword="true"/> when the worker reports it to the queue.</returns>
    public static bool IsReportable(this ExceptionReason reason) => reason is ExceptionReason.WorkerShutdown
        or ExceptionReason.MalformedPayload or ExceptionReason.ResourceUnavailable or ExceptionReason.InternalError
        or ExceptionReason.IntermittentTask or ExceptionReason.Superseded;
}
