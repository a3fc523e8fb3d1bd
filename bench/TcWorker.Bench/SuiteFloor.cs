using System.Text;
using TcWorker.Taskcluster;

namespace TcWorker.Bench;

/// <summary>Figure 20: the protocol's floor under the per-task overhead of figure 1.</summary>
internal static partial class Suite
{
    /// <summary>The calls a worker with the stock plugins makes for each <c>true</c> task, after claimWork, in its order.</summary>
    internal const string FloorCalls = "createArtifact (live log, reference), createArtifact (backing log, object), createUpload (its data inline), finishUpload, finishArtifact, createArtifact (live log, link), reportCompleted";

    /// <summary>
    /// 20. The protocol floor: the calls a worker makes for a <c>true</c> task (<see cref="FloorCalls"/>), made
    /// back to back by a bare client with the claim's temporary credentials against the same in-process queue:
    /// no process, no plugin, no file, no claim record. Claim to resolved as figure 1 measures it, and the CPU of
    /// this process (client and queue) per task, beside figure 1's. Whatever a worker does, it cannot resolve a
    /// task faster than this; the baseline is figure 1's, one bare spawn of <c>true</c>.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> ProtocolFloorAsync(Harness harness, BenchOptions options)
    {
        var n = options.OverheadTasks;
        var bare = new List<double>();
        for (var i = 0; i < n; i++)
        {
            bare.Add(await Spawner.TimeOnceAsync("true"));
        }

        const string queue = "bench/floor";
        var ids = new List<string>();
        for (var i = 0; i < n; i++)
        {
            ids.Add(await harness.CreateTaskAsync(queue, "true"));
        }

        // What a `true` task's log holds: the worker's header and footer lines, about 600 bytes.
        var log = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("[taskcluster 2026-12-08T00:00:00.000Z] a line of the worker's header or footer\n", 8)));
        var worker = harness.Client.Queue;
        var cpu = ProcessCpu();
        for (var i = 0; i < n; i++)
        {
            var claims = await worker.ClaimWorkAsync(queue, new ClaimWorkRequest { WorkerGroup = "bench", WorkerId = "floor", Tasks = 1 });
            var claim = claims.Tasks.Single();
            var taskId = claim.Status.TaskId;
            var runId = claim.RunId;
            var expires = claim.Task.Value<DateTime>("expires");
            var calls = worker.WithCredentials(claim.Credentials);
            await calls.CreateArtifactAsync(taskId, runId, "public/logs/live.log", CreateArtifactRequest.Reference(expires, $"http://127.0.0.1:1/log/{Guid.NewGuid():N}{Guid.NewGuid():N}", "text/plain; charset=utf-8"));
            using var content = new MemoryStream(log);
            await new ArtifactUploader(calls).UploadObjectAsync(taskId, runId, "public/logs/live_backing.log", "text/plain; charset=utf-8", expires, ArtifactUploader.Rewinding(content));
            await calls.CreateArtifactAsync(taskId, runId, "public/logs/live.log", CreateArtifactRequest.Link(expires, "public/logs/live_backing.log", "text/plain; charset=utf-8"));
            await calls.ReportCompletedAsync(taskId, runId);
        }

        var cpuPerTask = (ProcessCpu() - cpu).TotalMilliseconds / n;
        var durations = (await harness.CompletedAsync(ids)).Select(s => s.Runs[^1]).Select(r => (r.Resolved!.Value - r.Started!.Value).TotalMilliseconds).ToList();
        var bareMedian = Stats.Median(bare);
        return
        [
            new("protocol floor: claim to resolved with a worker's calls for a `true` task and nothing else, median (baseline: bare `true`)", "ms", Stats.Median(durations), bareMedian, Stats.Median(durations) / bareMedian, "-", true),
            new("protocol floor: CPU of this process (client and queue) per task (baseline: bare `true`, wall time)", "ms", cpuPerTask, bareMedian, cpuPerTask / bareMedian, "-", true),
        ];
    }
}
