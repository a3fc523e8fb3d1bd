using Newtonsoft.Json.Linq;
using TcWorker.Errors;
using TcWorker.Runtime.Tasks;

namespace TcWorker.Runtime.Worker;

/// <summary>
/// The artifact names of a run's task log: generic-worker's payload may rename them (<c>logs.live</c>,
/// <c>logs.backing</c>) and turn the upload off (<c>features.backingLog: false</c>). Those keys belong to
/// the livelog plugin's schema, so they are read only from a payload that validated; a malformed
/// payload's log is always uploaded under the default name, so the reason can be read.
/// </summary>
/// <param name="Backing">The full log's name, or null when the task turned it off.</param>
/// <param name="Live">The live log's name: a reference while the task runs, linked to the backing log after.</param>
internal sealed record TaskLogNames(string? Backing, string Live)
{
    /// <summary>The default names.</summary>
    public static TaskLogNames Default { get; } = new(ClaimedRun.BackingLogName, ClaimedRun.LiveLogName);

    public static TaskLogNames For(JObject task, TaskRunOutcome outcome)
    {
        if (outcome.Reason == ExceptionReason.MalformedPayload || task["payload"] is not JObject payload)
        {
            return Default;
        }

        var logs = payload["logs"] as JObject;
        string Name(string key, string fallback) => logs?[key] is JValue { Type: JTokenType.String } value && value.Value<string>() is { Length: > 0 } name ? name : fallback;
        return new TaskLogNames(BackingTurnedOff(task) ? null : Name("backing", ClaimedRun.BackingLogName), Name("live", ClaimedRun.LiveLogName));
    }

    /// <summary>Whether the payload asks for no full log (<c>features.backingLog: false</c>), read before it is validated.</summary>
    public static bool BackingTurnedOff(JObject task) =>
        task["payload"] is JObject { } payload && payload["features"] is JObject features && features["backingLog"] is JValue { Type: JTokenType.Boolean } flag && !flag.Value<bool>();
}
