using Newtonsoft.Json.Linq;

namespace TcWorker.LocalQueue.Model;

/// <summary>A task as stored: its normalised definition and its status structure, both exactly as served.</summary>
internal sealed class TaskEntry
{
    public TaskEntry(string taskId, JObject task, JObject status)
    {
        TaskId = taskId;
        Task = task;
        Status = status;
    }

    public string TaskId { get; }

    public JObject Task { get; }

    public JObject Status { get; }

    public JArray Runs => (JArray)Status["runs"]!;

    public JObject? LastRun => Runs.Count == 0 ? null : (JObject?)Runs[^1];

    public string State => (string)Status["state"]!;

    public string TaskQueueId => (string)Status["taskQueueId"]!;

    public DateTimeOffset Deadline => QueueJson.ParseDate(Task["deadline"]);

    public DateTimeOffset Expires => QueueJson.ParseDate(Task["expires"]);

    public int RetriesLeft
    {
        get => (int)Status["retriesLeft"]!;
        set => Status["retriesLeft"] = value;
    }

    public JObject? Run(int runId) => runId >= 0 && runId < Runs.Count ? (JObject)Runs[runId] : null;

    /// <summary>Recomputes the task state from the last run.</summary>
    public void RefreshState() => Status["state"] = LastRun is { } run ? (string)run["state"]! : "unscheduled";

    public bool IsResolved => State is "completed" or "failed" or "exception";
}
