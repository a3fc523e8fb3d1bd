using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace TcWorker.Bench;

/// <summary>Figure 19: the worker's CPU per task with the queue in another process, so each is measured apart.</summary>
internal static partial class Suite
{
    /// <summary>
    /// 19. CPU per <c>true</c> task at capacity 16 of the deployed binary (<c>tc-worker work</c>, its own
    /// process, the tasks' processes included once reaped), from the creation of a batch of tasks to the
    /// last one's resolution: the worker's first batch after its start, and a batch after 40 s of batches (the
    /// same work once the JIT's tiering has settled); the local queue runs in the driver's process and
    /// its CPU (with the driver's own calls) is reported apart. Baseline: the driver's CPU, its reaped children's included, per bare spawn of
    /// <c>true</c> at the same parallelism.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> WorkerCpuAsync(Harness harness, BenchOptions options)
    {
        const int capacity = 16;
        // CPU time comes in clock ticks (10 ms): enough tasks, and more bare spawns, that a few ticks' error is small.
        var n = Math.Max(options.ThroughputTasks, 40);
        var spawns = 5 * n;
        var bareStart = Cpu.Of(Environment.ProcessId);
        await Spawner.RateAsync(spawns, capacity, "true");
        var bare = (Cpu.Of(Environment.ProcessId) - bareStart).TotalMilliseconds / spawns;

        await using var spy = new ClaimWorkSpy(new Uri(harness.Server.RootUrl));
        const string queue = "bench/worker-cpu";
        var configFile = Path.Combine(harness.Folder, "worker-cpu.json");
        await File.WriteAllTextAsync(configFile, harness.Config(queue, capacity, rootUrl: spy.RootUrl).ToString());
        using var worker = StartBinary(configFile);
        try
        {
            await spy.FirstClaimWork.WaitAsync(TimeSpan.FromSeconds(60));
            await Task.Delay(options.Settle(1000));
            // The first batch is the worker's first tasks since its start, while the JIT's tiering is still at work. It went on
            // for about 20 s of steady work in a profile (1,000 to 1,400 tasks under load, more on a quiet machine), so batches
            // not measured follow until 40 s have passed; the last batch is the same work in a worker that has settled.
            var settling = Stopwatch.StartNew();
            var (firstWorker, firstDriver) = await BatchAsync();
            var warmUp = 1;
            while (settling.Elapsed < options.Settle(40_000))
            {
                await BatchAsync();
                warmUp++;
            }

            var (warmWorker, warmDriver) = await BatchAsync();
            return
            [
                new($"CPU of the worker (tc-worker work, its tasks included) per `true` task at capacity {capacity}, the queue in another process, its first {n} tasks (baseline: CPU per bare spawn)", "ms", firstWorker, bare, firstWorker / bare, "<= 1.5x", firstWorker <= 1.5 * bare),
                new($"CPU of the worker per `true` task at capacity {capacity}, {n} tasks after {warmUp * n} (40 s) (baseline: CPU per bare spawn)", "ms", warmWorker, bare, warmWorker / bare, "<= 1.5x", warmWorker <= 1.5 * bare),
                new($"CPU of the local queue and the driver's calls per task, its first {n} tasks (baseline: CPU per bare spawn)", "ms", firstDriver, bare, firstDriver / bare, "-", true),
                new($"CPU of the local queue and the driver's calls per task, {n} tasks after {warmUp * n} (40 s) (baseline: CPU per bare spawn)", "ms", warmDriver, bare, warmDriver / bare, "-", true),
            ];

            async Task<(double Worker, double Driver)> BatchAsync()
            {
                var ids = new List<string>();
                var workerStart = Cpu.Of(worker.Id);
                var driverStart = Cpu.Of(Environment.ProcessId);
                for (var i = 0; i < n; i++)
                {
                    ids.Add(await harness.CreateTaskAsync(queue, "true"));
                }

                // Polled every 50 ms rather than the harness's 2 ms, so the driver's own polling stays out of the queue's figure.
                var until = Stopwatch.StartNew();
                foreach (var id in ids.AsEnumerable().Reverse())
                {
                    while ((await harness.StatusAsync(id)).State is not ("completed" or "failed" or "exception"))
                    {
                        if (until.Elapsed > TimeSpan.FromMinutes(5))
                        {
                            throw new TimeoutException($"task {id} did not resolve within 5 minutes");
                        }

                        await Task.Delay(50);
                    }
                }

                var result = ((Cpu.Of(worker.Id) - workerStart).TotalMilliseconds / n, (Cpu.Of(Environment.ProcessId) - driverStart).TotalMilliseconds / n);
                await harness.CompletedAsync(ids);
                return result;
            }
        }
        finally
        {
            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync();
        }
    }

    /// <summary>CPU time of a process from <c>/proc/PID/stat</c>: user and system, its own and its reaped children's.</summary>
    private static partial class Cpu
    {
        private static readonly double TicksPerSecond = Sysconf(2); // _SC_CLK_TCK

        public static TimeSpan Of(int pid) => Fields(pid, 14, 17);

        /// <summary>User and system CPU time of the children a process has reaped (with theirs), from <c>/proc/PID/stat</c>.</summary>
        public static TimeSpan OfReapedChildren(int pid) => Fields(pid, 16, 17);

        private static TimeSpan Fields(int pid, int first, int last)
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces; the fields after it start past its closing bracket.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = 0L;
            for (var field = first; field <= last; field++)
            {
                ticks += long.Parse(fields[field - 3], CultureInfo.InvariantCulture);
            }

            return TimeSpan.FromSeconds(ticks / TicksPerSecond);
        }

        [LibraryImport("libc", EntryPoint = "sysconf")]
        private static partial long Sysconf(int name);
    }
}
