using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Http;
using TcWorker.LocalQueue.Index;
using TcWorker.LocalQueue.Storage;

namespace TcWorker.LocalQueue.Model;

/// <summary>
/// The task and run state machine of the real queue ("States and times", "Resolving a run"):
/// scheduling once dependencies allow, claims, reclaims, idempotent resolutions, retries, claim
/// expiry and deadlines; a completed task is indexed under its <c>index.</c> routes. Every method
/// runs inside <see cref="QueueStore.RunAsync{T}"/>.
/// </summary>
internal sealed class TaskStateMachine
{
    /// <summary>The most runs a task may have: a rerun beyond them is refused.</summary>
    private const int MaxRuns = 50;

    private readonly QueueStore store;
    private readonly TimeSpan claimTimeout;

    public TaskStateMachine(QueueStore store, TimeSpan claimTimeout)
    {
        this.store = store;
        this.claimTimeout = claimTimeout;
    }

    /// <summary>Creates the task, or answers the existing status when an identical definition was created before (409 when it differs).</summary>
    public JObject Create(QueueDatabase db, ISet<string> woken, string taskId, JObject task, DateTimeOffset now)
    {
        if (db.GetTask(taskId) is { } existing)
        {
            return JToken.DeepEquals(existing.Task, task)
                ? existing.Status
                : throw QueueError.Conflict($"taskId {taskId} already used by another task");
        }

        var entry = new TaskEntry(taskId, task, TaskDefinition.NewStatus(taskId, task));
        var dependencies = task["dependencies"]!.Values<string>().OfType<string>().Where(d => d != taskId).Distinct().ToList();
        var missing = dependencies.Where(d => db.TaskState(d) is null).ToList();
        if (missing.Count > 0)
        {
            throw QueueError.Input("`task.dependencies` references non-existing tasks: \n" + string.Join("\n", missing.Select(d => " * " + d)) + "\nAll taskIds in `task.dependencies` **must** exist before the task is created.");
        }
        db.InsertTask(entry, TaskDefinition.Rank((string)task["priority"]!), store.NextSeq(), dependencies);
        if (DependenciesSatisfied(db, entry, dependencies))
        {
            Schedule(db, woken, entry, now);
        }

        return entry.Status;
    }

    /// <summary>Claims up to <paramref name="count"/> pending tasks of the queue, highest priority first, then oldest.</summary>
    public List<(TaskEntry Task, int RunId)> Claim(QueueDatabase db, ISet<string> woken, string queue, string workerGroup, string workerId, int count, DateTimeOffset now)
    {
        var claims = new List<(TaskEntry, int)>();
        foreach (var taskId in db.PendingTaskIds(queue, count))
        {
            var entry = db.GetTask(taskId)!;
            var run = entry.LastRun!;
            if (entry.Deadline <= now)
            {
                // not yet seen by the deadline check: past its deadline nothing is claimable
                ResolveRun(db, woken, entry, run, "exception", "deadline-exceeded", now);
                continue;
            }

            run["state"] = "running";
            run["workerGroup"] = workerGroup;
            run["workerId"] = workerId;
            run["takenUntil"] = QueueJson.Date(now + claimTimeout);
            run["started"] = QueueJson.Date(now);
            entry.RefreshState();
            db.UpdateTask(entry, null);
            claims.Add((entry, (int)run["runId"]!));
        }

        return claims;
    }

    public TaskEntry Reclaim(QueueDatabase db, string taskId, int runId, DateTimeOffset now)
    {
        var (entry, run) = FindRun(db, taskId, runId);
        if (entry.Deadline <= now)
        {
            throw QueueError.Conflict($"Task {taskId} has passed its deadline");
        }

        if ((string)run["state"]! != "running")
        {
            throw QueueError.Conflict($"Run {runId} of task {taskId} is not running (it is {run["state"]})");
        }

        run["takenUntil"] = QueueJson.Date(now + claimTimeout);
        db.UpdateTask(entry, null);
        return entry;
    }

    /// <summary>Resolves a run as completed, failed or exception; repeating the same resolution is idempotent, anything else on a resolved run is 409.</summary>
    public JObject Resolve(QueueDatabase db, ISet<string> woken, string taskId, int runId, string state, string reason, DateTimeOffset now)
    {
        var (entry, run) = FindRun(db, taskId, runId);
        var current = (string)run["state"]!;
        if (current == state && (string?)run["reasonResolved"] == reason)
        {
            return entry.Status;
        }

        if (current != "running")
        {
            throw QueueError.Conflict($"Run {runId} of task {taskId} is {current}, not running");
        }

        ResolveRun(db, woken, entry, run, state, reason, now);
        return entry.Status;
    }

    /// <summary>Cancels an unresolved task; a resolved one is answered unchanged.</summary>
    public JObject Cancel(QueueDatabase db, ISet<string> woken, string taskId, DateTimeOffset now)
    {
        var entry = db.GetTask(taskId) ?? throw QueueError.NotFound($"Task {taskId} not found");
        if (entry.Deadline <= now)
        {
            throw QueueError.Conflict($"Task {taskId} has passed its deadline");
        }

        if (entry.IsResolved)
        {
            return entry.Status;
        }

        if (entry.LastRun is not { } run)
        {
            run = AddRun(entry, "exception", now);
        }

        ResolveRun(db, woken, entry, run, "exception", "canceled", now);
        return entry.Status;
    }

    /// <summary>
    /// Gives a resolved task a new pending run (reasonCreated <c>rerun</c>) and its retries back; an
    /// unresolved task is answered unchanged. 409 past the deadline or after 50 runs, as the real queue.
    /// </summary>
    public JObject Rerun(QueueDatabase db, ISet<string> woken, string taskId, DateTimeOffset now)
    {
        var entry = db.GetTask(taskId) ?? throw QueueError.NotFound($"Task {taskId} not found");
        if (entry.Deadline <= now)
        {
            throw QueueError.Conflict($"Task {taskId} has passed its deadline");
        }

        if (!entry.IsResolved && entry.State != "unscheduled")
        {
            return entry.Status;
        }

        if (entry.Runs.Count >= MaxRuns)
        {
            throw QueueError.Conflict($"Task {taskId} has had {MaxRuns} runs; it cannot be rerun");
        }

        entry.RetriesLeft = (int)entry.Task["retries"]!;
        AddRun(entry, "rerun", now);
        db.UpdateTask(entry, store.NextSeq());
        woken.Add(entry.TaskQueueId);
        return entry.Status;
    }

    /// <summary>Resolves expired claims (claim-expired, retried) and tasks past their deadline (deadline-exceeded).</summary>
    public int Maintain(QueueDatabase db, ISet<string> woken, DateTimeOffset now)
    {
        var changed = 0;
        foreach (var taskId in db.ExpiredClaims(now.ToUnixTimeMilliseconds()))
        {
            var entry = db.GetTask(taskId)!;
            ResolveRun(db, woken, entry, entry.LastRun!, "exception", "claim-expired", now);
            changed++;
        }

        foreach (var taskId in db.PastDeadline(now.ToUnixTimeMilliseconds()))
        {
            var entry = db.GetTask(taskId)!;
            var run = entry.LastRun is { } last && !entry.IsResolved ? last : AddRun(entry, "exception", now);
            ResolveRun(db, woken, entry, run, "exception", "deadline-exceeded", now);
            changed++;
        }

        return changed;
    }

    private static (TaskEntry Entry, JObject Run) FindRun(QueueDatabase db, string taskId, int runId)
    {
        var entry = db.GetTask(taskId) ?? throw QueueError.NotFound($"Task {taskId} not found");
        var run = entry.Run(runId) ?? throw QueueError.NotFound($"Run {runId} of task {taskId} not found");
        return (entry, run);
    }

    private static JObject AddRun(TaskEntry entry, string reasonCreated, DateTimeOffset now)
    {
        var run = new JObject
        {
            ["runId"] = entry.Runs.Count,
            ["state"] = "pending",
            ["reasonCreated"] = reasonCreated,
            ["scheduled"] = QueueJson.Date(now),
        };
        entry.Runs.Add(run);
        entry.RefreshState();
        return run;
    }

    private static bool DependenciesSatisfied(QueueDatabase db, TaskEntry entry, IEnumerable<string> dependencies)
    {
        var allCompleted = (string)entry.Task["requires"]! == "all-completed";
        return dependencies.All(d => db.TaskState(d) is { } state && (allCompleted ? state == "completed" : state is "completed" or "failed" or "exception"));
    }

    private void Schedule(QueueDatabase db, ISet<string> woken, TaskEntry entry, DateTimeOffset now)
    {
        AddRun(entry, "scheduled", now);
        db.UpdateTask(entry, store.NextSeq());
        woken.Add(entry.TaskQueueId);
    }

    private void ResolveRun(QueueDatabase db, ISet<string> woken, TaskEntry entry, JObject run, string state, string reason, DateTimeOffset now)
    {
        run["state"] = state;
        run["reasonResolved"] = reason;
        run["resolved"] = QueueJson.Date(now);
        var retryReason = reason switch
        {
            "worker-shutdown" or "claim-expired" => "retry",
            "intermittent-task" => "task-retry",
            _ => null,
        };
        if (retryReason is not null && entry.RetriesLeft > 0 && entry.Deadline > now)
        {
            entry.RetriesLeft--;
            AddRun(entry, retryReason, now);
            db.UpdateTask(entry, store.NextSeq());
            woken.Add(entry.TaskQueueId);
            return;
        }

        entry.RefreshState();
        db.UpdateTask(entry, null);
        if (state == "completed")
        {
            // what the index service does when it hears task-completed
            TaskIndex.IndexCompleted(db, entry, now);
        }

        foreach (var dependentId in db.Dependents(entry.TaskId))
        {
            if (db.GetTask(dependentId) is { State: "unscheduled" } dependent && dependent.Deadline > now
                && DependenciesSatisfied(db, dependent, db.Dependencies(dependentId)))
            {
                Schedule(db, woken, dependent, now);
            }
        }
    }
}
