using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Worker;
using TcWorker.Runtime.Workers;

namespace TcWorker.EndToEnd.Tests;

/// <summary>The worker loop against the real local queue over loopback, with the native engine.</summary>
public sealed class WorkerLoopTests
{
    private static JObject Command(params string[] argv) => new() { ["command"] = new JArray { new JArray(argv) } };

    [Fact]
    public async Task Capacity_4_with_20_tasks_never_runs_more_than_4_at_once_and_resolves_all()
    {
        await using var deployment = await Deployment.StartAsync();
        var tasks = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            tasks.Add(await deployment.CreateTaskAsync(Command("sleep", "0.3")));
        }

        long claims = 0, completed = 0;
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WorkerMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument.Name == "tcworker.claims")
            {
                Interlocked.Add(ref claims, value);
            }
            else if (instrument.Name == "tcworker.resolutions" && tags.ToArray().Any(t => t.Key == "state" && (string?)t.Value == "completed"))
            {
                Interlocked.Add(ref completed, value);
            }
        });
        listener.Start();
        using var lifetime = new WorkerLifetime();
        var reason = await Deployment.RunWorkerAsync(deployment.Config(tasks: 20, capacity: 4), lifetime);

        Assert.Equal(WorkerStopReason.TaskLimitReached, reason);

        // Other tests' workers publish on the same meter at the same time: at least ours are counted.
        Assert.True(Interlocked.Read(ref claims) >= 20);
        Assert.True(Interlocked.Read(ref completed) >= 20);
        var runs = new List<(DateTimeOffset Started, DateTimeOffset Resolved)>();
        foreach (var taskId in tasks)
        {
            var status = await deployment.StatusAsync(taskId);
            var run = Assert.Single(status.Runs);
            Assert.Equal("completed", run.State);
            runs.Add((run.Started!.Value, run.Resolved!.Value));
        }

        var overlap = runs.Max(r => runs.Count(o => o.Started <= r.Started && r.Started < o.Resolved));
        Assert.InRange(overlap, 2, 4);
    }

    [Fact]
    public async Task A_task_longer_than_the_claim_timeout_stays_claimed_through_reclaims()
    {
        await using var deployment = await Deployment.StartAsync(claimTimeout: TimeSpan.FromSeconds(3));
        var taskId = await deployment.CreateTaskAsync(Command("sleep", "8"));
        using var lifetime = new WorkerLifetime();

        await Deployment.RunWorkerAsync(deployment.Config(tasks: 1, worker: w =>
        {
            w["reclaimOffset"] = 1.5;
            w["minimumReclaimDelay"] = 0.2;
        }), lifetime);

        var status = await deployment.StatusAsync(taskId);
        var run = Assert.Single(status.Runs);
        Assert.Equal("completed", run.State);
        Assert.True(run.Resolved - run.Started >= TimeSpan.FromSeconds(8));
    }

    [Fact]
    public async Task Cancelling_a_running_task_aborts_it_at_the_next_reclaim_without_resolving_it_and_leaves_no_process()
    {
        await using var deployment = await Deployment.StartAsync(claimTimeout: TimeSpan.FromSeconds(3));
        var marker = Deployment.SleepMarker();
        var taskId = await deployment.CreateTaskAsync(new JObject { ["command"] = new JArray { new JArray("sh", "-c", $"sleep {marker} & sleep {marker}") } });
        using var lifetime = new WorkerLifetime();
        var worker = Deployment.RunWorkerAsync(deployment.Config(tasks: 1, worker: w =>
        {
            w["reclaimOffset"] = 2;
            w["minimumReclaimDelay"] = 0.2;
        }), lifetime);

        await Deployment.WaitUntilAsync(() => Deployment.ProcessesWith(marker).Count >= 2, "the task's processes run");
        await deployment.Queue.CancelTaskAsync(taskId);

        Assert.Equal(WorkerStopReason.TaskLimitReached, await worker.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Empty(Deployment.ProcessesWith(marker));
        var run = Assert.Single((await deployment.StatusAsync(taskId)).Runs);
        Assert.Equal("exception", run.State);
        Assert.Equal("canceled", run.ReasonResolved);

        // The worker forgot the run: it uploaded no log for it.
        var artifacts = await deployment.Queue.ListArtifactsAsync(taskId, 0);
        Assert.DoesNotContain(artifacts.Artifacts, a => a.Name == "public/logs/live_backing.log");
    }

    [Fact]
    public async Task A_task_past_its_deadline_is_aborted_and_left_to_the_queue()
    {
        await using var deployment = await Deployment.StartAsync();
        var marker = Deployment.SleepMarker();
        var taskId = await deployment.CreateTaskAsync(Command("sleep", marker), task => task["deadline"] = DateTimeOffset.UtcNow.AddSeconds(4).ToString("O"));
        using var lifetime = new WorkerLifetime();

        var reason = await Deployment.RunWorkerAsync(deployment.Config(tasks: 1), lifetime).WaitAsync(TimeSpan.FromSeconds(40));

        Assert.Equal(WorkerStopReason.TaskLimitReached, reason);
        Assert.Empty(Deployment.ProcessesWith(marker));
        var status = await deployment.WaitForAsync(taskId, s => s.State == "exception");
        Assert.Equal("deadline-exceeded", Assert.Single(status.Runs).ReasonResolved);
    }

    [Fact]
    public async Task A_resolution_still_arrives_when_the_queue_is_down_for_10_seconds_mid_task()
    {
        await using var deployment = await Deployment.StartAsync(fixedPort: true);
        var taskId = await deployment.CreateTaskAsync(Command("sleep", "2"));
        using var lifetime = new WorkerLifetime();
        var worker = Deployment.RunWorkerAsync(deployment.Config(tasks: 1), lifetime);

        await deployment.WaitForAsync(taskId, s => s.State == "running");
        await deployment.RestartQueueAsync(TimeSpan.FromSeconds(10));

        await worker.WaitAsync(TimeSpan.FromSeconds(60));
        var status = await deployment.StatusAsync(taskId);
        var run = Assert.Single(status.Runs);
        Assert.True(run.State == "completed", $"run resolved {run.State}/{run.ReasonResolved}");
        var artifacts = await deployment.Queue.ListArtifactsAsync(taskId, 0);
        Assert.Contains(artifacts.Artifacts, a => a.Name == "public/logs/live_backing.log");
    }

    [Fact]
    public async Task An_idle_worker_stops_after_its_idle_timeout()
    {
        await using var deployment = await Deployment.StartAsync();
        using var lifetime = new WorkerLifetime();
        var config = deployment.Config(tasks: 5, worker: w => w["idleTimeout"] = 1);

        var reason = await Deployment.RunWorkerAsync(config, lifetime).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(WorkerStopReason.IdleTimeout, reason);
    }

    [Fact]
    public async Task A_task_the_queue_hands_out_as_the_idle_timeout_passes_is_run_not_lost()
    {
        await using var deployment = await Deployment.StartAsync(trustLoopbackProxies: true);
        // The queue has claimed the task for the worker at once; the answer reaches the worker after its idle timeout.
        await using var front = await QueueFront.StartAsync(deployment.Server.RootUrl, async bytes =>
        {
            if (JObject.Parse(System.Text.Encoding.UTF8.GetString(bytes))["tasks"] is JArray { Count: > 0 })
            {
                await Task.Delay(TimeSpan.FromSeconds(2.5));
            }

            return bytes;
        });
        var taskId = await deployment.CreateTaskAsync(Command("true"));
        var config = deployment.Config(tasks: 5, worker: w => w["idleTimeout"] = 1);
        config["rootUrl"] = front.RootUrl;
        using var lifetime = new WorkerLifetime();

        var reason = await Deployment.RunWorkerAsync(config, lifetime).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(WorkerStopReason.IdleTimeout, reason);
        var status = await deployment.StatusAsync(taskId);
        Assert.True(status.State == "completed", $"the task is {status.State} ({string.Join(", ", status.Runs.Select(r => $"{r.State}/{r.ReasonResolved}"))}): the worker gave up on the claim the queue had made for it");
    }

    [Fact]
    public async Task A_fatal_engine_error_resolves_internal_error_and_stops_the_worker()
    {
        await using var deployment = await Deployment.StartAsync();
        var fatal = await deployment.CreateTaskAsync(new JObject { ["function"] = "fatal-internal-error" });
        var never = await deployment.CreateTaskAsync(new JObject { ["function"] = "true" });
        var config = deployment.Config(tasks: 2);
        config["engine"] = "mock";
        config["plugins"] = new JObject { ["success"] = new JObject() };
        using var lifetime = new WorkerLifetime();

        var reason = await Deployment.RunWorkerAsync(config, lifetime).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(WorkerStopReason.FatalError, reason);
        var run = Assert.Single((await deployment.StatusAsync(fatal)).Runs);
        Assert.Equal(("exception", "internal-error"), (run.State, run.ReasonResolved));
        Assert.Equal("pending", (await deployment.StatusAsync(never)).State);
    }
}
