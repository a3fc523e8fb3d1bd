using TcWorker.Runtime.Worker;

namespace TcWorker.Runtime.Hosting;

/// <summary>
/// How the hosted worker ended, for the process's exit code: read it after the host stopped. Filled
/// once by the hosted worker; thread-safe to read afterwards.
/// </summary>
public sealed class WorkerOutcome
{
    /// <summary>Why the worker loop stopped; null when it did not run to its end (see <see cref="Error"/>) or has not ended yet.</summary>
    public WorkerStopReason? Reason { get; internal set; }

    /// <summary>What ended the worker before it claimed anything (a config problem, an engine that did not start); null otherwise.</summary>
    public Exception? Error { get; internal set; }

    /// <summary>The exit code for the outcome (<see cref="WorkerExitCodes"/>): 0 while nothing ended the worker yet.</summary>
    public int ExitCode => Error is { } error ? WorkerExitCodes.For(error) : Reason is { } reason ? WorkerExitCodes.For(reason) : WorkerExitCodes.Stopped;
}
