using Newtonsoft.Json;
using Newtonsoft.Json.Linq;

namespace TcWorker.Taskcluster;

/// <summary>Body of claimWork.</summary>
public sealed class ClaimWorkRequest
{
    /// <summary>The worker group.</summary>
    [JsonProperty("workerGroup")]
    public required string WorkerGroup { get; init; }

    /// <summary>The worker id.</summary>
    [JsonProperty("workerId")]
    public required string WorkerId { get; init; }

    /// <summary>How many tasks to claim at most (1 to 32).</summary>
    [JsonProperty("tasks")]
    public int Tasks { get; init; } = 1;
}

/// <summary>Response of claimWork.</summary>
public sealed class ClaimWorkResponse
{
    /// <summary>The claimed tasks; empty when the long poll ended without work.</summary>
    [JsonProperty("tasks")]
    public List<TaskClaim> Tasks { get; init; } = [];
}

/// <summary>Fields common to a claim and a reclaim.</summary>
public abstract class TaskClaimBase
{
    /// <summary>The task's status.</summary>
    [JsonProperty("status")]
    public TaskStatusStructure Status { get; init; } = new();

    /// <summary>The claimed run.</summary>
    [JsonProperty("runId")]
    public int RunId { get; init; }

    /// <summary>The worker group the run is claimed by.</summary>
    [JsonProperty("workerGroup")]
    public string WorkerGroup { get; init; } = string.Empty;

    /// <summary>The worker id the run is claimed by.</summary>
    [JsonProperty("workerId")]
    public string WorkerId { get; init; } = string.Empty;

    /// <summary>Reclaim before this time or the run resolves <c>exception/claim-expired</c>.</summary>
    [JsonProperty("takenUntil")]
    public DateTimeOffset TakenUntil { get; init; }

    /// <summary>Temporary credentials for reclaim, resolve and artifact calls of this run; replaced by each reclaim.</summary>
    [JsonProperty("credentials")]
    public TaskclusterCredentials Credentials { get; init; } = null!;
}

/// <summary>One claimed task from claimWork.</summary>
public sealed class TaskClaim : TaskClaimBase
{
    /// <summary>The task definition.</summary>
    [JsonProperty("task")]
    public JObject Task { get; init; } = [];

    /// <summary>
    /// Why the task definition could not be read (larger than 10 MB, nested deeper than 64 levels, not
    /// a JSON object), or null when it could. <see cref="Task"/> is then empty; the claim itself (status,
    /// run, credentials) is intact, so the run can still be resolved, typically as
    /// <c>exception/malformed-payload</c>.
    /// </summary>
    [JsonIgnore]
    public string? TaskDefinitionError { get; internal set; }
}

/// <summary>Response of reclaimTask.</summary>
public sealed class TaskReclaimResponse : TaskClaimBase
{
}

/// <summary>A response carrying a task status (createTask, cancelTask, report*, status).</summary>
public sealed class TaskStatusResponse
{
    /// <summary>The status.</summary>
    [JsonProperty("status")]
    public TaskStatusStructure Status { get; init; } = new();
}

/// <summary>The status structure of a task.</summary>
public sealed class TaskStatusStructure
{
    /// <summary>The task id.</summary>
    [JsonProperty("taskId")]
    public string TaskId { get; init; } = string.Empty;

    /// <summary>The provisioner id.</summary>
    [JsonProperty("provisionerId")]
    public string ProvisionerId { get; init; } = string.Empty;

    /// <summary>The worker type.</summary>
    [JsonProperty("workerType")]
    public string WorkerType { get; init; } = string.Empty;

    /// <summary><c>&lt;provisionerId&gt;/&lt;workerType&gt;</c>.</summary>
    [JsonProperty("taskQueueId")]
    public string TaskQueueId { get; init; } = string.Empty;

    /// <summary>The scheduler id.</summary>
    [JsonProperty("schedulerId")]
    public string SchedulerId { get; init; } = string.Empty;

    /// <summary>The project id.</summary>
    [JsonProperty("projectId")]
    public string ProjectId { get; init; } = string.Empty;

    /// <summary>The task group id.</summary>
    [JsonProperty("taskGroupId")]
    public string TaskGroupId { get; init; } = string.Empty;

    /// <summary>The priority, if the queue reports it.</summary>
    [JsonProperty("priority")]
    public string? Priority { get; init; }

    /// <summary>The deadline.</summary>
    [JsonProperty("deadline")]
    public DateTimeOffset Deadline { get; init; }

    /// <summary>When the task expires.</summary>
    [JsonProperty("expires")]
    public DateTimeOffset Expires { get; init; }

    /// <summary>Retries left.</summary>
    [JsonProperty("retriesLeft")]
    public int RetriesLeft { get; init; }

    /// <summary><c>unscheduled</c>, <c>pending</c>, <c>running</c>, <c>completed</c>, <c>failed</c> or <c>exception</c>.</summary>
    [JsonProperty("state")]
    public string State { get; init; } = string.Empty;

    /// <summary>The runs, oldest first.</summary>
    [JsonProperty("runs")]
    public List<TaskRun> Runs { get; init; } = [];
}

/// <summary>One run of a task.</summary>
public sealed class TaskRun
{
    /// <summary>The run id.</summary>
    [JsonProperty("runId")]
    public int RunId { get; init; }

    /// <summary><c>pending</c>, <c>running</c>, <c>completed</c>, <c>failed</c> or <c>exception</c>.</summary>
    [JsonProperty("state")]
    public string State { get; init; } = string.Empty;

    /// <summary>Why the run was created.</summary>
    [JsonProperty("reasonCreated")]
    public string ReasonCreated { get; init; } = string.Empty;

    /// <summary>Why the run was resolved, once it is.</summary>
    [JsonProperty("reasonResolved")]
    public string? ReasonResolved { get; init; }

    /// <summary>The worker group that claimed the run.</summary>
    [JsonProperty("workerGroup")]
    public string? WorkerGroup { get; init; }

    /// <summary>The worker id that claimed the run.</summary>
    [JsonProperty("workerId")]
    public string? WorkerId { get; init; }

    /// <summary>End of the current claim.</summary>
    [JsonProperty("takenUntil")]
    public DateTimeOffset? TakenUntil { get; init; }

    /// <summary>When the run was scheduled.</summary>
    [JsonProperty("scheduled")]
    public DateTimeOffset Scheduled { get; init; }

    /// <summary>When the run started.</summary>
    [JsonProperty("started")]
    public DateTimeOffset? Started { get; init; }

    /// <summary>When the run was resolved.</summary>
    [JsonProperty("resolved")]
    public DateTimeOffset? Resolved { get; init; }
}

/// <summary>Body of reportException.</summary>
public sealed class TaskExceptionRequest
{
    /// <summary><c>worker-shutdown</c>, <c>malformed-payload</c>, <c>resource-unavailable</c>, <c>internal-error</c> or <c>intermittent-task</c>.</summary>
    [JsonProperty("reason")]
    public required string Reason { get; init; }
}

/// <summary>Body of declareWorker.</summary>
public sealed class DeclareWorkerRequest
{
    /// <summary>When the worker expires.</summary>
    [JsonProperty("expires")]
    public required DateTimeOffset Expires { get; init; }
}

/// <summary>Body of quarantineWorker.</summary>
public sealed class QuarantineWorkerRequest
{
    /// <summary>Quarantine the worker until this time (a past time lifts the quarantine).</summary>
    [JsonProperty("quarantineUntil")]
    public required DateTimeOffset QuarantineUntil { get; init; }

    /// <summary>Why, at most 4000 characters.</summary>
    [JsonProperty("quarantineInfo")]
    public string? QuarantineInfo { get; init; }
}
