using System.Diagnostics;
using System.Globalization;
using Newtonsoft.Json.Linq;
using TcWorker.LocalQueue;
using TcWorker.Runtime.Workers;
using TcWorker.Taskcluster;

namespace TcWorker.Bench;

/// <summary>Every figure, each measured next to its raw baseline in the same run.</summary>
internal static partial class Suite
{
    /// <summary>The figures' names, in the order they run.</summary>
    public static readonly IReadOnlyList<string> Figures = ["overhead", "throughput", "workercpu", "floor", "pickup", "memory", "startup", "lifecycles", "log", "upload", "job", "growth", "users", "usercost", "docker", "mounts", "proxy", "shell", "dashboard", "fleet"];

    /// <summary>Runs the selected figures (all when <paramref name="only"/> is empty) in order of priority; a figure that fails is reported and the others still run.</summary>
    public static async Task<(IReadOnlyList<Figure> Figures, IReadOnlyList<string> Errors)> RunAsync(BenchOptions options, Action<string> progress, IReadOnlyCollection<string>? only = null)
    {
        var figures = new List<Figure>();
        var errors = new List<string>();
        await using var harness = await Harness.StartAsync();
        foreach (var name in Figures.Where(f => only is null || only.Count == 0 || only.Contains(f)))
        {
            progress($"measuring {name}");
            try
            {
                var found = name switch
                {
                    "overhead" => await OverheadAsync(harness, options),
                    "throughput" => await ThroughputAsync(harness, options),
                    "pickup" => await PickupAsync(harness, options),
                    "memory" => await MemoryAsync(harness, options),
                    "startup" => await StartupAsync(harness, options),
                    "lifecycles" => await LifecyclesAsync(options),
                    "log" => await LogThroughputAsync(harness, options),
                    "upload" => await UploadAsync(harness, options),
                    "job" => await RealJobAsync(harness, options),
                    "growth" => await GrowthAsync(options),
                    "docker" => await DockerAsync(harness, options),
                    "mounts" => await MountsAsync(harness, options),
                    "proxy" => await ProxyAsync(harness, options),
                    "shell" => await ShellAsync(harness, options),
                    "dashboard" => await DashboardAsync(options),
                    "fleet" => await FleetAsync(harness, options),
                    "workercpu" => await WorkerCpuAsync(harness, options),
                    "floor" => await ProtocolFloorAsync(harness, options),
                    "usercost" => IsRoot ? await UserCostAsync(harness, options) : [],
                    _ => await WithTaskUsersAsync(harness, options),
                };
                foreach (var figure in found)
                {
                    progress($"  {figure.Name}: {Stats.Format(figure.Value)} {figure.Unit} (baseline {Stats.Format(figure.Baseline)})");
                }

                figures.AddRange(found);
            }
            catch (Exception e)
            {
                errors.Add($"{name}: {e}");
                progress($"  {name} failed: {e.Message}");
            }
        }

        return (figures, errors);
    }

    /// <summary>
    /// 1. Per-task overhead: tasks running <c>true</c> one at a time; the run's claim-to-resolved time
    /// (its <c>started</c> and <c>resolved</c> on the queue) minus the median bare spawn of <c>true</c>.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> OverheadAsync(Harness harness, BenchOptions options, bool createUser = false)
    {
        var variant = createUser ? " with createUser" : string.Empty;
        var n = options.OverheadTasks;
        var bare = new List<double>();
        for (var i = 0; i < n; i++)
        {
            bare.Add(await Spawner.TimeOnceAsync("true"));
        }

        var queue = "bench/overhead" + (createUser ? "-users" : string.Empty);
        var ids = new List<string>();
        for (var i = 0; i < n; i++)
        {
            ids.Add(await harness.CreateTaskAsync(queue, "true"));
        }

        using var lifetime = new WorkerLifetime();
        var cpu = ProcessCpu();
        await Harness.RunWorkerAsync(harness.Config(queue, capacity: 1, tasks: n, createUser: createUser), lifetime);
        var cpuPerTask = (ProcessCpu() - cpu).TotalMilliseconds / n;
        var statuses = await harness.CompletedAsync(ids);
        var durations = statuses.Select(s => s.Runs[^1]).Select(r => (r.Resolved!.Value - r.Started!.Value).TotalMilliseconds).ToList();
        var bareMedian = Stats.Median(bare);
        var overhead = durations.Select(d => d - bareMedian).ToList();
        var median = Stats.Median(overhead);
        var p99 = Stats.Percentile(overhead, 99);
        return
        [
            new($"per-task overhead{variant}, median (claim to resolved - bare `true`)", "ms", median, bareMedian, Stats.Median(durations) / bareMedian, createUser ? "-" : "<= 15 ms", createUser || median <= 15, MayBeZero: true),
            new($"per-task overhead{variant}, p99", "ms", p99, Stats.Percentile(bare, 99), Stats.Percentile(durations, 99) / Stats.Percentile(bare, 99), "-", true, MayBeZero: true),
            new($"CPU of the worker's process (worker and queue) per task{variant} at capacity 1 (baseline: bare `true`, wall time)", "ms", cpuPerTask, bareMedian, cpuPerTask / bareMedian, "-", true),
        ];
    }

    /// <summary>2. Throughput: tasks running <c>true</c> at each capacity, from the first run's start to the last run's resolution, vs the same spawns at the same parallelism.</summary>
    public static async Task<IReadOnlyList<Figure>> ThroughputAsync(Harness harness, BenchOptions options, bool createUser = false)
    {
        var variant = createUser ? " with createUser" : string.Empty;
        var figures = new List<Figure>();
        var n = options.ThroughputTasks;
        foreach (var capacity in options.Capacities)
        {
            var baseline = await Spawner.RateAsync(n, capacity, "true");
            var queue = "bench/throughput-" + capacity.ToString(CultureInfo.InvariantCulture) + (createUser ? "-users" : string.Empty);
            var ids = new List<string>();
            for (var i = 0; i < n; i++)
            {
                ids.Add(await harness.CreateTaskAsync(queue, "true"));
            }

            using var lifetime = new WorkerLifetime();
            var cpu = ProcessCpu();
            await Harness.RunWorkerAsync(harness.Config(queue, capacity, tasks: n, createUser: createUser), lifetime);
            var cpuPerTask = (ProcessCpu() - cpu).TotalMilliseconds / n;
            var runs = (await harness.CompletedAsync(ids)).Select(s => s.Runs[^1]).ToList();
            var span = (runs.Max(r => r.Resolved!.Value) - runs.Min(r => r.Started!.Value)).TotalSeconds;
            var rate = n / span;
            var goal = capacity == 16 && !createUser;
            figures.Add(new($"throughput at capacity {capacity}{variant} (`true`)", "tasks/s", rate, baseline, rate / baseline, goal ? ">= 100 tasks/s" : "-", !goal || rate >= 100));
            figures.Add(new($"CPU of the worker's process (worker and queue) per task{variant} at capacity {capacity} (baseline: 1000 / the bare rate)", "ms", cpuPerTask, 1000 / baseline, cpuPerTask * baseline / 1000, "-", true));
        }

        return figures;
    }

    /// <summary>The CPU time (user and system) this process has used so far: the in-process worker and the local queue.</summary>
    private static TimeSpan ProcessCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    /// <summary>
    /// 3. Pickup latency: an idle worker long-polling; from the createTask call to the task's process
    /// writing the clock (<c>date +%s%N</c>), vs Process.Start to the same clock with no worker.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> PickupAsync(Harness harness, BenchOptions options, bool createUser = false)
    {
        var variant = createUser ? " with createUser" : string.Empty;
        var n = options.PickupTasks;
        var folder = Directory.CreateDirectory(Path.Combine(harness.Folder, "pickup" + (createUser ? "-users" : string.Empty))).FullName;
        if (createUser && !OperatingSystem.IsWindows())
        {
            // the task users write their clocks here
            File.SetUnixFileMode(folder, (UnixFileMode)0x3FF | UnixFileMode.StickyBit);
        }

        var bare = new List<double>();
        for (var i = 0; i < n; i++)
        {
            var before = DateTimeOffset.UtcNow;
            using var process = Process.Start(Spawner.Info("sh", "-c", "date +%s%N"))!;
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            bare.Add(Since(before, output));
        }

        var queue = "bench/pickup" + (createUser ? "-users" : string.Empty);
        using var lifetime = new WorkerLifetime();
        // one task more than measured: the first one warms the worker up
        var worker = Harness.RunWorkerAsync(harness.Config(queue, capacity: 1, tasks: n + 1, createUser: createUser), lifetime);
        var latencies = new List<double>();
        var toStarted = new List<double>();
        for (var i = 0; i <= n; i++)
        {
            // the worker is back in its long poll well before this
            await Task.Delay(options.Settle(i == 0 ? 1000 : 300));
            var file = Path.Combine(folder, i.ToString(CultureInfo.InvariantCulture));
            var before = DateTimeOffset.UtcNow;
            var taskId = await harness.CreateTaskAsync(queue, "sh", "-c", $"date +%s%N > {file}");
            var status = await harness.WaitResolvedAsync(taskId, TimeSpan.FromSeconds(60));
            if (status.State != "completed")
            {
                throw new InvalidOperationException($"pickup task {taskId} is {status.State}");
            }

            if (i > 0)
            {
                latencies.Add(Since(before, await File.ReadAllTextAsync(file)));
                toStarted.Add((status.Runs[^1].Started!.Value - before).TotalMilliseconds);
            }
        }

        await worker.WaitAsync(TimeSpan.FromSeconds(60));
        var median = Stats.Median(latencies);
        return
        [
            new($"pickup latency{variant}, median (createTask to process start)", "ms", median, Stats.Median(bare), median / Stats.Median(bare), createUser ? "-" : "<= 20 ms", createUser || median <= 20),
            new($"pickup latency{variant}, median (createTask to run started on the queue)", "ms", Stats.Median(toStarted), Stats.Median(bare), Stats.Median(toStarted) / Stats.Median(bare), "-", true),
        ];

        static double Since(DateTimeOffset before, string nanoseconds) =>
            (long.Parse(nanoseconds.Trim(), CultureInfo.InvariantCulture) / 1e6) - before.ToUnixTimeMilliseconds() - (before.Ticks % TimeSpan.TicksPerMillisecond / 1e4);
    }

    /// <summary>
    /// 6. Memory: VmRSS of the real <c>tc-worker work</c> binary idle (after its first claimWork),
    /// then with N concurrent <c>sleep</c> tasks; the baseline is the hello-world app idle, then
    /// holding N <c>sleep</c> children whose output it reads.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> MemoryAsync(Harness harness, BenchOptions options)
    {
        var n = options.MemoryTasks;
        double helloIdle, helloLoaded;
        using (var hello = Process.Start(WithStdin(Spawner.Info(Harness.HelloWorld, "hold", n.ToString(CultureInfo.InvariantCulture))))!)
        {
            await hello.StandardOutput.ReadLineAsync(); // ready
            await Task.Delay(options.Settle(500));
            helloIdle = Spawner.RssMiB(hello.Id);
            await hello.StandardInput.WriteLineAsync();
            await hello.StandardOutput.ReadLineAsync(); // spawned
            await Task.Delay(options.Settle(500));
            helloLoaded = Spawner.RssMiB(hello.Id);
            await hello.StandardInput.WriteLineAsync();
            await hello.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        await using var spy = new ClaimWorkSpy(new Uri(harness.Server.RootUrl));
        const string queue = "bench/memory";
        var configFile = Path.Combine(harness.Folder, "memory.json");
        await File.WriteAllTextAsync(configFile, harness.Config(queue, capacity: n, rootUrl: spy.RootUrl).ToString());
        var marker = "600." + Random.Shared.Next(1_000_000, 9_999_999).ToString(CultureInfo.InvariantCulture);
        using var worker = StartBinary(configFile);
        try
        {
            await spy.FirstClaimWork.WaitAsync(TimeSpan.FromSeconds(60));
            await Task.Delay(options.Settle(2000));
            var idle = Spawner.RssMiB(worker.Id);
            for (var i = 0; i < n; i++)
            {
                await harness.CreateTaskAsync(queue, "sleep", marker);
            }

            var until = Stopwatch.StartNew();
            while (Spawner.ProcessesWith(marker).Count < n)
            {
                if (until.Elapsed > TimeSpan.FromSeconds(60))
                {
                    throw new TimeoutException($"only {Spawner.ProcessesWith(marker).Count} of {n} sleep tasks started");
                }

                await Task.Delay(50);
            }

            await Task.Delay(options.Settle(1000));
            var loaded = Spawner.RssMiB(worker.Id);
            var perTask = (loaded - idle) / n;
            var helloPerTask = (helloLoaded - helloIdle) / n;
            return
            [
                new("worker RSS, idle (tc-worker work)", "MiB", idle, helloIdle, idle / helloIdle, "<= 80 MB", idle <= 80 * 1e6 / (1 << 20)),
                new($"worker RSS with {n} sleep tasks", "MiB", loaded, helloLoaded, loaded / helloLoaded, "-", true),
                new("worker RSS per extra task", "MiB", perTask, helloPerTask, perTask / helloPerTask, "<= 2 MB", perTask <= 2 * 1e6 / (1 << 20), MayBeZero: true),
            ];
        }
        finally
        {
            worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync();
            foreach (var pid in Spawner.ProcessesWith(marker))
            {
                try
                {
                    Process.GetProcessById(pid).Kill();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                }
            }
        }
    }

    /// <summary>
    /// 7. Start-up: exec of <c>tc-worker work --config</c> to its first claimWork request reaching the
    /// queue (seen by a relay in front of it), vs the hello-world app's exec to exit.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> StartupAsync(Harness harness, BenchOptions options)
    {
        await using var spy = new ClaimWorkSpy(new Uri(harness.Server.RootUrl));
        var configFile = Path.Combine(harness.Folder, "startup.json");
        await File.WriteAllTextAsync(configFile, harness.Config("bench/startup", capacity: 1, rootUrl: spy.RootUrl).ToString());
        var worker = new List<double>();
        var hello = new List<double>();
        for (var i = 0; i < options.StartupRuns; i++)
        {
            hello.Add(await Spawner.TimeOnceAsync(Harness.HelloWorld));
            spy.Reset();
            var started = Stopwatch.GetTimestamp();
            using var process = StartBinary(configFile);
            try
            {
                var claimed = await spy.FirstClaimWork.WaitAsync(TimeSpan.FromSeconds(60));
                worker.Add(Stopwatch.GetElapsedTime(started, claimed).TotalMilliseconds);
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }

        var median = Stats.Median(worker);
        var baseline = Stats.Median(hello);
        return [new("start-up, median (exec to first claimWork)", "ms", median, baseline, median / baseline, "<= 500 ms and <= 3x", median <= 500 && median <= 3 * baseline)];
    }

    /// <summary>8. Local queue lifecycles/s (createTask, claimWork, reportCompleted) vs signed pings, 3 per lifecycle, from the same clients.</summary>
    public static async Task<IReadOnlyList<Figure>> LifecyclesAsync(BenchOptions options)
    {
        var folder = Directory.CreateTempSubdirectory("tcw-bench-lq-").FullName;
        try
        {
            await using var server = await LocalQueueServer.StartAsync(new LocalQueueOptions { DataFolder = folder });
            using var root = new TaskclusterClient(new TaskclusterClientOptions { RootUrl = server.RootUrl, Credentials = server.RootCredentials, MaxRetries = 0 });
            var clients = options.LifecycleClients;
            var duration = options.LifecycleDuration;
            await LifecycleLoad.RunAsync(root, clients, duration / 5);
            await LifecycleLoad.PingAsync(root, clients, duration / 5);
            var watch = Stopwatch.StartNew();
            var done = await LifecycleLoad.RunAsync(root, clients, duration);
            var rate = done / watch.Elapsed.TotalSeconds;
            watch.Restart();
            var pings = await LifecycleLoad.PingAsync(root, clients, duration);
            var baseline = pings / watch.Elapsed.TotalSeconds / 3;
            return [new($"local queue lifecycles/s, {clients} clients (baseline: signed pings / 3)", "1/s", rate, baseline, rate / baseline, ">= 1000/s", rate >= 1000)];
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Runs tasks one after another with an in-process worker; returns each run's claim-to-resolved seconds.</summary>
    internal static async Task<IReadOnlyList<double>> RunSeriallyAsync(Harness harness, string queue, IReadOnlyList<string[]> commands)
    {
        var ids = new List<string>();
        foreach (var command in commands)
        {
            ids.Add(await harness.CreateTaskAsync(queue, command));
        }

        using var lifetime = new WorkerLifetime();
        await Harness.RunWorkerAsync(harness.Config(queue, capacity: 1, tasks: ids.Count), lifetime);
        return (await harness.CompletedAsync(ids)).Select(s => s.Runs[^1]).Select(r => (r.Resolved!.Value - r.Started!.Value).TotalSeconds).ToList();
    }

    /// <summary>Whether this process runs as root, which throwaway task users need.</summary>
    public static bool IsRoot => !OperatingSystem.IsWindows() && Environment.UserName == "root";

    private static ProcessStartInfo WithStdin(ProcessStartInfo start)
    {
        start.RedirectStandardInput = true;
        return start;
    }

    private static Process StartBinary(string configFile)
    {
        var process = Process.Start(Spawner.Info(Harness.Executable, "work", "--config", configFile))!;
        // drained, so a chatty worker never blocks on a full pipe
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }
}
