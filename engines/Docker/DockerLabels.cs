using System.Globalization;
using TcWorker.Workers;

namespace TcWorker.Engines.Docker;

/// <summary>
/// The labels on everything the engine creates (containers, volumes, networks): three name the
/// worker, so that a restarted worker finds and removes what its crashed predecessor left; two name
/// the task run a container belongs to.
/// </summary>
internal static class DockerLabels
{
    public const string Prefix = "org.tcworker.";
    public const string WorkerPool = Prefix + "worker-pool";
    public const string WorkerGroup = Prefix + "worker-group";
    public const string WorkerId = Prefix + "worker-id";
    public const string TaskId = Prefix + "task-id";
    public const string RunId = Prefix + "run-id";

    /// <summary>The labels that identify this worker.</summary>
    public static Dictionary<string, string> ForWorker(WorkerIdentity identity) => new(StringComparer.Ordinal)
    {
        [WorkerPool] = identity.WorkerPoolId,
        [WorkerGroup] = identity.WorkerGroup,
        [WorkerId] = identity.WorkerId,
    };

    /// <summary>The labels of a task's container: the worker's and the run's.</summary>
    public static Dictionary<string, string> ForTask(WorkerIdentity identity, string taskId, int runId)
    {
        var labels = ForWorker(identity);
        labels[TaskId] = taskId;
        labels[RunId] = runId.ToString(CultureInfo.InvariantCulture);
        return labels;
    }

    /// <summary>A list filter (<c>label=key=value</c> for each) that matches what this worker created.</summary>
    public static IDictionary<string, IDictionary<string, bool>> Filter(WorkerIdentity identity) => new Dictionary<string, IDictionary<string, bool>>
    {
        ["label"] = ForWorker(identity).ToDictionary(kv => $"{kv.Key}={kv.Value}", _ => true),
    };
}
