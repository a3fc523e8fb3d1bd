using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster;

namespace TcWorker.Bench;

/// <summary>
/// Full task lifecycles (createTask, claimWork, reportCompleted with the claim's credentials) from
/// concurrent clients, and the same number of calls to ping as the raw loopback HTTP baseline.
/// </summary>
internal static class LifecycleLoad
{
    /// <summary>Runs lifecycles from <paramref name="clients"/> clients for a while; returns how many completed.</summary>
    public static async Task<long> RunAsync(TaskclusterClient root, int clients, TimeSpan duration)
    {
        long total = 0;
        var stopAt = DateTime.UtcNow + duration;
        var run = Guid.NewGuid().ToString("N")[..8];
        await Task.WhenAll(Enumerable.Range(0, clients).Select(n => Task.Run(async () =>
        {
            var queueId = $"bench/lq-{run}-{n.ToString(CultureInfo.InvariantCulture)}";
            while (DateTime.UtcNow < stopAt)
            {
                var taskId = Slugid.Nice();
                var now = DateTimeOffset.UtcNow;
                await root.Queue.CreateTaskAsync(taskId, new JObject
                {
                    ["taskQueueId"] = queueId,
                    ["created"] = now.ToString("O"),
                    ["deadline"] = now.AddHours(1).ToString("O"),
                    ["payload"] = new JObject(),
                    ["metadata"] = new JObject { ["name"] = "bench", ["description"] = "bench", ["owner"] = "bench@example.com", ["source"] = "https://example.com" },
                }).ConfigureAwait(false);
                var claim = (await root.Queue.ClaimWorkAsync(queueId, new ClaimWorkRequest { WorkerGroup = "bench", WorkerId = "w" + n.ToString(CultureInfo.InvariantCulture) }).ConfigureAwait(false)).Tasks.Single();
                await root.WithCredentials(claim.Credentials).Queue.ReportCompletedAsync(claim.Status.TaskId, claim.RunId).ConfigureAwait(false);
                Interlocked.Increment(ref total);
            }
        }))).ConfigureAwait(false);
        return total;
    }

    /// <summary>The baseline: signed ping calls from the same clients for a while; returns how many completed.</summary>
    public static async Task<long> PingAsync(TaskclusterClient root, int clients, TimeSpan duration)
    {
        long total = 0;
        var stopAt = DateTime.UtcNow + duration;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(_ => Task.Run(async () =>
        {
            while (DateTime.UtcNow < stopAt)
            {
                await root.Queue.PingAsync().ConfigureAwait(false);
                Interlocked.Increment(ref total);
            }
        }))).ConfigureAwait(false);
        return total;
    }
}
