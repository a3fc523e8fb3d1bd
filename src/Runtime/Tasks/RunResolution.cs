using TcWorker.Errors;

namespace TcWorker.Runtime.Tasks;

/// <summary>
/// The run's resolution, pinned once: the first abort or failure decides an exception, or the
/// stopped stage decides completed/failed. Only an error in the finished stage may still turn a
/// decided result into an exception. Thread-safe.
/// </summary>
internal sealed class RunResolution
{
    private readonly Lock gate = new();
    private TaskRunState? state;
    private ExceptionReason? reason;
    private bool fatal;
    private Exception? error;

    public bool IsPinned
    {
        get
        {
            lock (gate)
            {
                return state is not null;
            }
        }
    }

    public bool IsException
    {
        get
        {
            lock (gate)
            {
                return state == TaskRunState.Exception;
            }
        }
    }

    public bool TryPinException(ExceptionReason exceptionReason, Exception? cause)
    {
        lock (gate)
        {
            if (state is not null)
            {
                return false;
            }

            (state, reason, error) = (TaskRunState.Exception, exceptionReason, cause);
            return true;
        }
    }

    public bool TryPinResult(bool success)
    {
        lock (gate)
        {
            if (state is not null)
            {
                return false;
            }

            state = success ? TaskRunState.Completed : TaskRunState.Failed;
            return true;
        }
    }

    /// <summary>An error after the result was decided (finished stage) still makes the run an exception.</summary>
    public void OverrideWithException(ExceptionReason exceptionReason, Exception cause)
    {
        lock (gate)
        {
            if (state != TaskRunState.Exception)
            {
                (state, reason, error) = (TaskRunState.Exception, exceptionReason, cause);
            }
        }
    }

    public void MarkFatal(Exception cause)
    {
        lock (gate)
        {
            fatal = true;
            error ??= cause;
        }
    }

    public TaskRunOutcome ToOutcome(int? exitCode)
    {
        lock (gate)
        {
            return new TaskRunOutcome
            {
                State = state ?? TaskRunState.Exception,
                Reason = state is null ? ExceptionReason.InternalError : reason,
                Fatal = fatal,
                ExitCode = exitCode,
                Error = error,
            };
        }
    }
}
