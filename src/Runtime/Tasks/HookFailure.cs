using TcWorker.Errors;

namespace TcWorker.Runtime.Tasks;

/// <summary>An error raised by a component (the engine, a plugin, the payload) in one stage of a run.</summary>
/// <param name="Component">Who, e.g. <c>plugin 'env'</c>.</param>
/// <param name="Stage">Where, e.g. <c>build</c>.</param>
/// <param name="Error">What.</param>
internal sealed record HookFailure(string Component, string Stage, Exception Error)
{
    /// <summary>What the error means for the run, as taskcluster-worker merged errors: fatal over internal over task exceptions over malformed payloads.</summary>
    public (ExceptionReason Reason, bool Fatal, int Rank) Meaning => Error switch
    {
        FatalInternalException => (ExceptionReason.InternalError, true, 0),
        MalformedPayloadException => (ExceptionReason.MalformedPayload, false, 3),
        TaskException task => (task.Reason, false, 2),
        _ => (ExceptionReason.InternalError, false, 1),
    };

    /// <summary>The lines the task log gets about this failure.</summary>
    public IEnumerable<string> LogLines => Error switch
    {
        MalformedPayloadException malformed => malformed.Messages,
        TaskException task => [task.Message],
        HookTimeoutException timeout => [$"Internal error: {timeout.Message}"],
        _ => [$"Internal error in {Component} ({Stage}): {Error.GetType().Name}: {Error.Message}"],
    };
}
