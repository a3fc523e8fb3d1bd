using Newtonsoft.Json.Linq;
using TcWorker.Runtime.Workers;

namespace TcWorker.Bench;

/// <summary>Figure 11: figures 1 to 3 with a throwaway OS user per task, and its cost against the same tasks without one.</summary>
internal static partial class Suite
{
    /// <summary>Figures 1 to 3 again with a throwaway OS user per task (the native engine's <c>createUser</c>; needs root), with their own counts.</summary>
    public static async Task<IReadOnlyList<Figure>> WithTaskUsersAsync(Harness harness, BenchOptions options)
    {
        if (!IsRoot)
        {
            return [];
        }

        var counts = options with { OverheadTasks = options.UserTasks, ThroughputTasks = options.UserTasks, Capacities = options.UserCapacities, PickupTasks = options.UserPickups };
        return [.. await OverheadAsync(harness, counts, createUser: true), .. await ThroughputAsync(harness, counts, createUser: true), .. await PickupAsync(harness, counts, createUser: true)];
    }

    /// <summary>
    /// 11. What <c>createUser</c> adds to a task: the claim-to-resolved time of <c>true</c> tasks with it
    /// against the same without it, in alternating rounds of the same worker set-up. Two kinds of rounds:
    /// back to back (every task queued before the worker starts, so the next claim follows the last
    /// resolution at once), and spaced (each task created a pause after the last one resolved, as tasks
    /// arrive on a worker that is not saturated).
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> UserCostAsync(Harness harness, BenchOptions options)
    {
        var n = Math.Max(2, options.UserPickups);
        var backToBack = (With: new List<double>(), Without: new List<double>());
        var spaced = (With: new List<double>(), Without: new List<double>());
        for (var round = 0; round < options.UserCostRounds; round++)
        {
            foreach (var createUser in new[] { false, true })
            {
                (createUser ? backToBack.With : backToBack.Without).AddRange(await BackToBackAsync(harness, n, createUser, round));
                (createUser ? spaced.With : spaced.Without).AddRange(await SpacedAsync(harness, options, n, createUser, round));
            }
        }

        return
        [
            Cost("back to back", backToBack.With, backToBack.Without),
            Cost("spaced", spaced.With, spaced.Without),
        ];

        static Figure Cost(string kind, List<double> with, List<double> without) =>
            new($"claim to resolved with createUser against without, {kind}, median", "ms", Stats.Median(with), Stats.Median(without), Stats.Median(with) / Stats.Median(without), "<= 1.5x", Stats.Median(with) / Stats.Median(without) <= 1.5);
    }

    /// <summary>The claim-to-resolved times of <paramref name="n"/> queued tasks (the first, the worker's warm-up, not counted).</summary>
    private static async Task<List<double>> BackToBackAsync(Harness harness, int n, bool createUser, int round)
    {
        var queue = $"bench/user-cost-queued-{(createUser ? "with" : "without")}-{round}";
        var ids = new List<string>();
        for (var i = 0; i <= n; i++)
        {
            ids.Add(await harness.CreateTaskAsync(queue, "true"));
        }

        using var lifetime = new WorkerLifetime();
        await Harness.RunWorkerAsync(harness.Config(queue, capacity: 1, tasks: n + 1, createUser: createUser), lifetime);
        var statuses = await harness.CompletedAsync(ids);
        return [.. statuses.Skip(1).Select(s => s.Runs[^1]).Select(r => (r.Resolved!.Value - r.Started!.Value).TotalMilliseconds)];
    }

    /// <summary>The claim-to-resolved times of <paramref name="n"/> tasks, each created 300 ms after the last one resolved (a first, not counted, warms the worker up).</summary>
    private static async Task<List<double>> SpacedAsync(Harness harness, BenchOptions options, int n, bool createUser, int round)
    {
        var queue = $"bench/user-cost-spaced-{(createUser ? "with" : "without")}-{round}";
        using var lifetime = new WorkerLifetime();
        var worker = Harness.RunWorkerAsync(harness.Config(queue, capacity: 1, tasks: n + 1, createUser: createUser), lifetime);
        var durations = new List<double>();
        for (var i = 0; i <= n; i++)
        {
            await Task.Delay(options.Settle(i == 0 ? 1000 : 300));
            var status = await harness.WaitResolvedAsync(await harness.CreateTaskAsync(queue, "true"), TimeSpan.FromSeconds(60));
            if (status.State != "completed")
            {
                throw new InvalidOperationException($"task {status.TaskId} on {queue} is {status.State}");
            }

            if (i > 0)
            {
                durations.Add((status.Runs[^1].Resolved!.Value - status.Runs[^1].Started!.Value).TotalMilliseconds);
            }
        }

        await worker.WaitAsync(TimeSpan.FromSeconds(60));
        return durations;
    }
}
