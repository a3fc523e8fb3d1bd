using System.Diagnostics;
using System.Net;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Tests.Support;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Tests;

/// <summary>A task from creation to resolution through the C# client, with per-claim credentials.</summary>
public sealed class LifecycleTests
{
    [SkippableFact]
    public async Task A_task_is_created_claimed_reclaimed_and_completed_with_the_claims_credentials()
    {
        await using var h = await QueueHarness.StartAsync();
        var taskId = QueueHarness.NewTaskId();
        var created = await h.Root.Queue.CreateTaskAsync(taskId, QueueHarness.Task(t => t["scopes"] = new JArray("secrets:get:x")));
        Assert.Equal("pending", created.Status.State);
        Assert.Equal(5, created.Status.RetriesLeft);
        var definition = await h.Root.Queue.TaskAsync(taskId);
        Assert.Equal("local-prov", (string)definition["provisionerId"]!);
        Assert.Equal("lowest", (string)definition["priority"]!);
        await Schemas.AssertValidAsync("queue/v1/task.json", definition);

        var claim = Assert.Single((await h.ClaimAsync(workerId: "w1", client: h.Worker)).Tasks);
        Assert.Equal(taskId, claim.Status.TaskId);
        Assert.Equal("running", claim.Status.State);
        var until = claim.TakenUntil.ToUnixTimeSeconds();
        Assert.Equal($"task-client/{taskId}/0/on/wg/w1/until/{until}", claim.Credentials.ClientId);
        var certificate = TemporaryCertificate.Parse(claim.Credentials.Certificate!);
        Assert.Equal("static/test-root", certificate.Issuer);
        Assert.Equal([$"queue:reclaim-task:{taskId}/0", $"queue:resolve-task:{taskId}/0", $"queue:create-artifact:{taskId}/0", "secrets:get:x"], certificate.Scopes);
        Assert.Equal(claim.TakenUntil.ToUnixTimeMilliseconds(), certificate.Expiry!.Value.ToUnixTimeMilliseconds());

        // the worker's own client lacks the run's scopes
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => h.Worker.Queue.ReclaimTaskAsync(taskId, 0));
        var taskClient = h.Client(claim.Credentials);
        var reclaim = await taskClient.Queue.ReclaimTaskAsync(taskId, 0);
        Assert.NotEqual(claim.Credentials.AccessToken, reclaim.Credentials.AccessToken);
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => taskClient.Queue.ReclaimTaskAsync(taskId, 1));

        var done = await h.Client(reclaim.Credentials).Queue.ReportCompletedAsync(taskId, 0);
        Assert.Equal("completed", done.Status.State);
        var run = Assert.Single(done.Status.Runs);
        Assert.Equal(("completed", "scheduled", "completed", "wg", "w1"), (run.State, run.ReasonCreated, run.ReasonResolved, run.WorkerGroup, run.WorkerId));
        var status = await h.Root.CallAsync<JObject>(HttpMethod.Get, "queue", $"/task/{taskId}/status", null);
        await Schemas.AssertValidAsync("queue/v1/task-status-response.json", status);
    }

    [SkippableFact]
    public async Task Claim_responses_match_the_official_schemas()
    {
        await using var h = await QueueHarness.StartAsync();
        var taskId = await h.CreateAsync();
        var claim = await h.Root.CallAsync<JObject>(HttpMethod.Post, "queue", "/claim-work/" + TaskclusterUrl.Escape(QueueHarness.QueueId), new ClaimWorkRequest { WorkerGroup = "wg", WorkerId = "w1", Tasks = 4 });
        await Schemas.AssertValidAsync("queue/v1/claim-work-response.json", claim);
        var reclaim = await h.Root.CallAsync<JObject>(HttpMethod.Post, "queue", $"/task/{taskId}/runs/0/reclaim", null);
        await Schemas.AssertValidAsync("queue/v1/task-reclaim-response.json", reclaim);
    }

    [Fact]
    public async Task A_waiting_claim_wakes_as_soon_as_a_task_is_created()
    {
        await using var h = await QueueHarness.StartAsync(o => o with { ClaimWorkWait = TimeSpan.FromSeconds(20) });
        var claiming = h.ClaimAsync();
        await Task.Delay(300);
        Assert.False(claiming.IsCompleted);
        var watch = Stopwatch.StartNew();
        var taskId = await h.CreateAsync();
        var claim = await claiming;
        Assert.Equal(taskId, Assert.Single(claim.Tasks).Status.TaskId);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"woke after {watch.Elapsed}");
    }

    [Fact]
    public async Task Stopping_the_server_answers_waiting_claims_at_once()
    {
        await using var h = await QueueHarness.StartAsync(o => o with { ClaimWorkWait = TimeSpan.FromSeconds(20) });
        var claiming = h.ClaimAsync();
        await Task.Delay(300);
        var watch = Stopwatch.StartNew();
        await h.Server.DisposeAsync();
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"stopped after {watch.Elapsed}");
        Assert.Empty((await claiming).Tasks);
    }

    [Fact]
    public async Task An_empty_queue_answers_no_tasks_after_the_wait_and_the_literal_slash_route_works()
    {
        await using var h = await QueueHarness.StartAsync(o => o with { ClaimWorkWait = TimeSpan.FromMilliseconds(300) });
        Assert.Empty((await h.ClaimAsync()).Tasks);
        await h.CreateAsync();
        var claim = await h.Root.CallAsync<JObject>(HttpMethod.Post, "queue", "/claim-work/" + QueueHarness.QueueId, new ClaimWorkRequest { WorkerGroup = "wg", WorkerId = "w1" });
        Assert.Single((JArray)claim["tasks"]!);
    }

    [Fact]
    public async Task Higher_priorities_are_claimed_first_then_oldest_first()
    {
        await using var h = await QueueHarness.StartAsync();
        var low1 = await h.CreateAsync();
        var high = await h.CreateAsync(t => t["priority"] = "high");
        var low2 = await h.CreateAsync();
        var claimed = (await h.ClaimAsync(tasks: 3)).Tasks.Select(c => c.Status.TaskId).ToArray();
        Assert.Equal([high, low1, low2], claimed);
    }

    [SkippableFact]
    public async Task A_quarantined_worker_gets_no_work_after_the_full_wait()
    {
        await using var h = await QueueHarness.StartAsync(o => o with { ClaimWorkWait = TimeSpan.FromMilliseconds(500) });
        var declared = await h.Root.Queue.DeclareWorkerAsync("local-prov", "test-wt", "wg", "w1", new DeclareWorkerRequest { Expires = DateTimeOffset.UtcNow.AddDays(2) });
        await Schemas.AssertValidAsync("queue/v1/worker-response.json", declared);
        await QueueHarness.FailsAsync(HttpStatusCode.NotFound, "ResourceNotFound", () => h.Root.Queue.QuarantineWorkerAsync("local-prov", "test-wt", "wg", "unknown", new QuarantineWorkerRequest { QuarantineUntil = DateTimeOffset.UtcNow.AddHours(1) }));
        var quarantined = await h.Root.Queue.QuarantineWorkerAsync("local-prov", "test-wt", "wg", "w1", new QuarantineWorkerRequest { QuarantineUntil = DateTimeOffset.UtcNow.AddHours(1), QuarantineInfo = "broken disk" });
        await Schemas.AssertValidAsync("queue/v1/worker-response.json", quarantined);
        await h.CreateAsync();
        var watch = Stopwatch.StartNew();
        Assert.Empty((await h.ClaimAsync(workerId: "w1")).Tasks);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(450), $"answered after {watch.Elapsed}");
        Assert.Single((await h.ClaimAsync(workerId: "w2")).Tasks);
    }

    [Fact]
    public async Task Signed_payload_hashes_are_checked()
    {
        await using var h = await QueueHarness.StartAsync();
        using var signing = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = h.Server.RootUrl, Credentials = h.Server.RootCredentials, MaxRetries = 0, SignPayloads = true });
        var taskId = QueueHarness.NewTaskId();
        Assert.Equal("pending", (await signing.Queue.CreateTaskAsync(taskId, QueueHarness.Task())).Status.State);
        Assert.Equal(5, (int)(await signing.Queue.TaskAsync(taskId))["retries"]!);
    }

    [Fact]
    public async Task Ping_and_version_need_no_credentials()
    {
        await using var h = await QueueHarness.StartAsync();
        var anonymous = h.Client(null);
        await anonymous.Queue.PingAsync();
        Assert.NotNull((await anonymous.Queue.VersionAsync())["version"]);
        await QueueHarness.FailsAsync(HttpStatusCode.Forbidden, "InsufficientScopes", () => anonymous.Queue.StatusAsync(QueueHarness.NewTaskId()));
    }

    [Fact]
    public async Task Anonymous_requests_get_every_scope_behind_the_switch()
    {
        await using var h = await QueueHarness.StartAsync(o => o with { AllowAnonymous = true });
        var anonymous = h.Client(null);
        var taskId = QueueHarness.NewTaskId();
        await anonymous.Queue.CreateTaskAsync(taskId, QueueHarness.Task());
        Assert.Equal("pending", (await anonymous.Queue.StatusAsync(taskId)).Status.State);
    }
}
