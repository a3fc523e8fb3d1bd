using Microsoft.Extensions.Logging;
using TcWorker.Errors;

namespace TcWorker.Runtime.Tasks;

/// <summary>
/// Turns the failures of a run's components into its outcome: explained in the task log while it is
/// open, always in the worker's log, with fatal errors flagged and the first abort or failure pinning
/// the reason.
/// </summary>
internal sealed class RunFailures(ClaimedTask claim, TaskLog log, ILogger logger, RunResolution resolution, CancellationToken aborted)
{
    /// <summary>Failures that end the run in an exception. Cancellations caused by an abort are not failures.</summary>
    public void Fail(IReadOnlyList<HookFailure> failures)
    {
        var relevant = failures.Where(f => !(aborted.IsCancellationRequested && f.Error is OperationCanceledException)).ToList();
        foreach (var failure in relevant)
        {
            foreach (var line in failure.LogLines)
            {
                log.WriteErrorLine(line);
            }

            LogToWorker(failure);
        }

        if (Decisive(relevant) is { } decisive)
        {
            var cause = decisive.Error is MalformedPayloadException
                ? MalformedPayloadException.Merge(relevant.Select(f => f.Error).OfType<MalformedPayloadException>())
                : decisive.Error;
            resolution.TryPinException(decisive.Meaning.Reason, cause);
        }
        else
        {
            resolution.TryPinException(ExceptionReason.InternalError, failures.FirstOrDefault()?.Error);
        }
    }

    /// <summary>Failures of the finished stage: the result was decided, but the run still ends in an exception.</summary>
    public void FailAfterDecision(IReadOnlyList<HookFailure> failures)
    {
        ReportLate(failures);
        if (Decisive(failures) is { } decisive)
        {
            resolution.OverrideWithException(decisive.Meaning.Reason, decisive.Error);
        }
    }

    /// <summary>Failures after the log is closed that do not change the reason (exception hooks, disposal); a fatal one still marks the outcome.</summary>
    public void ReportLate(IReadOnlyList<HookFailure> failures)
    {
        foreach (var failure in failures)
        {
            LogToWorker(failure);
        }
    }

    private static HookFailure? Decisive(IReadOnlyList<HookFailure> failures) => failures.OrderBy(f => f.Meaning.Rank).FirstOrDefault();

    private void LogToWorker(HookFailure failure)
    {
        var (_, fatal, rank) = failure.Meaning;
        if (fatal)
        {
            resolution.MarkFatal(failure.Error);
            TaskRunLog.FatalError(logger, claim.TaskId, claim.RunId, failure.Component, failure.Stage, failure.Error);
        }
        else if (rank == 1)
        {
            TaskRunLog.ComponentFailed(logger, claim.TaskId, claim.RunId, failure.Component, failure.Stage, failure.Error);
        }
    }
}
