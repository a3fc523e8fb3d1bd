using System.Net;
using Microsoft.Extensions.Time.Testing;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Tests.Support;

namespace TcWorker.LocalQueue.Tests;

/// <summary>The run state machine: idempotent resolutions, 409s, retries, claim expiry, deadlines, cancel, dependencies.</summary>
public sealed class StateTests
{
    [Fact]
    public async Task Resolutions_are_idempotent_and_conflicting_ones_answer_409()
    {
        await using var h = await QueueHarness.StartAsync();
        var taskId = await h.CreateAsync();
        await h.ClaimAsync();
        await h.Root.Queue.ReportFailedAsync(taskId, 0);
        Assert.Equal("failed", (await h.Root.Queue.ReportFailedAsync(taskId, 0)).Status.State);
        await QueueHarness.FailsAsync(HttpStatusCode.Conflict, "RequestConflict", () => h.Root.Queue.ReportCompletedAsync(taskId, 0));
        await QueueHarness.FailsAsync(HttpStatusCode.Conflict, "RequestConflict", () => h.Root.Queue.ReportExceptionAsync(taskId, 0, "internal-error"));
        await QueueHarness.FailsAsync(HttpStatusCode.Conflict, "RequestConflict", () => h.Root.Queue.ReclaimTaskAsync(taskId, 0));
        await QueueHarness.FailsAsync(HttpStatusCode.NotFound, "ResourceNotFound", () => h.Root.Queue.ReportCompletedAsync(taskId, 1));

        var other = await h.CreateAsync();
        await QueueHarness.FailsAsync(HttpStatusCode.Conflict, "RequestConflict", () => h.Root.Queue.ReportCompletedAsync(other, 0));
        await h.ClaimAsync();
        await h.Root.Queue.ReportExceptionAsync(other, 0, "malformed-payload");
        Assert.Equal("exception", (await h.Root.Queue.ReportExceptionAsync(other, 0, "malformed-payload")).Status.State);
        await QueueHarness.FailsAsync(HttpStatusCode.Conflict, "RequestConflict", () => h.Root.Queue.ReportExceptionAsync(other, 0, "internal-error"));
    }

    [Fact]
    public async Task Creating_the_same_task_twice_is_idempotent_and_a_different_one_conflicts()
    {
        await using var h = await QueueHarness.StartAsync();
        var taskId = QueueHarness.NewTaskId();
        var task = QueueHarness.Task();
        await h.Root.Queue.CreateTaskAsync(taskId, task);
        Assert.Equal("pending", (await h.Root.Queue.CreateTaskAsync(taskId, task)).Status.State);
        task["priority"] = "high";
        await QueueHarness.FailsAsync(HttpStatusCode.Conflict, "RequestConflict", () => h.Root.Queue.CreateTaskAsync(taskId, task));
    }

    [Fact]
    public async Task Worker_shutdown_and_intermittent_task_retry_while_retries_are_left()
    {
        await using var h = await QueueHarness.StartAsync();
        var taskId = await h.CreateAsync(t => t["retries"] = 1);
        await h.ClaimAsync();
        var status = (await h.Root.Queue.ReportExceptionAsync(taskId, 0, "worker-shutdown")).Status;
        Assert.Equal(("pending", 0, 2), (status.State, status.RetriesLeft, status.Runs.Count));
        Assert.Equal("retry", status.Runs[1].ReasonCreated);
        Assert.Equal(1, Assert.Single((await h.ClaimAsync()).Tasks).RunId);
        status = (await h.Root.Queue.ReportExceptionAsync(taskId, 1, "intermittent-task")).Status;
        Assert.Equal(("exception", 2), (status.State, status.Runs.Count));

        var other = await h.CreateAsync();
        await h.ClaimAsync();
        status = (await h.Root.Queue.ReportExceptionAsync(other, 0, "intermittent-task")).Status;
        Assert.Equal("task-retry", status.Runs[1].ReasonCreated);
    }

    [Fact]
    public async Task An_expired_claim_resolves_claim_expired_and_is_retried()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await QueueHarness.StartAsync(o => o with { TimeProvider = time, ClaimTimeout = TimeSpan.FromMinutes(1) });
        var taskId = await h.CreateAsync();
        var claim = Assert.Single((await h.ClaimAsync()).Tasks);
        time.Advance(TimeSpan.FromMinutes(2));
        var status = await WaitForAsync(h, taskId, s => s.Runs.Count == 2);
        Assert.Equal(("exception", "claim-expired"), (status.Runs[0].State, status.Runs[0].ReasonResolved));
        Assert.Equal(("pending", "retry"), (status.Runs[1].State, status.Runs[1].ReasonCreated));
        await QueueHarness.FailsAsync(HttpStatusCode.Conflict, "RequestConflict", () => h.Client(claim.Credentials).Queue.ReclaimTaskAsync(taskId, 0));
    }

    [Fact]
    public async Task Past_the_deadline_pending_and_unscheduled_tasks_resolve_deadline_exceeded()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await QueueHarness.StartAsync(o => o with { TimeProvider = time });
        var deadline = time.GetUtcNow().AddMinutes(2).ToString("O");
        var pending = await h.CreateAsync(t => t["deadline"] = deadline);
        var running = await h.CreateAsync(t => t["deadline"] = deadline);
        var blocked = await h.CreateAsync(t => { t["deadline"] = deadline; t["dependencies"] = new JArray(pending); });
        Assert.Equal(pending, Assert.Single((await h.ClaimAsync()).Tasks).Status.TaskId);
        (pending, running) = (running, pending);
        time.Advance(TimeSpan.FromMinutes(3));
        foreach (var taskId in new[] { pending, running, blocked })
        {
            var status = await WaitForAsync(h, taskId, s => s.State == "exception");
            Assert.Equal("deadline-exceeded", status.Runs[^1].ReasonResolved);
        }

        Assert.Equal("exception", (await h.Root.Queue.StatusAsync(blocked)).Status.Runs[0].ReasonCreated);
        await QueueHarness.FailsAsync(HttpStatusCode.Conflict, "RequestConflict", () => h.Root.Queue.CancelTaskAsync(pending));
    }

    [Fact]
    public async Task Expired_tasks_and_artifacts_are_deleted_with_their_bytes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var h = await QueueHarness.StartAsync(o => o with { TimeProvider = time });
        using var root = new TcWorker.Taskcluster.TaskclusterClient(new TcWorker.Taskcluster.TaskclusterClientOptions { RootUrl = h.Server.RootUrl, Credentials = h.Server.RootCredentials, MaxRetries = 0, TimeProvider = time });
        var start = time.GetUtcNow();
        var taskId = QueueHarness.NewTaskId();
        await root.Queue.CreateTaskAsync(taskId, QueueHarness.Task(t => t["expires"] = start.AddHours(2).ToString("O"), start));
        var kept = QueueHarness.NewTaskId();
        await root.Queue.CreateTaskAsync(kept, QueueHarness.Task(t => t["expires"] = start.AddDays(2).ToString("O"), start));
        var claims = (await root.Queue.ClaimWorkAsync(QueueHarness.QueueId, new TcWorker.Taskcluster.ClaimWorkRequest { WorkerGroup = "wg", WorkerId = "w", Tasks = 2 })).Tasks;
        foreach (var claim in claims)
        {
            await new TcWorker.Taskcluster.ArtifactUploader(root.WithCredentials(claim.Credentials).Queue).UploadS3Async(
                claim.Status.TaskId, 0, "public/short", "text/plain", start.AddHours(1), TcWorker.Taskcluster.ArtifactUploader.Rewinding(new MemoryStream([1, 2, 3])));
        }

        var files = Directory.GetFiles(Path.Combine(h.Options.DataFolder!, "artifacts"));
        Assert.Equal(2, files.Length);
        time.Advance(TimeSpan.FromHours(3));
        for (var i = 0; i < 100 && Directory.GetFiles(Path.Combine(h.Options.DataFolder!, "artifacts")).Length > 0; i++)
        {
            await Task.Delay(50);
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(h.Options.DataFolder!, "artifacts")));
        await QueueHarness.FailsAsync(HttpStatusCode.NotFound, "ResourceNotFound", () => root.Queue.StatusAsync(taskId));
        Assert.Equal("exception", (await root.Queue.StatusAsync(kept)).Status.State);
        await QueueHarness.FailsAsync(HttpStatusCode.NotFound, "ResourceNotFound", () => root.Queue.GetArtifactAsync(kept, 0, "public/short"));
    }

    [Fact]
    public async Task Cancel_resolves_pending_running_and_unscheduled_tasks_as_canceled()
    {
        await using var h = await QueueHarness.StartAsync();
        var running = await h.CreateAsync();
        await h.ClaimAsync();
        var pending = await h.CreateAsync();
        var unscheduled = await h.CreateAsync(t => t["dependencies"] = new JArray(running));
        foreach (var taskId in new[] { running, pending, unscheduled })
        {
            var status = (await h.Root.Queue.CancelTaskAsync(taskId)).Status;
            Assert.Equal(("exception", "canceled"), (status.State, status.Runs[^1].ReasonResolved));
        }

        await QueueHarness.FailsAsync(HttpStatusCode.Conflict, "RequestConflict", () => h.Root.Queue.ReclaimTaskAsync(running, 0));
        Assert.DoesNotContain((await h.ClaimAsync()).Tasks, t => t.Status.TaskId == pending);
    }

    [Fact]
    public async Task Dependencies_hold_tasks_unscheduled_until_they_resolve_as_required()
    {
        await using var h = await QueueHarness.StartAsync(o => o with { ClaimWorkWait = TimeSpan.FromMilliseconds(200) });
        var first = await h.CreateAsync();
        var second = await h.CreateAsync();
        var allCompleted = await h.CreateAsync(t => t["dependencies"] = new JArray(first, second));
        var allResolved = await h.CreateAsync(t => { t["dependencies"] = new JArray(first, second); t["requires"] = "all-resolved"; });
        Assert.Equal("unscheduled", (await h.Root.Queue.StatusAsync(allCompleted)).Status.State);

        await h.ClaimAsync(tasks: 2);
        await h.Root.Queue.ReportCompletedAsync(first, 0);
        Assert.Equal("unscheduled", (await h.Root.Queue.StatusAsync(allCompleted)).Status.State);
        await h.Root.Queue.ReportFailedAsync(second, 0);
        Assert.Equal("unscheduled", (await h.Root.Queue.StatusAsync(allCompleted)).Status.State);
        Assert.Equal("pending", (await h.Root.Queue.StatusAsync(allResolved)).Status.State);

        var after = await h.CreateAsync(t => t["dependencies"] = new JArray(first));
        Assert.Equal("pending", (await h.Root.Queue.StatusAsync(after)).Status.State);
    }

    private static async Task<TcWorker.Taskcluster.TaskStatusStructure> WaitForAsync(QueueHarness h, string taskId, Func<TcWorker.Taskcluster.TaskStatusStructure, bool> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            var status = (await h.Root.Queue.StatusAsync(taskId)).Status;
            if (condition(status))
            {
                return status;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Task {taskId} never reached the expected state");
    }
}
