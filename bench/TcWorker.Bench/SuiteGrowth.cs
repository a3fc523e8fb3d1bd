using System.Diagnostics;
using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue.Model;
using TcWorker.LocalQueue.Storage;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;

namespace TcWorker.Bench;

/// <summary>Figure 10: how cost grows with the queue's history and with the worker's capacity.</summary>
internal static partial class Suite
{
    /// <summary>
    /// 10. Growth: claimWork latency with a pending task, on a local queue holding many resolved
    /// tasks vs few (alternating between the two queues); and per-task overhead of <c>sleep</c>
    /// tasks at a large capacity vs a small one.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> GrowthAsync(BenchOptions options)
    {
        var figures = new List<Figure>();
        var small = await SeededQueueAsync(options.GrowthSmallHistory);
        var large = await SeededQueueAsync(options.GrowthLargeHistory);
        await using (small.ConfigureAwait(false))
        await using (large.ConfigureAwait(false))
        {
            for (var i = 0; i < 3; i++)
            {
                await ClaimLatencyAsync(small);
                await ClaimLatencyAsync(large);
            }

            var smallTimes = new List<double>();
            var largeTimes = new List<double>();
            for (var i = 0; i < options.GrowthClaims; i++)
            {
                smallTimes.Add(await ClaimLatencyAsync(small));
                largeTimes.Add(await ClaimLatencyAsync(large));
            }

            var ratio = Stats.Median(largeTimes) / Stats.Median(smallTimes);
            figures.Add(new($"claimWork latency, median, {options.GrowthLargeHistory:N0} resolved tasks (baseline: {options.GrowthSmallHistory:N0})", "ms", Stats.Median(largeTimes), Stats.Median(smallTimes), ratio, "<= 2x", ratio <= 2));
        }

        await using (var harness = await Harness.StartAsync())
        {
            var bare = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                bare.Add(await Spawner.TimeOnceAsync("sleep", options.GrowthSleep));
            }

            // the first task of a process pays for compiling the whole run: not part of any figure
            await RunSeriallyAsync(harness, "bench/capacity-warm-up", [["true"]]);
            var overhead = new List<double>();
            var cpuPerTask = new List<double>();
            foreach (var capacity in options.GrowthCapacities)
            {
                var queue = "bench/capacity-" + capacity.ToString(CultureInfo.InvariantCulture);
                var ids = new List<string>();
                for (var i = 0; i < capacity * options.GrowthRounds; i++)
                {
                    ids.Add(await harness.CreateTaskAsync(queue, "sleep", options.GrowthSleep));
                }

                using var lifetime = new WorkerLifetime();
                var self = Process.GetCurrentProcess();
                var cpu = self.TotalProcessorTime;
                await Harness.RunWorkerAsync(harness.Config(queue, capacity, tasks: ids.Count), lifetime);
                self.Refresh();
                cpuPerTask.Add((self.TotalProcessorTime - cpu).TotalMilliseconds / ids.Count);
                var durations = (await harness.CompletedAsync(ids)).Select(s => s.Runs[^1]).Select(r => (r.Resolved!.Value - r.Started!.Value).TotalMilliseconds);
                overhead.Add(Stats.Median(durations) - Stats.Median(bare));
            }

            var growth = overhead[^1] / overhead[0];
            figures.Add(new(
                $"per-task overhead at capacity {options.GrowthCapacities[^1]} (`sleep {options.GrowthSleep}`, claim to resolved - bare; baseline: capacity {options.GrowthCapacities[0]})",
                "ms",
                overhead[^1],
                overhead[0],
                growth,
                "<= 2x",
                growth <= 2,
                MayBeZero: true));
            figures.Add(new(
                $"CPU of the worker's process (worker and queue) per `sleep` task at capacity {options.GrowthCapacities[^1]} (baseline: capacity {options.GrowthCapacities[0]})",
                "ms",
                cpuPerTask[^1],
                cpuPerTask[0],
                cpuPerTask[^1] / cpuPerTask[0],
                "-",
                true));
        }

        return figures;
    }

    /// <summary>createTask, then the time of a claimWork call that finds it pending, in milliseconds.</summary>
    private static async Task<double> ClaimLatencyAsync(SeededQueue queue)
    {
        var taskId = await queue.Harness.CreateTaskAsync(SeededQueue.TaskQueueId, "true");
        var watch = Stopwatch.StartNew();
        var claimed = await queue.Harness.Client.Queue.ClaimWorkAsync(SeededQueue.TaskQueueId, new() { WorkerGroup = "bench", WorkerId = "growth", Tasks = 1 });
        var elapsed = watch.Elapsed.TotalMilliseconds;
        if (claimed.Tasks.Count != 1 || claimed.Tasks[0].Status.TaskId != taskId)
        {
            throw new InvalidOperationException($"claimWork did not return the pending task {taskId}");
        }

        await queue.Harness.Client.Queue.ReportCompletedAsync(taskId, claimed.Tasks[0].RunId);
        return elapsed;
    }

    /// <summary>
    /// A local queue holding <paramref name="resolved"/> completed tasks in its task queue: one goes
    /// through the API (createTask, claimWork, reportCompleted), the rest are copies of its rows with
    /// new task ids, written through the queue's storage layer, which is far faster than the API.
    /// </summary>
    private static async Task<SeededQueue> SeededQueueAsync(int resolved)
    {
        var folder = Directory.CreateTempSubdirectory("tcw-bench-growth-").FullName;
        string template;
        await using (var seeding = await Harness.StartAsync(folder))
        {
            template = await seeding.CreateTaskAsync(SeededQueue.TaskQueueId, "true");
            var claim = (await seeding.Client.Queue.ClaimWorkAsync(SeededQueue.TaskQueueId, new() { WorkerGroup = "bench", WorkerId = "seed", Tasks = 1 })).Tasks.Single();
            await seeding.Client.Queue.ReportCompletedAsync(template, claim.RunId);
        }

        using (var database = new QueueDatabase(Path.Combine(folder, "queue.db")))
        {
            var row = database.GetTask(template) ?? throw new InvalidOperationException("the template task is missing");
            using var transaction = database.Begin();
            for (var i = 1; i < resolved; i++)
            {
                var taskId = Slugid.Nice();
                var task = (JObject)row.Task.DeepClone();
                var status = (JObject)row.Status.DeepClone();
                task["taskGroupId"] = taskId;
                status["taskId"] = taskId;
                status["taskGroupId"] = taskId;
                database.InsertTask(new TaskEntry(taskId, task, status), TaskDefinition.Rank((string)task["priority"]!), i + 1L, []);
            }

            transaction.Commit();
        }

        return new SeededQueue(await Harness.StartAsync(folder), folder);
    }

    private sealed class SeededQueue(Harness harness, string folder) : IAsyncDisposable
    {
        public const string TaskQueueId = "bench/growth";

        public Harness Harness { get; } = harness;

        public async ValueTask DisposeAsync()
        {
            await Harness.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }
}
