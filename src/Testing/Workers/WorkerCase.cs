using Newtonsoft.Json.Linq;

namespace TcWorker.Testing;

/// <summary>
/// A declarative end-to-end case for <see cref="WorkerHarness"/>: tasks go into a real local queue, a
/// real worker runs them, and each task's resolution, log and artifacts are compared with what the
/// case expects. Modelled on taskcluster-worker's <c>worker/workertest</c>. Build one in code or load
/// it from a YAML or JSON file with <see cref="WorkerCaseFile"/>.
/// </summary>
public sealed class WorkerCase
{
    /// <summary>The case's name, shown in test names and failure messages.</summary>
    public required string Name { get; init; }

    /// <summary>The tasks, created in this order; a task may depend only on tasks listed before it.</summary>
    public required IReadOnlyList<WorkerCaseTask> Tasks { get; init; }

    /// <summary>
    /// A worker config fragment (YAML or JSON text) merged over the harness's config for this case
    /// only, for example <c>plugins: {maxruntime: {maxRunTime: 5}}</c>; objects merge key by key, other
    /// values replace.
    /// </summary>
    public string? Config { get; init; }

    /// <summary>How many tasks the worker runs at once; the config's <c>worker.capacity</c> (or 1) when <see langword="null"/>.</summary>
    public int? Capacity { get; init; }

    /// <summary>How long the tasks may take to resolve, all together, before the case fails naming those still unresolved.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>One task of a <see cref="WorkerCase"/> and what it must end with.</summary>
public sealed class WorkerCaseTask
{
    /// <summary>The task's name within the case: the target of <see cref="DependsOn"/>, shown in failure messages, and its <c>metadata.name</c>.</summary>
    public required string Name { get; init; }

    /// <summary>
    /// The payload: YAML or JSON text, a <see cref="JObject"/>, or any object Newtonsoft.Json serializes
    /// to an object (an anonymous type works).
    /// </summary>
    public required object Payload { get; init; }

    /// <summary>How long after its creation the task's deadline falls; one hour when <see langword="null"/>.</summary>
    public TimeSpan? Deadline { get; init; }

    /// <summary>Names of tasks listed before this one that must complete before it is scheduled.</summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];

    /// <summary>
    /// More fields of the task definition (<c>scopes</c>, <c>retries</c>, <c>tags</c>, ...) merged over the
    /// generated one; the payload, the worker pool, the times and the dependencies are the harness's.
    /// </summary>
    public JObject? Definition { get; init; }

    /// <summary>When set, the task is canceled through the queue this long after its run starts.</summary>
    public TimeSpan? CancelAfter { get; init; }

    /// <summary>What the task must end with; a completed resolution and nothing else by default.</summary>
    public TaskExpectation Expect { get; init; } = new();

    /// <inheritdoc />
    public override string ToString() => Name;
}

/// <summary>What one task must end with. Every expectation is checked and every mismatch reported.</summary>
public sealed class TaskExpectation
{
    /// <summary>
    /// The resolution of the task's last run: <c>completed</c>, <c>failed</c>, <c>exception</c> (any reason), or
    /// <c>exception/REASON</c> with one of the queue's reasons (<c>malformed-payload</c>, <c>deadline-exceeded</c>,
    /// <c>canceled</c>, <c>internal-error</c>, ...).
    /// </summary>
    public string Resolution { get; init; } = "completed";

    /// <summary>Texts the task log (<c>public/logs/live_backing.log</c>) must contain.</summary>
    public IReadOnlyList<string> LogContains { get; init; } = [];

    /// <summary>Texts the task log must not contain.</summary>
    public IReadOnlyList<string> LogDoesNotContain { get; init; } = [];

    /// <summary>Regular expressions (.NET syntax, multi-line) that must each match somewhere in the task log.</summary>
    public IReadOnlyList<string> LogMatches { get; init; } = [];

    /// <summary>Expectations on the artifacts of the task's last run; artifacts not named here are not checked.</summary>
    public IReadOnlyList<ArtifactExpectation> Artifacts { get; init; } = [];
}

/// <summary>
/// An expectation on one artifact. With no other property set it only has to exist; set
/// <see cref="Absent"/> to require that it does not.
/// </summary>
/// <param name="Name">The artifact's name, e.g. <c>public/build/out.txt</c>.</param>
public sealed record ArtifactExpectation(string Name)
{
    /// <summary>The exact content (UTF-8) of an uploaded artifact.</summary>
    public string? Content { get; init; }

    /// <summary>A text the uploaded artifact's content must contain.</summary>
    public string? Contains { get; init; }

    /// <summary>The content type the artifact was created with.</summary>
    public string? ContentType { get; init; }

    /// <summary>
    /// Requires an error artifact with this reason (<c>file-missing-on-worker</c>, <c>invalid-resource-on-worker</c>,
    /// <c>too-large-file-on-worker</c>).
    /// </summary>
    public string? ErrorReason { get; init; }

    /// <summary>Requires that no artifact of this name exists.</summary>
    public bool Absent { get; init; }
}
